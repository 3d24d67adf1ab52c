package clinical

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// An appointment through the day, as FHIR's Appointment.status names it:
// booked → arrived → fulfilled ("seen"), or noshow ("did not attend"),
// or cancelled (by the patient or the practice, with a reason). Which
// moves are allowed is decided here once, for the book, the portal and
// GP Connect alike.

// AppointmentStatusLabels are the statuses as the book shows them.
var AppointmentStatusLabels = map[string]string{
	"booked": "Booked", "arrived": "Arrived", "checked-in": "In consultation", "fulfilled": "Seen",
	"noshow": "Did not attend", "cancelled": "Cancelled", "entered-in-error": "Entered in error",
	"pending": "Pending", "proposed": "Proposed", "waitlist": "Waiting list",
}

var appointmentMoves = map[string][]string{
	"booked":     {"arrived", "noshow", "cancelled", "checked-in", "fulfilled"}, // seen without arriving: a telephone or video consultation
	"arrived":    {"checked-in", "fulfilled", "booked", "cancelled"},            // back to booked: marked arrived by mistake
	"checked-in": {"fulfilled", "booked"},                                       // back to booked: a duty-list call nobody answered, or marked by mistake
	"noshow":     {"booked"},                                                    // the patient turned up late after all
	"pending":    {"booked", "cancelled"},
}

// CheckAppointmentMove returns nil when an appointment may go from one
// status to another, else a 422 saying why not.
func CheckAppointmentMove(from, to string) error {
	if from == to {
		return nil
	}
	if slices.Contains(appointmentMoves[from], to) {
		return nil
	}
	what := AppointmentStatusLabels[from]
	if what == "" {
		what = from
	}
	return fhir.Errorf(http.StatusUnprocessableEntity, fhir.CodeBusinessRule,
		"an appointment that is %s cannot be marked %s", strings.ToLower(what), strings.ToLower(AppointmentStatusLabels[to])).At("Appointment.status")
}

// Booking methods (how the appointment was made: E00219's "method of
// booking"), and who cancelled.
var (
	BookingMethods = []Concept{{"telephone", "Telephone"}, {"in-person", "In person"}, {"online", "Online"},
		{"nhs-111", "NHS 111"}, {"gp-connect", "GP Connect"}, {"other-organisation", "Another organisation"}}
	// AheadReasons are why an appointment is booked more than two weeks
	// ahead: the GP Appointments Data asks for one (gpcloud's codes: the
	// collection's guidance names the need, not a code system).
	AheadReasons = []Concept{{"patient-choice", "The patient asked for a later date"},
		{"clinical-review", "A planned clinical review or follow-up"},
		{"planned-clinic", "A planned clinic, procedure or screening"},
		{"no-capacity", "No earlier appointment was available"}}
	CancelledBy = []Concept{{"pat", "Patient"}, {"prov", "Practice"}}
)

// Extensions an Appointment carries for the practice and GPAD.
const (
	BookingMethodURL = "https://gpcloud.dev/fhir/StructureDefinition/booking-method"
	// AheadReasonURL is why an appointment was booked more than
	// AheadDays ahead (valueCode, AheadReasons).
	AheadReasonURL = "https://gpcloud.dev/fhir/StructureDefinition/booked-ahead-reason"
	BookedByURL    = "https://gpcloud.dev/fhir/StructureDefinition/booked-by"
	// CancellationReasonSystem is FHIR R4's appointment-cancellation-reason.
	CancellationReasonSystem = "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason"
)

// Booking is what the receptionist enters to book a slot.
type Booking struct {
	PatientID, PatientName string
	Slot                   fhir.Resource
	Clinician              Ref // the Schedule's actor
	Reason                 string
	Method                 string
	BookedBy               Ref
	// AheadReason is why it is booked more than AheadDays ahead.
	AheadReason string
}

// AheadDays is how far ahead a booking may be made without a reason
// (GPAD: more than two weeks needs one).
const AheadDays = 14

// DaysAhead counts the UK calendar days from booking (now) to start.
func DaysAhead(now, start time.Time) int {
	cy, cm, cd := now.In(UKTime).Date()
	sy, sm, sd := start.In(UKTime).Date()
	return int(time.Date(sy, sm, sd, 0, 0, 0, 0, time.UTC).Sub(time.Date(cy, cm, cd, 0, 0, 0, 0, time.UTC)).Hours() / 24)
}

// NeedsAheadReason reports whether booking the slot now needs a reason.
func (b Booking) NeedsAheadReason(now time.Time) bool {
	start, err := time.Parse(time.RFC3339, text(b.Slot["start"]))
	return err == nil && DaysAhead(now, start) > AheadDays
}

