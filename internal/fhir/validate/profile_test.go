package validate

import (
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

const (
	ukPatient    = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"
	ukVitalSigns = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Observation-VitalSigns"
	verification = `{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus","valueCodeableConcept":{"coding":[{"system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland","code":"%s"}]}}`
)

// ukCorePatient is a UK Core Patient with a verified NHS number.
func ukCorePatient(code string) string {
	return `{"resourceType":"Patient","meta":{"profile":["` + ukPatient + `"]},
	 "identifier":[{"extension":[` + strings.Replace(verification, "%s", code, 1) + `],
	   "system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],
	 "name":[{"family":"Smith","given":["Jane"]}],"gender":"female","birthDate":"1980-02-29"}`
}

// vitalSigns is a UK Core vital signs Observation (body weight) with the
// LOINC and SNOMED CT codings its slices ask for.
const vitalSigns = `{"resourceType":"Observation","meta":{"profile":["` + ukVitalSigns + `"]},"status":"final",
 "category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],
 "code":{"coding":[{"system":"http://loinc.org","code":"29463-7"},{"system":"http://snomed.info/sct","code":"27113001"}]},
 "subject":{"reference":"Patient/p1"},"effectiveDateTime":"2024-05-01",
 "valueQuantity":{"value":72.5,"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"}}`

// fakeCodes answers for one value set: in when the code is listed.
type fakeCodes struct {
	valueSet string
	codes    map[string]bool
}

func (f fakeCodes) ValidateCode(vs, system, code string) (bool, bool) {
	if vs != f.valueSet {
		return DefinitionCodes{}.ValidateCode(vs, system, code)
	}
	return f.codes[code], true
}

func TestProfileValid(t *testing.T) {
	for name, doc := range map[string]string{
		"UK Core Patient":     ukCorePatient("01"),
		"UK Core vital signs": vitalSigns,
	} {
		if issues := Resource(decode(t, doc)); len(issues) > 0 {
			t.Errorf("%s: unexpected issues %+v", name, issues)
		}
	}
}

func TestProfileInvalid(t *testing.T) {
	replace := func(doc, old, new string) string {
		if !strings.Contains(doc, old) {
			t.Fatalf("test document lacks %s", old)
		}
		return strings.Replace(doc, old, new, 1)
	}
	tests := []struct {
		name, doc, code, expr, want string
	}{
		{"fixed value", replace(vitalSigns, `"status":"final"`, `"status":"preliminary"`),
			"invalid", "Observation.status", "must be exactly \"final\""},
		{"minimum cardinality", replace(vitalSigns, `"subject":{"reference":"Patient/p1"},`, ``),
			"required", "Observation", "Observation.subject requires at least 1"},
		{"maximum cardinality", replace(vitalSigns, `"category":[{`, `"category":[{"text":"x"},{`),
			"invalid", "Observation.category[1]", "allows at most 1"},
		{"slice missing (value discriminator)", replace(vitalSigns, `{"system":"http://loinc.org","code":"29463-7"},`, ``),
			"required", "Observation.code", "Observation.code.coding:loinc requires at least 1"},
		{"profile invariant with its key", replace(vitalSigns, `{"system":"http://loinc.org","code":"29463-7"},`, ``),
			"invariant", "Observation", "constraint ukcore-obs-vs-001 failed"},
		{"choice narrowed by an extension definition",
			replace(ukCorePatient("01"), `"gender":"female"`, `"gender":"female","extension":[{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory","valueString":"A"}]`),
			"invalid", "Patient.extension[0].valueString", "does not allow type String"},
		{"extension outside its context",
			replace(vitalSigns, `"status":"final"`, `"status":"final","extension":[{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory","valueCodeableConcept":{"text":"x"}}]`),
			"invalid", "Observation.extension[0]", "Extension-UKCore-EthnicCategory is not allowed on Observation"},
		{"extension inside an extension's value, outside its context",
			replace(ukCorePatient("01"), `"gender":"female"`, `"gender":"female","extension":[{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory","valueCodeableConcept":{"coding":[{"system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland","code":"A"}],"extension":[{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-CodingSCTDescId","extension":[{"url":"descriptionId","valueId":"123"}]}]}}]`),
			"invalid", "Patient.extension[0].valueCodeableConcept.extension[0]", "Extension-UKCore-CodingSCTDescId is not allowed on Patient.extension.value (its context: Coding)"},
		{"HL7 extension a UK Core profile names: value type",
			replace(ukCorePatient("01"), `"gender":"female"`, `"gender":"female","extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthPlace","valueString":"Leeds"}]`),
			"invalid", "Patient.extension[0].valueString", "patient-birthPlace: Extension.value[x] does not allow type String"},
		{"HL7 extension a UK Core profile names: context",
			replace(ukCorePatient("01"), `"gender":"female"`, `"gender":"female","extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthTime","valueDateTime":"1980-02-29T10:00:00Z"}]`),
			"invalid", "Patient.extension[0]", "patient-birthTime is not allowed on Patient (its context: Patient.birthDate)"},
		{"slice maximum (NHS number given twice)",
			replace(ukCorePatient("01"), `"name":`, `"identifier":[],"name":`)[0:0] + strings.Replace(ukCorePatient("01"), `"value":"9434765919"}]`, `"value":"9434765919"},{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}]`, 1),
			"invalid", "Patient.identifier[1]", "Patient.identifier:nhsNumber allows at most 1"},
		{"required binding (enumerable value set)", ukCorePatient("99"),
			"code-invalid", "Patient.identifier[0].extension[0].valueCodeableConcept", "code https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland|99 is not in the value set https://fhir.hl7.org.uk/ValueSet/UKCore-NHSNumberVerificationStatus (required binding)"},
		{"profile claimed for another type", replace(ukCorePatient("01"), ukPatient, ukVitalSigns),
			"invalid", "Patient.meta.profile", "profiles Observation, not Patient"},
		{"R4 invariant with its key", `{"resourceType":"Patient","contact":[{"gender":"male"}]}`,
			"invariant", "Patient.contact[0]", "constraint pat-1 failed"},
		{"NHS number Modulus 11 outside any profile", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765918"}}}`,
			"invalid", "Observation.subject.identifier.value", "not a valid NHS number"},
		{"NHS number with spaces", strings.Replace(ukCorePatient("01"), "9434765919", "943 476 5919", 1),
			"invalid", "Patient.identifier[0].value", "not a valid NHS number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			issues := Resource(decode(t, tt.doc))
			for _, is := range issues {
				if is.Code == tt.code && len(is.Expression) == 1 && is.Expression[0] == tt.expr && strings.Contains(is.Diagnostics, tt.want) {
					if is.Severity != fhir.SeverityError {
						t.Errorf("issue %+v is not an error", is)
					}
					return
				}
			}
			t.Errorf("want a %s issue at %s saying %q, got %+v", tt.code, tt.expr, tt.want, issues)
		})
	}
}

