package gpconnect

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/audit"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// The test practice: ODS A12345 answering to ASID 900000000001; one
// consumer system (ASID 918999198738) acting for NHS 111 (ODS RYA).
const (
	practiceODS  = "A12345"
	providerASID = "900000000001"
	consumerASID = "918999198738"
	consumerODS  = "RYA"
	nhsRich      = "9434765919" // a rich record, regular, verified
	nhsSensitive = "9434765870"
	nhsDeceased  = "9434765838"
	nhsUntraced  = "9434765846"
	nhsDissent   = "9434765862"
	nhsTemporary = "9434765854"
	nhsNowhere   = "9434765889" // valid, not registered here
)

type fixture struct {
	t        testing.TB
	st       store.Store
	svc      *service.Service
	trail    *audit.Trail
	srv      *httptest.Server
	now      time.Time
	slots    map[string]string // name → Slot id
	pats     map[string]string // NHS number → Patient id
	origin   string
	provider *Provider
}

func newFixture(t testing.TB, open func(testing.TB) store.Store) *fixture {
	t.Helper()
	st := open(t)
	svc := service.New(st, service.Options{Booking: clinical.BookingRules{}, BaseURL: "http://test/fhir"})
	f := &fixture{t: t, st: st, svc: svc, now: time.Now(), slots: map[string]string{}, pats: map[string]string{}}
	f.seed()
	f.trail = audit.NewTrail(st, nil)
	t.Cleanup(f.trail.Close)
	var p *Provider
	f.srv = httptest.NewServer(validatingHandler(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.Wrap(http.NotFoundHandler()).ServeHTTP(w, r)
	})))
	t.Cleanup(f.srv.Close)
	f.origin = f.srv.URL
	loopback, _ := ParsePrefixes("127.0.0.1/8,::1")
	p = New(Options{Service: svc, Audit: f.trail, Origin: f.srv.URL, SoftwareVersion: "test", FromProxy: ProxyCheck(loopback),
		Directory: StaticDirectory{Practices: map[string]string{practiceODS: providerASID}, Consumers: map[string]string{consumerASID: consumerODS}}})
	f.provider = p
	return f
}

func (f *fixture) put(r fhir.Resource) {
	f.t.Helper()
	if _, err := f.svc.Update(context.Background(), r.Type(), r.ID(), r, service.Precondition{}); err != nil {
		f.t.Fatalf("seed %s/%s: %v", r.Type(), r.ID(), err)
	}
}

func ref(s string) map[string]any { return map[string]any{"reference": s} }

func coded(system, code string) map[string]any {
	return map[string]any{"coding": []any{map[string]any{"system": system, "code": code}}}
}

