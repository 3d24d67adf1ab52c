package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
)

func entry(fullURL, method, url string, res map[string]any) map[string]any {
	e := map[string]any{"request": map[string]any{"method": method, "url": url}}
	if fullURL != "" {
		e["fullUrl"] = fullURL
	}
	if res != nil {
		e["resource"] = res
	}
	return e
}

func bundle(kind string, entries ...map[string]any) map[string]any {
	list := make([]any, len(entries))
	for i, e := range entries {
		list[i] = e
	}
	return map[string]any{"resourceType": "Bundle", "type": kind, "entry": list}
}

func TestTransactionResolvesReferencesEverywhere(t *testing.T) {
	ts := newTestServer(t)
	pract := map[string]any{"resourceType": "Practitioner",
		"identifier": []any{map[string]any{"system": "https://fhir.nhs.uk/Id/sds-user-id", "value": "G1234567"}}}
	obs := map[string]any{
		"resourceType": "Observation", "status": "final",
		"code":      map[string]any{"text": "BP"},
		"subject":   map[string]any{"reference": "urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a"},
		"performer": []any{map[string]any{"reference": "Practitioner?identifier=https://fhir.nhs.uk/Id/sds-user-id|G1234567"}},
		"extension": []any{map[string]any{
			"url":            "https://example.org/ext",
			"valueReference": map[string]any{"reference": "urn:oid:1.2.3.4"},
		}},
		"contained": []any{map[string]any{
			"resourceType": "Provenance", "id": "prov",
			"recorded": "2024-01-01T00:00:00Z",
			// "#" (the container) keeps it valid under dom-3: a contained
			// resource must be referred to, or refer to its container.
			"target": []any{map[string]any{"reference": "urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a"}, map[string]any{"reference": "#"}},
			"agent":  []any{map[string]any{"who": map[string]any{"reference": "urn:oid:1.2.3.4"}}},
		}},
	}
	b := bundle("transaction",
		entry("urn:uuid:aaaaaaaa-0000-4000-8000-000000000001", "POST", "Observation", obs),
		entry("urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a", "POST", "Patient", patient("Tx")),
		entry("urn:oid:1.2.3.4", "POST", "Organization", map[string]any{"resourceType": "Organization", "name": "Surgery"}),
		entry("urn:uuid:aaaaaaaa-0000-4000-8000-000000000002", "POST", "Practitioner", pract),
	)
	resp := ts.do("POST", "/fhir", b).expect(t, http.StatusOK)
	if resp.str("type") != "transaction-response" {
		t.Fatalf("response: %s", resp.raw)
	}
	entries := resp.body["entry"].([]any)
	locs := map[int]string{}
	for i, e := range entries {
		r := e.(map[string]any)["response"].(map[string]any)
		if r["status"] != "201 Created" || r["etag"] != `W/"1"` || r["location"] == nil {
			t.Fatalf("entry %d response: %v", i, r)
		}
		locs[i] = r["location"].(string)
	}
	patientRef := strings.Split(locs[1], "/_history")[0]
	orgRef := strings.Split(locs[2], "/_history")[0]
	practRef := strings.Split(locs[3], "/_history")[0]
	obsURL := "/fhir/" + strings.Split(locs[0], "/_history")[0]
	stored := string(ts.do("GET", obsURL, nil).expect(t, http.StatusOK).raw)
	for _, want := range []string{`"reference":"` + patientRef + `"`, `"reference":"` + orgRef + `"`, `"reference":"` + practRef + `"`} {
		if !strings.Contains(stored, want) {
			t.Errorf("stored Observation lacks %s: %s", want, stored)
		}
	}
	if strings.Contains(stored, "urn:") || strings.Contains(stored, "Practitioner?") {
		t.Errorf("unresolved reference left: %s", stored)
	}
}

