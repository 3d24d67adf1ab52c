package gpconnect

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// Every request requirement, over real HTTP: each row breaks one thing
// in an otherwise good read of a patient and expects the status and
// Spine code the specification gives; nothing is read when refused.
func TestRequestChecks(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite)
	if code, _, _ := f.do(readRich); code != 200 {
		t.Fatalf("the good request: %d", code)
	}
	for _, c := range []struct {
		name   string
		header map[string]string
		claims func(map[string]any)
		path   string
		method string
		status int
		code   string
	}{
		{name: "no Ssp-TraceID", header: map[string]string{"Ssp-TraceID": ""}, status: 400, code: BadRequest},
		{name: "no Ssp-From", header: map[string]string{"Ssp-From": ""}, status: 400, code: BadRequest},
		{name: "no Ssp-To", header: map[string]string{"Ssp-To": ""}, status: 400, code: BadRequest},
		{name: "Ssp-To another provider", header: map[string]string{"Ssp-To": "900000000999"}, status: 400, code: BadRequest},
		{name: "no Ssp-InteractionID", header: map[string]string{"Ssp-InteractionID": ""}, status: 400, code: BadRequest},
		{name: "interaction of another route", header: map[string]string{"Ssp-InteractionID": urn + "fhir:rest:read:practitioner-1"}, status: 400, code: BadRequest},
		{name: "unknown consumer", header: map[string]string{"Ssp-From": "111111111111"}, status: 403, code: AccessDenied},
		{name: "no Authorization", header: map[string]string{"Authorization": ""}, status: 400, code: BadRequest},
		{name: "Basic auth", header: map[string]string{"Authorization": "Basic eDp5"}, status: 400, code: BadRequest},
		{name: "signed JWT", header: map[string]string{"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2ln"}, status: 400, code: BadRequest},
		{name: "garbage JWT", header: map[string]string{"Authorization": "Bearer x.y."}, status: 400, code: BadRequest},
		{name: "neither JSON nor XML", header: map[string]string{"Accept": "text/csv"}, status: 415, code: BadRequest},
		{name: "method not allowed", method: "DELETE", status: 405, code: BadRequest},
		{name: "unknown practice", path: "/B99999/STU3/1/gpconnect/fhir/Patient/rich", status: 404, code: BadRequest},
		{name: "expired", claims: func(c map[string]any) {
			c["iat"], c["exp"] = time.Now().Add(-10*time.Minute).Unix(), time.Now().Add(-5*time.Minute).Unix()
		}, status: 400, code: BadRequest},
		{name: "exp not iat+300", claims: func(c map[string]any) { c["exp"] = c["iat"].(int64) + 3600 }, status: 400, code: BadRequest},
		{name: "issued in the future", claims: func(c map[string]any) {
			c["iat"] = time.Now().Add(time.Hour).Unix()
			c["exp"] = c["iat"].(int64) + 300
		}, status: 400, code: BadRequest},
		{name: "no iss", claims: func(c map[string]any) { delete(c, "iss") }, status: 400, code: BadRequest},
		{name: "wrong aud", claims: func(c map[string]any) { c["aud"] = "https://elsewhere.example/X/STU3/1" }, status: 400, code: BadRequest},
		{name: "legacy aud", claims: func(c map[string]any) { c["aud"] = "https://authorize.fhir.nhs.net/token" }, status: 200},
		{name: "reason migration", claims: func(c map[string]any) { c["reason_for_request"] = "migration" }, status: 400, code: BadRequest},
		{name: "write scope for a read", claims: func(c map[string]any) { c["requested_scope"] = "patient/*.write" }, status: 400, code: BadRequest},
		{name: "conf/N", claims: func(c map[string]any) { c["requested_scope"] = "patient/*.read conf/N" }, status: 200},
		{name: "conf/R", claims: func(c map[string]any) { c["requested_scope"] = "patient/*.read conf/R" }, status: 400, code: BadRequest},
		{name: "no device", claims: func(c map[string]any) { delete(c, "requesting_device") }, status: 400, code: BadRequest},
		{name: "device without model", claims: func(c map[string]any) { delete(c["requesting_device"].(map[string]any), "model") }, status: 400, code: BadRequest},
		{name: "organisation without ODS", claims: func(c map[string]any) {
			c["requesting_organization"].(map[string]any)["identifier"] = []any{map[string]any{"system": "https://x", "value": "RYA"}}
		}, status: 400, code: BadRequest},
		{name: "organisation not the consumer's", claims: func(c map[string]any) {
			c["requesting_organization"].(map[string]any)["identifier"] = []any{map[string]any{"system": ODSSystem, "value": "ZZZ"}}
		}, status: 403, code: AccessDenied},
		{name: "practitioner id not sub", claims: func(c map[string]any) { c["sub"] = "other" }, status: 400, code: BadRequest},
		{name: "practitioner without SDS id", claims: func(c map[string]any) {
			c["requesting_practitioner"].(map[string]any)["identifier"] = []any{}
		}, status: 400, code: BadRequest},
		{name: "practitioner without a name", claims: func(c map[string]any) { delete(c["requesting_practitioner"].(map[string]any), "name") }, status: 400, code: BadRequest},
		{name: "practitioner UNK smartcard", claims: func(c map[string]any) {
			c["requesting_practitioner"].(map[string]any)["identifier"] = []any{map[string]any{"system": SDSUserSystem, "value": "UNK"}}
		}, status: 200},
	} {
		r := readRich
		r.header, r.claims = c.header, c.claims
		if c.method != "" {
			r.method = c.method
		}
		var code int
		var oo map[string]any
		if c.path != "" {
			code, oo = f.doPath(r, c.path)
		} else {
			code, oo, _ = f.do(r)
		}
		if code != c.status {
			t.Errorf("%s: %d %v, want %d", c.name, code, oo, c.status)
			continue
		}
		if c.code == "" {
			if oo["resourceType"] != "Patient" {
				t.Errorf("%s: %v, want the Patient", c.name, oo)
			}
			continue
		}
		if got := spineCode(oo); got != c.code {
			t.Errorf("%s: %s, want %s", c.name, got, c.code)
		}
		if p := obj(oo["meta"])["profile"]; !strings.Contains(str(list(p)[0]), "GPConnect-OperationOutcome-1") {
			t.Errorf("%s: profile %v", c.name, p)
		}
	}
}

