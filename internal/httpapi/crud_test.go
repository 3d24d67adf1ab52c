package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestCreateReadUpdateDelete(t *testing.T) {
	ts := newTestServer(t)
	created := ts.do("POST", "/fhir/Patient", patient("Smith")).expect(t, http.StatusCreated)
	id := created.str("id")
	if id == "" || created.str("meta", "versionId") != "1" || created.str("meta", "lastUpdated") == "" {
		t.Fatalf("created resource lacks id/meta: %s", created.raw)
	}
	if loc := created.header.Get("Location"); loc != ts.base+"/Patient/"+id+"/_history/1" {
		t.Errorf("Location = %q", loc)
	}
	if et := created.header.Get("ETag"); et != `W/"1"` {
		t.Errorf("ETag = %q", et)
	}
	if created.header.Get("Last-Modified") == "" {
		t.Error("no Last-Modified")
	}

	read := ts.do("GET", "/fhir/Patient/"+id, nil).expect(t, http.StatusOK)
	if read.str("id") != id || !strings.HasPrefix(read.header.Get("Content-Type"), "application/fhir+json") {
		t.Fatalf("read: %s %v", read.raw, read.header)
	}

	p := patient("Jones")
	p["id"] = id
	upd := ts.do("PUT", "/fhir/Patient/"+id, p).expect(t, http.StatusOK)
	if upd.str("meta", "versionId") != "2" || upd.header.Get("ETag") != `W/"2"` {
		t.Fatalf("update: %s", upd.raw)
	}
	v1 := ts.do("GET", "/fhir/Patient/"+id+"/_history/1", nil).expect(t, http.StatusOK)
	if v1.raw == nil || !strings.Contains(string(v1.raw), "Smith") {
		t.Fatalf("vread 1: %s", v1.raw)
	}
	ts.do("GET", "/fhir/Patient/"+id+"/_history/9", nil).expect(t, http.StatusNotFound)

	ts.do("DELETE", "/fhir/Patient/"+id, nil).expect(t, http.StatusNoContent)
	gone := ts.do("GET", "/fhir/Patient/"+id, nil).expect(t, http.StatusGone)
	if gone.str("resourceType") != "OperationOutcome" {
		t.Fatalf("410 body: %s", gone.raw)
	}
	ts.do("GET", "/fhir/Patient/"+id+"/_history/3", nil).expect(t, http.StatusGone)
	ts.do("GET", "/fhir/Patient/"+id+"/_history/2", nil).expect(t, http.StatusOK)
	ts.do("DELETE", "/fhir/Patient/"+id, nil).expect(t, http.StatusNoContent) // idempotent
	ts.do("DELETE", "/fhir/Patient/never-was", nil).expect(t, http.StatusNotFound)
	ts.do("GET", "/fhir/Patient/never-was", nil).expect(t, http.StatusNotFound)
	ts.do("GET", "/fhir/NotAType/1", nil).expect(t, http.StatusNotFound)

	// Update after delete recreates: 201 and the next version number.
	again := ts.do("PUT", "/fhir/Patient/"+id, p).expect(t, http.StatusCreated)
	if again.str("meta", "versionId") != "4" {
		t.Fatalf("recreate version: %s", again.raw)
	}
}

func TestUpdateAsCreateAndIDChecks(t *testing.T) {
	ts := newTestServer(t)
	p := patient("Client")
	p["id"] = "client-chosen-1"
	ts.do("PUT", "/fhir/Patient/client-chosen-1", p).expect(t, http.StatusCreated)
	ts.do("PUT", "/fhir/Patient/other-id", p).expect(t, http.StatusBadRequest)
	delete(p, "id")
	ts.do("PUT", "/fhir/Patient/client-chosen-1", p).expect(t, http.StatusBadRequest)
	obs := map[string]any{"resourceType": "Observation", "id": "client-chosen-1"}
	ts.do("PUT", "/fhir/Patient/client-chosen-1", obs).expect(t, http.StatusBadRequest)
	ts.do("POST", "/fhir/Patient", obs).expect(t, http.StatusBadRequest)
}

