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
