package clinical

import (
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// repeatAuth is an active repeat authorisation of m with dose, stored as
// version 1.
func repeatAuth(t *testing.T, m Medicine, dose string) fhir.Resource {
	t.Helper()
	p := Prescription{Medicine: m, Dose: dose, Quantity: "56", Days: "28", Course: "repeat", Issues: "6", Review: "2026-12-01"}
	if errs := p.Check(rxNow); len(errs) > 0 {
		t.Fatalf("fixture: %v", errs)
	}
	a := p.Authorisation("p1", Ref{Reference: "Practitioner/gp", Display: "Dr A Smith"}, 2, nil, rxNow)
	a["id"], a["meta"] = "auth1", map[string]any{"versionId": "1"}
	return a
}

func TestDoseChangeCheck(t *testing.T) {
	sert := repeatAuth(t, med(sertraline), "One tablet once a day")
	morph := med(morphine)
	morph.Schedule = 4 // a Schedule 4 drug may be on repeat: "as directed" is still refused
	cd := repeatAuth(t, morph, "One tablet twice a day")
	stopped := StopMedication(sert, "side effects")
	issue := IssueOf(sert, "MedicationRequest/auth1", Ref{Reference: "Practitioner/gp"}, rxNow)
	for _, tc := range []struct {
		name   string
		auth   fhir.Resource
		m      Medicine
		change DoseChange
		field  string // "" for none
		want   string
	}{
		{"valid", sert, med(sertraline), DoseChange{"Two tablets once a day", "No response at 6 weeks"}, "", ""},
		{"no dose", sert, med(sertraline), DoseChange{" ", "why"}, "dose", "Enter the dose"},
		{"same dose", sert, med(sertraline), DoseChange{"one tablet  once a day", "why"}, "dose", "same as the current dose"},
		{"latin", sert, med(sertraline), DoseChange{"One tablet BD", "why"}, "dose", "abbreviations such as BD"},
		{"when required without max", sert, med(sertraline), DoseChange{"One tablet when required", "why"}, "dose", "must say its maximum"},
		{"when required with max", sert, med(sertraline), DoseChange{"One tablet when required, up to 2 times a day", "why"}, "", ""},
		{"weekly without day", sert, med(sertraline), DoseChange{"Four tablets once a week", "why"}, "dose", "must name the day"},
		{"weekly with day", sert, med(sertraline), DoseChange{"Four tablets once a week on Monday", "why"}, "", ""},
		{"controlled as directed", cd, morph, DoseChange{"As directed", "why"}, "dose", "controlled drug needs an exact dose"},
		{"no reason", sert, med(sertraline), DoseChange{"Two tablets once a day", ""}, "reason", "Enter why"},
		{"long reason", sert, med(sertraline), DoseChange{"Two tablets once a day", strings.Repeat("x", 501)}, "reason", "500 characters"},
		{"stopped", stopped, med(sertraline), DoseChange{"Two tablets once a day", "why"}, "dose", "not a current repeat"},
		{"an issue", issue, med(sertraline), DoseChange{"Two tablets once a day", "why"}, "dose", "not a current repeat"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantFieldError(t, tc.change.Check(tc.auth, tc.m), tc.field, tc.want)
		})
	}
}

func TestDoseChangeApplyAndHistory(t *testing.T) {
	v1 := repeatAuth(t, med(sertraline), "One tablet once a day")
	v1 = Issued(v1, rxNow)
	when := rxNow.Add(48 * time.Hour)
	v2 := DoseChange{"Two tablets once a day", "No response at 6 weeks"}.Apply(v1, Ref{Reference: "Practitioner/gp2", Display: "Dr B Jones"}, when)
	v2["meta"] = map[string]any{"versionId": "2"}
	if got := dosageText(v2); got != "Two tablets once a day" {
		t.Fatalf("dose %q", got)
	}
	if dq := list(list(v2, "dosageInstruction")[0], "doseAndRate"); len(dq) != 1 || mapOf(dq[0]["doseQuantity"])["value"] != 2.0 {
		t.Fatalf("structured dose not rewritten: %v", v2["dosageInstruction"])
	}
	if dosageText(v1) != "One tablet once a day" {
		t.Fatal("Apply changed the version it was given")
	}
	// Issues made and left, review date and the last issue are kept.
	if a, b := RepeatStateOf(v1, rxNow), RepeatStateOf(v2, rxNow); a != b {
		t.Fatalf("repeat state changed: %+v -> %+v", a, b)
	}
	if _, ok := LastIssueOf(v2); !ok {
		t.Fatal("last issue lost")
	}
	if got := DoseChangedOf(v2); got != when.In(London).Format(time.RFC3339) {
		t.Fatalf("dose changed %q", got)
	}
	if DoseChangedOf(v1) != "" {
		t.Fatal("an unchanged authorisation says its dose changed")
	}
	// The next issue carries the new dose; one made before keeps the old.
	before := IssueOf(v1, "MedicationRequest/auth1", Ref{}, rxNow)
	after := IssueOf(v2, "MedicationRequest/auth1", Ref{}, when)
	if dosageText(before) != "One tablet once a day" || dosageText(after) != "Two tablets once a day" {
		t.Fatalf("issues: %q, %q", dosageText(before), dosageText(after))
	}
	// A second change keeps one dosage-last-changed extension.
	v3 := DoseChange{"One tablet once a day", "Side effects"}.Apply(v2, Ref{Display: "Dr C"}, when.Add(time.Hour))
	v3["meta"] = map[string]any{"versionId": "3"}
	n := 0
	for _, e := range list(v3, "extension") {
		if e["url"] == DoseChangedURL {
			n++
		}
	}
	if n != 1 || len(list(v3, "note")) != 2 {
		t.Fatalf("extensions %d, notes %v", n, v3["note"])
	}
	// History: from the versions in any order, a row per dose.
	h := DoseHistory([]fhir.Resource{v3, Issued(v2, when), v1, v2})
	if len(h) != 3 || h[0].Dose != "One tablet once a day" || h[1].Dose != "Two tablets once a day" || h[2].Dose != "One tablet once a day" {
		t.Fatalf("history %+v", h)
	}
	if h[1].By != "Dr B Jones" || !strings.Contains(h[1].Note, `from "One tablet once a day" to "Two tablets once a day": No response at 6 weeks`) || h[0].By != "Dr A Smith" {
		t.Fatalf("history row %+v", h[1])
	}
}

