package clinical

import (
	"slices"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/patientview"
)

// Proxy access (what a parent or carer may do online for someone else)
// is decided by patientview (proxy.go), below the service, which applies
// it to every read a proxy makes; these are its names here.
type ProxyGrant = patientview.ProxyGrant

// The CodeSystems of a grant, and the account identifier of its proxy.
const (
	ProxyGrantSystem   = patientview.ProxyGrantSystem
	ProxyBasisSystem   = patientview.ProxyBasisSystem
	ProxyServiceSystem = patientview.ProxyServiceSystem
	UsernameSystem     = patientview.UsernameSystem
	proxyNoteURL       = patientview.ProxyNoteURL
)

// The portal's services a proxy may be given.
const (
	ServiceAppointments = patientview.ServiceAppointments
	ServiceRequests     = patientview.ServiceRequests
	ServiceRepeats      = patientview.ServiceRepeats
	ServiceRecord       = patientview.ServiceRecord
	ServiceMessages     = patientview.ServiceMessages
)

// Bases of a grant.
const (
	BasisParent        = patientview.BasisParent
	BasisChildConsent  = patientview.BasisChildConsent
	BasisConsent       = patientview.BasisConsent
	BasisLPA           = patientview.BasisLPA
	BasisCourtDeputy   = patientview.BasisCourtDeputy
	BasisBestInterests = patientview.BasisBestInterests
)

// The services and bases, as the screens say them.
var (
	ProxyServices = choicesOf(patientview.ProxyServices)
	ProxyBases    = choicesOf(patientview.ProxyBases)
	adultBases    = patientview.AdultBases
)

// The grant rules (patientview's).
var (
	IsProxyGrant = patientview.IsProxyGrant
	ProxyGrantOf = patientview.ProxyGrantOf
	GrantFor     = patientview.GrantFor
	ProxyAccess  = patientview.ProxyAccess
)

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
