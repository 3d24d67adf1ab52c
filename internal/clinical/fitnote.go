package clinical

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/patientview"
)

// FitNote is a statement of fitness for work (eMED3): what the issuer
// assessed and advises. It is issued from a consultation and recorded as
// a DocumentReference holding the note as printed (HTML) and its content
// (JSON, for reprinting), linked to the consultation's Encounter.
type FitNote struct {
	PatientID, EncounterID string
	// Condition is the diagnosis as written on the note.
	Condition string
	// Fitness is "not-fit" or "may-be-fit".
	Fitness string
	// Adjustments (when may be fit): phased-return, altered-hours,
	// amended-duties, workplace-adaptations.
	Adjustments []string
	// Comments are the functional effects of the condition and advice.
	Comments   string
	From, To   time.Time
	Assessment string // face-to-face, telephone, video, written-report
	AssessedOn time.Time
	Profession string // doctor, nurse, pharmacist, occupational-therapist, physiotherapist
	// AssessAgain is "yes" (will need to assess fitness again at the end
	// of the period) or "no".
	AssessAgain string
	Issuer      Ref
	Issued      time.Time
}

// Choices of the fit note's fields, as eMED3 words them.
var (
	FitNoteAdjustments = []Choice{{"phased-return", "A phased return to work"}, {"altered-hours", "Altered hours"},
		{"amended-duties", "Amended duties"}, {"workplace-adaptations", "Workplace adaptations"}}
	FitNoteAssessments = []Choice{{"face-to-face", "Face to face"}, {"telephone", "Telephone"}, {"video", "Video"}, {"written-report", "Written report"}}
	FitNoteProfessions = []Choice{{"doctor", "Doctor"}, {"nurse", "Registered nurse"}, {"pharmacist", "Pharmacist"},
		{"occupational-therapist", "Occupational therapist"}, {"physiotherapist", "Physiotherapist"}}
)

// Choice is one option of a field.
type Choice struct{ Key, Label string }

// ChoiceLabel is the label of a key among choices.
func ChoiceLabel(choices []Choice, key string) string {
	for _, c := range choices {
		if c.Key == key {
			return c.Label
		}
	}
	return ""
}

// maxFitNote is the longest period one fit note may cover: three months
// in the first six months of a condition (DWP guidance for issuers).
const maxFitNoteDays = 92

// Check returns the fit note's problems by form field.
func (f *FitNote) Check() map[string]string {
	errs := map[string]string{}
	if strings.TrimSpace(f.Condition) == "" {
		errs["condition"] = "Enter the condition that affects the patient's fitness for work"
	}
	switch f.Fitness {
	case "not-fit":
		f.Adjustments = nil
	case "may-be-fit":
		if len(f.Adjustments) == 0 && strings.TrimSpace(f.Comments) == "" {
			errs["adjustments"] = "Select the adjustments that may help, or say in the comments how the patient may be fit for work"
		}
		for _, a := range f.Adjustments {
			if ChoiceLabel(FitNoteAdjustments, a) == "" {
				errs["adjustments"] = "Select adjustments from the list"
			}
		}
	default:
		errs["fitness"] = "Select whether the patient is not fit for work or may be fit for work"
	}
	switch {
	case f.From.IsZero():
		if _, set := errs["from-day"]; !set {
			errs["from-day"] = "Enter the date the note starts"
		}
	case f.To.IsZero():
		if _, set := errs["to-day"]; !set {
			errs["to-day"] = "Enter the date the note ends"
		}
	case f.To.Before(f.From):
		errs["to-day"] = "The end date must be the same as or after the start date"
	case f.To.Sub(f.From) > maxFitNoteDays*24*time.Hour:
		errs["to-day"] = "A fit note may cover at most three months"
	}
	if ChoiceLabel(FitNoteAssessments, f.Assessment) == "" {
		errs["assessment"] = "Select how you assessed the patient"
	}
	if ChoiceLabel(FitNoteProfessions, f.Profession) == "" {
		errs["profession"] = "Select your profession"
	}
	if f.AssessAgain != "yes" && f.AssessAgain != "no" {
		errs["assess-again"] = "Select whether you will need to assess the patient's fitness for work again"
	}
	return errs
}

// Summary is the note's advice in a line, for the record and the journal.
func (f FitNote) Summary() string {
	if f.Fitness == "may-be-fit" {
		return fmt.Sprintf("Fit note: may be fit for work, %s to %s", f.From.Format("02-Jan-2006"), f.To.Format("02-Jan-2006"))
	}
	return fmt.Sprintf("Fit note: not fit for work, %s to %s", f.From.Format("02-Jan-2006"), f.To.Format("02-Jan-2006"))
}

// DocumentReference records an issued note: the printed HTML and the
// content (JSON) as attachments, the period it covers, its issuer, and
// the consultation it came from.
func (f FitNote) DocumentReference(printed []byte) (fhir.Resource, error) {
	content, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	attach := func(typ string, data []byte) map[string]any {
		return map[string]any{"attachment": map[string]any{"contentType": typ, "data": base64.StdEncoding.EncodeToString(data),
			"title": "Statement of fitness for work", "creation": fhir.FormatInstant(f.Issued)}}
	}
	return normalised(fhir.Resource{"resourceType": "DocumentReference", "status": "current", "docStatus": "final",
		"type":        map[string]any{"text": "Statement of fitness for work (fit note)"},
		"subject":     map[string]any{"reference": "Patient/" + f.PatientID},
		"date":        fhir.FormatInstant(f.Issued),
		"author":      []any{refMap(f.Issuer)},
		"description": f.Summary(),
		"content":     []any{attach("text/html", printed), attach("application/json", content)},
		"context": map[string]any{
			"encounter": []any{map[string]any{"reference": "Encounter/" + f.EncounterID}},
			"period":    map[string]any{"start": f.From.Format("2006-01-02"), "end": f.To.Format("2006-01-02")}}})
}

// FitNoteOf reads a note back from its DocumentReference (its JSON
// attachment); ok is false when it holds none.
func FitNoteOf(doc fhir.Resource) (FitNote, bool) {
	for _, c := range list(doc, "content") {
		a := mapOf(c["attachment"])
		if str(a, "contentType") != "application/json" {
			continue
		}
		data, err := base64.StdEncoding.DecodeString(str(a, "data"))
		if err != nil {
			return FitNote{}, false
		}
		var f FitNote
		if json.Unmarshal(data, &f) != nil {
			return FitNote{}, false
		}
		return f, true
	}
	return FitNote{}, false
}

// choicesOf converts patientview's choices (the proxy services and
// bases, the record levels) to clinical's.
func choicesOf(cs []patientview.Choice) []Choice {
	out := make([]Choice, len(cs))
	for i, c := range cs {
		out[i] = Choice(c)
	}
	return out
}
