package clinical

import (
	"slices"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Proxy access: what a parent or carer may do online for someone else,
// per service, under the age and capacity rules (CLINICAL.md, Patient
// portal 1):
//   - a parent gets access to a child under 11;
//   - on the child's 11th birthday access stops until the practice
//     reviews it (a grant given on or after the 11th birthday is that
//     review: a Gillick-competent child's consent, or the practice's
//     decision);
//   - at 16 it ends unless the patient consents again: a grant given on
//     or after the 16th birthday, on an adult basis;
//   - an adult's proxy needs the patient's consent, a lasting power of
//     attorney (health and welfare), a court deputy or a recorded
//     best-interests decision;
//   - the practice may refuse for safeguarding: then nothing, and the
//     proxy is not told why;
//   - access is per service (appointments, online requests, repeats,
//     the record, messages).
// A proxy account linked to a patient without any grant recorded is
// taken as parental responsibility given when the account was linked:
// it covers a child under 11 and nobody else.
//
// FHIR mapping: one Consent per proxy and patient (scope
// patient-privacy, category ProxyGrantSystem "proxy-access"): patient;
// dateTime when the practice decided; organization the practice;
// policyRule the basis (ProxyBasisSystem); provision.type permit (a
// grant) or deny (refused); provision.actor the proxy account (an
// identifier in UsernameSystem, and a RelatedPerson when they have
// one); provision.action the services; status active, or inactive once
// ended. Each change is a new version of the same Consent, so the
// history says who granted, changed and ended what, and when.

// ProxyGrantSystem is the CodeSystem of the grant's category and role.
const ProxyGrantSystem = "https://gpcloud.dev/fhir/CodeSystem/proxy-access"

// ProxyBasisSystem is the CodeSystem of the basis of a grant.
const ProxyBasisSystem = "https://gpcloud.dev/fhir/CodeSystem/proxy-basis"

// ProxyServiceSystem is the CodeSystem of the services a grant covers.
const ProxyServiceSystem = "https://gpcloud.dev/fhir/CodeSystem/proxy-service"

// UsernameSystem identifies a gpcloud account.
const UsernameSystem = "https://gpcloud.dev/fhir/sid/username"

// proxyNoteURL holds the practice's note on a decision (a refusal's
// reason): for staff only, never shown to the proxy.
const proxyNoteURL = "https://gpcloud.dev/fhir/StructureDefinition/proxy-decision-note"

// The portal's services a proxy may be given.
const (
	ServiceAppointments = "appointments"
	ServiceRequests     = "requests"
	ServiceRepeats      = "repeats"
	ServiceRecord       = "record"
	ServiceMessages     = "messages"
)

// ProxyServices are the services, as the screens say them.
var ProxyServices = []Choice{
	{ServiceAppointments, "Appointments"},
	{ServiceRequests, "Asking for help online"},
	{ServiceRepeats, "Repeat prescriptions"},
	{ServiceRecord, "Health record"},
	{ServiceMessages, "Messages"},
}

// Bases of a grant.
const (
	BasisParent        = "parental-responsibility"
	BasisChildConsent  = "child-consent"
	BasisConsent       = "patient-consent"
	BasisLPA           = "lpa-health-welfare"
	BasisCourtDeputy   = "court-deputy"
	BasisBestInterests = "best-interests"
)

// ProxyBases are the bases, as the screens say them.
var ProxyBases = []Choice{
	{BasisParent, "Parental responsibility (child under 16)"},
	{BasisChildConsent, "The child consented (aged 11 to 15, Gillick competent)"},
	{BasisConsent, "The patient consented"},
	{BasisLPA, "Lasting power of attorney (health and welfare)"},
	{BasisCourtDeputy, "Court-appointed deputy"},
	{BasisBestInterests, "Best-interests decision (the patient lacks capacity)"},
}

// adultBases are those that allow access to someone aged 16 or over.
var adultBases = []string{BasisConsent, BasisLPA, BasisCourtDeputy, BasisBestInterests}

// ProxyGrant is a practice's decision about one proxy for one patient.
type ProxyGrant struct {
	ID, Version string
	// Proxy is the proxy's username; ProxyName how they are called.
	Proxy, ProxyName string
	Patient          string
	Basis            string
	Services         []string
	// Given is when the practice decided.
	Given time.Time
	// Refused: the practice refused access (safeguarding); Note says why
	// (staff only).
	Refused bool
	Ended   bool
	Note    string
}

// GrantChange is what the practice decides on the proxies page.
type GrantChange struct {
	// Do is "grant", "refuse" or "end".
	Do       string
	Basis    string
	Services []string
	Note     string
}

// Check returns what is wrong with a decision for a patient born on
// birthDate (2006-01-02), by field id.
func (c GrantChange) Check(birthDate string, now time.Time) map[string]string {
	errs := map[string]string{}
	switch c.Do {
	case "grant":
		if len(c.Services) == 0 {
			errs["service-"+ServiceAppointments] = "Select the services this person may use"
		}
		for _, s := range c.Services {
			if !portalHasChoice(ProxyServices, s) {
				errs["service-"+ServiceAppointments] = "Select the services this person may use"
			}
		}
		if !portalHasChoice(ProxyBases, c.Basis) {
			errs["basis-"+BasisParent] = "Select why this person may act for the patient"
			break
		}
		birth, err := time.Parse("2006-01-02", birthDate)
		if err != nil {
			errs["basis-"+BasisParent] = "The patient has no date of birth recorded, so proxy access cannot be decided"
			break
		}
		years := ageYears(birth, now.In(UKTime))
		switch {
		case years >= 16 && !slices.Contains(adultBases, c.Basis):
			errs["basis-"+BasisParent] = "The patient is 16 or over: access needs their consent, a lasting power of attorney, a court deputy or a best-interests decision"
		case years < 11 && c.Basis == BasisChildConsent:
			errs["basis-"+BasisParent] = "A child under 11 does not give consent: choose parental responsibility"
		case years < 16 && c.Basis != BasisParent && c.Basis != BasisChildConsent:
			errs["basis-"+BasisParent] = "The patient is under 16: choose parental responsibility or the child's consent"
		}
	case "refuse":
		if strings.TrimSpace(c.Note) == "" {
			errs["note"] = "Enter why access is refused (staff see this; the proxy does not)"
		}
	case "end":
	default:
		errs["do"] = "Choose what to do"
	}
	return errs
}

// Resource writes the decision as a new Consent, or a new version of the
// proxy's current one (current may be nil).
func (c GrantChange) Resource(current fhir.Resource, patientID, practice, proxy, proxyName, proxyRef string, now time.Time) fhir.Resource {
	out := fhir.Resource{"resourceType": "Consent"}
	if current != nil {
		out = cloneResource(current)
	}
	stamp := now.UTC().Format(time.RFC3339)
	actorRef := map[string]any{"identifier": map[string]any{"system": UsernameSystem, "value": proxy}, "display": proxyName}
	if strings.HasPrefix(proxyRef, "RelatedPerson/") {
		actorRef["reference"] = proxyRef
	}
	out["scope"] = map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}}}
	out["category"] = []any{map[string]any{"coding": []any{map[string]any{"system": ProxyGrantSystem, "code": "proxy-access", "display": "Online proxy access"}}}}
	out["patient"] = map[string]any{"reference": "Patient/" + patientID}
	if practice != "" {
		out["organization"] = []any{map[string]any{"reference": "Organization/" + practice}}
	}
	delete(out, "extension")
	if n := strings.TrimSpace(c.Note); n != "" {
		out["extension"] = []any{map[string]any{"url": proxyNoteURL, "valueString": n}}
	}
	switch c.Do {
	case "end":
		out["status"] = "inactive"
		prov := mapOf(out["provision"])
		if prov == nil {
			prov = map[string]any{"type": "permit"}
		}
		period := mapOf(prov["period"])
		if period == nil {
			period = map[string]any{}
		}
		period["end"] = stamp
		prov["period"] = period
		out["provision"] = prov
		if out["policyRule"] == nil {
			out["policyRule"] = map[string]any{"text": "Ended"}
		}
		return out
	case "refuse":
		out["status"] = "active"
		out["dateTime"] = stamp
		out["policyRule"] = map[string]any{"coding": []any{map[string]any{"system": ProxyBasisSystem, "code": "safeguarding", "display": "Refused for safeguarding"}}}
		out["provision"] = map[string]any{"type": "deny", "period": map[string]any{"start": stamp},
			"actor": []any{map[string]any{"role": proxyRole(), "reference": actorRef}}}
		return out
	}
	out["status"] = "active"
	out["dateTime"] = stamp
	out["policyRule"] = map[string]any{"coding": []any{map[string]any{"system": ProxyBasisSystem, "code": c.Basis, "display": ChoiceLabel(ProxyBases, c.Basis)}}}
	var actions []any
	for _, s := range ProxyServices { // in the screens' order, whatever the form's
		if slices.Contains(c.Services, s.Key) {
			actions = append(actions, map[string]any{"coding": []any{map[string]any{"system": ProxyServiceSystem, "code": s.Key, "display": s.Label}}})
		}
	}
	out["provision"] = map[string]any{"type": "permit", "period": map[string]any{"start": stamp},
		"actor": []any{map[string]any{"role": proxyRole(), "reference": actorRef}}, "action": actions}
	return out
}

