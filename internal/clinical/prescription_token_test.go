package clinical

import (
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

func TestNumberWords(t *testing.T) {
	for n, want := range map[int]string{0: "zero", 7: "seven", 14: "fourteen", 20: "twenty", 28: "twenty-eight", 56: "fifty-six",
		100: "one hundred", 112: "one hundred and twelve", 1000: "one thousand", 1005: "one thousand and five", 2340: "two thousand three hundred and forty", 10000: "10000"} {
		if got := NumberWords(n); got != want {
			t.Errorf("%d: %q, want %q", n, got, want)
		}
	}
}

func TestTokenOf(t *testing.T) {
	gp := Ref{Display: "Dr A"}
	auth := Prescription{Medicine: med(morphine), Dose: "One tablet twice a day", Quantity: "28", Days: "14", Course: "acute"}.Authorisation("pt", gp, 1, nil, rxNow)
	tok, ok := TokenOf(IssueOf(auth, "urn:uuid:a", gp, rxNow))
	if !ok || tok.Quantity != "28 tablets" || tok.QuantityWords != "twenty-eight tablets" || tok.Schedule != 2 || tok.ValidUntil == "" || tok.Prescriber != "Dr A" {
		t.Errorf("token %+v", tok)
	}
	if _, ok := TokenOf(auth); ok {
		t.Error("an authorisation printed as a token")
	}
	plain := Prescription{Medicine: med(amoxicillin), Dose: "One capsule three times a day", Quantity: "15", Days: "5", Course: "acute"}.Authorisation("pt", gp, 1, nil, rxNow)
	if tok, _ := TokenOf(IssueOf(plain, "urn:uuid:a", gp, rxNow)); tok.QuantityWords != "" || tok.Quantity != "15 capsules" {
		t.Errorf("plain token %+v", tok)
	}
}

func TestCancelIssue(t *testing.T) {
	gp := Ref{Display: "Dr A"}
	auth := Prescription{Medicine: med(amoxicillin), Dose: "One capsule three times a day", Quantity: "15", Days: "5", Course: "acute"}.Authorisation("pt", gp, 1, nil, rxNow)
	issue := IssueOf(auth, "urn:uuid:a", gp, rxNow)
	c, ok := CancelIssue(issue, "Wrong strength")
	if !ok || c["status"] != "cancelled" || issue["status"] != "active" {
		t.Fatalf("cancel %v", c)
	}
	if tok, _ := TokenOf(c); tok.Cancelled != "Wrong strength" || tok.Active {
		t.Errorf("token of a cancelled issue %+v", tok)
	}
	if _, ok := CancelIssue(c, "again"); ok {
		t.Error("cancelled twice")
	}
	if _, ok := CancelIssue(auth, "x"); ok {
		t.Error("an authorisation cancelled as an issue")
	}
	auth["id"] = "a"
	issue["basedOn"] = []any{map[string]any{"reference": "MedicationRequest/a"}}
	c["basedOn"], c["id"], issue["id"] = issue["basedOn"], "c", "i"
	c["authoredOn"] = "2026-06-11T09:00:00+01:00"
	if l := MedicationListOf([]fhir.Resource{auth, issue, c}, rxNow); len(l.Acute) != 1 || l.Acute[0].IssueID != "i" {
		t.Errorf("the last issue standing: %+v", l.Acute)
	}
}
