package clinical

import (
	"reflect"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

func resources(t *testing.T, bodies ...string) []fhir.Resource {
	t.Helper()
	var out []fhir.Resource
	for _, b := range bodies {
		r, err := fhir.Unmarshal([]byte(b))
		if err != nil {
			t.Fatalf("%v: %s", err, b)
		}
		out = append(out, r)
	}
	return out
}

func TestSummarise(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	in := SummaryInput{
		Conditions: resources(t,
			`{"resourceType":"Condition","id":"c1","clinicalStatus":{"coding":[{"code":"active"}]},"code":{"text":"Asthma"},"onsetDateTime":"2010-05-01"}`,
			`{"resourceType":"Condition","id":"c2","clinicalStatus":{"coding":[{"code":"active"}]},"code":{"coding":[{"display":"Type 2 diabetes"}]},"onsetDateTime":"2001-01-01","severity":{"coding":[{"code":"24484000"}]}}`,
			`{"resourceType":"Condition","id":"c3","clinicalStatus":{"coding":[{"code":"resolved"}]},"code":{"text":"Fractured wrist"},"onsetDateTime":"2019-02-01","abatementDateTime":"2019-04-01"}`,
			`{"resourceType":"Condition","id":"c4","verificationStatus":{"coding":[{"code":"entered-in-error"}]},"code":{"text":"Wrong"}}`),
		Medications: resources(t,
			`{"resourceType":"MedicationRequest","id":"m1","status":"active","intent":"order","authoredOn":"2026-11-20","medicationCodeableConcept":{"text":"Amoxicillin 500mg capsules"},"dosageInstruction":[{"text":"One three times a day"}]}`,
			`{"resourceType":"MedicationRequest","id":"m2","status":"completed","intent":"order","authoredOn":"2025-01-01","medicationCodeableConcept":{"text":"Old acute"}}`,
			`{"resourceType":"MedicationRequest","id":"m3","status":"active","intent":"order","authoredOn":"2024-01-01","courseOfTherapyType":{"coding":[{"code":"continuous"}]},"medicationCodeableConcept":{"text":"Metformin 500mg tablets"}}`,
			`{"resourceType":"MedicationRequest","id":"m4","status":"draft","intent":"proposal","authoredOn":"2026-11-25","medicationCodeableConcept":{"text":"Prepared, not prescribed"}}`),
		Allergies: resources(t,
			`{"resourceType":"AllergyIntolerance","id":"a0","code":{"coding":[{"code":"716186003"}]}}`,
			`{"resourceType":"AllergyIntolerance","id":"a1","clinicalStatus":{"coding":[{"code":"active"}]},"code":{"text":"Penicillin"},"reaction":[{"manifestation":[{"text":"Rash"}]}]}`),
		Observations: resources(t,
			`{"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"code":"85354-9"}]},"effectiveDateTime":"2026-11-01","component":[{"code":{"coding":[{"code":"8480-6"}]},"valueQuantity":{"value":128}},{"code":{"coding":[{"code":"8462-4"}]},"valueQuantity":{"value":82}}]}`,
			`{"resourceType":"Observation","id":"o2","status":"final","code":{"coding":[{"code":"85354-9"}]},"effectiveDateTime":"2025-11-01","component":[{"code":{"coding":[{"code":"8480-6"}]},"valueQuantity":{"value":150}},{"code":{"coding":[{"code":"8462-4"}]},"valueQuantity":{"value":95}}]}`,
			`{"resourceType":"Observation","id":"o3","status":"final","code":{"coding":[{"code":"29463-7"}]},"effectiveDateTime":"2026-10-01","valueQuantity":{"value":72.5,"unit":"kg"}}`),
		Flags: resources(t, `{"resourceType":"Flag","id":"f1","status":"active","code":{"text":"Staff safety: do not see alone"}}`),
		Encounters: resources(t,
			`{"resourceType":"Encounter","id":"e1","status":"finished","type":[{"text":"Face to face"}],"period":{"start":"2026-11-30T09:00:00Z"}}`,
			`{"resourceType":"Encounter","id":"e2","status":"entered-in-error","type":[{"text":"Wrong patient"}],"period":{"start":"2026-11-29T09:00:00Z"}}`),
	}
	s := Summarise(in, now)
	texts := func(es []Entry) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.Text)
		}
		return out
	}
	if got := texts(s.ActiveProblems); !reflect.DeepEqual(got, []string{"Type 2 diabetes", "Asthma"}) {
		t.Errorf("active problems %v (significant first)", got)
	}
	if got := texts(s.PastProblems); !reflect.DeepEqual(got, []string{"Fractured wrist"}) {
		t.Errorf("past problems %v", got)
	}
	if got := texts(s.Acute); !reflect.DeepEqual(got, []string{"Amoxicillin 500mg capsules"}) || s.Acute[0].Detail != "One three times a day" {
		t.Errorf("acute %v", s.Acute)
	}
	if got := texts(s.Repeats); !reflect.DeepEqual(got, []string{"Metformin 500mg tablets"}) {
		t.Errorf("repeats %v", got)
	}
	if s.NoKnownAllergies || len(s.Allergies) != 1 || s.Allergies[0].Detail != "Rash" {
		t.Errorf("allergies %+v, none known %v", s.Allergies, s.NoKnownAllergies)
	}
	want := []Measurement{{"Blood pressure", "128/82 mmHg", "01-Nov-2026"}, {"Weight", "72.5 kg", "01-Oct-2026"}}
	if !reflect.DeepEqual(s.Measurements, want) {
		t.Errorf("measurements %+v", s.Measurements)
	}
	if got := texts(s.Consultations); !reflect.DeepEqual(got, []string{"Face to face"}) {
		t.Errorf("consultations %v (a retracted one is left out)", got)
	}
	if len(s.Alerts) != 1 {
		t.Errorf("alerts %v", s.Alerts)
	}
}
