package clinical

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Problems outside a consultation: a clinician adds one to the problem
// list (a UK Core Condition, category problem-list-item), ends it, or
// changes its significance. Each change of a saved problem is a new
// version written If-Match, with a Provenance saying who and why.

// Significances are a problem's significance (UK problem significance
// extension, major or minor).
var Significances = []Choice{{"major", "Significant"}, {"minor", "Minor"}}

// ProblemStatuses say whether a problem added is current or past.
var ProblemStatuses = []Choice{{"active", "Active"}, {"past", "Past (it has ended)"}}

// NewProblem is a problem as a clinician adds it.
type NewProblem struct {
	Code         Concept
	Significance string // Significances
	Status       string // ProblemStatuses
	// Onset and Ended are dates (2006-01-02), "" when not known; Ended
	// only for a past problem.
	Onset, Ended string
}

// Check returns the form's errors by field. Dates must not be in the
// future, and a problem cannot end before it began.
func (p NewProblem) Check(now time.Time) map[string]string {
	errs := map[string]string{}
	if p.Code.Code == "" {
		errs["code"] = "Choose the problem from the matches (type its name and select Find)"
	}
	if !choiceKnown(Significances, p.Significance) {
		errs["significance"] = "Select significant or minor"
	}
	if !choiceKnown(ProblemStatuses, p.Status) {
		errs["status"] = "Select active or past"
	}
	today := now.In(London).Format("2006-01-02")
	if p.Onset > today {
		errs["onset-day"] = "The date it began must be today or in the past"
	}
	if p.Status == "past" {
		switch {
		case p.Ended == "":
			errs["ended-day"] = "Enter the date the problem ended"
		case p.Ended > today:
			errs["ended-day"] = "The date it ended must be today or in the past"
		case p.Onset != "" && p.Ended < p.Onset:
			errs["ended-day"] = "The date it ended must be on or after the date it began"
		}
	}
	return errs
}

// Resource is the Condition to write.
func (p NewProblem) Resource(patientID string, recorder Ref, now time.Time) fhir.Resource {
	cond := fhir.Resource{"resourceType": "Condition",
		"category":           []any{map[string]any{"coding": []any{map[string]any{"system": conditionCategoryURL, "code": "problem-list-item", "display": "Problem List Item"}}}},
		"verificationStatus": codeable(conditionVerification, "confirmed", "Confirmed", ""),
		"clinicalStatus":     codeable(conditionClinicalURL, "active", "Active", ""),
		"code":               codeable(SNOMED, p.Code.Code, p.Code.Display, ""),
		"subject":            map[string]any{"reference": "Patient/" + patientID},
		"recordedDate":       fhir.FormatInstant(now),
		"recorder":           refMap(recorder),
	}
	if p.Onset != "" {
		cond["onsetDateTime"] = p.Onset
	}
	if p.Status == "past" {
		cond["clinicalStatus"] = codeable(conditionClinicalURL, "resolved", "Resolved", "")
		cond["abatementDateTime"] = p.Ended
	}
	setSignificance(cond, p.Significance)
	setEpisode(cond, "first")
	return cond
}

// EndProblem resolves a problem on a date (2006-01-02): its clinical
// status resolved, the episode ended.
func EndProblem(cond fhir.Resource, ended string) fhir.Resource {
	out := cloneResource(cond)
	out["clinicalStatus"] = codeable(conditionClinicalURL, "resolved", "Resolved", "")
	out["abatementDateTime"] = ended
	setEpisode(out, "end")
	return out
}

// SetProblemSignificance returns the problem with its significance
// changed (major or minor).
func SetProblemSignificance(cond fhir.Resource, significance string) fhir.Resource {
	out := cloneResource(cond)
	setSignificance(out, significance)
	return out
}

func setSignificance(cond fhir.Resource, significance string) {
	replaceExtension(cond, problemSignificanceURL, map[string]any{"url": problemSignificanceURL, "valueCode": significance})
}

func setEpisode(cond fhir.Resource, episode string) {
	label := episode
	for _, e := range Episodes {
		if e.Code == episode {
			label = e.Label
		}
	}
	replaceExtension(cond, ConditionEpisodeURL, map[string]any{"url": ConditionEpisodeURL, "valueCodeableConcept": codeable(ConditionEpisodicity, episode, label, "")})
}