func (f *fixture) seed() {
	f.put(fhir.Resource{"resourceType": "Organization", "id": "org1", "name": "Riverside Surgery",
		"identifier": []any{map[string]any{"system": ODSSystem, "value": practiceODS}}})
	f.put(fhir.Resource{"resourceType": "Practitioner", "id": "gp1",
		"identifier": []any{map[string]any{"system": SDSUserSystem, "value": "G1234567"}},
		"name":       []any{map[string]any{"family": "Khan", "given": []any{"Aisha"}, "prefix": []any{"Dr"}}}})
	f.put(fhir.Resource{"resourceType": "Location", "id": "loc1", "name": "Riverside Surgery", "status": "active",
		"managingOrganization": ref("Organization/org1")})
	f.put(fhir.Resource{"resourceType": "Schedule", "id": "sch1", "active": true,
		"actor": []any{ref("Practitioner/gp1"), ref("Location/loc1")}})
	start := f.now.Add(48 * time.Hour).UTC().Truncate(time.Hour)
	slot := func(name string, offset time.Duration, exts ...any) {
		s := fhir.Resource{"resourceType": "Slot", "id": "slot-" + name, "status": "free", "schedule": ref("Schedule/sch1"),
			"start": start.Add(offset).Format(time.RFC3339), "end": start.Add(offset + 10*time.Minute).Format(time.RFC3339)}
		if len(exts) > 0 {
			s["extension"] = exts
		}
		f.put(s)
		f.slots[name] = "slot-" + name
	}
	gpc := map[string]any{"url": clinical.SlotBookableByURL, "valueCode": clinical.BookedByGPConnect}
	slot("gpc", 0, gpc)
	slot("gpc2", 10*time.Minute, gpc)
	slot("practice", 20*time.Minute)
	slot("embargoed", 30*time.Minute, gpc, map[string]any{"url": clinical.SlotReleasedURL, "valueDateTime": f.now.Add(24 * time.Hour).UTC().Format(time.RFC3339)})

	patient := func(id, nhs, status string, edit func(fhir.Resource), regType string) {
		nid := map[string]any{"system": NHSNumberSystem, "value": nhs}
		if status != "" {
			nid["extension"] = []any{map[string]any{"url": clinical.NHSVerificationURL, "valueCodeableConcept": coded(clinical.NHSVerificationSystem, status)}}
		}
		p := fhir.Resource{"resourceType": "Patient", "id": id, "active": true, "identifier": []any{nid},
			"name":   []any{map[string]any{"use": "official", "family": "Test-" + id, "given": []any{"Sam"}}},
			"gender": "female", "birthDate": "1970-01-01",
			"generalPractitioner": []any{ref("Practitioner/gp1")}, "managingOrganization": ref("Organization/org1")}
		if edit != nil {
			edit(p)
		}
		f.put(p)
		f.put(fhir.Resource{"resourceType": "EpisodeOfCare", "id": "reg-" + id, "status": "active",
			"type": []any{coded(clinical.RegistrationTypeSystem, regType)}, "patient": ref("Patient/" + id),
			"managingOrganization": ref("Organization/org1"), "period": map[string]any{"start": "2020-01-01"}})
		f.pats[nhs] = id
	}
	patient("rich", nhsRich, clinical.NHSVerified, nil, "R")
	patient("sensitive", nhsSensitive, clinical.NHSVerified, func(p fhir.Resource) {
		p["meta"] = map[string]any{"security": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R"}}}
	}, "R")
	patient("deceased", nhsDeceased, clinical.NHSVerified, func(p fhir.Resource) { p["deceasedDateTime"] = "2026-11-01" }, "R")
	patient("untraced", nhsUntraced, clinical.NHSNotTraced, nil, "R")
	patient("dissent", nhsDissent, clinical.NHSVerified, nil, "R")
	patient("temporary", nhsTemporary, clinical.NHSVerified, nil, "T")
	dissent := clinical.DissentConsent("dissent", f.now)
	dissent["id"] = "consent-dissent"
	f.put(dissent)

	subj := ref("Patient/rich")
	sct := func(code, display string) map[string]any {
		return map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": code, "display": display}}}
	}
	allergy := func(id, status, ver string, meta map[string]any) {
		a := fhir.Resource{"resourceType": "AllergyIntolerance", "id": id, "patient": subj,
			"clinicalStatus":     coded("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", status),
			"verificationStatus": coded("http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", ver),
			"code":               sct("91936005", "Allergy to penicillin"), "recordedDate": "2024-03-01", "recorder": ref("Practitioner/gp1")}
		if meta != nil {
			a["meta"] = meta
		}
		if ver == "entered-in-error" {
			delete(a, "clinicalStatus")
		}
		f.put(a)
	}
	allergy("alg-active", "active", "confirmed", nil)
	allergy("alg-ended", "resolved", "confirmed", nil)
	allergy("alg-error", "active", "entered-in-error", nil)
	allergy("alg-confidential", "active", "confirmed", map[string]any{"security": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R"}}})
	f.put(fhir.Resource{"resourceType": "MedicationRequest", "id": "med1", "status": "active", "intent": "order", "subject": subj,
		"courseOfTherapyType":       coded("http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy", "continuous"),
		"medicationCodeableConcept": map[string]any{"coding": []any{map[string]any{"system": "https://dmd.nhs.uk", "code": "39732311000001104", "display": "Amlodipine 5mg tablets"}}},
		"authoredOn":                "2026-06-01", "requester": ref("Practitioner/gp1"), "dosageInstruction": []any{map[string]any{"text": "One a day"}}})
	// A prescription prepared by a non-prescriber, not authorised: never
	// shared as medication.
	f.put(fhir.Resource{"resourceType": "MedicationRequest", "id": "med-prepared", "status": "draft", "intent": "proposal", "subject": subj,
		"medicationCodeableConcept": map[string]any{"coding": []any{map[string]any{"system": "https://dmd.nhs.uk", "code": "39732311000001104", "display": "Amlodipine 5mg tablets"}}},
		"authoredOn":                "2026-06-02", "requester": ref("Practitioner/gp1"), "dosageInstruction": []any{map[string]any{"text": "One a day"}}})
	f.put(fhir.Resource{"resourceType": "Condition", "id": "prob1", "subject": subj,
		"category":       []any{coded("http://terminology.hl7.org/CodeSystem/condition-category", "problem-list-item")},
		"clinicalStatus": coded("http://terminology.hl7.org/CodeSystem/condition-clinical", "active"),
		"code":           sct("38341003", "Hypertension"), "recordedDate": "2025-01-01", "recorder": ref("Practitioner/gp1"),
		"extension": []any{map[string]any{"url": ukProblemSignifURL, "valueCode": "major"}}})
	f.put(fhir.Resource{"resourceType": "Condition", "id": "prob2", "subject": subj,
		"category":       []any{coded("http://terminology.hl7.org/CodeSystem/condition-category", "problem-list-item")},
		"clinicalStatus": coded("http://terminology.hl7.org/CodeSystem/condition-clinical", "resolved"),
		"code":           sct("195967001", "Asthma"), "recordedDate": "2010-01-01", "abatementDateTime": "2015-01-01", "recorder": ref("Practitioner/gp1")})
	nopat := map[string]any{"security": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "NOPAT"}}}
	f.put(fhir.Resource{"resourceType": "Condition", "id": "prob-nopat", "subject": subj, "meta": nopat,
		"category":       []any{coded("http://terminology.hl7.org/CodeSystem/condition-category", "problem-list-item")},
		"clinicalStatus": coded("http://terminology.hl7.org/CodeSystem/condition-clinical", "active"),
		"code":           sct("35489007", "Depressive disorder"), "recordedDate": "2025-02-01", "recorder": ref("Practitioner/gp1")})
	f.put(fhir.Resource{"resourceType": "Immunization", "id": "imm1", "status": "completed", "patient": subj,
		"vaccineCode": sct("39114911000001105", "Influenza vaccine"), "occurrenceDateTime": "2025-10-01", "primarySource": true,
		"recorded": "2025-10-01T10:00:00Z", "performer": []any{map[string]any{"actor": ref("Practitioner/gp1")}}})
}

// claims are a valid consumer JWT's claims for scope, at f.now.
func (f *fixture) claims(scope string) map[string]any {
	iat := f.now.Unix()
	return map[string]any{
		"iss": "https://consumer.example/", "sub": "10019", "aud": f.origin + "/" + practiceODS + "/STU3/1",
		"iat": iat, "exp": iat + 300, "reason_for_request": "directcare", "requested_scope": scope,
		"requesting_device": map[string]any{"resourceType": "Device", "identifier": []any{map[string]any{"system": "https://consumer.example/device", "value": "APP-1"}},
			"model": "Consumer", "version": "1.0"},
		"requesting_organization": map[string]any{"resourceType": "Organization", "name": "NHS 111",
			"identifier": []any{map[string]any{"system": ODSSystem, "value": consumerODS}}},
		"requesting_practitioner": map[string]any{"resourceType": "Practitioner", "id": "10019",
			"identifier": []any{map[string]any{"system": SDSUserSystem, "value": "111222333444"}, map[string]any{"system": SDSRoleSystem, "value": "444555666777"}},
			"name":       []any{map[string]any{"family": "Jones", "given": []any{"Claire"}, "prefix": []any{"Dr"}}}},
	}
}

// jwt encodes claims as an unsigned JWT.
func jwt(claims map[string]any) string {
	h, _ := json.Marshal(map[string]any{"alg": "none", "typ": "JWT"})
	p, _ := json.Marshal(claims)
	return base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p) + "."
}

