package clinical

import (
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

func TestMedicationReviewCheck(t *testing.T) {
	current, repeats := []string{"r1", "r2", "a1"}, []string{"r1", "r2"}
	ok := MedicationReview{Date: "2026-06-10", Outcome: "Continue all", All: true, NextReview: "2026-12-10"}
	for _, tc := range []struct {
		name  string
		edit  func(*MedicationReview)
		field string
		want  string
	}{
		{"valid, all", func(*MedicationReview) {}, "", ""},
		{"valid, an acute only needs no next date", func(r *MedicationReview) { r.All, r.Chosen, r.NextReview = false, []string{"a1"}, "" }, "", ""},
		{"no date", func(r *MedicationReview) { r.Date = "" }, "date", "Enter the date"},
		{"not a date", func(r *MedicationReview) { r.Date = "2026-02-30" }, "date", "real date"},
		{"future", func(r *MedicationReview) { r.Date = "2026-06-11" }, "date", "today or in the past"},
		{"too old", func(r *MedicationReview) { r.Date = "2025-06-09" }, "date", "within the last year"},
		{"no outcome", func(r *MedicationReview) { r.Outcome = " " }, "outcome", "Enter the outcome"},
		{"long outcome", func(r *MedicationReview) { r.Outcome = strings.Repeat("x", 2001) }, "outcome", "2000 characters"},
		{"nothing chosen", func(r *MedicationReview) { r.All = false }, "scope", "at least one"},
		{"chosen not current", func(r *MedicationReview) { r.All, r.Chosen = false, []string{"r1", "gone"} }, "scope", "no longer current"},
		{"repeat without next date", func(r *MedicationReview) { r.NextReview = "" }, "next", "Enter the date of the next review"},
		{"next date today", func(r *MedicationReview) { r.NextReview = "2026-06-10" }, "next", "in the future"},
		{"next date beyond a year", func(r *MedicationReview) { r.NextReview = "2027-07-01" }, "next", "within a year"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ok
			tc.edit(&r)
			wantFieldError(t, r.Check(current, repeats, rxNow), tc.field, tc.want)
		})
	}
}

func TestMedicationReviewRecord(t *testing.T) {
	a := repeatAuth(t, med(sertraline), "One tablet once a day")
	a = Issued(a, rxNow)
	moved := WithReviewDate(a, "2027-01-15")
	if s := RepeatStateOf(moved, rxNow); s.Review != "2027-01-15" || s.Issued != 3 || s.Authorised != 6 {
		t.Fatalf("state %+v", s)
	}
	if _, ok := LastIssueOf(moved); !ok {
		t.Fatal("last issue lost")
	}
	if RepeatStateOf(a, rxNow).Review != "2026-12-01" {
		t.Fatal("WithReviewDate changed the version it was given")
	}
	r := MedicationReview{Date: "2026-06-09", Outcome: "Continue", Chosen: []string{"auth1"}, NextReview: "2027-01-15"}
	reviewer := Ref{Reference: "PractitionerRole/pr1", Display: "Dr B Jones"}
	proc := r.Resource("p1", reviewer, []fhir.Resource{a})
	if proc.Type() != "Procedure" || !strings.Contains(mustJSON(t, proc), `"code":"182836005"`) || proc["performedDateTime"] != "2026-06-09" {
		t.Fatalf("procedure %v", proc)
	}
	if ext := list(proc, "extension"); len(ext) != 1 || mapOf(ext[0]["valueReference"])["reference"] != "MedicationRequest/auth1" {
		t.Fatalf("reviewed medicines %v", proc["extension"])
	}
	if !strings.Contains(mustJSON(t, proc["note"]), "Medicines reviewed: Sertraline 50mg tablets") {
		t.Fatalf("notes %v", proc["note"])
	}
	older := MedicationReview{Date: "2026-01-02", Outcome: "x", All: true}.Resource("p1", Ref{Display: "Nurse C"}, nil)
	other := fhir.Resource{"resourceType": "Procedure", "status": "completed", "performedDateTime": "2026-06-10",
		"code": codeable(SNOMED, "80146002", "Appendicectomy", "")}
	date, by := LastReview([]fhir.Resource{older, proc, other})
	if date != day("2026-06-09") || by != "Dr B Jones" {
		t.Fatalf("last review %q by %q", date, by)
	}
	if d, _ := LastReview([]fhir.Resource{other}); d != "" {
		t.Fatalf("a procedure that is not a review: %q", d)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := fhir.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
