package clinical

import (
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

func TestCheckAppointmentMove(t *testing.T) {
	for _, c := range []struct {
		from, to string
		ok       bool
	}{
		{"booked", "arrived", true},
		{"booked", "noshow", true},
		{"booked", "cancelled", true},
		{"arrived", "fulfilled", true},
		{"arrived", "booked", true},
		{"noshow", "booked", true},
		{"fulfilled", "cancelled", false},
		{"fulfilled", "noshow", false},
		{"cancelled", "booked", false},
		{"noshow", "arrived", false},
		{"booked", "booked", true},
	} {
		err := CheckAppointmentMove(c.from, c.to)
		if (err == nil) != c.ok {
			t.Errorf("%s -> %s: %v", c.from, c.to, err)
		}
	}
	if err := CheckAppointmentMove("fulfilled", "cancelled"); !strings.Contains(err.Error(), "that is seen cannot be marked cancelled") {
		t.Errorf("message: %v", err)
	}
}

func TestBookingAppointment(t *testing.T) {
	slot := fhir.Resource{"resourceType": "Slot", "id": "s1", "start": "2026-12-02T09:00:00Z", "end": "2026-12-02T09:10:00Z",
		"extension": []any{map[string]any{"url": SlotModeURL, "valueCode": "telephone"}}}
	b := Booking{PatientID: "p1", PatientName: "SMITH, Jane", Slot: slot, Clinician: Ref{"Practitioner/dr", "Dr Patel"},
		Method: "telephone", Reason: " Cough ", BookedBy: Ref{"Practitioner/rec", "Reception"}}
	if errs := b.Check(); len(errs) > 0 {
		t.Fatal(errs)
	}
	a := b.Appointment(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	if a["status"] != "booked" || a["start"] != slot["start"] || a["description"] != "Cough" || a["created"] != "2026-12-01T10:00:00Z" {
		t.Errorf("%v", a)
	}
	if AppointmentPatient(a).Reference != "Patient/p1" || AppointmentSlot(a) != "s1" {
		t.Errorf("patient %v slot %v", AppointmentPatient(a), AppointmentSlot(a))
	}
	if errs := (Booking{Method: "fax"}).Check(); errs["patient"] == "" || errs["method"] == "" {
		t.Errorf("empty booking: %v", errs)
	}
	if err := Cancel(a, "pat", "Feeling better"); err != nil || a["status"] != "cancelled" {
		t.Fatalf("cancel: %v %v", err, a["status"])
	}
	a["status"] = "fulfilled"
	if err := Cancel(a, "prov", ""); err == nil {
		t.Error("cancelled a fulfilled appointment")
	}
}

func TestDNA(t *testing.T) {
	when := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	if got := DNA("p", "a", "1970-01-01", when)["code"].(map[string]any)["text"]; got != "Did not attend" {
		t.Errorf("adult: %v", got)
	}
	if got := DNA("p", "a", "2015-06-01", when)["code"].(map[string]any)["text"]; got != "Child was not brought to the appointment" {
		t.Errorf("child: %v", got)
	}
}

func TestMissedPrompt(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	months := func(m ...int) []time.Time {
		var out []time.Time
		for _, x := range m {
			out = append(out, now.AddDate(0, -x, 0))
		}
		return out
	}
	for _, c := range []struct {
		name, birth string
		missed      []time.Time
		want        string // a word the prompt must have; "" for none
	}{
		{"child once", "2020-01-01", months(1), ""},
		{"child twice", "2020-01-01", months(1, 6), "safeguarding"},
		{"child twice, one over a year ago", "2020-01-01", months(1, 13), ""},
		{"adult twice", "1980-01-01", months(1, 6), ""},
		{"adult three times", "1980-01-01", months(1, 2, 6), "Consider why"},
		{"seventeen is a child", "2009-06-01", months(1, 2), "safeguarding"},
		{"no birth date: an adult's threshold", "", months(1, 2), ""},
	} {
		got := MissedPrompt(c.birth, c.missed, now)
		if c.want == "" && got != "" || c.want != "" && !strings.Contains(got, c.want) {
			t.Errorf("%s: %q", c.name, got)
		}
	}
}

func TestSeenInConsultation(t *testing.T) {
	for status, changed := range map[string]bool{"booked": true, "arrived": true, "checked-in": true,
		"fulfilled": false, "noshow": false, "cancelled": false} {
		a := fhir.Resource{"resourceType": "Appointment", "status": status}
		if got := SeenInConsultation(a); got != changed || changed && a["status"] != "fulfilled" || !changed && a["status"] != status {
			t.Errorf("%s: changed %v, now %v", status, got, a["status"])
		}
	}
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		now  time.Time
		want bool
	}{
		{"saved 12 minutes in", start.Add(12 * time.Minute), true},
		{"written up the next day", start.Add(26 * time.Hour), false},
		{"a start in the future", start.Add(-time.Minute), false},
	} {
		if got := !ConsultationEnd(start, c.now).IsZero(); got != c.want {
			t.Errorf("%s: end %v", c.name, got)
		}
	}
}

func TestBookingAheadReason(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, UKTime)
	slot := func(days int) fhir.Resource {
		return fhir.Resource{"resourceType": "Slot", "id": "s", "start": now.AddDate(0, 0, days).Format(time.RFC3339)}
	}
	for _, c := range []struct {
		name   string
		days   int
		reason string
		err    bool
	}{
		{"two weeks ahead: no reason needed", 14, "", false},
		{"fifteen days: a reason", 15, "", true},
		{"fifteen days with a reason", 15, "clinical-review", false},
		{"a reason that is not one", 15, "because", true},
	} {
		b := Booking{PatientID: "p", Slot: slot(c.days), Method: "telephone", AheadReason: c.reason}
		if got := b.CheckAt(now)["ahead-reason"] != ""; got != c.err {
			t.Errorf("%s: error %v", c.name, got)
		}
	}
	online := Booking{PatientID: "p", Slot: slot(20), Method: BookedOnline}
	online.PatientChoseDate(now)
	if online.AheadReason != "patient-choice" || len(online.CheckAt(now)) != 0 {
		t.Errorf("an online booking 20 days ahead: %q %v", online.AheadReason, online.CheckAt(now))
	}
	a := Booking{PatientID: "p", Slot: slot(20), Method: "telephone", AheadReason: "patient-choice"}.Appointment(now)
	if codes := extensionCodes(a, AheadReasonURL); len(codes) != 1 || codes[0] != "patient-choice" {
		t.Errorf("the reason on the Appointment: %v", codes)
	}
}
