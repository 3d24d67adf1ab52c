package clinical

import (
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

func TestGPADOf(t *testing.T) {
	appt := func(status, mode, created, start, by string) fhir.Resource {
		a := fhir.Resource{"resourceType": "Appointment", "id": "a1", "status": status, "created": created,
			"start": start, "end": "2026-12-10T09:10:00Z", "appointmentType": map[string]any{"text": mode},
			"serviceCategory": []any{map[string]any{"coding": []any{map[string]any{"system": NationalSlotCategorySystem, "code": "general-routine", "display": "General Consultation Routine"}}}}}
		if by != "" {
			a["cancelationReason"] = map[string]any{"coding": []any{map[string]any{"system": CancellationReasonSystem, "code": by}}}
		}
		return a
	}
	for _, c := range []struct {
		name                           string
		a                              fhir.Resource
		status, mode, interval, except string
		days                           int
	}{
		{"seen, booked the same day", appt("fulfilled", "face-to-face", "2026-12-10T08:01:00Z", "2026-12-10T09:00:00Z", ""), "Attended", "Face-to-Face", "Same day", "no", 0},
		{"DNA, telephone, a week ahead", appt("noshow", "telephone", "2026-12-03T15:00:00Z", "2026-12-10T09:00:00Z", ""), "DNA", "Telephone", "2 to 7 days", "no", 7},
		{"cancelled by the patient", appt("cancelled", "video", "2026-12-09T10:00:00Z", "2026-12-10T09:00:00Z", "pat"), "Cancelled by patient", "Video Conference/Online", "1 day", "no", 1},
		{"cancelled by the practice, three weeks ahead", appt("cancelled", "home-visit", "2026-11-19T10:00:00Z", "2026-12-10T09:00:00Z", "prov"), "Cancelled by unit", "Home Visit", "15 to 21 days", "yes", 21},
		{"no mode, no created", appt("booked", "", "", "2026-12-10T09:00:00Z", ""), "Booked", "Unknown", "Unknown", "no", 0},
	} {
		r := GPADOf(c.a, "GP")
		f := r.Fields()
		if r.Status != c.status || r.Mode != c.mode || r.BookingInterval != c.interval || f[12] != c.except || r.DaysBookedAhead != c.days {
			t.Errorf("%s: %+v", c.name, r)
		}
		if r.DurationMinutes != 10 || r.SlotCategory != "General Consultation Routine" || len(f) != len(GPADHeader) {
			t.Errorf("%s: duration %d category %q fields %d", c.name, r.DurationMinutes, r.SlotCategory, len(f))
		}
	}
}