func replaceExtension(res fhir.Resource, url string, ext map[string]any) {
	var exts []any
	for _, x := range list(res, "extension") {
		if x["url"] != url {
			exts = append(exts, x)
		}
	}
	res["extension"] = append(exts, ext)
}

// ProblemRow is one problem on the problems page.
type ProblemRow struct {
	ID, Version string
	Text        string
	Significant bool
	// Onset is when it began, "" when not known; Recorded when it was
	// recorded.
	Onset, Recorded string
	Ended           string
	// Episode is the latest episode's label (First, New episode, Review,
	// Ends), "" when none recorded.
	Episode        string
	Active         bool
	EnteredInError bool
	// Consultations link to the consultations that recorded or reviewed
	// the problem.
	Consultations []Entry
}

// ProblemList sorts a patient's Conditions for the page: active
// significant, active minor, past, then those entered in error (shown
// struck through). encounters are the consultations that name a problem
// (Encounter.diagnosis), listed under it.
func ProblemList(conds, encounters []fhir.Resource) []ProblemRow {
	linked := map[string][]Entry{}
	for _, enc := range encounters {
		if st := str(enc, "status"); st == "entered-in-error" || st == "cancelled" {
			continue
		}
		start := str(mapOf(enc["period"]), "start")
		text := conceptText(firstOf(enc["type"]))
		if text == "" {
			text = str(mapOf(enc["class"]), "display")
		}
		if text == "" {
			text = "Consultation"
		}
		for _, d := range list(enc, "diagnosis") {
			ref := str(mapOf(d["condition"]), "reference")
			if id, ok := strings.CutPrefix(ref, "Condition/"); ok {
				linked[id] = append(linked[id], Entry{ID: enc.ID(), Type: "Encounter", Text: text, Date: day(start), sortKey: start})
			}
		}
	}
	var rows []ProblemRow
	keys := map[string]string{}
	for _, c := range conds {
		if category := conceptCode(firstOf(c["category"])); category != "" && category != "problem-list-item" {
			continue // an encounter diagnosis, not a problem
		}
		row := ProblemRow{ID: c.ID(), Version: versionOf(c), Text: conceptText(c["code"]), Significant: significant(c) || severity(c) == "severe",
			Onset: day(str(c, "onsetDateTime")), Recorded: day(str(c, "recordedDate")), Ended: day(str(c, "abatementDateTime")),
			EnteredInError: verification(c) == "entered-in-error"}
		switch clinicalStatus(c) {
		case "active", "recurrence", "relapse", "":
			row.Active = !row.EnteredInError && verification(c) != "refuted"
		}
		for _, x := range list(c, "extension") {
			if x["url"] == ConditionEpisodeURL {
				row.Episode = conceptText(x["valueCodeableConcept"])
			}
		}
		row.Consultations = linked[c.ID()]
		sort.SliceStable(row.Consultations, func(i, j int) bool { return row.Consultations[i].sortKey > row.Consultations[j].sortKey })
		rank := 3
		switch {
		case row.EnteredInError:
			rank = 4
		case row.Active && row.Significant:
			rank = 1
		case row.Active:
			rank = 2
		}
		keys[c.ID()] = fmt.Sprintf("%d", rank) + invertDate(firstStr(c, "onsetDateTime", "recordedDate")) + "~"
		rows = append(rows, row)
	}
	sort.SliceStable(rows, func(i, j int) bool { return keys[rows[i].ID] < keys[rows[j].ID] })
	return rows
}

// invertDate makes newer dates sort first in an ascending sort.
func invertDate(d string) string {
	b := []byte(d)
	for i, c := range b {
		if c >= '0' && c <= '9' {
			b[i] = '9' - c + '0'
		}
	}
	return string(b)
}

// WithEvidence returns a copy of a Condition with a document as its
// evidence (Condition.evidence.detail): a problem coded from a letter.
func WithEvidence(cond fhir.Resource, doc Ref) fhir.Resource {
	out := cloneResource(cond)
	detail := map[string]any{"reference": doc.Reference}
	if doc.Display != "" {
		detail["display"] = doc.Display
	}
	out["evidence"] = append(anyList(out["evidence"]), map[string]any{"detail": []any{detail}})
	return out
}
