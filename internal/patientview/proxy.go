package patientview

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

// ProxyNoteURL holds the practice's note on a decision (a refusal's
// reason): for staff only, never shown to the proxy.
const ProxyNoteURL = "https://gpcloud.dev/fhir/StructureDefinition/proxy-decision-note"

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

// AdultBases are those that allow access to someone aged 16 or over.
var AdultBases = []string{BasisConsent, BasisLPA, BasisCourtDeputy, BasisBestInterests}

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
	g := ProxyGrant{ID: res.ID(), Version: str(mapOf(res["meta"]), "versionId"), Ended: str(res, "status") == "inactive"}
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
		if str(e, "url") == ProxyNoteURL {
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
	return choiceLabel(ProxyBases, g.Basis)
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
	n := now.In(London)
	years := AgeYears(birth, n)
	at := func(age int) time.Time {
		return time.Date(birth.Year()+age, birth.Month(), birth.Day(), 0, 0, 0, 0, London)
	}
	switch {
	case years >= 16:
		if !slices.Contains(AdultBases, g.Basis) || g.Given.Before(at(16)) {
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

// Choice is one of a form's choices: its key, and its label.
type Choice struct{ Key, Label string }

func choiceLabel(choices []Choice, key string) string {
	for _, c := range choices {
		if c.Key == key {
			return c.Label
		}
	}
	return ""
}

// AgeYears is the age in whole years on now's day (in now's zone).
func AgeYears(birth, now time.Time) int {
	y := now.Year() - birth.Year()
	if now.Month() < birth.Month() || now.Month() == birth.Month() && now.Day() < birth.Day() {
		y--
	}
	return y
}

// London is the practice's clock (England's).
var London = func() *time.Location {
	l, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err)
	}
	return l
}()
