package clinical

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

var rxNow = time.Date(2026, 6, 10, 10, 0, 0, 0, time.UTC)

func med(code string) Medicine {
	m, ok := MedicineByCode(code)
	if !ok {
		panic(code)
	}
	return m
}

const (
	amoxicillin = "323509004"
	ibuprofen   = "329652003"
	sertraline  = "321949006"
	simvastatin = "320000009"
	morphine    = "322503009"
	paracetamol = "322236009"
)

func TestPrescriptionCheck(t *testing.T) {
	ok := Prescription{Medicine: med(amoxicillin), Dose: "One capsule three times a day", Quantity: "15", Days: "5", Course: "acute"}
	repeat := Prescription{Medicine: med(sertraline), Dose: "One tablet once a day", Quantity: "28", Days: "28", Course: "repeat", Issues: "6", Review: "2026-12-01"}
	for _, tc := range []struct {
		name  string
		p     func(Prescription) Prescription
		base  Prescription
		field string // "" for none
		want  string
	}{
		{"acute ok", func(p Prescription) Prescription { return p }, ok, "", ""},
		{"repeat ok", func(p Prescription) Prescription { return p }, repeat, "", ""},
		{"no medicine", func(p Prescription) Prescription { p.Medicine = Medicine{}; return p }, ok, "medicine", "Choose a medicine"},
		{"no dose", func(p Prescription) Prescription { p.Dose = " "; return p }, ok, "dose", "Enter the dose"},
		{"latin", func(p Prescription) Prescription { p.Dose = "1 tds"; return p }, ok, "dose", "TDS"},
		{"prn without a maximum", func(p Prescription) Prescription { p.Dose = "One tablet when required"; return p }, ok, "dose", "maximum"},
		{"prn with a maximum", func(p Prescription) Prescription {
			p.Dose = "Two tablets when required, up to four times a day"
			return p
		}, ok, "", ""},
		{"CD as directed", func(p Prescription) Prescription {
			p.Medicine, p.Dose = med(morphine), "One tablet as directed"
			return p
		}, ok, "dose", "exact dose"},
		{"weekly without a day", func(p Prescription) Prescription { p.Dose = "Four tablets once a week"; return p }, ok, "dose", "name the day"},
		{"weekly with a day", func(p Prescription) Prescription { p.Dose = "Four tablets once a week on Monday"; return p }, ok, "", ""},
		{"quantity not a number", func(p Prescription) Prescription { p.Quantity = "fifteen"; return p }, ok, "quantity", "whole number"},
		{"quantity zero", func(p Prescription) Prescription { p.Quantity = "0"; return p }, ok, "quantity", "whole number"},
		{"no days", func(p Prescription) Prescription { p.Days = ""; return p }, ok, "days", "how many days"},
		{"no course", func(p Prescription) Prescription { p.Course = ""; return p }, ok, "course", "acute or repeat"},
		{"schedule 2 repeat", func(p Prescription) Prescription {
			p.Medicine, p.Dose = med(morphine), "One tablet twice a day"
			return p
		}, repeat, "course", "Schedule 2 or 3"},
		{"delayed acute", func(p Prescription) Prescription { p.Delayed = true; return p }, ok, "", ""},
		{"delayed repeat", func(p Prescription) Prescription { p.Delayed = true; return p }, repeat, "delayed", "is an acute"},
		{"no issues", func(p Prescription) Prescription { p.Issues = ""; return p }, repeat, "issues", "issues are authorised"},
		{"too many issues", func(p Prescription) Prescription { p.Issues = "14"; return p }, repeat, "issues", "from 1 to 13"},
		{"no review", func(p Prescription) Prescription { p.Review = ""; return p }, repeat, "review", "Enter the date"},
		{"review past", func(p Prescription) Prescription { p.Review = "2026-06-10"; return p }, repeat, "review", "future"},
		{"review too far", func(p Prescription) Prescription { p.Review = "2027-07-01"; return p }, repeat, "review", "within a year"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantFieldError(t, tc.p(tc.base).Check(rxNow), tc.field, tc.want)
		})
	}
}

func TestParseDose(t *testing.T) {
	for _, tc := range []struct {
		text string
		want Dose
		per  float64
	}{
		{"One tablet three times a day", Dose{Amount: 1, PerDay: 3}, 3},
		{"Take two capsules twice a day", Dose{Amount: 2, PerDay: 2}, 4},
		{"2 tablets 4 times a day", Dose{Amount: 2, PerDay: 4}, 8},
		{"One tablet once a day before breakfast", Dose{Amount: 1, PerDay: 1}, 1},
		{"Two puffs when required, up to four times a day", Dose{Amount: 2, AsNeeded: true, MaxPerDay: 4}, 8},
		{"Half a tablet at night", Dose{Amount: 0}, 0}, // not understood: text only
		{"Apply thinly", Dose{}, 0},
	} {
		got := ParseDose(tc.text)
		if got != tc.want || got.UnitsPerDay() != tc.per {
			t.Errorf("%q: %+v (%g a day), want %+v (%g)", tc.text, got, got.UnitsPerDay(), tc.want, tc.per)
		}
	}
}

