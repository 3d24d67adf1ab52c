package httpapi_test

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
)

func TestHistoryPagingAndFilters(t *testing.T) {
	ts := newTestServer(t)
	id := ts.do("POST", "/fhir/Patient", patient("H0")).expect(t, http.StatusCreated).str("id")
	var stamps []string
	for i := 1; i <= 4; i++ {
		p := patient("H" + strconv.Itoa(i)) // a change: the same content again writes no version
		p["id"] = id
		r := ts.do("PUT", "/fhir/Patient/"+id, p).expect(t, http.StatusOK)
		stamps = append(stamps, r.str("meta", "lastUpdated"))
	}
	ts.do("POST", "/fhir/Observation", map[string]any{
		"resourceType": "Observation", "status": "final",
		"code": map[string]any{"text": "weight"}, "subject": map[string]any{"reference": "Patient/" + id},
	}).expect(t, http.StatusCreated)

	// Instance history, paged by 2: 5 versions newest first, no gaps or duplicates.
	var versions []string
	next := "/fhir/Patient/" + id + "/_history?_count=2"
	for pages := 0; next != "" && pages < 10; pages++ {
		page := ts.do("GET", next, nil).expect(t, http.StatusOK)
		if page.str("type") != "history" {
			t.Fatalf("not a history bundle: %s", page.raw)
		}
		if total, _ := page.body["total"].(interface{ String() string }); total == nil || total.String() != "5" {
			t.Fatalf("total = %v, want 5", page.body["total"])
		}
		entries, _ := page.body["entry"].([]any)
		for _, e := range entries {
			res := e.(map[string]any)["resource"].(map[string]any)
			versions = append(versions, res["meta"].(map[string]any)["versionId"].(string))
		}
		next = ""
		for _, l := range page.body["link"].([]any) {
			if l.(map[string]any)["relation"] == "next" {
				next = l.(map[string]any)["url"].(string)
			}
		}
	}
	if got := len(versions); got != 5 || versions[0] != "5" || versions[4] != "1" {
		t.Fatalf("versions across pages = %v", versions)
	}

	since := ts.do("GET", "/fhir/Patient/"+id+"/_history?_since="+url.QueryEscape(stamps[2]), nil).expect(t, http.StatusOK)
	if n := len(since.body["entry"].([]any)); n != 2 {
		t.Errorf("_since=%s gave %d entries, want 2", stamps[2], n)
	}
	at := ts.do("GET", "/fhir/Patient/"+id+"/_history?_at="+url.QueryEscape(stamps[1]), nil).expect(t, http.StatusOK)
	if e := at.body["entry"].([]any); len(e) != 1 || e[0].(map[string]any)["resource"].(map[string]any)["meta"].(map[string]any)["versionId"] != "3" {
		t.Errorf("_at: %s", at.raw)
	}
	typ := ts.do("GET", "/fhir/Patient/_history", nil).expect(t, http.StatusOK)
	if n := len(typ.body["entry"].([]any)); n != 5 {
		t.Errorf("type history: %d entries", n)
	}
	sys := ts.do("GET", "/fhir/_history", nil).expect(t, http.StatusOK)
	if n := len(sys.body["entry"].([]any)); n != 6 {
		t.Errorf("system history: %d entries", n)
	}
	ts.do("GET", "/fhir/Patient/"+id+"/_history?_since=yesterday", nil).expect(t, http.StatusBadRequest)
	ts.do("GET", "/fhir/Patient/nope/_history", nil).expect(t, http.StatusNotFound)
}