// PatientChoseDate gives an online booking more than two weeks ahead its
// reason: the patient chose the date themselves from the times offered.
// Other routes must be asked.
func (b *Booking) PatientChoseDate(now time.Time) {
	if b.Method == BookedOnline && b.AheadReason == "" && b.NeedsAheadReason(now) {
		b.AheadReason = "patient-choice"
	}
}

// CheckAt is Check with the rules that depend on the time of booking:
// more than two weeks ahead needs a reason.
func (b Booking) CheckAt(now time.Time) map[string]string {
	errs := b.Check()
	if b.AheadReason != "" && !slices.ContainsFunc(AheadReasons, func(c Concept) bool { return c.Code == b.AheadReason }) {
		errs["ahead-reason"] = "Choose why it is booked more than two weeks ahead"
	}
	if b.AheadReason == "" && b.NeedsAheadReason(now) {
		errs["ahead-reason"] = "Choose why it is booked more than two weeks ahead"
	}
	return errs
}

// Check returns what is wrong, by field.
func (b Booking) Check() map[string]string {
	errs := map[string]string{}
	if b.PatientID == "" {
		errs["patient"] = "Choose the patient"
	}
	if !slices.ContainsFunc(BookingMethods, func(c Concept) bool { return c.Code == b.Method }) {
		errs["method"] = "Choose how the appointment was booked"
	}
	if len(b.Reason) > 500 {
		errs["reason"] = "The reason must be 500 characters or fewer"
	}
	return errs
}

// Appointment is the FHIR Appointment a booking writes.
func (b Booking) Appointment(now time.Time) fhir.Resource {
	a := fhir.Resource{"resourceType": "Appointment", "status": "booked",
		"slot":    []any{map[string]any{"reference": "Slot/" + b.Slot.ID()}},
		"start":   b.Slot["start"],
		"end":     b.Slot["end"],
		"created": now.UTC().Format(time.RFC3339),
		"participant": []any{
			map[string]any{"actor": apptRef("Patient/"+b.PatientID, b.PatientName), "status": "accepted", "required": "required"},
		},
		"extension": []any{
			map[string]any{"url": BookingMethodURL, "valueCode": b.Method},
		},
	}
	if b.Clinician.Reference != "" {
		a["participant"] = append(a["participant"].([]any), map[string]any{
			"actor": apptRef(b.Clinician.Reference, b.Clinician.Display), "status": "accepted", "required": "required"})
	}
	if b.BookedBy.Reference != "" || b.BookedBy.Display != "" {
		// A receptionist may have no Practitioner resource: the name
		// alone says who booked (the audit trail says it precisely).
		ref := map[string]any{"display": b.BookedBy.Display}
		if b.BookedBy.Reference != "" {
			ref["reference"] = b.BookedBy.Reference
		}
		a["extension"] = append(a["extension"].([]any), map[string]any{"url": BookedByURL, "valueReference": ref})
	}
	if cat, ok := b.Slot["serviceCategory"]; ok {
		a["serviceCategory"] = cat
	}
	if mode := extensionCodes(b.Slot, SlotModeURL); len(mode) > 0 {
		a["appointmentType"] = map[string]any{"text": mode[0]}
	}
	if r := strings.TrimSpace(b.Reason); r != "" {
		a["description"] = r
	}
	if b.AheadReason != "" {
		a["extension"] = append(a["extension"].([]any), map[string]any{"url": AheadReasonURL, "valueCode": b.AheadReason})
	}
	return a
}

// Cancel sets an appointment cancelled, by the patient or the practice,
// with the reason given.
func Cancel(a fhir.Resource, by, reason string) error {
	if err := CheckAppointmentMove(text(a["status"]), "cancelled"); err != nil {
		return err
	}
	if by != "pat" && by != "prov" {
		return fhir.Errorf(http.StatusUnprocessableEntity, fhir.CodeRequired, "say who cancelled: the patient or the practice").At("Appointment.cancelationReason")
	}
	a["status"] = "cancelled"
	cr := map[string]any{"coding": []any{map[string]any{"system": CancellationReasonSystem, "code": by}}}
	if r := strings.TrimSpace(reason); r != "" {
		cr["text"] = r
	}
	a["cancelationReason"] = cr
	return nil
}

