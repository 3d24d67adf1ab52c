package httpapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/audit"
	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/auth/tokens"
	"github.com/gpcloud/gpcloud/internal/httpapi"
	"github.com/gpcloud/gpcloud/internal/store/sqlite"
)

func TestAuditTrailAndBreakGlass(t *testing.T) {
	w := newWorld(t, apiStores()[0].open(t))
	gp := w.token(t, &auth.Principal{Subject: "u-gp", Role: auth.RoleGP, Practice: "org-a", FHIRUser: "Practitioner/dr"}, auth.RoleScopes[auth.RoleGP])
	pat := w.token(t, &auth.Principal{Subject: "u-pat", Role: auth.RolePatient, Patients: []string{"pa1"}}, auth.RoleScopes[auth.RolePatient])
	adminB := w.token(t, &auth.Principal{Subject: "u-admin-b", Role: auth.RolePracticeAdmin, Practice: "org-b"}, auth.RoleScopes[auth.RolePracticeAdmin])
	recep := w.token(t, &auth.Principal{Subject: "u-recep", Role: auth.RoleReceptionist, Practice: "org-a"}, auth.RoleScopes[auth.RoleReceptionist])

	w.ts.do("GET", "/fhir/Patient/pa1", nil, "Authorization", gp).expect(t, 200)
	w.ts.do("GET", "/fhir/Observation?subject=Patient/pa1,Patient/pa2", nil, "Authorization", gp).expect(t, 200)
	// Another practice's patient: invisible, unless the glass is broken.
	w.ts.do("GET", "/fhir/Patient/pb1", nil, "Authorization", gp).expect(t, 404)
	w.ts.do("GET", "/fhir/Patient/pb1", nil, "Authorization", gp, httpapi.BreakGlassHeader, "unconscious in A&E").expect(t, 200)
	w.ts.do("GET", "/fhir/Patient/pb1", nil, "Authorization", recep, httpapi.BreakGlassHeader, "curious").expect(t, 403)
	w.trail.Flush()

	// The patient sees who accessed their record, and nothing of others.
	r := w.ts.do("GET", "/fhir/AuditEvent?patient=Patient/pa1&_count=100", nil, "Authorization", pat).expect(t, 200)
	var sawGP bool
	for _, e := range entries(r) {
		raw, _ := json.Marshal(e)
		if strings.Contains(string(raw), "Patient/pa2") || strings.Contains(string(raw), "Patient/pb1") {
			t.Errorf("the patient's audit view mentions another patient: %s", raw)
		}
		if strings.Contains(string(raw), `"Practitioner/dr"`) {
			sawGP = true
		}
	}
	if !sawGP {
		t.Fatalf("the patient cannot see the GP's access: %s", r.raw)
	}
	// They cannot see another patient's trail.
	r = w.ts.do("GET", "/fhir/AuditEvent?patient=Patient/pa2", nil, "Authorization", pat).expect(t, 200)
	if n := len(entries(r)); n != 0 {
		t.Errorf("patient saw %d audit events of another patient", n)
	}
	// The practice admin of the patient's practice finds the break-glass access.
	r = w.ts.do("GET", "/fhir/AuditEvent?subtype=https://gpcloud.dev/fhir/CodeSystem/audit-flag|break-glass", nil, "Authorization", adminB).expect(t, 200)
	es := entries(r)
	if len(es) != 1 || !strings.Contains(string(r.raw), "unconscious in A&E") || !strings.Contains(string(r.raw), `"ETREAT"`) {
		t.Fatalf("break-glass events for the admin of practice B: %s", r.raw)
	}
	// Audit records cannot be changed or deleted through the API.
	id, _ := es[0]["id"].(string)
	w.ts.do("DELETE", "/fhir/AuditEvent/"+id, nil, "Authorization", gp).expect(t, 405)
	w.ts.do("PUT", "/fhir/AuditEvent/"+id, es[0], "Authorization", gp).expect(t, 405)
	sys := w.token(t, &auth.Principal{Subject: "c", ClientID: "c", Role: auth.RoleSystem}, "system/*.cruds")
	w.ts.do("DELETE", "/fhir/AuditEvent/"+id, nil, "Authorization", sys).expect(t, 405)

	// Refusals are audited too.
	w.ts.do("GET", "/fhir/Patient/pa1", nil).expect(t, 401)
	w.trail.Flush()
	r = w.ts.do("GET", "/fhir/AuditEvent?outcome=4&_count=100", nil, "Authorization", sys).expect(t, 200)
	if !strings.Contains(string(r.raw), "no access token") {
		t.Errorf("the refused request is not in the trail: %s", r.raw)
	}
	rep, err := audit.Verify(context.Background(), w.ts.store, nil)
	if err != nil || len(rep.Problems) > 0 || rep.Events < 8 {
		t.Fatalf("chain: %+v %v", rep, err)
	}
}

// TestForgedTokensRefused: the resource server answers 401 to tokens
// that are not its own, whatever they claim.
func TestForgedTokensRefused(t *testing.T) {
	w := newWorld(t, apiStores()[0].open(t))
	p := &auth.Principal{Subject: "c", ClientID: "c", Role: auth.RoleSystem, Scopes: auth.ScopesOf(auth.RoleSystem)}

	// Another gpcloud instance's token: right shape, wrong issuer and audience, unknown key.
	other, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	foreign, err := tokens.ForStore(context.Background(), other)
	if err != nil {
		t.Fatal(err)
	}
	foreignTok, _, err := foreign.Issue(context.Background(), p, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	good, _, err := w.authority.Issue(context.Background(), p, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")
	hdr, _ := json.Marshal(map[string]any{"alg": "none", "typ": "JWT"})
	algNone := base64.RawURLEncoding.EncodeToString(hdr) + "." + parts[1] + "."
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	_ = json.Unmarshal(payload, &claims)
	claims["exp"] = time.Now().Add(-time.Hour).Unix()
	stale, _ := json.Marshal(claims)
	resigned := parts[0] + "." + base64.RawURLEncoding.EncodeToString(stale) + "." + parts[2]

	for name, tok := range map[string]string{
		"another instance's": foreignTok, "alg none": algNone, "expiry edited": resigned, "garbage": "x.y.z",
	} {
		r := w.ts.do("GET", "/fhir/Patient/pa1", nil, "Authorization", "Bearer "+tok)
		if r.status != 401 || !strings.Contains(r.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Errorf("%s token: %d %q", name, r.status, r.header.Get("WWW-Authenticate"))
		}
	}
	w.ts.do("GET", "/fhir/Patient/pa1", nil, "Authorization", "Bearer "+good).expect(t, 200)
}

// TestSignInEventsStayWithOperators: audit events about no patient (a
// token grant, a sign-in) are not shown to another practice's staff.
func TestSignInEventsStayWithOperators(t *testing.T) {
	w := newWorld(t, apiStores()[0].open(t))
	adminB := w.token(t, &auth.Principal{Subject: "u-admin-b", Role: auth.RolePracticeAdmin, Practice: "org-b"}, auth.RoleScopes[auth.RolePracticeAdmin])
	w.ts.do("GET", "/fhir/Patient/pa1", nil).expect(t, 401) // an unauthenticated refusal: no patient
	w.trail.Flush()
	r := w.ts.do("GET", "/fhir/AuditEvent?outcome=4&_count=100", nil, "Authorization", adminB).expect(t, 200)
	if n := len(entries(r)); n != 0 {
		t.Fatalf("a practice admin sees %d audit events about no patient: %s", n, r.raw)
	}
}