// TestProfileBindingsThroughCodeValidator checks that profile bindings ask
// the CodeValidator: required fails with an error, extensible with a
// warning only, and an unknown answer checks nothing.
func TestProfileBindingsThroughCodeValidator(t *testing.T) {
	const marital = "https://fhir.hl7.org.uk/ValueSet/UKCore-PersonMaritalStatusCode"
	doc := strings.Replace(ukCorePatient("01"), `"gender":"female"`, `"gender":"female","maritalStatus":{"coding":[{"system":"http://example.org/local","code":"X"}]}`, 1)
	// Unknown to the default validator (the set is not enumerable): nothing.
	if issues := Resource(decode(t, doc)); len(issues) > 0 {
		t.Errorf("unknown value set: %+v", issues)
	}
	issues := ResourceWith(decode(t, doc), Options{Codes: fakeCodes{valueSet: marital, codes: map[string]bool{"M": true}}})
	if len(issues) != 1 || issues[0].Severity != fhir.SeverityWarning || issues[0].Expression[0] != "Patient.maritalStatus" || !strings.Contains(issues[0].Diagnostics, "extensible") {
		t.Errorf("extensible binding: want one warning at Patient.maritalStatus, got %+v", issues)
	}
	if fhir.HasErrors(issues) {
		t.Error("an extensible binding made the resource invalid")
	}
	ok := strings.Replace(doc, `"code":"X"`, `"code":"M"`, 1)
	if issues := ResourceWith(decode(t, ok), Options{Codes: fakeCodes{valueSet: marital, codes: map[string]bool{"M": true}}}); len(issues) > 0 {
		t.Errorf("a code in the set: %+v", issues)
	}
	// A required binding the defaults cannot enumerate (all-languages) is
	// checked once a CodeValidator knows the set.
	lang := strings.Replace(ukCorePatient("01"), `"gender":"female"`, `"gender":"female","communication":[{"language":{"coding":[{"system":"urn:ietf:bcp:47","code":"xx-NOPE"}]}}]`, 1)
	issues = ResourceWith(decode(t, lang), Options{Codes: fakeCodes{valueSet: "http://hl7.org/fhir/ValueSet/all-languages", codes: map[string]bool{"en-GB": true}}})
	if !fhir.HasErrors(issues) || !strings.Contains(issues[0].Diagnostics, "xx-NOPE") {
		t.Errorf("required binding through the CodeValidator: %+v", issues)
	}
}