// TestAuthorisationAndIssues: a repeat's authorisation carries its
// issues and review; each issue is an order based on it; the counter
// stops at the authorised number and a past review refuses an issue.
func TestAuthorisationAndIssues(t *testing.T) {
	gp := Ref{Reference: "Practitioner/p1", Display: "Dr A"}
	p := Prescription{Medicine: med(sertraline), Dose: "One tablet once a day", Quantity: "28", Days: "28", Course: "repeat", Issues: "2", Review: "2026-12-01"}
	auth := p.Authorisation("pt1", gp, 0, nil, rxNow)
	auth["id"] = "a1"
	if auth["intent"] != "plan" || auth["status"] != "active" || conceptCode(auth["courseOfTherapyType"]) != "continuous" {
		t.Fatalf("authorisation %v", auth)
	}
	dose := list(auth, "dosageInstruction")[0]
	if dose["timing"] == nil || dose["doseAndRate"] == nil {
		t.Errorf("structured dose missing: %v", dose)
	}
	stored, err := fhir.Unmarshal(must(json.Marshal(auth)))
	if err != nil {
		t.Fatal(err)
	}
	if s := RepeatStateOf(stored, rxNow); s.Authorised != 2 || s.Left != 2 {
		t.Errorf("state as stored %+v", s)
	}
	if s := RepeatStateOf(auth, rxNow); s.Authorised != 2 || s.Left != 2 || s.Review != "2026-12-01" {
		t.Errorf("state %+v", s)
	}
	issue := IssueOf(auth, "MedicationRequest/a1", gp, rxNow)
	if issue["intent"] != "order" || list(issue, "basedOn")[0]["reference"] != "MedicationRequest/a1" {
		t.Errorf("issue %v", issue)
	}
	if _, ok := mapOf(issue["dispenseRequest"])["numberOfRepeatsAllowed"]; ok {
		t.Error("an issue carries the authorisation's count")
	}
	if CheckIssue(auth, rxNow) != "" {
		t.Error("a fresh repeat refused")
	}
	auth = Issued(Issued(auth, rxNow), rxNow)
	if at, ok := LastIssueOf(auth); !ok || !at.Equal(rxNow) {
		t.Errorf("last issue recorded %v %v", at, ok)
	}
	if msg := CheckIssue(auth, rxNow); !strings.Contains(msg, "reauthorise") {
		t.Errorf("third issue of two: %q", msg)
	}
	fresh := p.Authorisation("pt1", gp, 0, nil, rxNow)
	if msg := CheckIssue(fresh, time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)); !strings.Contains(msg, "review date") {
		t.Errorf("past review: %q", msg)
	}
	if msg := CheckIssue(StopMedication(fresh, "Side effects"), rxNow); !strings.Contains(msg, "not an active repeat") {
		t.Errorf("stopped: %q", msg)
	}
	// A controlled drug's issue is valid 28 days.
	acute := Prescription{Medicine: med(morphine), Dose: "One tablet twice a day", Quantity: "28", Days: "14", Course: "acute"}
	a := acute.Authorisation("pt1", gp, 1, nil, rxNow)
	if a["status"] != "completed" {
		t.Errorf("acute status %v", a["status"])
	}
	vp := mapOf(mapOf(IssueOf(a, "urn:uuid:x", gp, rxNow)["dispenseRequest"])["validityPeriod"])
	if vp["end"] != "2026-07-08" {
		t.Errorf("CD validity %v", vp)
	}
}

