package clinical

import (
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

func TestAppointmentMessages(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	patient := func(edit func(fhir.Resource)) fhir.Resource {
		p := fhir.Resource{"resourceType": "Patient", "id": "p", "birthDate": "1970-01-01", "telecom": []any{
			map[string]any{"system": "sms", "use": "mobile", "value": "07700 900123",
				"extension": []any{map[string]any{"url": ContactConsentURL, "valueBoolean": true}}},
			map[string]any{"system": "email", "value": "jo@example.org",
				"extension": []any{map[string]any{"url": ContactConsentURL, "valueBoolean": false}}},
		}}
		if edit != nil {
			edit(p)
		}
		return p
	}
	appt := func(status string, start time.Time, edit func(fhir.Resource)) fhir.Resource {
		a := fhir.Resource{"resourceType": "Appointment", "id": "a", "status": status, "start": start.Format(time.RFC3339),
			"appointmentType": map[string]any{"text": "face-to-face"},
			"participant":     []any{map[string]any{"actor": map[string]any{"reference": "Practitioner/dr", "display": "Dr Anita Patel"}}}}
		if edit != nil {
			edit(a)
		}
		return a
	}
	inThreeDays := now.Add(72 * time.Hour)
	for _, c := range []struct {
		name          string
		appt, before  fhir.Resource
		patient       fhir.Resource
		want          string // kinds, comma-separated
		wantClinician bool
	}{
		{"booked: confirmation and reminder by SMS only (no email consent)", appt("booked", inThreeDays, nil), nil, patient(nil), "confirmation,reminder", true},
		{"booked for this afternoon: no reminder", appt("booked", now.Add(5*time.Hour), nil), nil, patient(nil), "confirmation", true},
		{"arrived: nothing", appt("arrived", inThreeDays, nil), appt("booked", inThreeDays, nil), patient(nil), "", false},
		{"cancelled: cancellation", appt("cancelled", inThreeDays, nil), appt("booked", inThreeDays, nil), patient(nil), "cancellation", true},
		{"moved: confirmation again", appt("booked", inThreeDays, nil), appt("booked", inThreeDays.Add(time.Hour), nil), patient(nil), "confirmation,reminder", true},
		{"moved to another clinician at the same time: confirmation again", appt("booked", inThreeDays, func(a fhir.Resource) {
			a["slot"] = []any{map[string]any{"reference": "Slot/other-clinician"}}
		}), appt("booked", inThreeDays, func(a fhir.Resource) { a["slot"] = []any{map[string]any{"reference": "Slot/off-sick"}} }), patient(nil), "confirmation,reminder", true},
		{"deceased: nothing", appt("booked", inThreeDays, nil), nil, patient(func(p fhir.Resource) { p["deceasedDateTime"] = "2026-11-30" }), "", false},
		{"a child: nothing to their phone", appt("booked", inThreeDays, nil), nil, patient(func(p fhir.Resource) { p["birthDate"] = "2015-01-01" }), "", false},
		{"no consent: nothing", appt("booked", inThreeDays, nil), nil, patient(func(p fhir.Resource) { delete(p, "telecom") }), "", false},
		{"sensitive service: no clinician", appt("booked", inThreeDays, func(a fhir.Resource) {
			a["extension"] = []any{map[string]any{"url": SensitiveServiceURL, "valueBoolean": true}}
		}), nil, patient(nil), "confirmation,reminder", false},
	} {
		msgs := AppointmentMessages(c.appt, c.before, c.patient, "Riverside", now)
		var kinds []string
		for _, m := range msgs {
			kinds = append(kinds, m.Kind)
			if m.Channel != "sms" || m.To != "07700 900123" {
				t.Errorf("%s: sent to %s %s", c.name, m.Channel, m.To)
			}
			_, body := AppointmentMessageText(m)
			if got := strings.Contains(body, "Dr Anita Patel"); got != c.wantClinician {
				t.Errorf("%s: names the clinician %v: %q", c.name, got, body)
			}
			if m.Kind == "reminder" && !m.NotBefore.Equal(inThreeDays.Add(-ReminderLead)) {
				t.Errorf("%s: reminder at %s", c.name, m.NotBefore)
			}
		}
		if got := strings.Join(kinds, ","); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
