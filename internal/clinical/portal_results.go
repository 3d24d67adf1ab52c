package clinical

import (
	"slices"
	"strings"
)

// Test results in the portal: a result reaches the patient only once a
// clinician has filed it (never while it waits in the inbox or to be
// matched: the GP Connect patient-facing specification forbids showing
// unreviewed results), never when it is hidden from the patient (NOPAT),
// with each test's value and range and what the practice decided, in
// words for the patient. The clinician's comment is written for the
// practice, so it is not shown.

// PatientResult is a filed result as the patient reads it.
type PatientResult struct {
	ID, Title, Date, From string
	Lines                 []ResultLine
	// Next is what the practice decided, in the patient's words.
	Next string
}

// patientNext says a filing's action to the patient.
var patientNext = map[string]string{
	"none":        "Your GP surgery has looked at this result: no action is needed.",
	"discuss":     "Your GP surgery has looked at this result and would like you to speak to a doctor or nurse. They will contact you, or you can contact them.",
	"appointment": "Your GP surgery has looked at this result and would like you to book a routine appointment.",
	"urgent":      "Your GP surgery has looked at this result and needs to see you today. Contact them now if they have not contacted you.",
	"reconcile":   "Your GP surgery has looked at this result.",
}

// PatientResults are the filed results of reports (most recent first),
// leaving out what is not filed or is hidden from the patient.
func PatientResults(reports []Incoming, hidden func(id string) bool) []PatientResult {
	sorted := slices.Clone(reports)
	slices.SortStableFunc(sorted, func(a, b Incoming) int {
		return -strings.Compare(firstNonEmpty(a.Date, a.Received), firstNonEmpty(b.Date, b.Received))
	})
	var out []PatientResult
	for _, in := range sorted {
		if in.Kind != "Result" || in.State != InboxFiled || (hidden != nil && hidden(in.ID)) {
			continue
		}
		next := patientNext[in.Filing.Action]
		if next == "" {
			next = "Your GP surgery has looked at this result."
		}
		out = append(out, PatientResult{ID: in.ID, Title: in.Title, Date: in.DateLabel(), From: in.From, Lines: in.Lines, Next: next})
	}
	return out
}