// TestR4BindingsThroughCodeValidator: an R4 required binding the release
// cannot enumerate (mime types) is checked once the CodeValidator knows
// the value set, with or without a profile.
func TestR4BindingsThroughCodeValidator(t *testing.T) {
	doc := `{"resourceType":"Patient","photo":[{"contentType":"xx-NOPE","url":"https://example.org/p.png"}]}`
	if issues := Resource(decode(t, doc)); len(issues) > 0 {
		t.Errorf("unknown to the defaults, yet: %+v", issues)
	}
	codes := fakeCodes{valueSet: "http://hl7.org/fhir/ValueSet/mimetypes", codes: map[string]bool{"image/png": true}}
	issues := ResourceWith(decode(t, doc), Options{Codes: codes})
	if len(issues) != 1 || issues[0].Code != fhir.CodeCodeInvalid || issues[0].Expression[0] != "Patient.photo[0].contentType" || !strings.Contains(issues[0].Diagnostics, "xx-NOPE") {
		t.Errorf("want one code-invalid issue at Patient.photo[0].contentType, got %+v", issues)
	}
	if issues := ResourceWith(decode(t, strings.Replace(doc, "xx-NOPE", "image/png", 1)), Options{Codes: codes}); len(issues) > 0 {
		t.Errorf("a code in the set: %+v", issues)
	}
}

func TestContainsPattern(t *testing.T) {
	var pattern, val any
	_ = decodeJSON(`{"coding":[{"system":"http://snomed.info/sct","code":"1"}]}`, &pattern)
	_ = decodeJSON(`{"coding":[{"system":"http://loinc.org","code":"2"},{"system":"http://snomed.info/sct","code":"1","display":"x"}],"text":"t"}`, &val)
	if !containsPattern(val, pattern) {
		t.Error("a value with more than the pattern does not contain it")
	}
	_ = decodeJSON(`{"coding":[{"system":"http://snomed.info/sct","code":"2"}]}`, &val)
	if containsPattern(val, pattern) {
		t.Error("a value with another code contains the pattern")
	}
}

// BenchmarkUKCorePatient compares validating a UK Core Patient with its
// profile and invariants against R4 structure alone (the issue's target:
// under 10x). Run: go test -run X -bench UKCorePatient ./internal/fhir/validate
func BenchmarkUKCorePatient(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts Options
	}{{"base", Options{BaseOnly: true}}, {"profile+invariants", Options{}}} {
		b.Run(bc.name, func(b *testing.B) {
			r := decode(b, ukCorePatient("01"))
			if issues := ResourceWith(r, bc.opts); len(issues) > 0 {
				b.Fatal(issues)
			}
			b.ReportAllocs()
			for b.Loop() {
				ResourceWith(r, bc.opts)
			}
		})
	}
}
