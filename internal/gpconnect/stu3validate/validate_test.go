package stu3validate

import (
	"strings"
	"testing"
)

const (
	allergyProfile = "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-AllergyIntolerance-1"
	patientProfile = "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Patient-1"
	regDetails     = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-RegistrationDetails-1"
)

// A GP Connect allergy as the provider sends it; the cases change one thing.
const allergy = `{"resourceType":"AllergyIntolerance","id":"a1",
 "meta":{"profile":["` + allergyProfile + `"]},
 "identifier":[{"system":"https://gpcloud.dev/id","value":"a1"}],
 "clinicalStatus":"active","verificationStatus":"unconfirmed","category":["medication"],
 "code":{"coding":[{"system":"http://snomed.info/sct","code":"91936005","display":"Penicillin allergy"}]},
 "patient":{"reference":"Patient/p1"},"assertedDate":"2020-01-02T10:00:00Z",
 "recorder":{"reference":"Practitioner/pr1"}}`

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		// edit turns the allergy into the case's resource (old → new).
		old, new string
		want     string // a part of an issue expected; "" for none at all
		path     string
	}{
		{"valid", "", "", "", ""},
		{"unknown element (R4's recordedDate)", `"assertedDate"`, `"recordedDate"`, "unknown element", "AllergyIntolerance.recordedDate"},
		{"a code STU3 does not have", `"clinicalStatus":"active"`, `"clinicalStatus":"inactivated"`, `code "inactivated" not in http://hl7.org/fhir/ValueSet/allergy-clinical-status`, "AllergyIntolerance.clinicalStatus"},
		{"R4 CodeableConcept for a code", `"clinicalStatus":"active"`, `"clinicalStatus":{"text":"active"}`, "must be a JSON string", "AllergyIntolerance.clinicalStatus"},
		{"profile minimum", `"assertedDate":"2020-01-02T10:00:00Z",`, ``, "required (min 1)", "AllergyIntolerance.assertedDate"},
		{"base minimum", `"patient":{"reference":"Patient/p1"},`, ``, "required (min 1)", "AllergyIntolerance.patient"},
		{"fixed value", `"verificationStatus":"unconfirmed"`, `"verificationStatus":"confirmed"`, `the profile fixes "unconfirmed"`, "AllergyIntolerance.verificationStatus"},
		{"array where one", `"assertedDate":"2020-01-02T10:00:00Z"`, `"assertedDate":["2020-01-02T10:00:00Z"]`, "must not be an array", "AllergyIntolerance.assertedDate"},
		{"one where array", `"category":["medication"]`, `"category":"medication"`, "must be an array", "AllergyIntolerance.category"},
		{"bad dateTime", `"2020-01-02T10:00:00Z"`, `"2020-01-02T10:00"`, "not a valid dateTime", "AllergyIntolerance.assertedDate"},
		{"a reaction and a narrative: valid", `"resourceType":"AllergyIntolerance",`, `"resourceType":"AllergyIntolerance","reaction":[{"manifestation":[{"text":"rash"}],"severity":"mild","onset":"2020"}],"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"},`, "", ""},
		{"profile-narrowed reference", `"recorder":{"reference":"Practitioner/pr1"}`, `"recorder":{"reference":"Organization/o1"}`, "a Organization", "AllergyIntolerance.recorder.reference"},
		{"profile forbids", `"code":{"coding":[{"system":"http://snomed.info/sct",`, `"code":{"coding":[{"system":"http://snomed.info/sct","version":"x",`, "not allowed by the profile", "AllergyIntolerance.code.coding[0].version"},
		{"extension value of the wrong type", `"resourceType":"AllergyIntolerance",`, `"resourceType":"AllergyIntolerance","extension":[{"url":"https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-AllergyIntoleranceEnd-1","extension":[{"url":"endDate","valueDate":"2020-01-01"},{"url":"reasonEnded","valueString":"resolved"}]}],`, "not a type this extension takes", "AllergyIntolerance.extension[0].extension[0].valueDate"},
		{"extension part missing", `"resourceType":"AllergyIntolerance",`, `"resourceType":"AllergyIntolerance","extension":[{"url":"https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-AllergyIntoleranceEnd-1","extension":[{"url":"endDate","valueDateTime":"2020-01-01"}]}],`, "part reasonEnded required", "AllergyIntolerance.extension[0]"},
		{"extension in the wrong place", `"resourceType":"AllergyIntolerance",`, `"resourceType":"AllergyIntolerance","extension":[{"url":"` + regDetails + `","extension":[{"url":"registrationType","valueCodeableConcept":{"text":"R"}}]}],`, "is not one the profile names here", "AllergyIntolerance.extension"},
		{"a primitive's extension checked", `"assertedDate":"2020-01-02T10:00:00Z"`, `"assertedDate":"2020-01-02T10:00:00Z","_assertedDate":{"extension":[{"url":"` + regDetails + `","valueString":"x"}]}`, "this extension takes no value", "AllergyIntolerance._assertedDate.extension[0].valueString"},
		{"a primitive's element not an object", `"assertedDate":"2020-01-02T10:00:00Z"`, `"assertedDate":"2020-01-02T10:00:00Z","_assertedDate":"x"`, "must be an object", "AllergyIntolerance._assertedDate"},
		{"choice given twice", `"resourceType":"AllergyIntolerance",`, `"resourceType":"AllergyIntolerance","onsetDateTime":"2020","onsetString":"childhood",`, "onset[x] given twice", "AllergyIntolerance.onsetString"},
		{"another type's profile", allergyProfile, patientProfile, "is for Patient", "AllergyIntolerance.meta.profile"},
		{"not a resource", `"resourceType":"AllergyIntolerance"`, `"resourceType":"ServiceRequest"`, "not an STU3 resource", "ServiceRequest"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := allergy
			if c.old != "" || c.new != "" {
				if !strings.Contains(body, c.old) {
					t.Fatalf("the case's old text %q is not in the allergy", c.old)
				}
				body = strings.Replace(body, c.old, c.new, 1)
			}
			issues, err := JSON([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			if c.want == "" {
				if len(issues) > 0 {
					t.Fatalf("want no issues, got %v", issues)
				}
				return
			}
			for _, i := range issues {
				if i.Path == c.path && strings.Contains(i.Message, c.want) {
					return
				}
			}
			t.Fatalf("want an issue at %s containing %q, got %v", c.path, c.want, issues)
		})
	}
}

