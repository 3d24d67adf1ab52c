package clinical

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Untimed work: the duty doctor's list and extras. A patient who must be
// dealt with today when the book is full (or in a total-triage practice,
// every same-day request) is added to the duty list with the reason and
// a number to ring; the duty clinician works down the list, calling
// back and marking each done. Each is an Appointment without a Slot, so
// the day's work is counted with the rest (GPAD) and goes through the
// same statuses:
//
//	serviceType  duty-list (DutyListSystem|duty): on the duty list
//	start        when added; set to when the call began on "calling"
//	end          a nominal 10 minutes; set to when it ended on "done"
//	serviceCategory Clinical Triage, appointmentType telephone
//	extension    callback-number (valueString), booking-method, booked-by
//
// R4 lets an Appointment be booked without a Slot if it has a start and
// an end (app-3), which these have from the moment they are added.
const (
	DutyListSystem = "https://gpcloud.dev/fhir/CodeSystem/appointment-list"
	DutyListCode   = "duty"
	CallbackURL    = "https://gpcloud.dev/fhir/StructureDefinition/callback-number"
	// CallAttemptURL records a call back nobody answered (valueDateTime,
	// repeated): the entry stays on the list, its attempts shown.
	CallAttemptURL = "https://gpcloud.dev/fhir/StructureDefinition/call-attempt"
	// NoAnswer is WorkDuty's move for an unanswered call: not a status.
	NoAnswer = "no-answer"
	// dutyNominal is an entry's length until its call gives the real one.
	dutyNominal = 10 * time.Minute
)

// DutyRequest is what reception enters to put a patient on the list.
type DutyRequest struct {
	PatientID, PatientName string
	Reason                 string
	Callback               string // the number to ring
	Clinician              Ref    // the duty clinician, when named
	Method                 string // how the request came (BookingMethods)
	BookedBy               Ref
}

var phoneChars = regexp.MustCompile(`^\+?[0-9 ()-]+$`)

// Check returns what is wrong, by field.
func (d DutyRequest) Check() map[string]string {
	errs := map[string]string{}
	if d.PatientID == "" {
		errs["patient"] = "Choose the patient"
	}
	switch r := strings.TrimSpace(d.Reason); {
	case r == "":
		errs["reason"] = "Enter why the patient needs the duty clinician"
	case len(r) > 500:
		errs["reason"] = "The reason must be 500 characters or fewer"
	}
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, d.Callback)
	if !phoneChars.MatchString(strings.TrimSpace(d.Callback)) || len(digits) < 10 || len(digits) > 15 {
		errs["callback"] = "Enter the number to ring back, like 07700 900123"
	}
	if !slices.ContainsFunc(BookingMethods, func(c Concept) bool { return c.Code == d.Method }) {
		errs["method"] = "Choose how the request came"
	}
	return errs
}

// Appointment is the duty-list entry the request writes.
func (d DutyRequest) Appointment(now time.Time) fhir.Resource {
	b := Booking{PatientID: d.PatientID, PatientName: d.PatientName, Clinician: d.Clinician, Reason: d.Reason, Method: d.Method, BookedBy: d.BookedBy,
		Slot: fhir.Resource{"start": now.UTC().Format(time.RFC3339), "end": now.Add(dutyNominal).UTC().Format(time.RFC3339),
			"serviceCategory": []any{map[string]any{"coding": []any{codingMap(Concept{"clinical-triage", "Clinical Triage"})}}},
			"extension":       []any{map[string]any{"url": SlotModeURL, "valueCode": "telephone"}}}}
	a := b.Appointment(now)
	delete(a, "slot")
	a["serviceType"] = []any{map[string]any{"coding": []any{map[string]any{"system": DutyListSystem, "code": DutyListCode, "display": "Duty list"}}}}
	a["extension"] = append(a["extension"].([]any), map[string]any{"url": CallbackURL, "valueString": strings.TrimSpace(d.Callback)})
	return a
}

// IsDutyList reports whether an Appointment is a duty-list entry.
func IsDutyList(a fhir.Resource) bool {
	for _, st := range anyList(a["serviceType"]) {
		m, _ := st.(map[string]any)
		for _, c := range anyList(m["coding"]) {
			cm, _ := c.(map[string]any)
			if text(cm["system"]) == DutyListSystem && text(cm["code"]) == DutyListCode {
				return true
			}
		}
	}
	return false
}

// WorkDuty moves a duty-list entry on: "checked-in" when the clinician
// starts the call (its start becomes now), "fulfilled" when it is done
// (its end becomes now). Any other move is CheckAppointmentMove's.
func WorkDuty(a fhir.Resource, to string, now time.Time) error {
	if to == NoAnswer {
		// Back to waiting with the attempt recorded: the next call is
		// still owed.
		if s := text(a["status"]); s != "booked" && s != "checked-in" {
			return CheckAppointmentMove(s, "booked")
		}
		a["status"] = "booked"
		a["extension"] = append(anyList(a["extension"]), map[string]any{"url": CallAttemptURL, "valueDateTime": now.UTC().Format(time.RFC3339)})
		return nil
	}
	if err := CheckAppointmentMove(text(a["status"]), to); err != nil {
		return err
	}
	switch to {
	case "checked-in":
		a["start"] = now.UTC().Format(time.RFC3339)
		a["end"] = now.Add(dutyNominal).UTC().Format(time.RFC3339)
	case "fulfilled":
		start, err := time.Parse(time.RFC3339, text(a["start"]))
		if err == nil && now.After(start) {
			a["end"] = now.UTC().Format(time.RFC3339)
		}
	}
	a["status"] = to
	return nil
}

// CallAttempts are the unanswered calls to a duty-list entry, in order.
func CallAttempts(a fhir.Resource) []time.Time {
	var out []time.Time
	for _, e := range anyList(a["extension"]) {
		if m, _ := e.(map[string]any); text(m["url"]) == CallAttemptURL {
			if t, err := time.Parse(time.RFC3339, text(m["valueDateTime"])); err == nil {
				out = append(out, t)
			}
		}
	}
	return out
}

// CallbackOf is the number a duty-list entry asks to be rung on.
func CallbackOf(a fhir.Resource) string {
	for _, e := range anyList(a["extension"]) {
		if m, _ := e.(map[string]any); text(m["url"]) == CallbackURL {
			return text(m["valueString"])
		}
	}
	return ""
}
