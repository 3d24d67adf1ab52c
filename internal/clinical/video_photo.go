package clinical

import (
	"encoding/base64"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Photos sent in a video consultation's chat follow NHS England and
// RCPCH's "Key principles for intimate clinical assessments undertaken
// remotely" (CQC GP mythbuster 100): a photo is kept in the record only
// when the clinician keeps it; intimate images of under-18s are never
// requested or kept; for adults the clinician's request and the
// patient's explicit consent are recorded; and a kept photo is hidden
// from online and proxy access (NOPAT) by default.

// PhotoMaxBytes is the largest photo kept (the page scales larger ones
// down before sending).
const PhotoMaxBytes = 5 << 20

// PhotoKeep is the clinician's decision to keep a photo.
type PhotoKeep struct {
	// BirthDate is the patient's (YYYY-MM-DD), for the under-18 rule.
	BirthDate string
	// Intimate: "yes" or "no" (the clinician must say).
	Intimate string
	// Requested: the clinician asked for the photo; Consent: the patient
	// gave explicit consent to keep it in their record.
	Requested, Consent bool
	Description        string
	ContentType        string
	Data               []byte
}

// Check returns what is wrong, by field id. now is today, for the age.
func (p PhotoKeep) Check(now time.Time) map[string]string {
	errs := map[string]string{}
	if p.ContentType != "image/jpeg" && p.ContentType != "image/png" {
		errs["photo-description"] = "Only JPEG and PNG photos can be kept"
	} else if len(p.Data) == 0 || len(p.Data) > PhotoMaxBytes {
		errs["photo-description"] = "The photo must be 5 MB or smaller"
	}
	if strings.TrimSpace(p.Description) == "" {
		errs["photo-description"] = "Describe what the photo shows, such as Rash on left forearm"
	} else if len(p.Description) > 200 {
		errs["photo-description"] = "The description must be 200 characters or fewer"
	}
	switch p.Intimate {
	case "yes":
		birth, err := time.Parse("2006-01-02", p.BirthDate)
		if err != nil || ageYears(birth, now) < 18 {
			errs["photo-intimate-yes"] = "Intimate images of anyone under 18 must not be kept. Do not save it, ask the patient to delete it, and arrange to examine them in person"
		}
	case "no":
	default:
		errs["photo-intimate-yes"] = "Say whether the photo is intimate"
	}
	if p.Intimate == "yes" && !p.Requested {
		errs["photo-requested"] = "An intimate photo can be kept only when you asked for it: confirm that you did"
	}
	if !p.Consent {
		errs["photo-consent"] = "Confirm that the patient gave explicit consent to keep the photo in their record"
	}
	return errs
}

// PhotoConsentURL records, on a kept photo, that the clinician asked for
// it (requested) and that the patient explicitly consented (consent).
const PhotoConsentURL = "https://gpcloud.dev/fhir/StructureDefinition/photo-consent"

// DocumentReference is the kept photo: the image inline, about the
// call's Encounter, authored by the clinician, with the request and
// consent recorded, and labelled NOPAT (hidden from the patient's and
// proxies' online views until the clinician decides otherwise).
func (p PhotoKeep) DocumentReference(patientID, encounterID string, clinician Ref, now time.Time) fhir.Resource {
	d := fhir.Resource{"resourceType": "DocumentReference", "status": "current",
		"meta":        map[string]any{"security": []any{map[string]any{"system": ActCodeSystem, "code": NoPatientDisclosure, "display": "no disclosure to patient, family or caregivers without attending provider's authorization"}}},
		"type":        map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": "717301000000104", "display": "Photograph"}}, "text": "Photograph"},
		"subject":     map[string]any{"reference": "Patient/" + patientID},
		"date":        now.UTC().Format(time.RFC3339),
		"author":      []any{map[string]any{"reference": clinician.Reference, "display": clinician.Display}},
		"description": strings.TrimSpace(p.Description),
		"content": []any{map[string]any{"attachment": map[string]any{"contentType": p.ContentType, "data": base64.StdEncoding.EncodeToString(p.Data),
			"title": strings.TrimSpace(p.Description), "creation": now.UTC().Format(time.RFC3339), "size": float64(len(p.Data))}}},
		"extension": []any{map[string]any{"url": PhotoConsentURL, "extension": []any{
			map[string]any{"url": "requested", "valueBoolean": p.Requested},
			map[string]any{"url": "consent", "valueBoolean": p.Consent},
			map[string]any{"url": "intimate", "valueBoolean": p.Intimate == "yes"},
		}}},
	}
	if clinician.Reference == "" {
		d["author"] = []any{map[string]any{"display": clinician.Display}}
	}
	if encounterID != "" {
		d["context"] = map[string]any{"encounter": []any{map[string]any{"reference": "Encounter/" + encounterID}}}
	}
	return d
}
