package clinical

import (
	"testing"
	"time"
)

func TestDutyRequest(t *testing.T) {
	ok := DutyRequest{PatientID: "p", PatientName: "Pat", Reason: "Chest pain since this morning", Callback: "07700 900123", Method: "telephone"}
	for _, c := range []struct {
		name  string
		edit  func(*DutyRequest)
		field string
	}{
		{"complete", func(*DutyRequest) {}, ""},
		{"no patient", func(d *DutyRequest) { d.PatientID = "" }, "patient"},
		{"no reason", func(d *DutyRequest) { d.Reason = "  " }, "reason"},
		{"no number", func(d *DutyRequest) { d.Callback = "" }, "callback"},
		{"letters in the number", func(d *DutyRequest) { d.Callback = "ring the mobile" }, "callback"},
		{"too short", func(d *DutyRequest) { d.Callback = "12345" }, "callback"},
		{"international", func(d *DutyRequest) { d.Callback = "+44 7700 900123" }, ""},
		{"no method", func(d *DutyRequest) { d.Method = "" }, "method"},
	} {
		d := ok
		c.edit(&d)
		errs := d.Check()
		if c.field == "" && len(errs) > 0 || c.field != "" && errs[c.field] == "" {
			t.Errorf("%s: %v, want an error on %q", c.name, errs, c.field)
		}
	}
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	a := ok.Appointment(now)
	if !IsDutyList(a) || AppointmentSlot(a) != "" || CallbackOf(a) != "07700 900123" || a["status"] != "booked" || a["start"] == nil || a["end"] == nil {
		t.Fatalf("the entry: %v", a)
	}
	if GPADOf(a, "GP").SlotCategory != "Clinical Triage" || !GPADOf(a, "GP").Slotless {
		t.Errorf("GPAD: %+v", GPADOf(a, "GP"))
	}
	// A call nobody answers: back to waiting, the attempt recorded.
	if err := WorkDuty(a, NoAnswer, now.Add(time.Hour)); err != nil || a["status"] != "booked" || len(CallAttempts(a)) != 1 {
		t.Fatalf("no answer: %v %v %v", err, a["status"], CallAttempts(a))
	}
	if err := WorkDuty(a, "checked-in", now.Add(90*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := WorkDuty(a, NoAnswer, now.Add(95*time.Minute)); err != nil || a["status"] != "booked" || len(CallAttempts(a)) != 2 {
		t.Fatalf("no answer while calling: %v %v %v", err, a["status"], CallAttempts(a))
	}
	// Worked: the call's start and end are the entry's.
	if err := WorkDuty(a, "checked-in", now.Add(2*time.Hour)); err != nil || a["start"] != "2026-12-01T11:00:00Z" {
		t.Fatalf("calling: %v %v", err, a["start"])
	}
	if err := WorkDuty(a, "fulfilled", now.Add(2*time.Hour+7*time.Minute)); err != nil || a["end"] != "2026-12-01T11:07:00Z" || a["status"] != "fulfilled" {
		t.Fatalf("done: %v %v", err, a)
	}
	if err := WorkDuty(a, "cancelled", now.Add(3*time.Hour)); err == nil {
		t.Error("a done entry was cancelled")
	}
	if err := WorkDuty(a, NoAnswer, now.Add(3*time.Hour)); err == nil {
		t.Error("a done entry took an unanswered call")
	}
}
