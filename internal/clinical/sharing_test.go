package clinical

import (
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

func TestGPConnectSharing(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	patient := func(edit func(fhir.Resource)) fhir.Resource {
		p := fhir.Resource{"resourceType": "Patient", "id": "p1", "active": true,
			"identifier": []any{map[string]any{"system": NHSNumberSystem, "value": "9434765919",
				"extension": []any{map[string]any{"url": NHSVerificationURL, "valueCodeableConcept": map[string]any{
					"coding": []any{map[string]any{"system": NHSVerificationSystem, "code": NHSVerified}}}}}}}}
		if edit != nil {
			edit(p)
		}
		return p
	}
	episode := func(code, start, end, status string) fhir.Resource {
		period := map[string]any{"start": start}
		if end != "" {
			period["end"] = end
		}
		return fhir.Resource{"resourceType": "EpisodeOfCare", "status": status,
			"type":                 []any{map[string]any{"coding": []any{map[string]any{"system": RegistrationTypeSystem, "code": code}}}},
			"managingOrganization": map[string]any{"reference": "Organization/org1"}, "period": period}
	}
	regular := []fhir.Resource{episode("R", "2020-01-01", "", "active")}
	ended := DissentConsent("p1", now)
	ended["provision"] = map[string]any{"type": "deny", "period": map[string]any{"end": "2026-11-01"}}
	for _, c := range []struct {
		name     string
		patient  fhir.Resource
		episodes []fhir.Resource
		consents []fhir.Resource
		want     Sharing
	}{
		{"regular, verified", patient(nil), regular, nil, Share},
		{"no patient", nil, regular, nil, NotShared},
		{"sensitive (R)", patient(func(p fhir.Resource) {
			p["meta"] = map[string]any{"security": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R"}}}
		}), regular, nil, NotShared},
		{"very restricted (V)", patient(func(p fhir.Resource) {
			p["meta"] = map[string]any{"security": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "V"}}}
		}), regular, nil, NotShared},
		{"inactive (deducted)", patient(func(p fhir.Resource) { p["active"] = false }), regular, nil, NotShared},
		{"deceased", patient(func(p fhir.Resource) { p["deceasedDateTime"] = "2026-11-30" }), regular, nil, NotShared},
		{"number not traced", patient(func(p fhir.Resource) {
			p["identifier"] = []any{map[string]any{"system": NHSNumberSystem, "value": "9434765919"}}
		}), regular, nil, NotShared},
		{"temporary resident", patient(nil), []fhir.Resource{episode("T", "2026-11-01", "2027-02-01", "active")}, nil, NotShared},
		{"temporary resident, any registration", patient(nil), []fhir.Resource{episode("T", "2026-11-01", "2027-02-01", "active")}, nil, Share},
		{"temporary registration expired, any registration", patient(nil), []fhir.Resource{episode("T", "2026-08-01", "2026-11-01", "active")}, nil, NotShared},
		{"registration ended", patient(nil), []fhir.Resource{episode("R", "2020-01-01", "2026-11-30", "finished")}, nil, NotShared},
		{"registered elsewhere only", patient(nil), []fhir.Resource{func() fhir.Resource {
			e := episode("R", "2020-01-01", "", "active")
			e["managingOrganization"] = map[string]any{"reference": "Organization/other"}
			return e
		}()}, nil, NotShared},
		{"dissented", patient(nil), regular, []fhir.Resource{DissentConsent("p1", now)}, Dissented},
		{"dissent withdrawn", patient(nil), regular, []fhir.Resource{func() fhir.Resource {
			c := DissentConsent("p1", now)
			c["status"] = "inactive"
			return c
		}()}, Share},
		{"dissent ended", patient(nil), regular, []fhir.Resource{ended}, Share},
	} {
		got, why := GPConnectSharing(SharingInput{Patient: c.patient, Episodes: c.episodes, Consents: c.consents, Practice: "org1",
			AnyRegistration: strings.HasSuffix(c.name, "any registration")}, now)
		if got != c.want {
			t.Errorf("%s: %v (%s), want %v", c.name, got, why, c.want)
		}
		if got != Share && why == "" {
			t.Errorf("%s: refused without a reason", c.name)
		}
	}
}