// A Bundle: each entry is checked against its own profile, and
// Patient's registration details extension against its definition.
func TestBundleAndNestedProfiles(t *testing.T) {
	body := `{"resourceType":"Bundle","type":"collection","entry":[{"resource":` + allergy + `},
	 {"resource":{"resourceType":"Patient","id":"p1","meta":{"profile":["` + patientProfile + `"]},
	  "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009","extension":[{"url":"https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-NHSNumberVerificationStatus-1",
	    "valueCodeableConcept":{"coding":[{"system":"https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-NHSNumberVerificationStatus-1","code":"09"}]}}]}],
	  "name":[{"use":"official","family":"Smith"}],"gender":"female","birthDate":"1980-02-30x",
	  "extension":[{"url":"` + regDetails + `","extension":[{"url":"registrationType","valuePeriod":{"start":"2020-01-01"}}]}]}}]}`
	issues, err := JSON([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, i := range issues {
		got[i.Path] = true
	}
	for _, want := range []string{
		"Bundle.entry[1].resource(Patient).birthDate",
		"Bundle.entry[1].resource(Patient).extension[0].extension[0].valuePeriod",
		"Bundle.entry[1].resource(Patient).identifier[0].extension[0].valueCodeableConcept", // 09 is no status
	} {
		if !got[want] {
			t.Errorf("no issue at %s; issues: %v", want, issues)
		}
	}
	if len(issues) != 3 {
		t.Errorf("want 3 issues, got %v", issues)
	}
}

func FuzzJSON(f *testing.F) {
	f.Add([]byte(allergy))
	f.Add([]byte(`{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient","_birthDate":{"extension":[{"url":"x"}]}}}]}`))
	f.Add([]byte(`{"resourceType":"Questionnaire","item":[{"item":[{"linkId":1}]}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		issues, err := JSON(b)
		if err != nil {
			return
		}
		for _, i := range issues {
			if i.Message == "" {
				t.Fatalf("an issue without a message at %q", i.Path)
			}
		}
	})
}

// Slices told apart by a fixed value: the NHS number identifier and the
// official name of CareConnect-GPC-Patient-1.
func TestSlices(t *testing.T) {
	const verified = `"extension":[{"url":"https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-NHSNumberVerificationStatus-1",
	  "valueCodeableConcept":{"coding":[{"system":"https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-NHSNumberVerificationStatus-1","code":"01"}]}}]`
	patient := func(identifiers, names string) string {
		return `{"resourceType":"Patient","meta":{"profile":["` + patientProfile + `"]},"identifier":[` + identifiers + `],"name":[` + names + `]}`
	}
	nhs := `{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009",` + verified + `}`
	official := `{"use":"official","family":"Smith"}`
	cases := []struct {
		name, body, path, want string
	}{
		{"valid", patient(nhs+`,{"system":"https://gpcloud.dev/id","value":"1"}`, official), "", ""},
		{"no verification status", patient(`{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}`, official), "Patient.identifier[0].extension", "required in the profile's nhsNumber slice"},
		{"an element the slice forbids", patient(`{"use":"official","system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009",`+verified+`}`, official), "Patient.identifier[0].use", "not allowed (max 0) in the profile's nhsNumber slice"},
		{"no value", patient(`{"system":"https://fhir.nhs.uk/Id/nhs-number",`+verified+`}`, official), "Patient.identifier[0].value", "required (min 1) in the profile's nhsNumber slice"},
		{"two NHS numbers", patient(nhs+","+nhs, official), "Patient.identifier", "2 items in the profile's nhsNumber slice, at most 1"},
		{"no official name", patient(nhs, `{"use":"usual","family":"Smith"}`), "Patient.name", "the profile's official slice (use official) is required"},
	}
	for _, c := range cases {
		issues, err := JSON([]byte(c.body))
		if err != nil {
			t.Fatal(err)
		}
		if c.want == "" {
			if len(issues) > 0 {
				t.Errorf("%s: want no issues, got %v", c.name, issues)
			}
			continue
		}
		found := false
		for _, i := range issues {
			found = found || i.Path == c.path && strings.Contains(i.Message, c.want)
		}
		if !found {
			t.Errorf("%s: want an issue at %s containing %q, got %v", c.name, c.path, c.want, issues)
		}
	}
}
