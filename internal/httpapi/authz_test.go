package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/audit"
	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/auth/tokens"
	"github.com/gpcloud/gpcloud/internal/bulk"
	"github.com/gpcloud/gpcloud/internal/httpapi"
	"github.com/gpcloud/gpcloud/internal/onlinetest"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/sqlite"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// The authorization matrix: each role × each interaction × a patient of
// their own (or the one they act for), another patient of the practice,
// and a patient of another practice. The expected answer comes from a
// model written here, independent of the server's code: who reaches
// which patient, and which roles may touch clinical records.

// world is the seeded data: two practices, three patients, one
// Observation each (plus one to delete), and reference data.
type world struct {
	ts        *testServer
	authority *tokens.Authority
	trail     *audit.Trail
	obs       map[string]string // patient id -> Observation id
	doomed    map[string]string // patient id -> Observation id to delete
}

var patients = []string{"pa1", "pa2", "pb1"}

func practiceOf(p string) string { return "org-" + p[1:2] } // pa1 -> org-a

func newWorld(t *testing.T, st store.Store) *world {
	t.Helper()
	authority, err := tokens.ForStore(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	trail := audit.NewTrail(st, nil)
	jobs, err := bulk.OpenJobs(t.TempDir(), st, bulk.DefaultExpiry, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(jobs.Close)
	ts := newTestServerOn(t, st, httpapi.Options{Tokens: authority, Audit: trail, Exports: jobs})
	w := &world{ts: ts, authority: authority, trail: trail, obs: map[string]string{}, doomed: map[string]string{}}
	t.Cleanup(trail.Close)
	admin := w.token(t, &auth.Principal{Subject: "seed", Role: auth.RoleSystem, ClientID: "seed"}, "system/*.cruds")
	for _, org := range []string{"org-a", "org-b"} {
		ts.do("PUT", "/fhir/Organization/"+org, map[string]any{"resourceType": "Organization", "id": org, "name": org}, "Authorization", admin).expect(t, 201)
	}
	ts.do("PUT", "/fhir/Practitioner/dr", map[string]any{"resourceType": "Practitioner", "id": "dr"}, "Authorization", admin).expect(t, 201)
	for _, p := range patients {
		ts.do("PUT", "/fhir/Patient/"+p, map[string]any{"resourceType": "Patient", "id": p,
			"name":                 []any{map[string]any{"family": "Name" + p}},
			"managingOrganization": map[string]any{"reference": "Organization/" + practiceOf(p)}}, "Authorization", admin).expect(t, 201)
		for _, m := range []map[string]string{w.obs, w.doomed} {
			r := ts.do("POST", "/fhir/Observation", observationFor(p), "Authorization", admin).expect(t, 201)
			m[p] = r.str("id")
		}
	}
	// The patient's and the proxy's records are open to them online
	// (service/patient_access.go); what else keeps entries from them is
	// what these tests are about.
	svc := service.New(st, service.Options{})
	for patient, subject := range map[string]string{"pa1": "u-pat", "pa2": "u-proxy"} {
		if err := onlinetest.Open(context.Background(), svc, st, patient, subject); err != nil {
			t.Fatal(err)
		}
	}
	// For the search steps: each patient has a "secret" Observation only
	// those reaching them may learn of, and a "probe" Observation whose
	// focus is every patient (so a chain from one's own records reaches
	// everyone's).
	var everyone []any
	for _, p := range patients {
		everyone = append(everyone, map[string]any{"reference": "Patient/" + p})
	}
	for _, p := range patients {
		secret := observationFor(p)
		secret["code"] = map[string]any{"coding": []any{map[string]any{"system": "http://example.org/secret", "code": "secret-" + p}}}
		secret["valueQuantity"] = map[string]any{"value": 5, "system": "http://unitsofmeasure.org", "code": "mg"}
		secret["focus"] = everyone
		ts.do("POST", "/fhir/Observation", secret, "Authorization", admin).expect(t, 201)
		probe := observationFor(p)
		probe["code"] = map[string]any{"coding": []any{map[string]any{"system": "http://example.org/secret", "code": "probe"}}}
		probe["focus"] = everyone
		ts.do("POST", "/fhir/Observation", probe, "Authorization", admin).expect(t, 201)
	}
	return w
}

func observationFor(p string) map[string]any {
	return map[string]any{"resourceType": "Observation", "status": "final",
		"code":    map[string]any{"coding": []any{map[string]any{"system": "http://loinc.org", "code": "8867-4"}}},
		"subject": map[string]any{"reference": "Patient/" + p}}
}

func (w *world) token(t *testing.T, p *auth.Principal, scopes string) string {
	t.Helper()
	s, err := auth.ParseScopes(scopes)
	if err != nil {
		t.Fatal(err)
	}
	p.Scopes = s
	tok, _, err := w.authority.Issue(context.Background(), p, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return "Bearer " + tok
}

// actor is a caller and the model of what they may do.
type actor struct {
	name      string
	principal auth.Principal
	reaches   map[string]bool // patients whose records they reach
	clinical  bool            // may read Observations
	writes    bool            // may write Observations
}

func actors() []actor {
	staff := func(role auth.Role, clinical, writes bool) actor {
		return actor{name: string(role), principal: auth.Principal{Subject: "u-" + string(role), Role: role, Practice: "org-a"},
			reaches: map[string]bool{"pa1": true, "pa2": true}, clinical: clinical, writes: writes}
	}
	return []actor{
		staff(auth.RoleGP, true, true),
		staff(auth.RoleNurse, true, true),
		staff(auth.RoleReceptionist, false, false),
		staff(auth.RolePracticeAdmin, true, false),
		{name: "patient", principal: auth.Principal{Subject: "u-pat", Role: auth.RolePatient, Patients: []string{"pa1"}, FHIRUser: "Patient/pa1"},
			reaches: map[string]bool{"pa1": true}, clinical: true},
		{name: "proxy", principal: auth.Principal{Subject: "u-proxy", Role: auth.RoleProxy, Patients: []string{"pa2"}},
			reaches: map[string]bool{"pa2": true}, clinical: true},
		{name: "system", principal: auth.Principal{Subject: "c-sys", ClientID: "c-sys", Role: auth.RoleSystem},
			reaches: map[string]bool{"pa1": true, "pa2": true, "pb1": true}, clinical: true, writes: true},
	}
}

// ids returns the ids of a searchset's entries of one type and mode.
func ids(r response, typ, mode string) []string {
	var out []string
	entries, _ := r.body["entry"].([]any)
	for _, e := range entries {
		m, _ := e.(map[string]any)
		res, _ := m["resource"].(map[string]any)
		s, _ := m["search"].(map[string]any)
		if res["resourceType"] == typ && (mode == "" || s["mode"] == mode) {
			out = append(out, res["id"].(string))
		}
	}
	sort.Strings(out)
	return out
}

func TestAuthorizationMatrix(t *testing.T) {
	for _, so := range apiStores() {
		t.Run(so.name, func(t *testing.T) {
			w := newWorld(t, so.open(t))
			for _, a := range actors() {
				t.Run(a.name, func(t *testing.T) { w.checkActor(t, a) })
				t.Run(a.name+"/steps", func(t *testing.T) { w.checkSteps(t, a) })
			}
			t.Run("patient-scope-only", w.checkScopesOfSteps)
		})
	}
}

func (w *world) checkActor(t *testing.T, a actor) {
	p := a.principal
	tok := w.token(t, &p, auth.RoleScopes[a.principal.Role])
	do := func(method, path string, body any) response {
		return w.ts.do(method, path, body, "Authorization", tok)
	}
	want := func(what string, got response, status int) {
		t.Helper()
		if got.status != status {
			t.Errorf("%s: status %d, want %d: %s", what, got.status, status, got.raw)
		}
	}
	clinicalStatus := func(reached bool) int {
		switch {
		case !a.clinical:
			return http.StatusForbidden
		case reached:
			return http.StatusOK
		}
		return http.StatusNotFound
	}
	var reachable []string
	for _, pid := range patients {
		if a.reaches[pid] {
			reachable = append(reachable, w.obs[pid])
		}
	}
	sort.Strings(reachable)

	for _, pid := range patients {
		reached := a.reaches[pid]
		obs := w.obs[pid]
		t.Run(pid, func(t *testing.T) {
			patientStatus := http.StatusNotFound
			if reached {
				patientStatus = http.StatusOK
			}
			want("read Patient", do("GET", "/fhir/Patient/"+pid, nil), patientStatus)
			want("read Observation", do("GET", "/fhir/Observation/"+obs, nil), clinicalStatus(reached))
			want("vread Observation", do("GET", "/fhir/Observation/"+obs+"/_history/1", nil), clinicalStatus(reached))
			want("instance history", do("GET", "/fhir/Observation/"+obs+"/_history", nil), clinicalStatus(reached))

			r := do("GET", "/fhir/Observation?subject=Patient/"+pid, nil)
			if a.clinical {
				want("search by subject", r, 200)
				n := len(ids(r, "Observation", "match"))
				// A patient's or proxy's searchset has no total: it would
				// count entries withheld from them (service/withheld.go).
				wantTotal := fmt.Sprint(n)
				if patientFacing(a) {
					wantTotal = "<nil>"
				}
				if (n > 0) != reached || fmt.Sprint(r.body["total"]) != wantTotal {
					t.Errorf("search by subject: %d matches, total %v; reached %v", n, r.body["total"], reached)
				}
			} else {
				want("search by subject", r, 403)
			}
			r = do("GET", "/fhir/Patient/"+pid+"/Observation", nil)
			if a.clinical && len(ids(r, "Observation", "")) > 0 != reached {
				t.Errorf("compartment search: %s", r.raw)
			}
			r = do("GET", "/fhir/Patient/"+pid+"/$everything", nil)
			if !reached {
				want("$everything", r, 404)
			} else {
				want("$everything", r, 200)
				// The patient, and patients their records refer to (the
				// probe's focus) that the caller reaches.
				got := ids(r, "Patient", "")
				if !contains(got, pid) {
					t.Errorf("$everything patients = %v", got)
				}
				for _, other := range got {
					if !a.reaches[other] {
						t.Errorf("$everything of %s returned Patient/%s", pid, other)
					}
				}
				if a.clinical && !contains(ids(r, "Observation", ""), obs) {
					t.Errorf("$everything lacks Observation/%s", obs)
				}
				for _, e := range entries(r) {
					if e["resourceType"] == "AuditEvent" {
						t.Errorf("$everything returned an AuditEvent")
					}
					if sub := subjectOf(e); sub != "" && sub != pid {
						t.Errorf("$everything of %s returned a record of %s", pid, sub)
					}
				}
			}
			// A transaction's GET entries are judged one by one.
			bundle := map[string]any{"resourceType": "Bundle", "type": "batch", "entry": []any{
				map[string]any{"request": map[string]any{"method": "GET", "url": "Patient/" + pid}}}}
			r = do("POST", "/fhir", bundle)
			want("batch", r, 200)
			if got := entryStatus(r, 0); got != fmt.Sprint(patientStatus) {
				t.Errorf("batch GET entry: %s, want %d", got, patientStatus)
			}

			// Writes.
			writeStatus := func(ok int) int {
				switch {
				case !a.writes:
					return http.StatusForbidden
				case !reached:
					return http.StatusNotFound
				}
				return ok
			}
			created := writeStatus(201)
			if a.writes && !reached {
				created = http.StatusForbidden // the new record would be outside their reach
			}
			want("create Observation", do("POST", "/fhir/Observation", observationFor(pid)), created)
			update := observationFor(pid)
			update["id"] = obs
			want("update Observation", do("PUT", "/fhir/Observation/"+obs, update), writeStatus(200))
			// Moving another practice's record into one's own reach is no way in either.
			if a.writes && !reached {
				moved := observationFor("pa1")
				moved["id"] = obs
				want("update moving a record", do("PUT", "/fhir/Observation/"+obs, moved), 404)
			}
			want("delete Observation", do("DELETE", "/fhir/Observation/"+w.doomed[pid], nil), writeStatus(204))
		})
	}

	// Searches across patients return exactly what the model allows.
	if a.clinical {
		r := do("GET", "/fhir/Observation?code=http://loinc.org|8867-4&_count=100", nil)
		want("search all", r, 200)
		found := ids(r, "Observation", "match")
		for _, o := range reachable {
			if !contains(found, o) {
				t.Errorf("search all: reachable Observation/%s not found", o)
			}
		}
		for _, e := range entries(r) {
			if pid := subjectOf(e); pid != "" && !a.reaches[pid] {
				t.Errorf("search all leaked a record of %s", pid)
			}
		}
		r = do("GET", "/fhir/Observation?_include=Observation:subject&_count=100", nil)
		for _, pid := range ids(r, "Patient", "include") {
			if !a.reaches[pid] {
				t.Errorf("_include leaked Patient/%s", pid)
			}
		}
		r = do("GET", "/fhir/Patient?_revinclude=Observation:subject", nil)
		for _, pid := range ids(r, "Patient", "match") {
			if !a.reaches[pid] {
				t.Errorf("patient search leaked Patient/%s", pid)
			}
		}
		for _, e := range entries(r) {
			if pid := subjectOf(e); e["resourceType"] == "Observation" && !a.reaches[pid] {
				t.Errorf("_revinclude leaked a record of %s", pid)
			}
		}
		r = do("GET", "/fhir/Observation/_history", nil)
		want("type history", r, 200)
		// Only an unrestricted caller gets a total: it would count records
		// a restricted one cannot see.
		if _, ok := r.body["total"]; ok != (a.principal.Role == auth.RoleSystem) {
			t.Errorf("type history total present %v for %s", ok, a.name)
		}
		for _, e := range entries(r) {
			if pid := subjectOf(e); pid != "" && !a.reaches[pid] {
				t.Errorf("type history leaked a record of %s", pid)
			}
		}
	}
	// Bulk export is for system clients.
	r := w.ts.do("GET", "/fhir/$export", nil, "Authorization", tok, "Prefer", "respond-async")
	if a.principal.Role == auth.RoleSystem {
		want("$export", r, 202)
	} else {
		want("$export", r, 403)
	}
	// AuditEvents cannot be written through the API by anyone.
	want("create AuditEvent", do("POST", "/fhir/AuditEvent", map[string]any{"resourceType": "AuditEvent"}), 405)
}

// apiStores opens SQLite and, when GPCLOUD_TEST_POSTGRES is set,
// PostgreSQL.
func apiStores() []struct {
	name string
	open func(t testing.TB) store.Store
} {
	out := []struct {
		name string
		open func(t testing.TB) store.Store
	}{{"sqlite", func(t testing.TB) store.Store {
		st, err := sqlite.Open(context.Background(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return st
	}}}
	if os.Getenv("GPCLOUD_TEST_POSTGRES") != "" {
		out = append(out, struct {
			name string
			open func(t testing.TB) store.Store
		}{"postgres", func(t testing.TB) store.Store { return storetest.OpenPostgres(t) }})
	}
	return out
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func entries(r response) []map[string]any {
	var out []map[string]any
	es, _ := r.body["entry"].([]any)
	for _, e := range es {
		m, _ := e.(map[string]any)
		if res, ok := m["resource"].(map[string]any); ok {
			out = append(out, res)
		}
	}
	return out
}

func subjectOf(res map[string]any) string {
	s, _ := res["subject"].(map[string]any)
	ref, _ := s["reference"].(string)
	return strings.TrimPrefix(ref, "Patient/")
}

func entryStatus(r response, i int) string {
	es, _ := r.body["entry"].([]any)
	if i >= len(es) {
		return ""
	}
	m, _ := es[i].(map[string]any)
	resp, _ := m["response"].(map[string]any)
	s, _ := resp["status"].(string)
	code, _, _ := strings.Cut(s, " ")
	return code
}

// TestConditionalsStayInReach: a condition does not find (so neither
// reveals nor overwrites) a record outside the caller's reach.
func TestConditionalsStayInReach(t *testing.T) {
	w := newWorld(t, apiStores()[0].open(t))
	gp := w.token(t, &auth.Principal{Subject: "u-gp", Role: auth.RoleGP, Practice: "org-a"}, auth.RoleScopes[auth.RoleGP])
	sys := w.token(t, &auth.Principal{Subject: "c", ClientID: "c", Role: auth.RoleSystem}, "system/*.cruds")
	before := w.ts.do("GET", "/fhir/Patient/pb1", nil, "Authorization", sys).expect(t, 200)
	body := map[string]any{"resourceType": "Patient", "managingOrganization": map[string]any{"reference": "Organization/org-a"}}
	r := w.ts.do("PUT", "/fhir/Patient?_id=pb1", body, "Authorization", gp)
	if r.status != 201 || strings.Contains(r.header.Get("Location"), "/pb1/") {
		t.Fatalf("conditional update matched another practice's patient: %d %s", r.status, r.header.Get("Location"))
	}
	after := w.ts.do("GET", "/fhir/Patient/pb1", nil, "Authorization", sys).expect(t, 200)
	if after.str("meta", "versionId") != before.str("meta", "versionId") {
		t.Fatal("another practice's patient was changed")
	}
	// A conditional delete finds nothing to delete.
	w.ts.do("DELETE", "/fhir/Patient?_id=pb1", nil, "Authorization", gp)
	w.ts.do("GET", "/fhir/Patient/pb1", nil, "Authorization", sys).expect(t, 200)
}

// TestStoredPagesStayInReach: the next link of one caller's search does
// not show its records to another caller.
func TestStoredPagesStayInReach(t *testing.T) {
	w := newWorld(t, apiStores()[0].open(t))
	sys := w.token(t, &auth.Principal{Subject: "c", ClientID: "c", Role: auth.RoleSystem}, "system/*.cruds")
	pat := w.token(t, &auth.Principal{Subject: "u-pat", Role: auth.RolePatient, Patients: []string{"pa1"}}, auth.RoleScopes[auth.RolePatient])
	r := w.ts.do("GET", "/fhir/Observation?_count=1", nil, "Authorization", sys).expect(t, 200)
	var next string
	links, _ := r.body["link"].([]any)
	for _, l := range links {
		m := l.(map[string]any)
		if m["relation"] == "next" {
			next = m["url"].(string)
		}
	}
	if next == "" {
		t.Fatalf("no next link: %s", r.raw)
	}
	// The list was stored under the system client's access: for the
	// patient it does not exist.
	w.ts.do("GET", next, nil, "Authorization", pat).expect(t, 410)
	// The same caller pages through their own list.
	r = w.ts.do("GET", "/fhir/Observation?_count=1", nil, "Authorization", pat).expect(t, 200)
	next = ""
	for _, l := range r.body["link"].([]any) {
		if m := l.(map[string]any); m["relation"] == "next" {
			next = m["url"].(string)
		}
	}
	if next == "" {
		t.Fatalf("the patient's search has no next page: %s", r.raw)
	}
	r = w.ts.do("GET", next, nil, "Authorization", pat).expect(t, 200)
	for _, e := range entries(r) {
		if sub := subjectOf(e); sub != "pa1" {
			t.Errorf("the patient's second page holds a record of %s", sub)
		}
	}
}

// checkSteps: every step of a search (chain, _has, _include:iterate,
// _revinclude, composite, _type) sees only what a direct search of its
// type would show the caller.
func (w *world) checkSteps(t *testing.T, a actor) {
	p := a.principal
	tok := w.token(t, &p, auth.RoleScopes[a.principal.Role])
	do := func(path string) response { return w.ts.do("GET", path, nil, "Authorization", tok) }
	matched := func(what string, r response, typ string, want bool) {
		t.Helper()
		if r.status != 200 {
			t.Errorf("%s: status %d: %s", what, r.status, r.raw)
			return
		}
		if got := len(ids(r, typ, "match")) > 0; got != want {
			t.Errorf("%s: matched %v, want %v: %s", what, got, want, r.raw)
		}
	}
	for _, target := range patients {
		reached := a.reaches[target]
		// A chain from one's own probe Observation to the target's name.
		r := do("/fhir/Observation?code=probe&focus:Patient.name=Name" + target)
		if patientFacing(a) {
			// Refused to patients and proxies: a chain's last string
			// parameter may be free text of their record (redacted.go),
			// and _has matches through entries withheld from them
			// (withheld.go).
			if r.status != 403 {
				t.Errorf("chain by a string for a %s: %d, want 403", p.Role, r.status)
			}
			for _, q := range []string{"/fhir/Patient?_has:Observation:subject:code=secret-", "/fhir/Patient?_has:Observation:focus:code=secret-"} {
				if r := do(q + target); r.status != 403 {
					t.Errorf("_has for a %s: %d, want 403", p.Role, r.status)
				}
			}
		} else if a.clinical {
			matched("chain focus:Patient.name="+target, r, "Observation", reached)
		} else if r.status != 403 {
			t.Errorf("chain without an Observation scope: %d", r.status)
		}
		// A reverse chain testing the target's clinical record.
		r = do("/fhir/Patient?_has:Observation:subject:code=secret-" + target)
		if a.clinical && !patientFacing(a) { // a patient's: refused, above
			matched("_has secret-"+target, r, "Patient", reached)
		} else if !a.clinical && r.status != 403 {
			t.Errorf("_has without an Observation scope: %d, want 403", r.status)
		}
		// _has from the caller's own record, through the probe's focus.
		r = do("/fhir/Patient?_has:Observation:focus:code=secret-" + target)
		if a.clinical && !patientFacing(a) {
			matched("_has through focus secret-"+target, r, "Patient", reached)
		}
		if !a.clinical {
			continue
		}
		// Composite and _type searches keep their own type's reach.
		r = do("/fhir/Observation?code-value-quantity=http://example.org/secret|secret-" + target + "$5")
		matched("composite secret-"+target, r, "Observation", reached)
		r = do("/fhir?_type=Observation,Condition&code=secret-" + target)
		if r.status == 200 {
			matched("_type secret-"+target, r, "Observation", reached)
		} else if r.status != 403 {
			t.Errorf("_type search: %d", r.status)
		}
	}
	if !a.clinical {
		return
	}
	// _include:iterate goes on only from what the caller may see: the
	// organisations of unreached patients stay unnamed.
	r := do("/fhir/Observation?code=probe&_include=Observation:focus&_include:iterate=Patient:organization&_count=100")
	for _, org := range ids(r, "Organization", "include") {
		ok := false
		for _, pid := range patients {
			ok = ok || a.reaches[pid] && practiceOf(pid) == org
		}
		if !ok {
			t.Errorf("_include:iterate reached Organization/%s through a patient out of reach", org)
		}
	}
	for _, pid := range ids(r, "Patient", "include") {
		if !a.reaches[pid] {
			t.Errorf("_include leaked Patient/%s", pid)
		}
	}
	// _revinclude from patients reached to the secrets of them alone.
	r = do("/fhir/Patient?_revinclude=Observation:focus&_count=100")
	for _, e := range entries(r) {
		if pid := subjectOf(e); e["resourceType"] == "Observation" && !a.reaches[pid] {
			t.Errorf("_revinclude:focus leaked a record of %s", pid)
		}
	}
}

// checkScopesOfSteps: a client whose scopes allow only Patient cannot
// search through Observations (_has) or Organizations (a chain).
func (w *world) checkScopesOfSteps(t *testing.T) {
	tok := w.token(t, &auth.Principal{Subject: "c-pat", ClientID: "c-pat", Role: auth.RoleSystem}, "system/Patient.rs")
	for _, path := range []string{
		"/fhir/Patient?_has:Observation:subject:code=secret-pa1",
		"/fhir/Patient?organization.name=org-b",
		"/fhir/Patient?organization:Organization.name=org-b",
		"/fhir/Patient?_has:Observation:subject:_has:Observation:focus:code=probe",
	} {
		if r := w.ts.do("GET", path, nil, "Authorization", tok); r.status != 403 {
			t.Errorf("%s: status %d, want 403: %s", path, r.status, r.raw)
		}
	}
	// The same client may search Patients directly.
	w.ts.do("GET", "/fhir/Patient?name=Namepa1", nil, "Authorization", tok).expect(t, 200)
}

// TestConditionalReferencesRevealNothing: a conditional reference to a
// patient out of reach answers as one to nobody (no existence oracle
// across practices); outside a transaction it is resolved, not stored
// verbatim; a conditional delete checks the scopes before matching.
func TestConditionalReferencesRevealNothing(t *testing.T) {
	for _, so := range apiStores() {
		t.Run(so.name, func(t *testing.T) {
			w := newWorld(t, so.open(t))
			sys := w.token(t, &auth.Principal{Subject: "c", ClientID: "c", Role: auth.RoleSystem}, "system/*.cruds")
			gp := w.token(t, &auth.Principal{Subject: "u-gp", Role: auth.RoleGP, Practice: "org-a"}, auth.RoleScopes[auth.RoleGP])
			const nhs = "https://fhir.nhs.uk/Id/nhs-number"
			for pid, number := range map[string]string{"pa1": "9000000009", "pb1": "9000000017"} {
				r := w.ts.do("GET", "/fhir/Patient/"+pid, nil, "Authorization", sys).expect(t, 200)
				r.body["identifier"] = []any{map[string]any{"system": nhs, "value": number}}
				w.ts.do("PUT", "/fhir/Patient/"+pid, r.body, "Authorization", sys).expect(t, 200)
			}
			obsAbout := func(number string) map[string]any {
				o := observationFor("pa1")
				o["subject"] = map[string]any{"reference": "Patient?identifier=" + nhs + "|" + number}
				return o
			}
			txOf := func(number string) map[string]any {
				return map[string]any{"resourceType": "Bundle", "type": "transaction", "entry": []any{map[string]any{
					"fullUrl": "urn:uuid:4f6a30fb-cd3c-4ab6-8757-532101f72065", "resource": obsAbout(number),
					"request": map[string]any{"method": "POST", "url": "Observation"}}}}
			}
			// In a transaction: another practice's patient and nobody answer alike.
			elsewhere := w.ts.do("POST", "/fhir", txOf("9000000017"), "Authorization", gp)
			nobody := w.ts.do("POST", "/fhir", txOf("9000000025"), "Authorization", gp)
			if elsewhere.status != nobody.status || elsewhere.status != 412 {
				t.Errorf("transaction: another practice's patient %d, nobody %d; want both 412", elsewhere.status, nobody.status)
			}
			w.ts.do("POST", "/fhir", txOf("9000000009"), "Authorization", gp).expect(t, 200)
			// Outside a transaction: resolved to the patient, or refused alike.
			r := w.ts.do("POST", "/fhir/Observation", obsAbout("9000000009"), "Authorization", gp).expect(t, 201)
			if got := r.str("subject", "reference"); got != "Patient/pa1" {
				t.Errorf("a conditional reference was stored as %q, want Patient/pa1", got)
			}
			elsewhere = w.ts.do("POST", "/fhir/Observation", obsAbout("9000000017"), "Authorization", gp)
			nobody = w.ts.do("POST", "/fhir/Observation", obsAbout("9000000025"), "Authorization", gp)
			if elsewhere.status != nobody.status || elsewhere.status != 412 {
				t.Errorf("create: another practice's patient %d, nobody %d; want both 412", elsewhere.status, nobody.status)
			}
			// Nothing of another practice became readable by the GP.
			r = w.ts.do("GET", "/fhir/Observation?_count=1000", nil, "Authorization", sys).expect(t, 200)
			for _, e := range entries(r) {
				if ref := subjectOf(e); strings.Contains(ref, "?") {
					t.Errorf("an Observation was stored with the conditional reference %q", ref)
				}
			}
			// A read-only token may not conditionally delete, match or not.
			ro := w.token(t, &auth.Principal{Subject: "c-ro", ClientID: "c-ro", Role: auth.RoleSystem}, "system/*.rs")
			for _, q := range []string{"identifier=nobody|x", "_id=pa1"} {
				if r := w.ts.do("DELETE", "/fhir/Patient?"+q, nil, "Authorization", ro); r.status != 403 {
					t.Errorf("conditional delete %s with a read-only token: %d, want 403", q, r.status)
				}
				bundle := map[string]any{"resourceType": "Bundle", "type": "transaction", "entry": []any{
					map[string]any{"request": map[string]any{"method": "DELETE", "url": "Patient?" + q}}}}
				if r := w.ts.do("POST", "/fhir", bundle, "Authorization", ro); r.status != 403 {
					t.Errorf("conditional delete entry %s with a read-only token: %d, want 403", q, r.status)
				}
			}
		})
	}
}

// patientFacing reports an actor reading as a patient or proxy.
func patientFacing(a actor) bool {
	return a.principal.Role == auth.RolePatient || a.principal.Role == auth.RoleProxy
}
