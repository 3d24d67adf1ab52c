package clinical

import (
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// The patient's GP Connect sharing choice as the practice records it
// (CLINICAL.md GP Connect 2: the workspace source of NO_PATIENT_CONSENT).
// One Consent per patient with the sharing-choice category: status
// active with provision deny while the patient dissents (what
// GPConnectSharing reads), inactive with the provision's period ended
// once they withdraw the dissent. Each change is a new version of the
// same Consent, so its history says who recorded what, and when; the
// recorder is an extension (R4 Consent has no recorder element: its
// performer is the patient, who made the choice).

// RecordedByURL names the member of staff who recorded a sharing choice;
// SharingNoteURL holds their note (R4 Consent has no note element).
const (
	RecordedByURL  = "https://gpcloud.dev/fhir/StructureDefinition/recorded-by"
	SharingNoteURL = "https://gpcloud.dev/fhir/StructureDefinition/sharing-choice-note"
)

// SharingChoice is what the record says about the patient's GP Connect
// sharing.
type SharingChoice struct {
	Recorded   bool      // a choice was ever recorded
	Dissent    bool      // the patient dissents now
	When       time.Time // when the current choice was recorded
	RecordedBy string    // who recorded it
	Note       string
	ID         string // the Consent, for the next change
	Version    string
}

// WhenLabel is when the current choice was recorded, for the pages.
func (c SharingChoice) WhenLabel() string {
	if c.When.IsZero() {
		return ""
	}
	return c.When.In(London).Format("2 January 2006 at 15:04")
}

// SharingChoiceOf reads the patient's sharing choice from their Consents:
// the one with the sharing-choice category (the most recently written
// when, from earlier data, there are several; any active dissent wins,
// as GPConnectSharing's does).
func SharingChoiceOf(consents []fhir.Resource, now time.Time) SharingChoice {
	var out SharingChoice
	var latest string
	for _, c := range consents {
		cats, _ := c["category"].([]any)
		isChoice := false
		for _, cat := range cats {
			isChoice = isChoice || hasCoding(cat, SharingChoiceSystem, SharingGPConnect)
		}
		if !isChoice {
			continue
		}
		dissent := dissents(c, now)
		meta, _ := c["meta"].(map[string]any)
		updated := text(meta["lastUpdated"])
		if out.Recorded && (out.Dissent && !dissent || out.Dissent == dissent && updated <= latest) {
			continue
		}
		latest = updated
		out = SharingChoice{Recorded: true, Dissent: dissent, ID: c.ID(), Version: text(meta["versionId"])}
		stamp := text(c["dateTime"])
		if !dissent {
			prov, _ := c["provision"].(map[string]any)
			period, _ := prov["period"].(map[string]any)
			if e := text(period["end"]); e != "" {
				stamp = e
			}
		}
		out.When, _ = time.Parse(time.RFC3339, stamp)
		for _, e := range listAny(c["extension"]) {
			switch text(e["url"]) {
			case RecordedByURL:
				ref, _ := e["valueReference"].(map[string]any)
				out.RecordedBy = text(ref["display"])
			case SharingNoteURL:
				out.Note = text(e["valueString"])
			}
		}
	}
	return out
}

// The answers of the sharing form.
const (
	ShareAllowed = "share"
	ShareDissent = "dissent"
)

// SharingChoices are the form's radios, in order.
var SharingChoices = []Choice{
	{Key: ShareAllowed, Label: "Shares their record (no objection recorded)"},
	{Key: ShareDissent, Label: "Does not want their record shared through GP Connect"},
}

// SharingChange is the sharing form as sent.
type SharingChange struct {
	Choice string
	Note   string
}

// Check returns the form's errors by field.
func (c SharingChange) Check(current SharingChoice) map[string]string {
	errs := map[string]string{}
	switch {
	case c.Choice == ShareDissent && current.Dissent:
		errs["choice"] = "The patient's dissent is already recorded: select the other answer to withdraw it"
	case c.Choice == ShareAllowed && !current.Dissent:
		errs["choice"] = "The patient has no dissent recorded: their record is already shared"
	case c.Choice != ShareDissent && c.Choice != ShareAllowed:
		errs["choice"] = "Select whether the patient wants their record shared through GP Connect"
	}
	if len(c.Note) > 500 {
		errs["note"] = "Note must be 500 characters or fewer"
	}
	return errs
}

// Resource is the new version of the patient's sharing-choice Consent
// (existing is the current version, nil when none was recorded):
// recorder is the member of staff, as a reference with their name.
func (c SharingChange) Resource(existing fhir.Resource, patientID, practice string, recorder Ref, now time.Time) fhir.Resource {
	out := DissentConsent(patientID, now)
	if existing != nil {
		out["id"] = existing.ID()
	}
	if practice != "" {
		out["organization"] = []any{map[string]any{"reference": "Organization/" + practice}}
	}
	out["performer"] = []any{map[string]any{"reference": "Patient/" + patientID}}
	var ext []any
	if recorder.Reference != "" || recorder.Display != "" {
		ref := map[string]any{"display": recorder.Display}
		if recorder.Reference != "" {
			ref["reference"] = recorder.Reference
		}
		ext = append(ext, map[string]any{"url": RecordedByURL, "valueReference": ref})
	}
	if n := strings.TrimSpace(c.Note); n != "" {
		ext = append(ext, map[string]any{"url": SharingNoteURL, "valueString": n})
	}
	if len(ext) > 0 {
		out["extension"] = ext
	}
	stamp := now.UTC().Format(time.RFC3339)
	if c.Choice == ShareAllowed {
		// Withdrawn: the Consent stays, inactive, its deny ended now.
		out["status"] = "inactive"
		prov := map[string]any{"type": "deny", "period": map[string]any{"end": stamp}}
		if existing != nil {
			if old, ok := existing["provision"].(map[string]any); ok {
				if p, ok := old["period"].(map[string]any); ok && text(p["start"]) != "" {
					prov["period"] = map[string]any{"start": text(p["start"]), "end": stamp}
				}
			}
		}
		out["provision"] = prov
		if existing != nil && text(existing["dateTime"]) != "" {
			out["dateTime"] = existing["dateTime"]
		}
		return out
	}
	out["provision"] = map[string]any{"type": "deny", "period": map[string]any{"start": stamp}}
	return out
}
