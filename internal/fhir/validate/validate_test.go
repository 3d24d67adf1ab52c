package validate

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

func decode(t testing.TB, s string) fhir.Resource {
	t.Helper()
	r, err := fhir.Unmarshal([]byte(s))
	if err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return r
}

const validPatient = `{"resourceType":"Patient","id":"p1",
 "meta":{"versionId":"1","lastUpdated":"2024-01-02T03:04:05.123Z"},
 "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Jane</div>"},
 "extension":[{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory","valueCodeableConcept":{"coding":[{"system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategory","code":"A"}]}}],
 "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],
 "active":true,
 "name":[{"use":"official","family":"Smith","given":["Jane","Ann"],"_given":[null,{"extension":[{"url":"http://example.org/x","valueString":"y"}]}]}],
 "gender":"female","birthDate":"1980-02-29","deceasedBoolean":false,
 "multipleBirthInteger":2,
 "generalPractitioner":[{"reference":"Organization/Y12345"},{"reference":"#gp"}],
 "managingOrganization":{"reference":"https://example.org/fhir/Organization/1"},
 "contact":[{"name":{"family":"Smith"},"telecom":[{"system":"phone","value":"0113 123 4567"}]}],
 "contained":[{"resourceType":"Practitioner","id":"gp","name":[{"family":"Who"}]}]}`

func TestValidResources(t *testing.T) {
	for name, doc := range map[string]string{
		"patient": validPatient,
		"observation": `{"resourceType":"Observation","status":"final","code":{"text":"weight"},
			"valueQuantity":{"value":72.50,"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"},
			"subject":{"reference":"urn:uuid:6f1a2b3c-0000-4000-8000-000000000001"},
			"effectiveDateTime":"2024-05-01T10:00:00+01:00",
			"component":[{"code":{"text":"x"},"valueString":"y"}]}`,
		"questionnaire nested items": `{"resourceType":"Questionnaire","status":"draft","item":[{"linkId":"1","type":"group","item":[{"linkId":"1.1","type":"group","item":[{"linkId":"1.1.1","type":"string"}]}]}]}`,
		"bundle with resources":      `{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:1","resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient"}}]}`,
		"conditional reference":      `{"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient?identifier=x|1"}}`,
		"tab, CR and LF in strings":  `{"resourceType":"Patient","address":[{"text":"1 High St\r\nLeeds\tLS1"}]}`,
	} {
		if issues := Resource(decode(t, doc)); len(issues) > 0 {
			t.Errorf("%s: unexpected issues %+v", name, issues)
		}
	}
}

