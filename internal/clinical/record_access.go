package clinical

import (
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/patientview"
)

// Record access levels (what of a record a patient or proxy reads
// online) are decided by patientview (access.go), below the service,
// which applies them to every read a patient or proxy makes; these are
// its names here.
const (
	RecordNone     = patientview.RecordNone
	RecordSummary  = patientview.RecordSummary
	RecordDetailed = patientview.RecordDetailed
	RecordFull     = patientview.RecordFull

	PartSummary = patientview.PartSummary
	PartCoded   = patientview.PartCoded
	PartFull    = patientview.PartFull

	RecordAccessSystem = patientview.RecordAccessSystem
)

type (
	RecordAccessSetting = patientview.RecordAccessSetting
	RecordScope         = patientview.RecordScope
	RecordAccessInput   = patientview.RecordAccessInput
)

var (
	RecordLevels        = choicesOf(patientview.RecordLevels)
	EnhancedReviewCodes = patientview.EnhancedReviewCodes
	ProspectiveStart    = patientview.ProspectiveStart

	RecordAccessOf        = patientview.RecordAccessOf
	LatestEnhancedReview  = patientview.LatestEnhancedReview
	EntryDate             = patientview.EntryDate
	IsRecordAccess        = patientview.IsRecordAccess
	RecordAccessSettingOf = patientview.RecordAccessSettingOf
	IsEnhancedReview      = patientview.IsEnhancedReview
)

func levelRank(level string) int { return patientview.LevelRank(level) }

// RecordAccessChange is what the practice sets on the Online access
// page: a level, and the first day of prospective access (2006-01-02,
// or "" for none).
type RecordAccessChange struct {
	Level string
	From  string
}

// Check returns what is wrong with a change, by field id.
func (c RecordAccessChange) Check() map[string]string {
	errs := map[string]string{}
	if levelRank(c.Level) < 0 {
		errs["level-"+RecordNone] = "Select how much of the record the patient sees online"
	}
	if c.From != "" {
		if _, err := time.Parse("2006-01-02", c.From); err != nil {
			errs["from-day"] = "The date new entries are shown from must be a real date, like 31 10 2023"
		}
	}
	return errs
}

// Resource writes the change as a new Consent, or a new version of the
// current one (current may be nil).
func (c RecordAccessChange) Resource(current fhir.Resource, patientID, practice string, now time.Time) fhir.Resource {
	out := fhir.Resource{"resourceType": "Consent"}
	if current != nil {
		out = cloneResource(current)
	}
	out["status"] = "active"
	out["scope"] = map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}}}
	out["category"] = []any{map[string]any{"coding": []any{map[string]any{"system": RecordAccessSystem, "code": "record-access", "display": "Online record access"}}}}
	out["patient"] = map[string]any{"reference": "Patient/" + patientID}
	out["dateTime"] = now.UTC().Format(time.RFC3339)
	if practice != "" {
		out["organization"] = []any{map[string]any{"reference": "Organization/" + practice}}
	}
	out["policyRule"] = map[string]any{"text": "GP contract: patients' online access to their GP record"}
	prov := map[string]any{"type": "permit"}
	if c.Level == RecordNone {
		prov["type"] = "deny"
	} else {
		prov["action"] = []any{map[string]any{"coding": []any{map[string]any{"system": RecordAccessSystem, "code": c.Level, "display": ChoiceLabel(RecordLevels, c.Level)}}}}
	}
	if c.From != "" {
		prov["provision"] = []any{map[string]any{"type": "permit", "dataPeriod": map[string]any{"start": c.From},
			"action": []any{map[string]any{"coding": []any{map[string]any{"system": RecordAccessSystem, "code": RecordFull, "display": "Prospective: new entries in full"}}}}}}
	}
	out["provision"] = prov
	return out
}

func parseWhen(s string) (time.Time, bool) { return patientview.ParseWhen(s) }
