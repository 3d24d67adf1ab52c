package clinical

import (
	"strings"
	"testing"
)

func TestPrescriptionID(t *testing.T) {
	rnd := []byte{0xa7, 0xb8, 0x6f, 0x2c, 0x6e, 0x1d}
	for _, tc := range []struct {
		ods, want string
		err       bool
	}{
		{"A83008", "A7B86F-A83008-2C6E1", false},
		{"Y123", "A7B86F-00Y123-2C6E1", false},
		{"", "", true},
		{"A830081", "", true},
		{"A8-008", "", true},
	} {
		id, err := NewPrescriptionID(tc.ods, rnd)
		if (err != nil) != tc.err || !strings.HasPrefix(id, tc.want) {
			t.Errorf("%q: %q %v", tc.ods, id, err)
			continue
		}
		if err == nil && !ValidPrescriptionID(id) {
			t.Errorf("%s does not pass its own check", id)
		}
	}
	// The check character catches a changed or swapped character.
	id, _ := NewPrescriptionID("A83008", rnd)
	for _, bad := range []string{
		id[:0] + "B" + id[1:],                           // a changed character
		id[:1] + string(id[2]) + string(id[1]) + id[3:], // two swapped
		strings.ReplaceAll(id, "-", ""),                 // no hyphens
		id[:19] + "?",
	} {
		if bad != id && ValidPrescriptionID(bad) {
			t.Errorf("%s passes the check (from %s)", bad, id)
		}
	}
	// A prescription id of the EPS API's examples passes.
	if !ValidPrescriptionID("88AF6C-C81007-00001C") || ValidPrescriptionID("88AF6C-C81007-00001D") {
		t.Error("the EPS example's check character")
	}
}

func TestEPSReady(t *testing.T) {
	p := Prescription{Medicine: med(amoxicillin), Dose: "One capsule three times a day", Quantity: "15", Days: "5", Course: "acute"}
	auth := roundTrip(t, p.Authorisation("pt1", Ref{Reference: "PractitionerRole/r1"}, 1, nil, rxNow))
	issue := EPSReady(IssueOf(auth, "MedicationRequest/a1", Ref{}, rxNow), "A7B86F-A83008-2C6E1X", &Ref{Reference: "Organization/ph1", Display: "High Street Pharmacy"})
	if PrescriptionIDOf(issue) != "A7B86F-A83008-2C6E1X" || !strings.Contains(DispensingStatusOf(issue), "EPS is not connected") ||
		mapOf(mapOf(issue["dispenseRequest"])["performer"])["reference"] != "Organization/ph1" {
		t.Errorf("issue %v", issue)
	}
	if NominatedPharmacyOf(map[string]any{"extension": []any{map[string]any{"url": NominatedPharmacyURL, "valueReference": map[string]any{"reference": "Organization/ph1"}}}}) == nil {
		t.Error("nominated pharmacy not read")
	}
}