func TestMedicationList(t *testing.T) {
	gp := Ref{Display: "Dr A"}
	rep := Prescription{Medicine: med(sertraline), Dose: "One tablet once a day", Quantity: "28", Days: "28", Course: "repeat", Issues: "6", Review: "2026-12-01"}.Authorisation("pt", gp, 1, nil, rxNow)
	rep["id"] = "r"
	issue := IssueOf(rep, "MedicationRequest/r", gp, rxNow)
	issue["id"] = "i"
	acute := Prescription{Medicine: med(amoxicillin), Dose: "One capsule three times a day", Quantity: "15", Days: "5", Course: "acute"}.Authorisation("pt", gp, 1, nil, rxNow)
	acute["id"] = "a"
	old := cloneResource(acute)
	old["id"], old["authoredOn"] = "o", "2025-01-01"
	stopped := StopMedication(rep, "Side effects")
	stopped["id"] = "s"
	l := MedicationListOf([]fhir.Resource{rep, issue, acute, old, stopped}, rxNow)
	if len(l.Repeats) != 1 {
		t.Fatalf("repeats %+v", l.Repeats)
	}
	if l.Repeats[0].LastIssue == "" || l.Repeats[0].State.Left != 5 || l.Repeats[0].IssueID != "i" {
		t.Errorf("repeats %+v", l.Repeats)
	}
	if l.Repeats[0].Quantity != "28 tablets" || l.Repeats[0].Review != "01-Dec-2026" {
		t.Errorf("repeat row %+v", l.Repeats[0])
	}
	if len(l.Acute) != 1 || l.Acute[0].ID != "a" {
		t.Errorf("acute %+v", l.Acute)
	}
	if len(l.Past) != 2 || l.Past[1].StopReason != "Side effects" && l.Past[0].StopReason != "Side effects" {
		t.Errorf("past %+v", l.Past)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// TestReauthorise: a repeat out of issues is prescribed again from
// itself: the same medicine, dose, quantity and issues, the old one
// completed, the new one naming it as its prior prescription.
func TestReauthorise(t *testing.T) {
	gp := Ref{Display: "Dr A"}
	old := Prescription{Medicine: med(sertraline), Dose: "One tablet once a day", Quantity: "28", Days: "28", Course: "repeat", Issues: "3", Review: "2026-12-01"}.Authorisation("pt", gp, 3, nil, rxNow)
	old["id"] = "old"
	stored, err := fhir.Unmarshal(must(json.Marshal(old)))
	if err != nil {
		t.Fatal(err)
	}
	p := PrescriptionFrom(stored)
	if p.Medicine.Code != sertraline || p.Dose != "One tablet once a day" || p.Quantity != "28" || p.Days != "28" || p.Issues != "3" || p.Review != "" || p.Prior != "MedicationRequest/old" {
		t.Fatalf("from %+v", p)
	}
	p.Review = "2027-01-01"
	if errs := p.Check(rxNow); len(errs) > 0 {
		t.Fatalf("errors %v", errs)
	}
	next := p.Authorisation("pt", gp, 0, nil, rxNow)
	if mapOf(next["priorPrescription"])["reference"] != "MedicationRequest/old" || RepeatStateOf(next, rxNow).Left != 3 {
		t.Errorf("new authorisation %v", next)
	}
	if r := Reauthorised(stored); r["status"] != "completed" || stored["status"] != "active" {
		t.Errorf("old %v", r["status"])
	}
	issue := IssueOf(old, "MedicationRequest/old", gp, rxNow)
	other := cloneResource(old)
	other["id"] = "other"
	if got := WithoutCourse([]fhir.Resource{old, issue, other}, "MedicationRequest/old"); len(got) != 1 || got[0].ID() != "other" {
		t.Errorf("without the course: %v", got)
	}
}

func TestElsewhere(t *testing.T) {
	if errs := (Elsewhere{}).Check(); errs["elsewhere"] == "" || errs["elsewhere-dose"] == "" || errs["source"] == "" {
		t.Errorf("empty form: %v", errs)
	}
	e := Elsewhere{Medicine: med(omeprazoleCode), Dose: "One capsule once a day", Source: "hospital"}
	if errs := e.Check(); len(errs) > 0 {
		t.Fatalf("errors %v", errs)
	}
	st := e.Resource("pt", Ref{Display: "Dr A"}, rxNow)
	st["id"] = "s"
	if st["status"] != "active" || conceptCode(st["category"]) != "inpatient" {
		t.Errorf("statement %v", st)
	}
	ended, ok := EndElsewhere(st)
	if !ok || ended["status"] != "completed" {
		t.Errorf("ended %v", ended)
	}
	if _, ok := EndElsewhere(ended); ok {
		t.Error("ended twice")
	}
	rows := ElsewhereRows([]fhir.Resource{ended, st})
	if len(rows) != 2 || !rows[0].Active || rows[0].Source != "Hospital" || rows[0].Dose != "One capsule once a day" {
		t.Errorf("rows %+v", rows)
	}
}

const omeprazoleCode = "317335000"

func TestDelayedPrescription(t *testing.T) {
	gp := Ref{Display: "Dr A"}
	p := Prescription{Medicine: med(amoxicillin), Dose: "One capsule three times a day", Quantity: "15", Days: "5", Course: "acute", Delayed: true}
	auth := p.Authorisation("pt", gp, 1, nil, rxNow)
	issue := IssueOf(auth, "urn:uuid:a", gp, rxNow)
	if !IsDelayed(auth) || !IsDelayed(issue) {
		t.Fatalf("delayed lost: %v %v", auth, issue)
	}
	if tok, _ := TokenOf(issue); !strings.Contains(tok.Delayed, "only if the symptoms do not improve") {
		t.Errorf("token %+v", tok)
	}
	auth["id"] = "a"
	if l := MedicationListOf([]fhir.Resource{auth}, rxNow); len(l.Acute) != 1 || !l.Acute[0].Delayed {
		t.Errorf("list %+v", l)
	}
	p.Delayed = false
	if IsDelayed(p.Authorisation("pt", gp, 1, nil, rxNow)) {
		t.Error("an ordinary acute marked delayed")
	}
}