func proxyRole() map[string]any {
	return map[string]any{"coding": []any{map[string]any{"system": ProxyGrantSystem, "code": "proxy", "display": "Proxy"}}}
}

// IsProxyGrant reports a Consent that is a proxy-access decision.
func IsProxyGrant(res fhir.Resource) bool {
	for _, c := range list(res, "category") {
		for _, cd := range list(c, "coding") {
			if str(cd, "system") == ProxyGrantSystem && str(cd, "code") == "proxy-access" {
				return true
			}
		}
	}
	return false
}

// ProxyGrantOf reads a proxy-access Consent.
func ProxyGrantOf(res fhir.Resource) ProxyGrant {
	g := ProxyGrant{ID: res.ID(), Version: versionOf(res), Ended: str(res, "status") == "inactive"}
	g.Patient, _ = strings.CutPrefix(str(mapOf(res["patient"]), "reference"), "Patient/")
	g.Given, _ = time.Parse(time.RFC3339, str(res, "dateTime"))
	for _, cd := range list(mapOf(res["policyRule"]), "coding") {
		if str(cd, "system") == ProxyBasisSystem {
			g.Basis = str(cd, "code")
		}
	}
	prov := mapOf(res["provision"])
	g.Refused = str(prov, "type") == "deny"
	for _, a := range list(prov, "actor") {
		ref := mapOf(a["reference"])
		if id := mapOf(ref["identifier"]); str(id, "system") == UsernameSystem {
			g.Proxy, g.ProxyName = str(id, "value"), str(ref, "display")
		}
	}
	for _, a := range list(prov, "action") {
		for _, cd := range list(a, "coding") {
			if str(cd, "system") == ProxyServiceSystem {
				g.Services = append(g.Services, str(cd, "code"))
			}
		}
	}
	for _, e := range list(res, "extension") {
		if str(e, "url") == proxyNoteURL {
			g.Note = str(e, "valueString")
		}
	}
	return g
}