func TestConditionalHeaders(t *testing.T) {
	ts := newTestServer(t)
	id := ts.do("POST", "/fhir/Patient", patient("Etag")).expect(t, http.StatusCreated).str("id")
	p := patient("Etag2")
	p["id"] = id
	ts.do("PUT", "/fhir/Patient/"+id, p, "If-Match", `W/"2"`).expect(t, http.StatusPreconditionFailed)
	ts.do("PUT", "/fhir/Patient/"+id, p, "If-Match", `W/"1"`).expect(t, http.StatusOK)
	ts.do("GET", "/fhir/Patient/"+id, nil, "If-None-Match", `W/"2"`).expect(t, http.StatusNotModified)
	ts.do("GET", "/fhir/Patient/"+id, nil, "If-None-Match", `W/"1"`).expect(t, http.StatusOK)
	future := time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
	past := time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)
	ts.do("GET", "/fhir/Patient/"+id, nil, "If-Modified-Since", future).expect(t, http.StatusNotModified)
	ts.do("GET", "/fhir/Patient/"+id, nil, "If-Modified-Since", past).expect(t, http.StatusOK)
	ts.do("DELETE", "/fhir/Patient/"+id, nil, "If-Match", `W/"1"`).expect(t, http.StatusPreconditionFailed)
	ts.do("PUT", "/fhir/Patient/"+id, p, "If-Match", `garbage`).expect(t, http.StatusBadRequest)
}

func TestPrefer(t *testing.T) {
	ts := newTestServer(t)
	min := ts.do("POST", "/fhir/Patient", patient("Min"), "Prefer", "return=minimal").expect(t, http.StatusCreated)
	if len(min.raw) != 0 || min.header.Get("Location") == "" {
		t.Fatalf("return=minimal: body %q, Location %q", min.raw, min.header.Get("Location"))
	}
	oo := ts.do("POST", "/fhir/Patient", patient("OO"), "Prefer", "return=OperationOutcome").expect(t, http.StatusCreated)
	if oo.str("resourceType") != "OperationOutcome" {
		t.Fatalf("return=OperationOutcome: %s", oo.raw)
	}
	rep := ts.do("POST", "/fhir/Patient", patient("Rep"), "Prefer", "return=representation").expect(t, http.StatusCreated)
	if rep.str("resourceType") != "Patient" {
		t.Fatalf("return=representation: %s", rep.raw)
	}
}

func TestSummaryElementsPretty(t *testing.T) {
	ts := newTestServer(t)
	p := patient("Sum")
	p["text"] = map[string]any{"status": "generated", "div": `<div xmlns="http://www.w3.org/1999/xhtml">Jane</div>`}
	p["contact"] = []any{map[string]any{"name": map[string]any{"family": "Contact"}}}
	id := ts.do("POST", "/fhir/Patient", p).expect(t, http.StatusCreated).str("id")

	sum := ts.do("GET", "/fhir/Patient/"+id+"?_summary=true", nil).expect(t, http.StatusOK)
	if sum.body["contact"] != nil || sum.body["text"] != nil || sum.body["name"] == nil || sum.body["birthDate"] == nil {
		t.Errorf("_summary=true kept the wrong elements: %s", sum.raw)
	}
	if !strings.Contains(string(sum.raw), "SUBSETTED") {
		t.Errorf("_summary not tagged SUBSETTED: %s", sum.raw)
	}
	data := ts.do("GET", "/fhir/Patient/"+id+"?_summary=data", nil).expect(t, http.StatusOK)
	if data.body["text"] != nil || data.body["contact"] == nil {
		t.Errorf("_summary=data: %s", data.raw)
	}
	text := ts.do("GET", "/fhir/Patient/"+id+"?_summary=text", nil).expect(t, http.StatusOK)
	if text.body["text"] == nil || text.body["name"] != nil {
		t.Errorf("_summary=text: %s", text.raw)
	}
	el := ts.do("GET", "/fhir/Patient/"+id+"?_elements=gender,birthDate", nil).expect(t, http.StatusOK)
	if el.body["gender"] == nil || el.body["birthDate"] == nil || el.body["name"] != nil || el.body["id"] == nil {
		t.Errorf("_elements: %s", el.raw)
	}
	ts.do("GET", "/fhir/Patient/"+id+"?_summary=bogus", nil).expect(t, http.StatusBadRequest)
	pretty := ts.do("GET", "/fhir/Patient/"+id+"?_pretty=true", nil).expect(t, http.StatusOK)
	if !strings.Contains(string(pretty.raw), "\n  \"") {
		t.Errorf("_pretty=true not indented: %s", pretty.raw)
	}
}