func TestDoseChangeWarnings(t *testing.T) {
	auth := repeatAuth(t, med(paracetamol), "Two tablets four times a day")
	in := SafetyInput{Medicine: med(paracetamol), Now: rxNow, Medications: []fhir.Resource{auth}}
	for _, tc := range []struct {
		dose string
		want string // "" for no warning
	}{
		{"Two tablets three times a day", ""},
		{"Three tablets four times a day", "more than the usual adult maximum of 8"},
		{"One tablet when required, up to 10 times a day", "more than the usual adult maximum"},
		{"Half tablet once a day", "more than twice what the dose needs"},
	} {
		ws := DoseChangeWarnings(in, auth, tc.dose)
		if tc.want == "" {
			if len(ws) > 0 {
				t.Errorf("%q: warnings %v", tc.dose, ws)
			}
			continue
		}
		if len(ws) == 0 || !strings.Contains(ws[0].Text, tc.want) {
			t.Errorf("%q: got %v, want %q", tc.dose, ws, tc.want)
		}
		for _, w := range ws {
			if w.Kind != "dose" {
				t.Errorf("%q: a warning not about the dose: %v", tc.dose, w)
			}
		}
	}
}

// wantFieldError fails unless errs has want in field's error, or is
// empty when field is "".
func wantFieldError(t *testing.T, errs map[string]string, field, want string) {
	t.Helper()
	if field == "" {
		if len(errs) > 0 {
			t.Fatalf("errors %v, want none", errs)
		}
		return
	}
	if !strings.Contains(errs[field], want) {
		t.Fatalf("error for %s = %q, want %q (all: %v)", field, errs[field], want, errs)
	}
}

// FuzzDoseChange: any dose and reason are checked without panic; a change
// that passes is written with exactly that dose (never an abbreviation),
// and the history then has the old and the new dose.
func FuzzDoseChange(f *testing.F) {
	for _, s := range []string{"Two tablets once a day", "One tablet BD", "As directed", "Four tablets once a week on Monday",
		"One tablet when required, up to 4 times a day", "", strings.Repeat("x", 300)} {
		f.Add(s, "No response")
	}
	f.Fuzz(func(t *testing.T, dose, reason string) {
		v1 := Prescription{Medicine: med(sertraline), Dose: "One tablet once a day", Quantity: "28", Days: "28", Course: "repeat", Issues: "6", Review: "2026-12-01"}.
			Authorisation("p1", Ref{Display: "Dr A"}, 0, nil, rxNow)
		v1["id"], v1["meta"] = "a1", map[string]any{"versionId": "1"}
		c := DoseChange{Dose: dose, Reason: reason}
		if len(c.Check(v1, med(sertraline))) > 0 {
			return
		}
		v2 := c.Apply(v1, Ref{Display: "Dr B"}, rxNow)
		v2["meta"] = map[string]any{"versionId": "2"}
		if got := dosageText(v2); got != strings.TrimSpace(dose) || latinAbbreviations.MatchString(got) {
			t.Fatalf("dose %q written as %q", dose, got)
		}
		if h := DoseHistory([]fhir.Resource{v2, v1}); len(h) != 2 || h[1].Dose != strings.TrimSpace(dose) {
			t.Fatalf("history %+v", h)
		}
	})
}