func TestTransactionIsAtomic(t *testing.T) {
	ts := newTestServer(t)
	bad := map[string]any{"resourceType": "Patient", "gender": "not-a-code"}
	b := bundle("transaction",
		entry("urn:uuid:aaaaaaaa-0000-4000-8000-000000000001", "POST", "Patient", patient("Good")),
		entry("", "POST", "Patient", bad),
	)
	resp := ts.do("POST", "/fhir", b)
	if resp.status != http.StatusUnprocessableEntity && resp.status != http.StatusBadRequest {
		t.Fatalf("status %d: %s", resp.status, resp.raw)
	}
	exprs := strings.Join(resp.issueExpressions(), " ")
	if !strings.Contains(exprs, "Bundle.entry[1].resource.gender") {
		t.Errorf("error does not point at the entry: %s", resp.raw)
	}
	hist := ts.do("GET", "/fhir/_history", nil).expect(t, http.StatusOK)
	if e, _ := hist.body["entry"].([]any); len(e) != 0 {
		t.Fatalf("failed transaction wrote %d versions", len(e))
	}
}

func TestTransactionOrderAndMethods(t *testing.T) {
	ts := newTestServer(t)
	old := ts.do("POST", "/fhir/Patient", patient("Old")).expect(t, http.StatusCreated).str("id")
	keep := ts.do("POST", "/fhir/Patient", patient("Keep")).expect(t, http.StatusCreated).str("id")
	put := patient("Put")
	put["id"] = "tx-put"
	b := bundle("transaction",
		entry("", "GET", "Patient/"+keep, nil), // processed last: sees the PUT below
		entry("", "PUT", "Patient/"+keep, map[string]any{"resourceType": "Patient", "id": keep, "gender": "male"}),
		entry("", "PUT", "Patient/tx-put", put),
		entry("", "DELETE", "Patient/"+old, nil),
		entry("", "PATCH", "Patient/tx-put", map[string]any{"resourceType": "Binary", "contentType": "application/json-patch+json",
			"data": "W3sib3AiOiJyZXBsYWNlIiwicGF0aCI6Ii9nZW5kZXIiLCJ2YWx1ZSI6Im1hbGUifV0="}), // replace /gender male
	)
	// PUT and PATCH of the same resource in one transaction are refused.
	ts.do("POST", "/fhir", b).expect(t, http.StatusBadRequest)

	b["entry"] = b["entry"].([]any)[:4]
	resp := ts.do("POST", "/fhir", b).expect(t, http.StatusOK)
	entries := resp.body["entry"].([]any)
	status := func(i int) string { return entries[i].(map[string]any)["response"].(map[string]any)["status"].(string) }
	if status(0) != "200 OK" || status(1) != "200 OK" || status(2) != "201 Created" || status(3) != "204 No Content" {
		t.Fatalf("statuses: %s", resp.raw)
	}
	ts.do("GET", "/fhir/Patient/"+old, nil).expect(t, http.StatusGone)
	if etag := entries[0].(map[string]any)["response"].(map[string]any)["etag"]; etag != `W/"2"` {
		t.Errorf("GET entry ran before the PUT: etag %v", etag)
	}
}

func TestBatchReportsEachEntry(t *testing.T) {
	ts := newTestServer(t)
	b := bundle("batch",
		entry("", "POST", "Patient", patient("B1")),
		entry("", "POST", "Patient", map[string]any{"resourceType": "Patient", "unknownElement": true}),
		entry("", "GET", "Patient/does-not-exist", nil),
	)
	resp := ts.do("POST", "/fhir", b).expect(t, http.StatusOK)
	entries := resp.body["entry"].([]any)
	want := []string{"201", "400", "404"}
	for i, w := range want {
		got := entries[i].(map[string]any)["response"].(map[string]any)["status"].(string)
		if !strings.HasPrefix(got, w) {
			t.Errorf("entry %d status %q, want %s", i, got, w)
		}
	}
	if entries[1].(map[string]any)["response"].(map[string]any)["outcome"] == nil {
		t.Error("failed batch entry has no outcome")
	}
	ts.do("POST", "/fhir", map[string]any{"resourceType": "Bundle", "type": "collection"}).expect(t, http.StatusBadRequest)
}