// DNA is the coded entry a missed appointment writes in the record: a
// did-not-attend is clinical information (a pattern of missed
// appointments is a safeguarding signal), not only an appointment status.
// For a child the text says "was not brought": the code stays SNOMED CT
// 281399006 |Did not attend| because the UK concept for a child not
// brought could not be confirmed without a release (hazard H-705).
func DNA(patientID, appointmentID string, birthDate string, when time.Time) fhir.Resource {
	display := "Did not attend"
	if b, err := time.Parse("2006-01-02", birthDate); err == nil && b.AddDate(18, 0, 0).After(when) {
		display = "Child was not brought to the appointment"
	}
	return fhir.Resource{"resourceType": "Observation", "status": "final",
		"code":              map[string]any{"coding": []any{map[string]any{"system": SNOMED, "code": DNACode, "display": "Did not attend"}}, "text": display},
		"subject":           map[string]any{"reference": "Patient/" + patientID},
		"effectiveDateTime": when.UTC().Format(time.RFC3339),
		// Observation.derivedFrom may not name an Appointment in R4.
		"extension": []any{map[string]any{"url": AppointmentOfURL, "valueReference": map[string]any{"reference": "Appointment/" + appointmentID}}},
	}
}

// AppointmentOfURL names the appointment an entry is about.
const AppointmentOfURL = "https://gpcloud.dev/fhir/StructureDefinition/appointment"

// DNACode is SNOMED CT's |Did not attend|.
const DNACode = "281399006"

// AppointmentPatient returns the patient an Appointment is for.
func AppointmentPatient(a fhir.Resource) Ref {
	for _, p := range anyList(a["participant"]) {
		m, _ := p.(map[string]any)
		actor, _ := m["actor"].(map[string]any)
		if ref := text(actor["reference"]); strings.HasPrefix(ref, "Patient/") {
			return Ref{Reference: ref, Display: text(actor["display"])}
		}
	}
	return Ref{}
}

// AppointmentSlot returns the id of the first Slot an Appointment holds.
func AppointmentSlot(a fhir.Resource) string {
	for _, s := range anyList(a["slot"]) {
		m, _ := s.(map[string]any)
		if id, ok := strings.CutPrefix(text(m["reference"]), "Slot/"); ok {
			return id
		}
	}
	return ""
}

// apptRef is a Reference; FHIR refuses an empty display, so none is given
// when there is no name.
func apptRef(ref, display string) map[string]any {
	m := map[string]any{"reference": ref}
	if display != "" {
		m["display"] = display
	}
	return m
}

// Missed-appointment thresholds over the last 12 months at which staff
// are prompted (inferred from practice: a child not brought twice is a
// neglect signal that safeguarding guidance asks to be acted on; an
// adult missing three may be unwell or vulnerable).
const (
	ChildMissedPrompt = 2
	AdultMissedPrompt = 3
)

// MissedPrompt returns what staff should be told about a patient's
// missed appointments (the times of their did-not-attend entries), or ""
// when there is nothing to say: a child (under 18) not brought
// ChildMissedPrompt times in 12 months is a safeguarding prompt.
func MissedPrompt(birthDate string, missed []time.Time, now time.Time) string {
	n := 0
	for _, t := range missed {
		if t.After(now.AddDate(-1, 0, 0)) && !t.After(now) {
			n++
		}
	}
	child := false
	if b, err := time.Parse("2006-01-02", birthDate); err == nil && b.AddDate(18, 0, 0).After(now) {
		child = true
	}
	switch {
	case child && n >= ChildMissedPrompt:
		return fmt.Sprintf("This child was not brought to %d appointments in the last 12 months. Consider a safeguarding concern: check the record and discuss with the practice's safeguarding lead.", n)
	case !child && n >= AdultMissedPrompt:
		return fmt.Sprintf("Missed %d appointments in the last 12 months. Consider why: illness, caring duties, vulnerability or a need for adjustments.", n)
	}
	return ""
}

// MaxConsultationLength bounds the time from a consultation's start to
// its save that is taken as its actual length: a note written up later
// than that gives no end time.
const MaxConsultationLength = 2 * time.Hour

// ConsultationEnd is the actual end of a consultation started at start
// and saved at now, or zero when the save is not its end.
func ConsultationEnd(start, now time.Time) time.Time {
	if now.After(start) && now.Sub(start) <= MaxConsultationLength {
		return now
	}
	return time.Time{}
}

// SeenInConsultation marks a booked appointment seen (fulfilled) because
// the clinician saved its consultation: "seen" comes from the clinician,
// not from someone remembering to press a button. It reports whether
// the appointment changed (one cancelled, missed or seen already is
// left as it is).
func SeenInConsultation(a fhir.Resource) bool {
	switch text(a["status"]) {
	case "booked", "arrived", "checked-in":
		a["status"] = "fulfilled"
		return true
	}
	return false
}
