package clinical

import (
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

func allergy(code, clinical, verification string) fhir.Resource {
	a := fhir.Resource{"resourceType": "AllergyIntolerance", "code": map[string]any{"coding": []any{map[string]any{"system": SNOMED, "code": code}}}}
	if clinical != "" {
		a["clinicalStatus"] = map[string]any{"coding": []any{map[string]any{"code": clinical}}}
	}
	if verification != "" {
		a["verificationStatus"] = map[string]any{"coding": []any{map[string]any{"code": verification}}}
	}
	return a
}

func TestAllergyConflict(t *testing.T) {
	penicillin := allergy("91936005", "active", "confirmed")
	nka := allergy(NoKnownAllergyCode, "active", "confirmed")
	for _, c := range []struct {
		name      string
		existing  []fhir.Resource
		noneKnown bool
		refused   bool
	}{
		{"nothing recorded, an allergy", nil, false, false},
		{"nothing recorded, none known", nil, true, false},
		{"an active allergy, none known", []fhir.Resource{penicillin}, true, true},
		{"an active allergy, another allergy", []fhir.Resource{penicillin}, false, false},
		{"none known, an allergy", []fhir.Resource{nka}, false, true},
		{"none known, none known again", []fhir.Resource{nka}, true, false},
		{"a resolved allergy, none known", []fhir.Resource{allergy("91936005", "resolved", "confirmed")}, true, false},
		{"an allergy entered in error, none known", []fhir.Resource{allergy("91936005", "", "entered-in-error")}, true, false},
		{"a refuted allergy, none known", []fhir.Resource{allergy("91936005", "active", "refuted")}, true, false},
		{"a suspected allergy, none known", []fhir.Resource{allergy("91936005", "active", "unconfirmed")}, true, true},
		{"an allergy with no status, none known", []fhir.Resource{allergy("91936005", "", "")}, true, true},
		{"none known ended, an allergy", []fhir.Resource{allergy(NoKnownAllergyCode, "resolved", "confirmed")}, false, false},
		{"no known drug allergy, an allergy", []fhir.Resource{allergy("409137002", "active", "confirmed")}, false, true},
	} {
		if got := AllergyConflict(c.existing, c.noneKnown) != ""; got != c.refused {
			t.Errorf("%s: refused %v, want %v", c.name, got, c.refused)
		}
	}
}

func TestAllergyStatusText(t *testing.T) {
	for _, c := range []struct {
		allergies []fhir.Resource
		want      string
	}{
		{nil, "Allergies not recorded"},
		{[]fhir.Resource{allergy(NoKnownAllergyCode, "active", "confirmed")}, "No known allergies"},
		{[]fhir.Resource{allergy("91936005", "active", "confirmed")}, "1 allergy"},
		{[]fhir.Resource{allergy("91936005", "active", "confirmed"), allergy("300913006", "active", "unconfirmed")}, "2 allergies"},
		{[]fhir.Resource{allergy("91936005", "resolved", "confirmed")}, "Allergies not recorded"},
		// An old "none known" and a later allergy: the allergy wins.
		{[]fhir.Resource{allergy(NoKnownAllergyCode, "active", "confirmed"), allergy("91936005", "active", "confirmed")}, "1 allergy"},
	} {
		if got := AllergyStatusOf(c.allergies).Text(); got != c.want {
			t.Errorf("%v: %q, want %q", c.allergies, got, c.want)
		}
	}
}

func TestNewAllergyCheck(t *testing.T) {
	ok := NewAllergy{Substance: Concept{"91936005", "Allergy to penicillin"}, Type: "allergy", Category: "medication", Reaction: "Rash", Severity: "moderate", Certainty: "confirmed"}
	for _, c := range []struct {
		name     string
		a        NewAllergy
		existing []fhir.Resource
		fields   []string
	}{
		{"complete", ok, nil, nil},
		{"no substance", NewAllergy{Type: "allergy", Category: "medication", Certainty: "confirmed"}, nil, []string{"substance"}},
		{"severity without reaction", NewAllergy{Substance: ok.Substance, Type: "allergy", Category: "food", Severity: "mild", Certainty: "confirmed"}, nil, []string{"reaction"}},
		{"unknown certainty", NewAllergy{Substance: ok.Substance, Type: "allergy", Category: "food", Certainty: "probably"}, nil, []string{"certainty"}},
		{"none known with an active allergy", NewAllergy{NoneKnown: true}, []fhir.Resource{allergy("91936005", "active", "confirmed")}, []string{"none-known"}},
		{"an allergy while none known", ok, []fhir.Resource{allergy(NoKnownAllergyCode, "active", "confirmed")}, []string{"substance"}},
	} {
		errs := c.a.Check(c.existing)
		if len(errs) != len(c.fields) {
			t.Errorf("%s: errors %v, want %v", c.name, errs, c.fields)
		}
		for _, f := range c.fields {
			if errs[f] == "" {
				t.Errorf("%s: no error for %s (%v)", c.name, f, errs)
			}
		}
	}
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	r := ok.Resource("p1", Ref{"Practitioner/dr", "Dr A"}, now)
	if verification(r) != "confirmed" || clinicalStatus(r) != "active" || conceptCode(r["code"]) != "91936005" || r["type"] != "allergy" {
		t.Errorf("resource: %v", r)
	}
	if rx := list(r, "reaction"); len(rx) != 1 || rx[0]["severity"] != "moderate" {
		t.Errorf("reaction: %v", r["reaction"])
	}
	if !IsNoKnownAllergy(NewAllergy{NoneKnown: true}.Resource("p1", Ref{}, now)) {
		t.Error("none known is not written as SNOMED no known allergy")
	}
	if clinicalStatus(EndAllergy(r)) != "resolved" || clinicalStatus(r) != "active" {
		t.Error("EndAllergy: wrong status, or changed its argument")
	}
}
