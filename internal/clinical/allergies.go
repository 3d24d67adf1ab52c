package clinical

import (
	"fmt"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Allergies and intolerances (UK Core AllergyIntolerance): a substance
// coded in SNOMED CT, allergy or intolerance, its category, a reaction
// with its severity, and the certainty (verificationStatus). "No known
// allergies" is itself an AllergyIntolerance (SNOMED 716186003), and it
// contradicts an active allergy: AllergyConflict refuses either while the
// other is active.

// NoKnownAllergyCode is SNOMED CT's "No known allergy".
const NoKnownAllergyCode = "716186003"

const (
	allergyClinicalURL     = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
	allergyVerificationURL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
)

// AllergyStatus is what the banner says of allergies.
type AllergyStatus struct {
	// Count is the active allergies and intolerances.
	Count int
	// NoneKnown: "no known allergies" is recorded and no allergy is.
	NoneKnown bool
}

// Text is the banner's words: "2 allergies", "No known allergies",
// "Allergies not recorded".
func (s AllergyStatus) Text() string {
	switch {
	case s.Count == 1:
		return "1 allergy"
	case s.Count > 1:
		return fmt.Sprintf("%d allergies", s.Count)
	case s.NoneKnown:
		return "No known allergies"
	}
	return "Allergies not recorded"
}

// AllergyStatusOf counts the active allergies (not refuted or entered in
// error) and notes an active "no known allergies".
func AllergyStatusOf(allergies []fhir.Resource) AllergyStatus {
	var s AllergyStatus
	for _, a := range allergies {
		if !activeAllergy(a) {
			continue
		}
		if IsNoKnownAllergy(a) {
			s.NoneKnown = true
			continue
		}
		s.Count++
	}
	if s.Count > 0 {
		s.NoneKnown = false
	}
	return s
}

// activeAllergy: clinically active (or no status, which R4 allows) and
// not refuted or entered in error.
func activeAllergy(a fhir.Resource) bool {
	if v := verification(a); v == "entered-in-error" || v == "refuted" {
		return false
	}
	cs := clinicalStatus(a)
	return cs == "" || cs == "active"
}

// AllergyConflict returns why recording a new allergy (noneKnown false)
// or "no known allergies" (noneKnown true) contradicts the active record,
// or "".
func AllergyConflict(existing []fhir.Resource, noneKnown bool) string {
	s := AllergyStatusOf(existing)
	switch {
	case noneKnown && s.Count > 0:
		return "\"No known allergies\" cannot be recorded while an allergy is active. End or correct the allergy first"
	case !noneKnown && s.NoneKnown:
		return "\"No known allergies\" is recorded. End it before recording an allergy"
	}
	return ""
}

// AllergyCategories, AllergySeverities and AllergyCertainties are the
// form's choices (FHIR R4 codes).
var (
	AllergyCategories  = []Choice{{"medication", "Medicine"}, {"food", "Food"}, {"environment", "Environment (pollen, animals, latex)"}, {"biologic", "Biological (vaccine, blood product)"}}
	AllergySeverities  = []Choice{{"mild", "Mild"}, {"moderate", "Moderate"}, {"severe", "Severe"}}
	AllergyCertainties = []Choice{{"confirmed", "Confirmed"}, {"unconfirmed", "Suspected (not confirmed)"}}
	AllergyTypes       = []Choice{{"allergy", "Allergy"}, {"intolerance", "Intolerance"}}
)

func choiceKnown(cs []Choice, key string) bool {
	for _, c := range cs {
		if c.Key == key {
			return true
		}
	}
	return false
}

// choiceLabel is ChoiceLabel, or the key itself when unknown (a code
// another system wrote).
func choiceLabel(cs []Choice, key string) string {
	if l := ChoiceLabel(cs, key); l != "" {
		return l
	}
	return key
}

// NewAllergy is an allergy, an intolerance or "no known allergies" as a
// clinician records it.
type NewAllergy struct {
	NoneKnown bool
	Substance Concept
	Type      string // AllergyTypes
	Category  string // AllergyCategories
	Reaction  string // the manifestation, in words
	Severity  string // AllergySeverities, "" when not known
	Certainty string // AllergyCertainties
}

// Check returns the form's errors by field; existing are the patient's
// allergies as stored, for the "no known allergies" rule.
func (a NewAllergy) Check(existing []fhir.Resource) map[string]string {
	errs := map[string]string{}
	if !a.NoneKnown {
		if a.Substance.Code == "" {
			errs["substance"] = "Choose the substance from the matches (type its name and select Find)"
		}
		if !choiceKnown(AllergyTypes, a.Type) {
			errs["type"] = "Select allergy or intolerance"
		}
		if !choiceKnown(AllergyCategories, a.Category) {
			errs["category"] = "Select what kind of substance it is"
		}
		if a.Severity != "" && !choiceKnown(AllergySeverities, a.Severity) {
			errs["severity"] = "Select the severity of the reaction"
		}
		if a.Severity != "" && strings.TrimSpace(a.Reaction) == "" {
			errs["reaction"] = "Describe the reaction, or leave the severity unset"
		}
		if len(a.Reaction) > 500 {
			errs["reaction"] = "The reaction must be 500 characters or fewer"
		}
		if !choiceKnown(AllergyCertainties, a.Certainty) {
			errs["certainty"] = "Select how certain it is"
		}
	}
	if msg := AllergyConflict(existing, a.NoneKnown); msg != "" {
		field := "substance"
		if a.NoneKnown {
			field = "none-known"
		}
		errs[field] = msg
	}
	return errs
}

// Resource is the AllergyIntolerance to write.
func (a NewAllergy) Resource(patientID string, recorder Ref, now time.Time) fhir.Resource {
	r := fhir.Resource{"resourceType": "AllergyIntolerance",
		"clinicalStatus": codeable(allergyClinicalURL, "active", "Active", ""),
		"patient":        map[string]any{"reference": "Patient/" + patientID},
		"recordedDate":   fhir.FormatInstant(now),
		"recorder":       refMap(recorder),
	}
	if a.NoneKnown {
		r["verificationStatus"] = codeable(allergyVerificationURL, "confirmed", "Confirmed", "")
		r["code"] = codeable(SNOMED, NoKnownAllergyCode, "No known allergy", "")
		return r
	}
	display := map[string]string{"confirmed": "Confirmed", "unconfirmed": "Unconfirmed"}[a.Certainty]
	r["verificationStatus"] = codeable(allergyVerificationURL, a.Certainty, display, "")
	r["type"] = a.Type
	r["category"] = []any{a.Category}
	r["code"] = codeable(SNOMED, a.Substance.Code, a.Substance.Display, "")
	if reaction := strings.TrimSpace(a.Reaction); reaction != "" {
		rx := map[string]any{"manifestation": []any{map[string]any{"text": reaction}}}
		if a.Severity != "" {
			rx["severity"] = a.Severity
		}
		r["reaction"] = []any{rx}
	}
	return r
}

// EndAllergy marks an allergy (or "no known allergies") no longer active:
// resolved, as a clinician does when it has gone or was outgrown.
func EndAllergy(a fhir.Resource) fhir.Resource {
	out := cloneResource(a)
	out["clinicalStatus"] = codeable(allergyClinicalURL, "resolved", "Resolved", "")
	return out
}

// AllergyRow is one line of the allergies page.
type AllergyRow struct {
	ID, Version        string
	Text, Kind         string
	Reaction, Severity string
	Certainty, Date    string
	NoneKnown          bool
	Active             bool
	EnteredInError     bool
}

// AllergyRows lists the allergies for the page: active first.
func AllergyRows(allergies []fhir.Resource) []AllergyRow {
	var active, other []AllergyRow
	for _, a := range allergies {
		row := AllergyRow{ID: a.ID(), Version: versionOf(a), Text: conceptText(a["code"]), NoneKnown: IsNoKnownAllergy(a),
			Date: day(firstStr(a, "onsetDateTime", "recordedDate")), EnteredInError: verification(a) == "entered-in-error"}
		row.Active = activeAllergy(a)
		if t := str(a, "type"); t != "" {
			row.Kind = choiceLabel(AllergyTypes, t)
		}
		for _, c := range anyList(a["category"]) {
			if s, ok := c.(string); ok {
				row.Kind = strings.TrimSpace(row.Kind + " (" + strings.ToLower(choiceLabel(AllergyCategories, s)) + ")")
			}
		}
		for _, rx := range list(a, "reaction") {
			for _, m := range anyList(rx["manifestation"]) {
				row.Reaction = strings.TrimPrefix(row.Reaction+", "+conceptText(m), ", ")
			}
			if s := str(rx, "severity"); s != "" {
				row.Severity = choiceLabel(AllergySeverities, s)
			}
		}
		switch v := verification(a); v {
		case "confirmed", "unconfirmed", "refuted":
			row.Certainty = map[string]string{"confirmed": "Confirmed", "unconfirmed": "Suspected", "refuted": "Refuted"}[v]
		}
		if row.Active {
			active = append(active, row)
		} else {
			other = append(other, row)
		}
	}
	return append(active, other...)
}