// GrantFor finds the proxy's current decision among a patient's
// Consents, or nil.
func GrantFor(consents []fhir.Resource, proxy string) *ProxyGrant {
	var out *ProxyGrant
	for _, c := range consents {
		if !IsProxyGrant(c) {
			continue
		}
		g := ProxyGrantOf(c)
		if g.Proxy != proxy {
			continue
		}
		if out == nil || g.Given.After(out.Given) {
			out = &g
		}
	}
	return out
}

// BasisLabel is the grant's basis as the screens say it.
func (g ProxyGrant) BasisLabel() string {
	if g.Refused {
		return "Refused"
	}
	return ChoiceLabel(ProxyBases, g.Basis)
}

// ServiceLabels are the services granted, as the screens say them.
func (g ProxyGrant) ServiceLabels() []string {
	var out []string
	for _, s := range ProxyServices {
		if slices.Contains(g.Services, s.Key) {
			out = append(out, s.Label)
		}
	}
	return out
}

// Plain reasons a proxy is told. A refusal says nothing of safeguarding.
const (
	proxyWhyNone    = "The practice has not given you online access to this for this person. Contact the practice if you think you should have it."
	proxyWhyAt11    = "Access to a child’s services stops at 11 until the practice reviews it with the child. Contact the practice."
	proxyWhyAt16    = "Access ended when this person turned 16. They can ask the practice to give you access again."
	proxyWhyAdult   = "The practice has not recorded that you may act for this person online (their consent, a lasting power of attorney, a court deputy or a best-interests decision). Contact the practice."
	proxyWhyService = "Your access for this person does not include this. Contact the practice if you need it."
)

// ProxyAccess says whether a proxy may use a service for a patient born
// on birthDate, with a plain reason when not; g is the proxy's current
// grant, or nil when none is recorded (a linked account: parental
// responsibility from the start, which covers a child under 11 only).
func ProxyAccess(g *ProxyGrant, birthDate, service string, now time.Time) (bool, string) {
	if g == nil {
		g = &ProxyGrant{Basis: BasisParent, Services: []string{ServiceAppointments, ServiceRequests, ServiceRepeats, ServiceRecord, ServiceMessages}}
	}
	if g.Refused || g.Ended {
		return false, proxyWhyNone
	}
	birth, err := time.Parse("2006-01-02", birthDate)
	if err != nil {
		return false, proxyWhyNone
	}
	n := now.In(UKTime)
	years := ageYears(birth, n)
	at := func(age int) time.Time {
		return time.Date(birth.Year()+age, birth.Month(), birth.Day(), 0, 0, 0, 0, UKTime)
	}
	switch {
	case years >= 16:
		if !slices.Contains(adultBases, g.Basis) || g.Given.Before(at(16)) {
			if g.Basis == BasisParent || g.Basis == BasisChildConsent {
				return false, proxyWhyAt16
			}
			return false, proxyWhyAdult
		}
	case years >= 11:
		if g.Given.Before(at(11)) || (g.Basis != BasisParent && g.Basis != BasisChildConsent) {
			return false, proxyWhyAt11
		}
	default:
		if g.Basis != BasisParent {
			return false, proxyWhyNone
		}
	}
	if !slices.Contains(g.Services, service) {
		return false, proxyWhyService
	}
	return true, ""
}
