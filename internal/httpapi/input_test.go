package httpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// onEachStore runs fn on SQLite and, when GPCLOUD_TEST_POSTGRES is set,
// PostgreSQL: what one store accepts the other must too, or data cannot
// move between them.
func onEachStore(t *testing.T, fn func(t *testing.T, ts *testServer)) {
	for _, s := range benchStores() {
		t.Run(s.name, func(t *testing.T) { fn(t, s.open(t)) })
	}
}

// TestControlCharactersRefused: FHIR strings may not hold characters below
// U+0020 but tab, CR and LF; PostgreSQL cannot store U+0000 in text at all.
// Both stores answer 400, for a resource and for a search value.
func TestControlCharactersRefused(t *testing.T) {
	onEachStore(t, func(t *testing.T, ts *testServer) {
		bad := ts.do("POST", "/fhir/Patient", patient("a\x00b")).expect(t, http.StatusBadRequest)
		if exprs := bad.issueExpressions(); len(exprs) != 1 || exprs[0] != "Patient.name[0].family" {
			t.Errorf("NUL in a family name: %s", bad.raw)
		}
		ext := patient("Smith")
		ext["extension"] = []any{map[string]any{"url": "http://example.org/x", "valueString": "\x01"}}
		ts.do("POST", "/fhir/Patient", ext).expect(t, http.StatusBadRequest)
		ok := patient("Smith")
		ok["address"] = []any{map[string]any{"text": "1 High St\r\nLeeds\tLS1"}}
		ts.do("POST", "/fhir/Patient", ok).expect(t, http.StatusCreated)

		for _, query := range []string{"name=a%00", "name=%FF", "address:exact=a%0Bb", "_search=a%00&_offset=10"} {
			r := ts.do("GET", "/fhir/Patient?"+query, nil).expect(t, http.StatusBadRequest)
			if r.str("resourceType") != "OperationOutcome" {
				t.Errorf("Patient?%s: %s", query, r.raw)
			}
		}
		ts.do("GET", "/fhir/Patient?address:exact=1%20High%20St%0D%0ALeeds%09LS1", nil).expect(t, http.StatusOK)
		// Conditions answered from the token index without the search parser.
		ts.do("POST", "/fhir/Patient", patient("Jones"), "If-None-Exist", "identifier=a%00").expect(t, http.StatusBadRequest)
		ts.do("PUT", "/fhir/Patient?identifier=a%00", patient("Jones")).expect(t, http.StatusBadRequest)
		ts.do("DELETE", "/fhir/Patient?identifier=%FF", nil).expect(t, http.StatusBadRequest)
		bundle := map[string]any{"resourceType": "Bundle", "type": "transaction", "entry": []any{map[string]any{
			"resource": map[string]any{"resourceType": "Observation", "status": "final", "code": map[string]any{"text": "x"},
				"subject": map[string]any{"reference": "Patient?identifier=a%00"}},
			"request": map[string]any{"method": "POST", "url": "Observation"},
		}}}
		r := ts.do("POST", "/fhir", bundle)
		if r.status != http.StatusBadRequest || !strings.Contains(string(r.raw), "U+0000") {
			t.Errorf("conditional reference with NUL: %d %s", r.status, r.raw)
		}
	})
}

// TestLongValues: resources with values far longer than an index keeps are
// accepted by both stores (PostgreSQL refused index entries over 2,704
// bytes), stored whole, and found by searching for the whole value.
func TestLongValues(t *testing.T) {
	family, code, text := storetest.Letters(3000, 11), storetest.Letters(3000, 12), storetest.Letters(8000, 13)
	onEachStore(t, func(t *testing.T, ts *testServer) {
		p := ts.do("POST", "/fhir/Patient", patient(family)).expect(t, http.StatusCreated)
		obs := map[string]any{"resourceType": "Observation", "status": "final",
			"code":        map[string]any{"coding": []any{map[string]any{"system": "http://example.org/codes", "code": code}}},
			"subject":     map[string]any{"reference": "Patient/" + p.str("id")},
			"valueString": text}
		o := ts.do("POST", "/fhir/Observation", obs).expect(t, http.StatusCreated)
		for _, q := range []struct{ path, id string }{
			{"/fhir/Patient?family=" + url.QueryEscape(family), p.str("id")},
			{"/fhir/Patient?family:exact=" + url.QueryEscape(family), p.str("id")},
			{"/fhir/Observation?code=" + url.QueryEscape("http://example.org/codes|"+code), o.str("id")},
			{"/fhir/Observation?value-string=" + url.QueryEscape(text), o.str("id")},
			{"/fhir/Observation?subject:Patient.family=" + url.QueryEscape(family), o.str("id")},
		} {
			r := ts.do("GET", q.path, nil).expect(t, http.StatusOK)
			entries, _ := r.body["entry"].([]any)
			if len(entries) != 1 || entries[0].(map[string]any)["resource"].(map[string]any)["id"] != q.id {
				t.Errorf("%.60s...: %.300s", q.path, r.raw)
			}
		}
		// The resource is stored whole, not as the index keeps it.
		got := ts.do("GET", "/fhir/Observation/"+o.str("id"), nil).expect(t, http.StatusOK)
		if got.str("valueString") != text {
			t.Errorf("valueString read back with %d characters, want %d", len(got.str("valueString")), len(text))
		}
		// Conditional create on a long identifier finds the one it made.
		withID := patient("Long")
		withID["identifier"] = []any{map[string]any{"system": "urn:x", "value": code}}
		cond := "identifier=" + url.QueryEscape("urn:x|"+code)
		ts.do("POST", "/fhir/Patient", withID, "If-None-Exist", cond).expect(t, http.StatusCreated)
		ts.do("POST", "/fhir/Patient", withID, "If-None-Exist", cond).expect(t, http.StatusOK)
	})
}
