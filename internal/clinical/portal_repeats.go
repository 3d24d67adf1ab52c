package clinical

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Repeat ordering from the portal. Only a current repeat can be ordered
// (a MedicationRequest with intent order, status active and
// courseOfTherapyType continuous): acute items and repeat dispensing are
// not, as in the NHS App. A medicine already asked for and not yet dealt
// with cannot be asked for again (E00330; two requests would make two
// issues: hazard H-1004).

// PortalRepeat is one medicine a patient may order.
type PortalRepeat struct {
	ID, Name, Dose string
	Started        string // "12 March 2024"
	// Requested is set while a request for it waits for the practice.
	Requested bool
}

// PortalRepeats are the repeats among a patient's MedicationRequests,
// by name; pending are the medicines of outstanding requests.
func PortalRepeats(meds []fhir.Resource, pending map[string]bool) []PortalRepeat {
	var out []PortalRepeat
	for _, m := range meds {
		if str(m, "status") != "active" || str(m, "intent") != "order" || conceptCode(m["courseOfTherapyType"]) != "continuous" {
			continue
		}
		name := conceptText(m["medicationCodeableConcept"])
		if name == "" {
			name = refDisplay(m["medicationReference"])
		}
		out = append(out, PortalRepeat{ID: m.ID(), Name: name, Dose: dosageText(m), Started: longDay(str(m, "authoredOn")), Requested: pending[m.ID()]})
	}
	slices.SortFunc(out, func(a, b PortalRepeat) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return out
}

// taskOpen reports a Task the practice has not finished.
func taskOpen(t fhir.Resource) bool {
	switch str(t, "status") {
	case "draft", "requested", "received", "accepted", "ready", "in-progress", "on-hold":
		return true
	}
	return false
}

// IsPortalTask reports a Task of the portal's kind (TaskOnlineRequest,
// TaskRepeatRequest).
func IsPortalTask(t fhir.Resource, code string) bool {
	for _, c := range list(mapOf(t["code"]), "coding") {
		if str(c, "system") == PortalTaskSystem && str(c, "code") == code {
			return true
		}
	}
	return false
}

// PendingRepeats are the MedicationRequest ids named by open repeat
// requests.
func PendingRepeats(tasks []fhir.Resource) map[string]bool {
	out := map[string]bool{}
	for _, t := range tasks {
		if !IsPortalTask(t, TaskRepeatRequest) || !taskOpen(t) {
			continue
		}
		for _, b := range list(t, "basedOn") {
			if id, ok := strings.CutPrefix(str(b, "reference"), "MedicationRequest/"); ok {
				out[id] = true
			}
		}
	}
	return out
}

// RepeatOrder is what the patient asks for.
type RepeatOrder struct {
	Chosen []string // MedicationRequest ids
	Note   string
}

// MaxRepeatNote bounds the note to the practice.
const MaxRepeatNote = 500

// Check returns what is wrong, by field id, against the patient's
// repeats as they are now (a medicine stopped meanwhile, or asked for
// already, is refused).
func (o RepeatOrder) Check(repeats []PortalRepeat) map[string]string {
	errs := map[string]string{}
	if len(o.Chosen) == 0 {
		errs["medicines"] = "Select the medicines you need"
	}
	for _, id := range o.Chosen {
		i := slices.IndexFunc(repeats, func(r PortalRepeat) bool { return r.ID == id })
		switch {
		case i < 0:
			errs["medicines"] = "One of the medicines you selected is no longer on your repeat list. Select again"
		case repeats[i].Requested:
			errs["medicines"] = fmt.Sprintf("You have already asked for %s. The practice is dealing with it", repeats[i].Name)
		}
	}
	if len([]rune(o.Note)) > MaxRepeatNote {
		errs["note"] = fmt.Sprintf("Your note must be %d characters or fewer", MaxRepeatNote)
	}
	return errs
}

// Task is the request as a Task for the practice, based on the
// MedicationRequests asked for (each named), with the patient's note.
func (o RepeatOrder) Task(by PortalRequester, repeats []PortalRepeat, ref string, now time.Time) fhir.Resource {
	t := portalTask(TaskRepeatRequest, taskRepeatRequestTx, by, ref, now)
	var based []any
	var names []string
	for _, r := range repeats {
		if slices.Contains(o.Chosen, r.ID) {
			based = append(based, map[string]any{"reference": "MedicationRequest/" + r.ID, "display": r.Name})
			names = append(names, r.Name)
		}
	}
	t["basedOn"] = based
	t["description"] = strings.Join(names, "; ")
	if n := strings.TrimSpace(o.Note); n != "" {
		t["note"] = []any{map[string]any{"text": n, "time": now.UTC().Format(time.RFC3339)}}
	}
	return t
}

// PortalTaskRow is one request as the patient sees it.
type PortalTaskRow struct {
	Reference, What, Sent, Status string
}

// PortalTaskRows are the patient's requests of one kind, newest first,
// with their status in plain English (the practice's reason with a
// rejection).
func PortalTaskRows(tasks []fhir.Resource, code string) []PortalTaskRow {
	var out []PortalTaskRow
	var keys []string
	for _, t := range tasks {
		if !IsPortalTask(t, code) {
			continue
		}
		ref := ""
		for _, id := range list(t, "identifier") {
			if str(id, "system") == OnlineRequestSystem {
				ref = str(id, "value")
			}
		}
		out = append(out, PortalTaskRow{Reference: ref, What: str(t, "description"), Sent: longDay(str(t, "authoredOn")), Status: taskStatusText(t)})
		keys = append(keys, str(t, "authoredOn"))
	}
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return strings.Compare(keys[b], keys[a]) })
	sorted := make([]PortalTaskRow, len(out))
	for i, j := range idx {
		sorted[i] = out[j]
	}
	return sorted
}

// longDay is a date as written to a patient: "1 July 2026".
func longDay(s string) string {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.In(UKTime).Format("2 January 2006")
	}
	if len(s) < 10 {
		return ""
	}
	t, err := time.Parse("2006-01-02", s[:10])
	if err != nil {
		return ""
	}
	return t.Format("2 January 2006")
}

func taskStatusText(t fhir.Resource) string {
	switch s := str(t, "status"); s {
	case "draft", "requested", "received", "ready":
		return "Sent to the practice"
	case "accepted", "in-progress", "on-hold":
		return "The practice is dealing with it"
	case "completed":
		return "Done"
	case "rejected", "cancelled", "failed":
		label := map[string]string{"rejected": "Turned down", "cancelled": "Cancelled", "failed": "Could not be done"}[s]
		if why := conceptText(t["statusReason"]); why != "" {
			return label + ": " + why
		}
		return label
	default:
		return s
	}
}