// req is one consumer request: its interaction, scope, and what to change.
type req struct {
	method, path, interaction, scope string
	body                             any
	header                           map[string]string // "" removes
	claims                           func(map[string]any)
}

func (f *fixture) do(r req) (int, fhir.Resource, http.Header) {
	f.t.Helper()
	var body io.Reader
	if r.body != nil {
		b, _ := json.Marshal(r.body)
		body = bytes.NewReader(b)
	}
	hr, _ := http.NewRequest(r.method, f.srv.URL+"/"+practiceODS+"/STU3/1/gpconnect"+r.path, body)
	c := f.claims(r.scope)
	if r.claims != nil {
		r.claims(c)
	}
	hr.Header.Set("Authorization", "Bearer "+jwt(c))
	hr.Header.Set("Ssp-TraceID", "09a01679-2564-0fb4-5129-aecc81ea2706")
	hr.Header.Set("Ssp-From", consumerASID)
	hr.Header.Set("Ssp-To", providerASID)
	hr.Header.Set("Ssp-InteractionID", urn+r.interaction)
	hr.Header.Set("Accept", "application/fhir+json")
	if r.body != nil {
		hr.Header.Set("Content-Type", "application/fhir+json")
	}
	for k, v := range r.header {
		if v == "" {
			hr.Header.Del(k)
		} else {
			hr.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var res fhir.Resource
	if len(b) > 0 {
		if err := json.Unmarshal(b, &res); err != nil {
			f.t.Fatalf("%s %s: %d %s", r.method, r.path, resp.StatusCode, b)
		}
	}
	return resp.StatusCode, res, resp.Header
}

// spineCode is an OperationOutcome's Spine error code.
func spineCode(oo fhir.Resource) string {
	for _, i := range list(oo["issue"]) {
		for _, c := range list(obj(obj(i)["details"])["coding"]) {
			return str(obj(c)["code"])
		}
	}
	return ""
}

func entriesOf(b fhir.Resource, typ string) []fhir.Resource {
	var out []fhir.Resource
	for _, e := range list(b["entry"]) {
		r := fhir.Resource(obj(obj(e)["resource"]))
		if typ == "" || r.Type() == typ {
			out = append(out, r)
		}
	}
	return out
}

// Common requests.
var (
	readRich    = req{method: "GET", path: "/fhir/Patient/rich", interaction: "fhir:rest:read:patient-1", scope: "patient/*.read"}
	getMetadata = req{method: "GET", path: "/fhir/metadata", interaction: "fhir:rest:read:metadata-1", scope: "organization/*.read"}
)

// doPath is do with a whole path (another practice's base).
func (f *fixture) doPath(r req, path string) (int, fhir.Resource) {
	f.t.Helper()
	return f.doURL(r, f.srv.URL+path)
}

func (f *fixture) doURL(r req, u string) (int, fhir.Resource) {
	f.t.Helper()
	hr, _ := http.NewRequest(r.method, u, nil)
	c := f.claims(r.scope)
	hr.Header.Set("Authorization", "Bearer "+jwt(c))
	hr.Header.Set("Ssp-TraceID", "t")
	hr.Header.Set("Ssp-From", consumerASID)
	hr.Header.Set("Ssp-To", providerASID)
	hr.Header.Set("Ssp-InteractionID", urn+r.interaction)
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	var res fhir.Resource
	_ = json.NewDecoder(resp.Body).Decode(&res)
	return resp.StatusCode, res
}

// forEachStore runs a test on SQLite and, when GPCLOUD_TEST_POSTGRES is
// set, on PostgreSQL.
func forEachStore(t *testing.T, test func(*testing.T, func(testing.TB) store.Store)) {
	for _, o := range storetest.Openers() {
		t.Run(o.Name, func(t *testing.T) { test(t, o.Open) })
	}
}

// seedStoppedRepeat records a repeat (rep1) as the workspace does:
// prescribed by PractitionerRole role-gp1, issued twice 28 days apart
// from 60 days ago, then stopped with reason. It returns the prescriber
// and the prescription, for the entries a test adds around it, and when
// it was first issued.
func (f *fixture) seedStoppedRepeat(t *testing.T, name, unit, reason string) (clinical.Prescriber, clinical.Prescription, time.Time) {
	t.Helper()
	f.put(fhir.Resource{"resourceType": "PractitionerRole", "id": "role-gp1", "active": true,
		"practitioner": ref("Practitioner/gp1"), "organization": ref("Organization/org1")})
	gp := clinical.Prescriber{Ref: clinical.Ref{Reference: "PractitionerRole/role-gp1", Display: "Dr Gp"}}
	rx := clinical.Prescription{Medicine: clinical.Medicine{Code: "319283006", Name: name, Unit: unit},
		Dose: "one daily", Quantity: "28", Days: "28", Course: "repeat", Issues: "6"}
	first := f.now.AddDate(0, 0, -60)
	auth := asJSON(t, rx.Authorisation("rich", gp.Ref, 0, nil, first))
	auth["id"] = "rep1"
	f.put(auth)
	for i, when := range []time.Time{first, first.AddDate(0, 0, 28)} {
		issue := asJSON(t, clinical.IssueBy(auth, "MedicationRequest/rep1", gp, when))
		issue["id"] = []string{"rep1-issue1", "rep1-issue2"}[i]
		f.put(issue)
		auth = asJSON(t, clinical.Issued(auth, when))
		f.put(auth)
	}
	f.put(asJSON(t, clinical.StopMedication(auth, reason)))
	return gp, rx, first
}