func TestPatch(t *testing.T) {
	ts := newTestServer(t)
	id := ts.do("POST", "/fhir/Patient", patient("Patch")).expect(t, http.StatusCreated).str("id")
	ops := `[{"op":"test","path":"/gender","value":"female"},{"op":"replace","path":"/gender","value":"other"},{"op":"add","path":"/name/0/given/-","value":"Ann"}]`
	res := ts.do("PATCH", "/fhir/Patient/"+id, ops, "Content-Type", "application/json-patch+json").expect(t, http.StatusOK)
	if res.str("gender") != "other" || res.str("meta", "versionId") != "2" || !strings.Contains(string(res.raw), `"Ann"`) {
		t.Fatalf("patched: %s", res.raw)
	}
	failing := `[{"op":"test","path":"/gender","value":"male"}]`
	ts.do("PATCH", "/fhir/Patient/"+id, failing, "Content-Type", "application/json-patch+json").expect(t, http.StatusUnprocessableEntity)
	invalid := `[{"op":"replace","path":"/gender","value":"not-a-gender"}]`
	ts.do("PATCH", "/fhir/Patient/"+id, invalid, "Content-Type", "application/json-patch+json").expect(t, http.StatusUnprocessableEntity)
	changeID := `[{"op":"replace","path":"/id","value":"other"}]`
	ts.do("PATCH", "/fhir/Patient/"+id, changeID, "Content-Type", "application/json-patch+json").expect(t, http.StatusUnprocessableEntity)
	ts.do("PATCH", "/fhir/Patient/"+id, ops, "Content-Type", "application/fhir+json").expect(t, http.StatusUnsupportedMediaType)
	ts.do("PATCH", "/fhir/Patient/"+id, `{"op":`, "Content-Type", "application/json-patch+json").expect(t, http.StatusBadRequest)
	ts.do("PATCH", "/fhir/Patient/"+id, `[{"op":"replace","path":"/gender","value":"male"}]`,
		"Content-Type", "application/json-patch+json", "If-Match", `W/"1"`).expect(t, http.StatusPreconditionFailed)
	// The version after the failed attempts is still 2.
	if v := ts.do("GET", "/fhir/Patient/"+id, nil).str("meta", "versionId"); v != "2" {
		t.Fatalf("failed patches wrote a version: now %s", v)
	}
}

// TestUnchangedUpdateWritesNoVersion: the same content sent again (a
// re-run import, a retried request) leaves the resource at its version.
func TestUnchangedUpdateWritesNoVersion(t *testing.T) {
	ts := newTestServer(t)
	p := patient("Same")
	p["id"] = "same"
	ts.do("PUT", "/fhir/Patient/same", p).expect(t, 201)
	r := ts.do("PUT", "/fhir/Patient/same", p).expect(t, 200)
	if v := r.str("meta", "versionId"); v != "1" {
		t.Errorf("the same content again made version %s", v)
	}
	p["gender"] = "male"
	r = ts.do("PUT", "/fhir/Patient/same", p).expect(t, 200)
	if v := r.str("meta", "versionId"); v != "2" {
		t.Errorf("a change made version %s, want 2", v)
	}
	h := ts.do("GET", "/fhir/Patient/same/_history", nil).expect(t, 200)
	if n := len(h.body["entry"].([]any)); n != 2 {
		t.Errorf("%d versions in the history, want 2", n)
	}
}

// TestCreateOnlyUpdate: PUT with If-None-Match: * creates under the id
// given, and never overwrites (412), alone or in a transaction.
func TestCreateOnlyUpdate(t *testing.T) {
	ts := newTestServer(t)
	p := patient("Once")
	p["id"] = "once"
	ts.do("PUT", "/fhir/Patient/once", p, "If-None-Match", "*").expect(t, 201)
	p["gender"] = "male"
	ts.do("PUT", "/fhir/Patient/once", p, "If-None-Match", "*").expect(t, 412)
	tx := func(id string) map[string]any {
		q := patient("Once")
		q["id"] = id
		return map[string]any{"resourceType": "Bundle", "type": "transaction", "entry": []any{
			map[string]any{"resource": q, "request": map[string]any{"method": "PUT", "url": "Patient/" + id, "ifNoneMatch": "*"}},
			map[string]any{"resource": map[string]any{"resourceType": "Patient", "id": "other", "gender": "female"},
				"request": map[string]any{"method": "PUT", "url": "Patient/other", "ifNoneMatch": "*"}},
		}}
	}
	if r := ts.do("POST", "/fhir", tx("once")); r.status != 409 && r.status != 412 {
		t.Errorf("a transaction overwriting with ifNoneMatch *: %d, want 409 or 412", r.status)
	}
	ts.do("GET", "/fhir/Patient/other", nil).expect(t, 404) // nothing of the failed transaction
	ts.do("POST", "/fhir", tx("new")).expect(t, 200)
	if v := ts.do("GET", "/fhir/Patient/once", nil).expect(t, 200).str("gender"); v != "female" {
		t.Errorf("Patient/once was overwritten: gender %s", v)
	}
}
