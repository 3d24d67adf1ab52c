package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/audit"
	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/auth/tokens"
	"github.com/gpcloud/gpcloud/internal/httpapi"
	"github.com/gpcloud/gpcloud/internal/store/sqlite"
)

// BenchmarkReadAccess measures what security adds to a FHIR read over
// HTTP: the same Observation read without authentication, with a system
// token (verification and scope check), with a GP's token (plus the
// practice check, which reads the patient's registration), and with the
// audit trail on. It reports the median latency (p50-µs) beside ns/op.
// Run: go test -run '^$' -bench ReadAccess -count 6 ./internal/httpapi
func BenchmarkReadAccess(b *testing.B) {
	type variant struct {
		name   string
		tokens bool
		audit  bool
		who    *auth.Principal
	}
	system := &auth.Principal{Subject: "c", ClientID: "c", Role: auth.RoleSystem}
	gp := &auth.Principal{Subject: "u", Role: auth.RoleGP, Practice: "org-a"}
	for _, v := range []variant{
		{"open", false, false, nil},
		{"system-token", true, false, system},
		{"gp-token", true, false, gp},
		{"gp-token+audit", true, true, gp},
	} {
		b.Run(v.name, func(b *testing.B) {
			st, err := sqlite.Open(context.Background(), b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			opts := httpapi.Options{}
			header := ""
			var trail *audit.Trail
			if v.tokens {
				a, err := tokens.ForStore(context.Background(), st)
				if err != nil {
					b.Fatal(err)
				}
				opts.Tokens = a
				s := auth.ScopesOf(v.who.Role)
				p := *v.who
				p.Scopes = s
				tok, _, err := a.Issue(context.Background(), &p, time.Hour)
				if err != nil {
					b.Fatal(err)
				}
				header = "Bearer " + tok
			}
			if v.audit {
				trail = audit.NewTrail(st, nil)
				defer trail.Close()
				opts.Audit = trail
			}
			ts := newTestServerOn(b, st, opts)
			admin := ""
			if v.tokens {
				p := &auth.Principal{Subject: "seed", ClientID: "seed", Role: auth.RoleSystem, Scopes: auth.ScopesOf(auth.RoleSystem)}
				tok, _, _ := opts.Tokens.Issue(context.Background(), p, time.Hour)
				admin = "Bearer " + tok
			}
			ts.do("PUT", "/fhir/Organization/org-a", map[string]any{"resourceType": "Organization", "id": "org-a"}, "Authorization", admin)
			ts.do("PUT", "/fhir/Patient/p1", map[string]any{"resourceType": "Patient", "id": "p1",
				"managingOrganization": map[string]any{"reference": "Organization/org-a"}}, "Authorization", admin)
			ts.do("PUT", "/fhir/Observation/o1", map[string]any{"resourceType": "Observation", "id": "o1", "status": "final", "code": map[string]any{"text": "BP"}, "subject": map[string]any{"reference": "Patient/p1"}}, "Authorization", admin)
			req, _ := http.NewRequest("GET", ts.srv.URL+"/fhir/Observation/o1", nil)
			if header != "" {
				req.Header.Set("Authorization", header)
			}
			timeRequests(b, req)
		})
	}
}

// BenchmarkSearchAccess measures what a practice's reach costs a search
// among 200 patients (4,000 Observations), all registered at the
// practice, as a system client and as a GP (each candidate probed for its
// patient's registration): the first page of a population query, and one
// patient's Observations.
// Run: go test -run '^$' -bench SearchAccess -count 6 ./internal/httpapi
func BenchmarkSearchAccess(b *testing.B) {
	st, err := sqlite.Open(context.Background(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	a, err := tokens.ForStore(context.Background(), st)
	if err != nil {
		b.Fatal(err)
	}
	ts := newTestServerOn(b, st, httpapi.Options{Tokens: a})
	bearer := func(p *auth.Principal) string {
		p.Scopes = auth.ScopesOf(p.Role)
		tok, _, err := a.Issue(context.Background(), p, time.Hour)
		if err != nil {
			b.Fatal(err)
		}
		return "Bearer " + tok
	}
	system := bearer(&auth.Principal{Subject: "c", ClientID: "c", Role: auth.RoleSystem})
	gp := bearer(&auth.Principal{Subject: "u", Role: auth.RoleGP, Practice: "org-a"})
	ts.do("PUT", "/fhir/Organization/org-a", map[string]any{"resourceType": "Organization", "id": "org-a"}, "Authorization", system)
	for p := 0; p < 200; p++ {
		pid := fmt.Sprintf("p%d", p)
		entries := []any{map[string]any{"resource": map[string]any{"resourceType": "Patient", "id": pid,
			"name":                 []any{map[string]any{"family": fmt.Sprintf("Fam%d", p)}},
			"managingOrganization": map[string]any{"reference": "Organization/org-a"}}, "request": map[string]any{"method": "PUT", "url": "Patient/" + pid}}}
		for o := 0; o < 20; o++ {
			entries = append(entries, map[string]any{"resource": map[string]any{"resourceType": "Observation", "status": "final",
				"code":    map[string]any{"coding": []any{map[string]any{"system": "http://loinc.org", "code": "8867-4"}}},
				"subject": map[string]any{"reference": "Patient/" + pid}}, "request": map[string]any{"method": "POST", "url": "Observation"}})
		}
		ts.do("POST", "/fhir", map[string]any{"resourceType": "Bundle", "type": "transaction", "entry": entries}, "Authorization", system).expect2xx(b)
	}
	for _, v := range []struct{ name, header, query string }{
		{"population/system", system, "code=http://loinc.org|8867-4&_count=50&_total=none"},
		{"population/gp", gp, "code=http://loinc.org|8867-4&_count=50&_total=none"},
		{"one-patient/system", system, "subject=Patient/p7&code=http://loinc.org|8867-4"},
		{"one-patient/gp", gp, "subject=Patient/p7&code=http://loinc.org|8867-4"},
		// A chain (11 patients' names start Fam7): the GP's reach applies
		// to the Patients the chain goes through as well.
		{"chain/system", system, "subject:Patient.name=Fam7&code=http://loinc.org|8867-4"},
		{"chain/gp", gp, "subject:Patient.name=Fam7&code=http://loinc.org|8867-4"},
	} {
		b.Run(v.name, func(b *testing.B) {
			req, _ := http.NewRequest("GET", ts.srv.URL+"/fhir/Observation?"+v.query, nil)
			req.Header.Set("Authorization", v.header)
			timeRequests(b, req)
		})
	}
}

// timeRequests sends req b.N times, expecting 200 (201 for a POST), and
// reports the median latency beside ns/op (the mean). A body is sent anew
// each time (req.GetBody).
func timeRequests(b *testing.B, req *http.Request) {
	want := http.StatusOK
	if req.Method == http.MethodPost {
		want = http.StatusCreated
	}
	lat := make([]time.Duration, 0, b.N)
	for b.Loop() {
		if req.GetBody != nil {
			req.Body, _ = req.GetBody()
		}
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != want {
			b.Fatal(err, resp.StatusCode)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		lat = append(lat, time.Since(start))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1000, "p50-µs")
}

// BenchmarkWriteAccess measures what auditing adds to a write over HTTP:
// a system client creating an Observation without the audit trail, and
// with it (the event staged in the write's own transaction).
// Run: go test -run '^$' -bench WriteAccess -count 6 ./internal/httpapi
func BenchmarkWriteAccess(b *testing.B) {
	for _, withAudit := range []bool{false, true} {
		name := "system-token"
		if withAudit {
			name += "+audit"
		}
		b.Run(name, func(b *testing.B) {
			st, err := sqlite.Open(context.Background(), b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			a, err := tokens.ForStore(context.Background(), st)
			if err != nil {
				b.Fatal(err)
			}
			opts := httpapi.Options{Tokens: a}
			if withAudit {
				trail := audit.NewTrail(st, nil)
				defer trail.Close()
				opts.Audit = trail
			}
			ts := newTestServerOn(b, st, opts)
			p := &auth.Principal{Subject: "c", ClientID: "c", Role: auth.RoleSystem, Scopes: auth.ScopesOf(auth.RoleSystem)}
			tok, _, err := a.Issue(context.Background(), p, time.Hour)
			if err != nil {
				b.Fatal(err)
			}
			ts.do("PUT", "/fhir/Patient/p1", map[string]any{"resourceType": "Patient", "id": "p1"}, "Authorization", "Bearer "+tok).expect2xx(b)
			body := `{"resourceType":"Observation","status":"final","code":{"text":"BP"},"subject":{"reference":"Patient/p1"}}`
			req, _ := http.NewRequest("POST", ts.srv.URL+"/fhir/Observation", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/fhir+json")
			timeRequests(b, req)
		})
	}
}