// The JWT parser never panics and accepts only unsigned tokens.
func FuzzParseJWT(f *testing.F) {
	f.Add("eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.")
	f.Add("a.b.c")
	f.Add("...")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		c, e := ParseJWT(s)
		if e == nil && (c == nil || !strings.HasSuffix(s, ".")) {
			t.Fatalf("%q accepted without an empty signature", s)
		}
		if e != nil && e.Code != BadRequest {
			t.Fatalf("%q: %s", s, e.Code)
		}
	})
}

func TestParseDirectory(t *testing.T) {
	d, err := ParseDirectory("A12345=900000000001, B23456=900000000002", "918999198738=RYA")
	if err != nil || d.Practices["B23456"] != "900000000002" || d.Consumers["918999198738"] != "RYA" {
		t.Errorf("%v %v", d, err)
	}
	for _, bad := range [][2]string{{"A12345", ""}, {"A=1,A=2", ""}, {"", "x="}} {
		if _, err := ParseDirectory(bad[0], bad[1]); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if !Matches("/A12345/STU3/1/gpconnect/fhir/metadata") || Matches("/fhir/Patient") || Matches("/workspace/STU3/1/other") {
		t.Errorf("Matches")
	}
}

// The structured record's Parameters parser never panics and answers
// only with a request error.
func FuzzParseStructuredRequest(f *testing.F) {
	f.Add(`{"resourceType":"Parameters","parameter":[{"name":"patientNHSNumber","valueIdentifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}},{"name":"includeAllergies","part":[{"name":"includeResolvedAllergies","valueBoolean":true}]}]}`)
	f.Add(`{"resourceType":"Parameters","parameter":[{"name":"includeConsultations","part":[{"name":"includeConsultationsMostRecent","valuePositiveInt":1.5}]}]}`)
	f.Add(`{"resourceType":"Parameters","parameter":[{"name":"includeConsultations","part":[{"name":"consultationSearchPeriod","valuePeriod":{"start":"x"}}]}]}`)
	f.Add(`{"resourceType":"Parameters","parameter":"x"}`)
	f.Add(`{"resourceType":"Parameters","parameter":[{"name":"patientNHSNumber","valueIdentifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}},{"name":"includeInvestigations","part":[{"name":"investigationSearchPeriod","valuePeriod":{"start":"2020-01-01","end":"2021-01-01"}}]}]}`)
	f.Add(`{"resourceType":"Parameters","parameter":[{"name":"patientNHSNumber","valueIdentifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}},{"name":"includeReferrals","part":[{"name":"referralSearchPeriod","valuePeriod":{"end":"2020-02-30"}}]}]}`)
	f.Add(`{"resourceType":"Parameters","parameter":[{"name":"patientNHSNumber","valueIdentifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}},{"name":"includeDiaryEntries","part":[{"name":"diaryEntriesSearchDate","valueDate":"2030-01-01"}]}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		var params map[string]any
		if json.Unmarshal([]byte(s), &params) != nil {
			return
		}
		req, e := ParseStructuredRequest(params)
		if e == nil && (req == nil || req.NHSNumber == "") {
			t.Fatalf("%s accepted without an NHS number", s)
		}
		if e != nil && e.HTTPStatus() >= 500 {
			t.Fatalf("%s: %v", s, e)
		}
		if e == nil {
			// The search periods and date reach the queries as whole dates.
			for _, d := range []string{req.InvestigationsFrom, req.InvestigationsTo, req.ReferralsFrom, req.ReferralsTo, req.DiaryUntil} {
				if _, err := time.Parse("2006-01-02", d); d != "" && err != nil {
					t.Fatalf("%s: accepted %q as a date", s, d)
				}
			}
		}
	})
}

// Date search values: never a panic, and "le" reaches the end of the day.
func FuzzDateParam(f *testing.F) {
	for _, s := range []string{"ge2026-12-01", "le2026-12-01", "2026-12-01T10:00:00Z", "gt", "", "le2026-13-45"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, want := range []string{"ge", "le"} {
			if d, e := dateParam(s, want); e == nil && d.IsZero() {
				t.Fatalf("%q accepted as the zero time", s)
			}
		}
	})
}

// Without the Spine Secure Proxy's mutual TLS (or its network), nothing
// is answered: the JWT alone proves nothing.
func TestProxyRequired(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite)
	f.provider.opts.FromProxy = ProxyCheck(nil)
	if code, b, _ := f.do(readRich); code != 403 || spineCode(b) != AccessDenied {
		t.Errorf("a request not from the proxy: %d %v", code, b)
	}
	other, _ := ParsePrefixes("10.0.0.0/8")
	f.provider.opts.FromProxy = ProxyCheck(other)
	if code, _, _ := f.do(readRich); code != 403 {
		t.Errorf("a request from outside the proxy's network: %d", code)
	}
	if _, err := ParsePrefixes("10.0.0.0/33"); err == nil {
		t.Errorf("a bad network accepted")
	}
	if ps, err := ParsePrefixes("192.0.2.7, 10.1.2.3/8"); err != nil || len(ps) != 2 || ps[1].String() != "10.0.0.0/8" {
		t.Errorf("%v %v", ps, err)
	}
}
