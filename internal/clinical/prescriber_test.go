package clinical

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/terminology"
)

func prescriberOf(key string) Prescriber {
	t, ok := PrescriberTypeOf(key)
	if !ok {
		panic(key)
	}
	return Prescriber{Ref: Ref{Reference: "PractitionerRole/r1", Display: "A Prescriber"}, Type: t, CodeSystem: NMCSystem, Code: "12A3456E"}
}

// TestMayPrescribe: each prescriber type's limits on what they prescribe.
func TestMayPrescribe(t *testing.T) {
	morphine := MedicineFromDMD(terminology.Product{Code: "1", Name: "Morphine sulfate 10mg/5ml oral solution", Kind: "VMP", ControlledDrug: "Schedule 2 (CD)"})
	oxycodone := MedicineFromDMD(terminology.Product{Code: "2", Name: "Oxycodone 5mg capsules", Kind: "VMP", ControlledDrug: "Schedule 2 (CD)"})
	pregabalin := MedicineFromDMD(dmdPregabalin)
	npf := MedicineFromDMD(terminology.Product{Code: "3", Name: "Emollient cream", Kind: "VMP", NurseFormulary: true})
	amox := MedicineFromDMD(dmdAmoxicillin)
	cannabis := MedicineFromDMD(terminology.Product{Code: "4", Name: "Cannabis resin", Kind: "VMP", ControlledDrug: "Schedule 1 (CD Lic)"})
	for _, tc := range []struct {
		name, typ string
		m         Medicine
		onBehalf  string
		cmp       bool
		want      string // the error's field, "" for none
	}{
		{"doctor: any CD", "doctor", oxycodone, "", false, ""},
		{"registrar: a CD", "registrar", morphine, "", false, ""},
		{"nurse independent: a CD", "nurse-independent", pregabalin, "", false, ""},
		{"pharmacist: a CD", "pharmacist", oxycodone, "", false, ""},
		{"paramedic: morphine is on their list", "paramedic", morphine, "", false, ""},
		{"paramedic: oxycodone is not", "paramedic", oxycodone, "", false, "medicine"},
		{"paramedic: an antibiotic", "paramedic", amox, "", false, ""},
		{"physiotherapist: pregabalin", "physiotherapist", pregabalin, "", false, ""},
		{"physiotherapist: not Schedule 2 morphine oral solution? on the list", "physiotherapist", morphine, "", false, ""},
		{"community nurse: on the formulary", "nurse-community", npf, "", false, ""},
		{"community nurse: not on the formulary", "nurse-community", amox, "", false, "medicine"},
		{"community nurse: no CDs", "nurse-community", pregabalin, "", false, "medicine"},
		{"Schedule 1: nobody", "doctor", cannabis, "", false, "medicine"},
		{"supplementary within a plan, on behalf", "supplementary", amox, "r9", true, ""},
		{"supplementary without naming the independent prescriber", "supplementary", amox, "", true, "on-behalf"},
		{"supplementary without the plan confirmed", "supplementary", amox, "r9", false, "cmp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := prescriberOf(tc.typ).MayPrescribe(tc.m, tc.onBehalf, tc.cmp)
			if tc.want == "" && len(errs) > 0 || tc.want != "" && errs[tc.want] == "" {
				t.Errorf("errors %v, want %q", errs, tc.want)
			}
		})
	}
}

// TestPrescriberRecorded: the authorisation and each issue record the
// prescriber's type (EPS prescription type) and code, and the prescriber
// responsible when prescribed on behalf of another.
func TestPrescriberRecorded(t *testing.T) {
	by := prescriberOf("supplementary")
	gp := Ref{Reference: "PractitionerRole/gp1", Display: "Dr G"}
	p := Prescription{Medicine: med(sertraline), Dose: "One tablet once a day", Quantity: "28", Days: "28", Course: "repeat", Issues: "6", Review: "2026-12-01", By: by, OnBehalf: gp}
	auth := roundTrip(t, p.Authorisation("pt1", by.Ref, 0, nil, rxNow))
	issue := IssueBy(auth, "MedicationRequest/a1", prescriberOf("nurse-independent"), rxNow)
	for name, res := range map[string]map[string]any{"authorisation": auth, "issue": issue} {
		b, _ := json.Marshal(res)
		for _, want := range []string{PrescriptionTypeURL, `"0104"`, ResponsibleURL, "PractitionerRole/gp1", `"12A3456E"`, NMCSystem} {
			if !strings.Contains(string(b), want) {
				t.Errorf("%s lacks %s: %s", name, want, b)
			}
		}
	}
	// The staff record: a type kept on the role and read back; a
	// prescriber recorded before types is their register's default.
	role := PractitionerRoleOf(StaffMember{Name: "P", Role: "nurse", Register: "hcpc", Number: "PA12345", Prescriber: true, PrescriberType: "paramedic"}, "Practitioner/p1", "org1")
	if got := PrescriberTypeOfRole(role, "hcpc"); got != "paramedic" || !IsPrescriber(role) {
		t.Errorf("paramedic role read back as %q", got)
	}
	if got := PrescriberTypeOfRole(WithPrescriber(role, true), "nmc"); got != "nurse-independent" {
		t.Errorf("legacy prescriber: %q", got)
	}
	if got := PrescriberTypeOfRole(WithPrescriberType(role, ""), "hcpc"); got != "" {
		t.Errorf("no longer a prescriber: %q", got)
	}
}

// TestPrepared: a prescription prepared by a non-prescriber is a draft
// proposal, not on the tab's lists nor in the checks as current, listed
// as waiting, read back into the form, and completed once authorised.
func TestPrepared(t *testing.T) {
	nurse := Ref{Reference: "Practitioner/n1", Display: "Nurse N"}
	p := Prescription{Medicine: med(sertraline), Dose: "One tablet once a day", Quantity: "28", Days: "28", Course: "repeat", Issues: "3", Review: "2026-12-01"}
	prop := roundTrip(t, p.Prepared("pt1", nurse, rxNow))
	prop["id"] = "p1"
	if !IsPrepared(prop) || prop["intent"] != "proposal" {
		t.Fatalf("prepared: %v", prop)
	}
	if l := MedicationListOf([]fhir.Resource{prop}, rxNow); len(l.Acute)+len(l.Repeats)+len(l.Past) != 0 {
		t.Errorf("a prepared prescription on the tab's lists: %+v", l)
	}
	if cur := currentAuthorisations([]fhir.Resource{prop}, rxNow); len(cur) != 0 {
		t.Error("a prepared prescription counted as current")
	}
	rows := PreparedRows([]fhir.Resource{prop})
	if len(rows) != 1 || rows[0].PreparedBy != "Nurse N" || rows[0].Course != "Repeat" {
		t.Errorf("rows %+v", rows)
	}
	back := PrescriptionFromPrepared(prop)
	if back.Medicine.Code != sertraline || back.Course != "repeat" || back.Issues != "3" || back.Review != "2026-12-01" || back.Quantity != "28" {
		t.Errorf("read back %+v", back)
	}
	if done := PreparedAuthorised(prop, Ref{Display: "Dr G"}); IsPrepared(done) || done["status"] != "completed" {
		t.Errorf("authorised %v", done)
	}
}
