package clinical

import (
	"slices"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/search"
)

// Whether a patient's record may be shared with another organisation
// through GP Connect. The GP Connect specification answers "patient not
// found" for a record the practice must not share and "no patient
// consent" for a patient who dissented; each condition here names the
// part of the record it is read from, so that the workspace that writes
// it knows what GP Connect depends on.

// Sharing choices: a patient's dissent from sharing through GP Connect is
// an R4 Consent (status active, provision.type deny) with this category.
// gpcloud's own code: the coded sharing choices of CLINICAL.md
// (Workspace 2) have no national FHIR code for GP Connect dissent.
const (
	SharingChoiceSystem = "https://gpcloud.dev/fhir/CodeSystem/sharing-choice"
	SharingGPConnect    = "gp-connect"
)

// Sharing is the answer: share, or why not.
type Sharing int

// The answers.
const (
	Share Sharing = iota
	// NotShared: answer as if there were no such patient.
	NotShared
	// Dissented: the patient said no.
	Dissented
)

// SharingInput is what the decision reads.
type SharingInput struct {
	Patient fhir.Resource
	// Episodes are the patient's registrations (EpisodeOfCare).
	Episodes []fhir.Resource
	// Consents are the patient's Consent resources.
	Consents []fhir.Resource
	// Practice is the providing practice's Organization id.
	Practice string
	// AnyRegistration accepts a current registration of any type: finding
	// and booking for a temporary resident is what GP Connect's
	// registration of a patient is for; the structured record is only
	// for a regular registration.
	AnyRegistration bool
}

// GPConnectSharing decides whether the record may be shared through GP
// Connect now, and says why not (for the audit and the consumer's
// diagnostics, never revealing more than the code does).
func GPConnectSharing(in SharingInput, now time.Time) (Sharing, string) {
	p := in.Patient
	switch {
	case p == nil:
		return NotShared, "no such patient"
	case search.Sensitive(p):
		// Patient.meta.security v3-Confidentiality R or V (the record's
		// sensitive flag, set at registration or on the record).
		return NotShared, "the record is sensitive"
	case p["active"] == false:
		// Patient.active false: deducted (registration_change.go).
		return NotShared, "the patient is not active at the practice"
	case p["deceasedBoolean"] == true || p["deceasedDateTime"] != nil:
		return NotShared, "the patient has died"
	}
	if _, status := NHSNumberOf(p); status != NHSVerified {
		// Patient.identifier NHS number's UK Core verification status:
		// only "present and verified" (01, a PDS trace) is shared.
		return NotShared, "the NHS number is not present and verified"
	}
	if !registeredAt(in.Episodes, in.Practice, now, in.AnyRegistration) {
		// EpisodeOfCare: an active regular (GMS, type R) registration
		// at this practice; temporary residents are not shared.
		return NotShared, "the patient has no current regular registration at the practice"
	}
	for _, c := range in.Consents {
		if dissents(c, now) {
			return Dissented, "the patient has dissented from sharing through GP Connect"
		}
	}
	return Share, ""
}

// NHSNumberOf returns a Patient's NHS number and its verification status.
func NHSNumberOf(p fhir.Resource) (number, status string) {
	ids, _ := p["identifier"].([]any)
	for _, i := range ids {
		id, _ := i.(map[string]any)
		if text(id["system"]) == NHSNumberSystem {
			return text(id["value"]), nhsStatusOf(id)
		}
	}
	return "", ""
}

func registeredAt(episodes []fhir.Resource, practice string, now time.Time, anyType bool) bool {
	today := now.In(UKTime).Format("2006-01-02")
	for _, ep := range episodes {
		if text(ep["status"]) != "active" {
			continue
		}
		org, _ := ep["managingOrganization"].(map[string]any)
		if text(org["reference"]) != "Organization/"+practice {
			continue
		}
		period, _ := ep["period"].(map[string]any)
		if s := text(period["start"]); s != "" && s > today {
			continue
		}
		if e := text(period["end"]); e != "" && e < today {
			continue
		}
		types, _ := ep["type"].([]any)
		if anyType || slices.ContainsFunc(types, func(t any) bool { return hasCoding(t, RegistrationTypeSystem, "R") }) {
			return true
		}
	}
	return false
}

func dissents(c fhir.Resource, now time.Time) bool {
	if text(c["status"]) != "active" {
		return false
	}
	cats, _ := c["category"].([]any)
	if !slices.ContainsFunc(cats, func(t any) bool { return hasCoding(t, SharingChoiceSystem, SharingGPConnect) }) {
		return false
	}
	prov, _ := c["provision"].(map[string]any)
	if text(prov["type"]) != "deny" {
		return false
	}
	period, _ := prov["period"].(map[string]any)
	if e := text(period["end"]); e != "" {
		if t, err := time.Parse(time.RFC3339, e); err == nil && t.Before(now) {
			return false
		}
		if len(e) == 10 && e < now.In(UKTime).Format("2006-01-02") {
			return false
		}
	}
	return true
}

func hasCoding(concept any, system, code string) bool {
	m, _ := concept.(map[string]any)
	cs, _ := m["coding"].([]any)
	for _, c := range cs {
		cm, _ := c.(map[string]any)
		if text(cm["system"]) == system && strings.EqualFold(text(cm["code"]), code) {
			return true
		}
	}
	return false
}

// DissentConsent is the Consent recording a patient's dissent from GP
// Connect sharing (for the workspace and tests).
func DissentConsent(patientID string, when time.Time) fhir.Resource {
	return fhir.Resource{"resourceType": "Consent", "status": "active",
		"scope":      map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}}},
		"category":   []any{map[string]any{"coding": []any{map[string]any{"system": SharingChoiceSystem, "code": SharingGPConnect, "display": "Sharing through GP Connect"}}}},
		"patient":    map[string]any{"reference": "Patient/" + patientID},
		"dateTime":   when.UTC().Format(time.RFC3339),
		"policyRule": map[string]any{"text": "GP Connect"},
		"provision":  map[string]any{"type": "deny"}}
}

// PatientName is the patient's name as the banner shows it.
func PatientName(p fhir.Resource) string { return displayName(p) }
