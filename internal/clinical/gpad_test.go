package clinical

import (
	"strings"
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
		{"DNA, telephone, a week ahead", appt("noshow", "telephone", "2026-12-03T15:00:00Z", "2026-12-10T09:00:00Z", ""), "DNA", "Telephone/Audio", "2 to 7 days", "no", 7},
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

func TestGPADWith(t *testing.T) {
	a := fhir.Resource{"resourceType": "Appointment", "id": "a1", "status": "fulfilled", "created": "2026-11-01T10:00:00Z",
		"start": "2026-12-10T09:00:00Z", "end": "2026-12-10T09:10:00Z", "appointmentType": map[string]any{"text": "written"},
		"slot":      []any{map[string]any{"reference": "Slot/s1"}},
		"extension": []any{map[string]any{"url": AheadReasonURL, "valueCode": "clinical-review"}}}
	slot := fhir.Resource{"resourceType": "Slot", "id": "s1", "extension": []any{
		map[string]any{"url": SlotServiceSettingURL, "valueCode": "pcn"}, map[string]any{"url": SlotContextTypeURL, "valueCode": "not-care-related"}}}
	enc := fhir.Resource{"resourceType": "Encounter", "period": map[string]any{"start": "2026-12-10T09:04:00Z", "end": "2026-12-10T09:17:00Z"}}
	r := GPADWith(a, GPADContext{ClinicianType: "GP", Slot: slot, Encounter: enc})
	for name, c := range map[string][2]string{
		"mode": {r.Mode, "Written (incl. online)"}, "setting": {r.ServiceSetting, "Primary Care Network"},
		"context": {r.ContextType, "Not a care related encounter"}, "reason": {r.ExceptionReason, "A planned clinical review or follow-up"},
		"actual start": {r.ActualStart, "09:04"}, "actual end": {r.ActualEnd, "09:17"},
	} {
		if c[0] != c[1] {
			t.Errorf("%s: %q, want %q", name, c[0], c[1])
		}
	}
	if !r.NeedsExceptionNote || r.Slotless {
		t.Errorf("exception needed %v, slot-less %v", r.NeedsExceptionNote, r.Slotless)
	}
	if extra := GPADOf(fhir.Resource{"resourceType": "Appointment", "status": "booked"}, ""); !extra.Slotless {
		t.Error("an appointment without a slot is not marked outside slots")
	}
}

func TestWeeklySubmissions(t *testing.T) {
	rows := []GPADRow{{AppointmentID: "sun", AppointmentDate: "2026-12-06"}, {AppointmentID: "mon", AppointmentDate: "2026-12-07"},
		{AppointmentID: "tue-before", AppointmentDate: "2026-12-01"}, {AppointmentID: "next-sun", AppointmentDate: "2026-12-13"}, {AppointmentID: "no date"}}
	subs := WeeklySubmissions("Y12345", rows)
	var got []string
	for _, s := range subs {
		var ids []string
		for _, r := range s.Rows {
			ids = append(ids, r.AppointmentID)
		}
		got = append(got, s.WeekStart+":"+strings.Join(ids, ","))
	}
	if want := "2026-11-30:sun,tue-before 2026-12-07:mon,next-sun"; strings.Join(got, " ") != want {
		t.Errorf("weeks %q, want %q", strings.Join(got, " "), want)
	}
	if subs[0].ODS != "Y12345" {
		t.Errorf("ODS %q", subs[0].ODS)
	}
}