func TestInvalidResources(t *testing.T) {
	tests := []struct {
		name, doc  string
		code, expr string
	}{
		{"unknown element", `{"resourceType":"Patient","foo":1}`, "structure", "Patient.foo"},
		{"unknown resource type", `{"resourceType":"Patient2"}`, "structure", "Patient2"},
		{"wrong JSON type", `{"resourceType":"Patient","active":"yes"}`, "structure", "Patient.active"},
		{"string for decimal", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":"1.5"}}`, "structure", "Observation.valueQuantity.value"},
		{"array expected", `{"resourceType":"Patient","name":{"family":"x"}}`, "structure", "Patient.name"},
		{"single expected", `{"resourceType":"Patient","gender":["male"]}`, "structure", "Patient.gender"},
		{"bad date", `{"resourceType":"Patient","birthDate":"1980-13-01"}`, "value", "Patient.birthDate"},
		{"bad dateTime", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"effectiveDateTime":"2024-05-01T10:00"}`, "value", "Observation.effectiveDateTime"},
		{"bad instant", `{"resourceType":"Patient","meta":{"lastUpdated":"2024-05-01"}}`, "value", "Patient.meta.lastUpdated"},
		{"bad id", `{"resourceType":"Patient","id":"a b"}`, "value", "Patient.id"},
		{"bad uri", `{"resourceType":"Patient","identifier":[{"system":"has space","value":"1"}]}`, "value", "Patient.identifier[0].system"},
		{"bad code", `{"resourceType":"Patient","gender":"man"}`, "code-invalid", "Patient.gender"},
		{"empty string", `{"resourceType":"Patient","name":[{"family":""}]}`, "value", "Patient.name[0].family"},
		{"integer too big", `{"resourceType":"Patient","multipleBirthInteger":3000000000}`, "value", "Patient.multipleBirthInteger"},
		{"integer with fraction", `{"resourceType":"Patient","multipleBirthInteger":1.5}`, "value", "Patient.multipleBirthInteger"},
		{"choice given twice", `{"resourceType":"Patient","deceasedBoolean":true,"deceasedDateTime":"2020-01-01"}`, "structure", "Patient.deceasedDateTime"},
		{"unknown choice type", `{"resourceType":"Patient","deceasedString":"x"}`, "structure", "Patient.deceasedString"},
		{"missing required", `{"resourceType":"Observation","code":{"text":"x"}}`, "required", "Observation.status"},
		{"missing required in backbone", `{"resourceType":"Patient","link":[{"type":"seealso"}]}`, "required", "Patient.link[0].other"},
		{"missing required deep content reference", `{"resourceType":"Questionnaire","status":"draft","item":[{"linkId":"1","type":"group","item":[{"type":"string"}]}]}`, "required", "Questionnaire.item[0].item[0].linkId"},
		{"empty object", `{"resourceType":"Patient","name":[{}]}`, "structure", "Patient.name[0]"},
		{"empty array", `{"resourceType":"Patient","name":[]}`, "structure", "Patient.name"},
		{"null value", `{"resourceType":"Patient","gender":null}`, "structure", "Patient.gender"},
		{"null in array without extension", `{"resourceType":"Patient","name":[{"given":["a",null]}]}`, "structure", "Patient.name[0].given[1]"},
		{"bad primitive extension", `{"resourceType":"Patient","_gender":{"foo":1}}`, "structure", "Patient._gender.foo"},
		{"extension without url", `{"resourceType":"Patient","extension":[{"valueString":"x"}]}`, "required", "Patient.extension[0].url"},
		{"malformed reference", `{"resourceType":"Patient","managingOrganization":{"reference":"not a reference"}}`, "value", "Patient.managingOrganization.reference"},
		{"reference to wrong type", `{"resourceType":"Patient","managingOrganization":{"reference":"Patient/1"}}`, "invalid", "Patient.managingOrganization.reference"},
		{"contained unknown type", `{"resourceType":"Patient","contained":[{"resourceType":"Nope"}]}`, "structure", "Patient.contained[0]"},
		{"nested resource invalid", `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","gender":"x"}}]}`, "code-invalid", "Bundle.entry[0].resource.gender"},
		{"required binding on CodeableConcept", `{"resourceType":"Patient","communication":[{"language":{"text":"English"}}]}`, "", ""},
		{"xhtml must be a div", `{"resourceType":"Patient","text":{"status":"generated","div":"hello"}}`, "value", "Patient.text.div"},
		{"bad boolean", `{"resourceType":"Patient","active":1}`, "structure", "Patient.active"},
		// Control characters below U+0020 (but tab, CR, LF), wherever the string is.
		{"NUL in a string", `{"resourceType":"Patient","name":[{"family":"a\u0000b"}]}`, "value", "Patient.name[0].family"},
		{"form feed in a string", `{"resourceType":"Patient","name":[{"family":"a\fb"}]}`, "value", "Patient.name[0].family"},
		{"control character in a code", `{"resourceType":"Patient","gender":"male\u0000"}`, "value", "Patient.gender"},
		{"control character in a uri", `{"resourceType":"Patient","identifier":[{"system":"urn:x\u0001","value":"1"}]}`, "value", "Patient.identifier[0].system"},
		{"control character in an extension value", `{"resourceType":"Patient","extension":[{"url":"http://example.org/x","valueString":"\u001f"}]}`, "value", "Patient.extension[0].valueString"},
		{"control character in an extension url", `{"resourceType":"Patient","extension":[{"url":"http://example.org/\u0000","valueString":"x"}]}`, "value", "Patient.extension[0].url"},
		{"control character in a primitive's extension", `{"resourceType":"Patient","gender":"male","_gender":{"extension":[{"url":"http://example.org/x","valueString":"\u0000"}]}}`, "value", "Patient._gender.extension[0].valueString"},
		{"control character in an element id", `{"resourceType":"Patient","name":[{"id":"n\u0000","family":"x"}]}`, "value", "Patient.name[0].id"},
		{"control character in the narrative", `{"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">\u0007</div>"}}`, "value", "Patient.text.div"},
		{"control character in a contained resource", `{"resourceType":"Patient","contained":[{"resourceType":"Practitioner","id":"gp","name":[{"family":"\u0000"}]}]}`, "value", "Patient.contained[0].name[0].family"},
		{"control character in a bundle entry", `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","name":[{"family":"\u0000"}]}}]}`, "value", "Bundle.entry[0].resource.name[0].family"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			issues := Resource(decode(t, tt.doc))
			if tt.code == "" {
				// Bindings that cannot be enumerated (all-languages) are not checked.
				if len(issues) != 0 {
					t.Errorf("unexpected issues %+v", issues)
				}
				return
			}
			for _, is := range issues {
				if is.Code == tt.code && len(is.Expression) == 1 && is.Expression[0] == tt.expr {
					if is.Severity != fhir.SeverityError || is.Diagnostics == "" {
						t.Errorf("issue %+v lacks severity or diagnostics", is)
					}
					return
				}
			}
			t.Errorf("want a %s issue at %s, got %+v", tt.code, tt.expr, issues)
		})
	}
}

func TestIssueCap(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"resourceType":"Patient","name":[`)
	for i := 0; i < 1000; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"bogus":1}`)
	}
	b.WriteString(`]}`)
	if n := len(Resource(decode(t, b.String()))); n != maxIssues {
		t.Errorf("got %d issues, want the cap %d", n, maxIssues)
	}
}

// FuzzResource checks that validation never panics, whatever the JSON.
func FuzzResource(f *testing.F) {
	f.Add([]byte(validPatient))
	f.Add([]byte(`{"resourceType":"Questionnaire","item":[{"item":[{"item":{}}]}]}`))
	f.Add([]byte(`{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Bundle","entry":[null]}}]}`))
	f.Add([]byte(`{"resourceType":"Patient","_given":[null],"name":[{"_given":[{}],"given":[null]}]}`))
	// UK Core profiles, slices, extensions and invariants.
	f.Add([]byte(ukCorePatient("01")))
	f.Add([]byte(vitalSigns))
	f.Add([]byte(`{"resourceType":"Patient","meta":{"profile":["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient",1]},"extension":[{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-ContactPreference","extension":[{"url":"PreferredContactMethod","valueCodeableConcept":{"coding":[1]}}]}],"contained":[{"resourceType":"Practitioner","id":"x"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r fhir.Resource
		if json.Unmarshal(data, &r) != nil || r == nil {
			return
		}
		_ = Resource(r)
	})
}

func BenchmarkResource(b *testing.B) {
	r := decode(b, validPatient)
	Resource(r)
	b.ReportAllocs()
	for b.Loop() {
		Resource(r)
	}
}
