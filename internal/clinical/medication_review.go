package clinical

import (
	"slices"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// A medication review (issue #17) is recorded as a Procedure coded SNOMED
// CT 182836005 "Review of medication" (UK Core-Procedure: a procedure
// done, by whom and when, the coded activity any reader recognises). It says when, by whom, the outcome (note) and which
// medicines were reviewed: each a reference in an extension (R4's
// Procedure has no element referring to a MedicationRequest) and their
// names in the note, so that a reader ignoring the extension still knows.
// The next review date is set on each reviewed repeat's authorisation
// (its authorisationExpiryDate), which the tab's "Review due" and GP
// Connect's "Medication review due" diary entry read.

// Medication review codes and the extension naming a reviewed medicine.
const (
	MedicationReviewCode    = "182836005"
	MedicationReviewDisplay = "Review of medication"
	ReviewedMedicationURL   = "https://gpcloud.dev/fhir/StructureDefinition/medication-reviewed"
)

// MedicationReview is what a reviewer enters.
type MedicationReview struct {
	// Date is the day of the review, YYYY-MM-DD; Outcome what was decided.
	Date, Outcome string
	// All: every current medicine was reviewed; otherwise Chosen are the
	// reviewed authorisations' ids.
	All    bool
	Chosen []string
	// NextReview is the next review date (YYYY-MM-DD) set on the reviewed
	// repeats.
	NextReview string
}

// Check returns the review's errors by field. current are the ids of the
// current medicines that may be chosen and repeats those of them that are
// repeats (which take the next review date): the date is today or in the
// last year, an outcome is given, all or at least one current medicine is
// chosen, and when a repeat is reviewed the next review date follows the
// rule of authorising (CheckReviewDate).
func (r MedicationReview) Check(current, repeats []string, now time.Time) map[string]string {
	errs := map[string]string{}
	today := now.In(London).Format("2006-01-02")
	switch {
	case r.Date == "":
		errs["date"] = "Enter the date of the review"
	case !validDay(r.Date):
		errs["date"] = "The date of the review must be a real date"
	case r.Date > today:
		errs["date"] = "The date of the review must be today or in the past"
	case r.Date < now.AddDate(-1, 0, 0).In(London).Format("2006-01-02"):
		errs["date"] = "The date of the review must be within the last year"
	}
	switch o := strings.TrimSpace(r.Outcome); {
	case o == "":
		errs["outcome"] = "Enter the outcome of the review, for example Continue all, check kidney function in 3 months"
	case len(o) > 2000:
		errs["outcome"] = "The outcome must be 2000 characters or fewer"
	}
	reviewed := r.Reviewed(current)
	if len(reviewed) == 0 {
		errs["scope"] = "Select all current medicines, or at least one medicine reviewed"
	}
	for _, id := range r.Chosen {
		if !slices.Contains(current, id) {
			errs["scope"] = "A medicine chosen is no longer current: select again"
		}
	}
	if slices.ContainsFunc(reviewed, func(id string) bool { return slices.Contains(repeats, id) }) {
		if msg := CheckReviewDate(r.NextReview, now); msg != "" {
			errs["next"] = strings.Replace(msg, "the repeat is due for review", "of the next review", 1)
		}
	}
	return errs
}

// Reviewed are the ids of the authorisations reviewed: every current one
// when All, else those chosen.
func (r MedicationReview) Reviewed(current []string) []string {
	if r.All {
		return current
	}
	return r.Chosen
}

func validDay(s string) bool {
	_, err := time.Parse("2006-01-02", s)
	return err == nil
}

// Resource is the review as a Procedure; reviewed are the authorisations
// reviewed (for their references and names).
func (r MedicationReview) Resource(patientID string, reviewer Ref, reviewed []fhir.Resource) fhir.Resource {
	var ext []any
	var names []string
	for _, m := range reviewed {
		ext = append(ext, map[string]any{"url": ReviewedMedicationURL, "valueReference": map[string]any{
			"reference": "MedicationRequest/" + m.ID(), "display": MedicineName(m)}})
		names = append(names, MedicineName(m))
	}
	scope := "Medicines reviewed: " + strings.Join(names, "; ")
	if r.All {
		scope = "All current medicines reviewed: " + strings.Join(names, "; ")
	}
	notes := []any{map[string]any{"text": strings.TrimSpace(r.Outcome)}, map[string]any{"text": scope}}
	if r.NextReview != "" {
		notes = append(notes, map[string]any{"text": "Next review: " + day(r.NextReview)})
	}
	res := fhir.Resource{"resourceType": "Procedure", "status": "completed",
		"code":              codeable(SNOMED, MedicationReviewCode, MedicationReviewDisplay, MedicationReviewDisplay),
		"subject":           map[string]any{"reference": "Patient/" + patientID},
		"performedDateTime": r.Date,
		"recorder":          refMap(reviewer),
		"performer":         []any{map[string]any{"actor": refMap(reviewer)}},
		"note":              notes,
	}
	if len(ext) > 0 {
		res["extension"] = ext
	}
	return res
}

// WithReviewDate returns a copy of a repeat authorisation with its review
// date moved (issues authorised and made, and the last issue, kept).
func WithReviewDate(auth fhir.Resource, review string) fhir.Resource {
	out := cloneResource(auth)
	s := RepeatStateOf(auth, time.Time{})
	ext := []any{repeatInfo(s.Issued, review)}
	for _, e := range list(auth, "extension") {
		if e["url"] != RepeatInfoURL {
			ext = append(ext, e)
		}
	}
	out["extension"] = ext
	return out
}

// LastReview is the latest medication review among procs (the day shown
// and who did it), "" when there is none.
func LastReview(procs []fhir.Resource) (date, by string) {
	latest := ""
	for _, p := range procs {
		if str(p, "status") != "completed" || !slices.Contains(codesOf(p["code"]), MedicationReviewCode) {
			continue
		}
		if d := str(p, "performedDateTime"); d > latest {
			latest, by = d, ""
			for _, pf := range list(p, "performer") {
				by = refDisplay(pf["actor"])
			}
		}
	}
	return day(latest), by
}
