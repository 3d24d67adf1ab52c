package clinical

import (
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

func fp10Patient8() fhir.Resource {
	return fhir.Resource{"resourceType": "Patient", "id": "pt", "birthDate": "2018-08-01",
		"name":       []any{map[string]any{"family": "Smith", "given": []any{"Amelia", "Rose"}, "prefix": []any{"Miss"}}},
		"identifier": []any{map[string]any{"system": NHSNumberSystem, "value": "9434765919"}},
		"address":    []any{map[string]any{"line": []any{"12 Acacia Avenue", "Headingley"}, "city": "Leeds", "postalCode": "LS6 3AA"}}}
}

var testPractice = fhir.Resource{"resourceType": "Organization", "name": "Riverside Surgery",
	"identifier": []any{map[string]any{"system": ODSSystem, "value": "Y12345"}},
	"address":    []any{map[string]any{"line": []any{"1 River Street", "Unit 2", "Holbeck", "Fourth line"}, "city": "Leeds", "postalCode": "LS1 4AP"}},
	"telecom":    []any{map[string]any{"system": "phone", "value": "0113 496 0000"}}}

func TestFP10Of(t *testing.T) {
	nurse, _ := PrescriberTypeOf("nurse-independent")
	by := Prescriber{Ref: Ref{Reference: "PractitionerRole/r", Display: "Sam Nurse"}, Type: nurse, CodeSystem: "https://fhir.hl7.org.uk/Id/nmc-number", Code: "12A3456E"}
	issueOf := func(m string, qty string, by Prescriber) fhir.Resource {
		auth := Prescription{Medicine: med(m), Dose: "One tablet twice a day", Quantity: qty, Days: "14", Course: "acute"}.Authorisation("pt", by.Ref, 1, nil, rxNow)
		return EPSReady(IssueBy(auth, "urn:uuid:a", by, rxNow), "A7F3C2-Y12345-9B1E4K", nil)
	}
	cd := issueOf(morphine, "28", by)
	f, refusal := FP10Of(cd, fp10Patient8(), testPractice)
	if refusal != "" {
		t.Fatal(refusal)
	}
	if f.PrescriptionID != "A7F3C2-Y12345-9B1E4K" || f.Days != 14 || f.Date != rxNow.In(London).Format("02/01/2006") {
		t.Errorf("form %+v", f)
	}
	if it := f.Items[0]; it.Quantity != "28 (twenty-eight) tablets" || it.Dose != "One tablet twice a day" || !strings.Contains(it.Product, "orphine") {
		t.Errorf("a Schedule 2 item's quantity must be in words and figures: %+v", it)
	}
	if p := f.Patient; p.Name != "Miss Amelia Rose SMITH" || p.BirthDate != "01/08/2018" || p.Age != "7" || !p.Under12 || p.NHSNumber != "943 476 5919" ||
		len(p.Address) != 3 || p.Postcode != "LS6 3AA" {
		t.Errorf("patient %+v (an under-12's age must be printed)", p)
	}
	if pr := f.Prescriber; pr.Name != "Sam Nurse" || pr.Code != "12A3456E" || pr.TypeCode != "0104" || pr.Type != nurse.Label {
		t.Errorf("prescriber %+v", pr)
	}
	if pr := f.Practice; pr.ODS != "Y12345" || len(pr.Address) != 3 || pr.Address[2] != "Holbeck" || pr.Postcode != "LS1 4AP" || pr.Phone != "0113 496 0000" {
		t.Errorf("practice %+v: three address lines, as the form has", pr)
	}
	plain, _ := FP10Of(issueOf(amoxicillin, "15", by), fp10Patient8(), testPractice)
	if plain.Items[0].Quantity != "15 capsules" {
		t.Errorf("plain quantity %q", plain.Items[0].Quantity)
	}
	adult := fp10Patient8()
	adult["birthDate"] = "1970-03-12"
	if a, _ := FP10Of(cd, adult, testPractice); a.Patient.Under12 || a.Patient.Age != "56" {
		t.Errorf("adult's age %q under12 %v", a.Patient.Age, a.Patient.Under12)
	}

	restricted := fp10Patient8()
	restricted["meta"] = map[string]any{"security": []any{map[string]any{"system": ConfidentialitySystem, "code": "R"}}}
	if r, _ := FP10Of(cd, restricted, testPractice); len(r.Patient.Address) != 0 || r.Patient.Postcode != "" {
		t.Errorf("a restricted record's address is printed: %+v", r.Patient)
	}

	cancelled, _ := CancelIssue(cd, "Wrong strength")
	noCode := issueOf(amoxicillin, "15", Prescriber{Ref: by.Ref, Type: nurse})
	noID := IssueBy(Prescription{Medicine: med(amoxicillin), Dose: "One capsule three times a day", Quantity: "15", Days: "5", Course: "acute"}.Authorisation("pt", by.Ref, 1, nil, rxNow), "urn:uuid:a", by, rxNow)
	auth := Prescription{Medicine: med(amoxicillin), Dose: "One capsule three times a day", Quantity: "15", Days: "5", Course: "acute"}.Authorisation("pt", by.Ref, 1, nil, rxNow)
	for name, tc := range map[string]struct {
		issue fhir.Resource
		want  string
	}{
		"cancelled":     {cancelled, "cancelled"},
		"no code":       {noCode, "professional code"},
		"no id":         {noID, "before prescription ids"},
		"authorisation": {auth, "not an issued prescription"},
	} {
		if _, refusal := FP10Of(tc.issue, fp10Patient8(), testPractice); !strings.Contains(refusal, tc.want) {
			t.Errorf("%s: refusal %q, want it to say %q", name, refusal, tc.want)
		}
	}
}
