package clinical

import (
	"fmt"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// The prescriptions queue: repeat requests (Tasks of code repeat-request,
// from the portal or recorded by reception) waiting for a prescriber.
// A request is approved by issuing the repeats it names through the
// same issue a prescriber makes on the Medication tab, with the Task
// completed in the same transaction, or rejected with a message the
// patient reads in the portal. Only a clean request may be approved in
// bulk: one whose repeats may all be issued now and on which the issue's
// safety checks (IssueWarnings: an allergy, an interaction, an early
// re-issue...) say nothing. Anything else is opened and issued with a
// reason, as on the tab, or rejected: bulk approval must never be a way
// round a warning (hazard H-830).

// Request channels: how a repeat request reached the practice.
const (
	ChannelOnline = "online"
	ChannelDesk   = "desk"
	ChannelPhone  = "phone"
)

// RequestChannels are the channels reception records, as the screen says them.
var RequestChannels = []Choice{
	{ChannelDesk, "At the desk"},
	{ChannelPhone, "By phone"},
}

// TaskRejected is a request the practice turned down (FHIR Task status).
const TaskRejected = "rejected"

// requestChannelInput names the Task input that says how a request came.
const requestChannelInput = "channel"

// IssuedOutcome is the outcome an approved request records
// (businessStatus): the portal tells the patient "Done: prescription issued".
const IssuedOutcome = "Prescription issued"

// RequestChannelOf is how a repeat request came: desk or phone as reception
// recorded it, otherwise online (the portal's).
func RequestChannelOf(task fhir.Resource) string {
	for _, in := range list(task, "input") {
		if conceptText(in["type"]) == requestChannelInput {
			if c := str(in, "valueCode"); c != "" {
				return c
			}
		}
	}
	return ChannelOnline
}

// ChannelLabel says a channel as the queue shows it.
func ChannelLabel(c string) string {
	switch c {
	case ChannelDesk:
		return "At the desk"
	case ChannelPhone:
		return "By phone"
	}
	return "Online"
}

// RequestedItems are the repeats a request names (its basedOn
// MedicationRequests), each with the name the request gave it.
func RequestedItems(task fhir.Resource) []Ref {
	var out []Ref
	for _, b := range list(task, "basedOn") {
		if ref := str(b, "reference"); strings.HasPrefix(ref, "MedicationRequest/") {
			out = append(out, Ref{Reference: ref, Display: str(b, "display")})
		}
	}
	return out
}

// RequestNote is the patient's note on a request ("" for none): the first
// note, which the request was made with.
func RequestNote(task fhir.Resource) string {
	notes := list(task, "note")
	if len(notes) == 0 {
		return ""
	}
	return str(notes[0], "text")
}

// RequestClean reports a request that may be approved in bulk: its
// repeats may all be issued and the issue's checks give no warning.
func RequestClean(problems []string, warnings []Warning) bool {
	return len(problems) == 0 && len(warnings) == 0
}

// ApprovedRequest returns the request completed by the issues made for
// it (output: each issue, referred to as written in the same
// transaction), its outcome "Prescription issued", and a note of who
// approved it.
func ApprovedRequest(task fhir.Resource, issueRefs []string, by Ref, now time.Time) fhir.Resource {
	out := cloneResource(task)
	stamp := now.UTC().Format(time.RFC3339)
	out["status"] = TaskCompleted
	out["businessStatus"] = map[string]any{"text": IssuedOutcome}
	out["lastModified"] = stamp
	var outputs []any
	for _, ref := range issueRefs {
		outputs = append(outputs, map[string]any{"type": map[string]any{"text": "issue"}, "valueReference": map[string]any{"reference": ref}})
	}
	out["output"] = outputs
	out["note"] = append(anyList(out["note"]), authoredNote(by, stamp, "Approved and issued"))
	return out
}

// MaxRejectReason bounds the message to the patient.
const MaxRejectReason = 500

// CheckRejectReason says what is wrong with a rejection's message, or "":
// the patient reads it, so it must say something and be short enough.
func CheckRejectReason(reason string) string {
	switch r := strings.TrimSpace(reason); {
	case r == "":
		return "Enter a message to the patient saying why the request is not issued"
	case len([]rune(r)) > MaxRejectReason:
		return fmt.Sprintf("The message must be %d characters or fewer", MaxRejectReason)
	}
	return ""
}

// RejectedRequest returns the request rejected with the message as its
// statusReason (the portal shows "Turned down: " and the message) and a
// note of who rejected it.
func RejectedRequest(task fhir.Resource, reason string, by Ref, now time.Time) fhir.Resource {
	out := cloneResource(task)
	stamp := now.UTC().Format(time.RFC3339)
	r := strings.TrimSpace(reason)
	out["status"] = TaskRejected
	out["statusReason"] = map[string]any{"text": r}
	out["lastModified"] = stamp
	out["note"] = append(anyList(out["note"]), authoredNote(by, stamp, "Rejected: "+r))
	return out
}

// authoredNote is a Task note by a member of staff.
func authoredNote(by Ref, stamp, text string) map[string]any {
	n := map[string]any{"time": stamp, "text": text}
	if by.Reference != "" {
		n["authorReference"] = map[string]any{"reference": by.Reference, "display": by.Display}
	} else {
		n["authorString"] = by.Display
	}
	return n
}

// RecordedRequest is a repeat request the patient made at the desk or by
// phone, as reception records it: the same Task the portal makes (so it
// joins the same queue and the patient sees it in the portal), with the
// channel as an input and a note of who recorded it.
type RecordedRequest struct {
	Chosen  []string // MedicationRequest ids
	Channel string
	Note    string
}

// Check returns what is wrong, by field id, against the patient's current
// repeats (a repeat asked for already, or not a current repeat, is
// refused as the portal refuses it).
func (q RecordedRequest) Check(repeats []PortalRepeat) map[string]string {
	errs := RepeatOrder{Chosen: q.Chosen, Note: q.Note}.Check(repeats)
	if m, ok := errs["medicines"]; ok {
		// The portal's words, said of the patient to the member of staff.
		errs["medicines"] = strings.NewReplacer("Select the medicines you need", "Select the repeats the patient asked for",
			"You have already asked", "The patient has already asked", "your repeat list", "the patient's repeat list").Replace(m)
	}
	if q.Channel != ChannelDesk && q.Channel != ChannelPhone {
		errs["channel"] = "Select how the patient asked"
	}
	return errs
}

// Task is the request as a Task, recorded by staff.
func (q RecordedRequest) Task(by PortalRequester, staff Ref, repeats []PortalRepeat, ref string, now time.Time) fhir.Resource {
	t := RepeatOrder{Chosen: q.Chosen, Note: q.Note}.Task(by, repeats, ref, now)
	t["input"] = []any{map[string]any{"type": map[string]any{"text": requestChannelInput}, "valueCode": q.Channel}}
	stamp := now.UTC().Format(time.RFC3339)
	t["note"] = append(anyList(t["note"]), authoredNote(staff, stamp, "Recorded "+strings.ToLower(ChannelLabel(q.Channel))+" by "+staff.Display))
	return t
}

// DeskRepeats are the repeats reception may record a request for: the
// portal's list (PortalRepeats: current repeats, none asked for twice,
// none with a pre-authorised issue outstanding) without the ordering
// window. Reception reads repeats as names only (no supply to date the
// window from), and a patient at the desk who asks early is the
// prescriber's to judge: the issue's early re-issue check warns them.
func DeskRepeats(meds []fhir.Resource, pending map[string]bool, now time.Time) []PortalRepeat {
	return PortalRepeats(meds, pending, PortalSettings{OrderWindowDays: 100000}, now)
}

// RequestPatientProblem says why no request of the patient may be
// approved from the queue, or "": a patient recorded as dead, or no
// longer registered (deducted), is not issued a repeat in bulk (H-107:
// repeats must check a death); the request is opened and rejected, or
// dealt with on the record.
func RequestPatientProblem(b Banner) string {
	switch {
	case b.Deceased:
		return "The patient is recorded as deceased"
	case b.Deducted:
		return "The patient is no longer registered at the practice"
	}
	return ""
}
