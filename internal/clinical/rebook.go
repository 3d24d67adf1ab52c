package clinical

import (
	"slices"
	"time"
)

// When a clinician cannot work a session (off sick on the day, called
// away), the patients booked into it are displaced: the book keeps their
// appointments, blocked behind the exception, until each is moved to
// another clinician or the patient is told. The practice manager moves a
// session's patients at once; which patient goes to which free slot is
// decided here, so the plan is the same whoever asks and is tested alone.

// Displaced is one appointment an exception now covers.
type Displaced struct {
	Appointment string
	Start       time.Time
	Mode        string // the slot's mode: face-to-face, telephone, ...
}

// OpenSlot is a free slot offered for the move.
type OpenSlot struct {
	ID    string
	Start time.Time
	Mode  string
}

// Placement pairs a displaced appointment with the slot it moves to.
type Placement struct {
	Appointment, Slot string
}

// MaxRebookShift is how far from the original time a patient is moved:
// further than that (a morning patient put into the evening) and the
// practice should ask the patient first rather than move them.
const MaxRebookShift = 3 * time.Hour

// PlanRebooking places displaced appointments, earliest first, each into
// the free slot of the same mode nearest its original time on the same UK
// day (an earlier slot only when it has not started), within
// MaxRebookShift; a slot is used once. Those with no such slot are
// returned unplaced, in order, for the practice to ring.
func PlanRebooking(displaced []Displaced, open []OpenSlot, now time.Time) (placed []Placement, unplaced []Displaced) {
	ds := slices.Clone(displaced)
	slices.SortStableFunc(ds, func(a, b Displaced) int { return a.Start.Compare(b.Start) })
	used := map[string]bool{}
	for _, d := range ds {
		best, bestGap := "", time.Duration(-1)
		for _, s := range open {
			if used[s.ID] || s.Mode != d.Mode || !s.Start.After(now) || !sameUKDay(s.Start, d.Start) {
				continue
			}
			gap := s.Start.Sub(d.Start)
			if gap < 0 {
				gap = -gap
			}
			if gap > MaxRebookShift {
				continue
			}
			// Nearest wins; at equal distance the later slot, so that
			// a patient is not asked to come earlier than they planned.
			if bestGap < 0 || gap < bestGap || gap == bestGap && s.Start.After(d.Start) {
				best, bestGap = s.ID, gap
			}
		}
		if best == "" {
			unplaced = append(unplaced, d)
			continue
		}
		used[best] = true
		placed = append(placed, Placement{Appointment: d.Appointment, Slot: best})
	}
	return placed, unplaced
}

// CoveredBy returns the reason of the first exception covering the time
// from start to end, and whether one does.
func CoveredBy(exceptions []Exception, start, end time.Time) (string, bool) {
	for _, e := range exceptions {
		if start.Before(e.To) && e.From.Before(end) {
			return e.Reason, true
		}
	}
	return "", false
}

func sameUKDay(a, b time.Time) bool {
	ay, am, ad := a.In(UKTime).Date()
	by, bm, bd := b.In(UKTime).Date()
	return ay == by && am == bm && ad == bd
}

// ContactedURL records on an Appointment when the practice spoke to the
// patient about it (a displaced appointment's worklist).
const ContactedURL = "https://gpcloud.dev/fhir/StructureDefinition/patient-contacted"

// SetContacted records the contact on the Appointment, replacing any
// earlier one.
func SetContacted(a map[string]any, at time.Time) {
	var keep []any
	for _, e := range anyList(a["extension"]) {
		if m, _ := e.(map[string]any); text(m["url"]) != ContactedURL {
			keep = append(keep, e)
		}
	}
	a["extension"] = append(keep, map[string]any{"url": ContactedURL, "valueDateTime": at.UTC().Format(time.RFC3339)})
}

// ContactedAt reads when the patient was contacted.
func ContactedAt(a map[string]any) (time.Time, bool) {
	for _, e := range anyList(a["extension"]) {
		if m, _ := e.(map[string]any); text(m["url"]) == ContactedURL {
			t, err := time.Parse(time.RFC3339, text(m["valueDateTime"]))
			return t, err == nil
		}
	}
	return time.Time{}, false
}
