package httpapi_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/terminology"
)

// TestTerminologyOperations runs each operation over HTTP on the starter
// set: GET and POST forms, and the statuses of the errors.
func TestTerminologyOperations(t *testing.T) {
	ts := newTestServer(t)
	if _, err := terminology.LoadStarter(context.Background(), ts.store.(store.Terminology)); err != nil {
		t.Fatal(err)
	}
	sct := url.QueryEscape(terminology.SNOMED + "?fhir_vs")
	for _, tc := range []struct {
		method, path string
		body         any
		status       int
		contains     string
	}{
		{"GET", "/fhir/ValueSet/$expand?url=" + sct + "&filter=hypert", nil, 200, `"display":"Hypertension"`},
		{"GET", "/fhir/ValueSet/$expand?url=" + sct + "&filter=diab&count=2", nil, 200, `"count"`},
		{"POST", "/fhir/ValueSet/$expand", map[string]any{"resourceType": "Parameters", "parameter": []any{
			map[string]any{"name": "url", "valueUri": terminology.SNOMED + "?fhir_vs"},
			map[string]any{"name": "filter", "valueString": "hypert"}}}, 200, `"code":"38341003"`},
		{"GET", "/fhir/ValueSet/$expand?url=http://example.org/none", nil, 404, `not-found`},
		{"GET", "/fhir/ValueSet/$expand?url=" + sct + "&count=-1", nil, 400, `count`},
		{"GET", "/fhir/CodeSystem/$lookup?system=" + url.QueryEscape(terminology.SNOMED) + "&code=38341003", nil, 200, `Hypertension`},
		{"GET", "/fhir/CodeSystem/$lookup?system=" + url.QueryEscape(terminology.SNOMED) + "&code=1", nil, 404, `not-found`},
		{"POST", "/fhir/CodeSystem/$lookup", map[string]any{"resourceType": "Parameters", "parameter": []any{
			map[string]any{"name": "coding", "valueCoding": map[string]any{"system": terminology.SNOMED, "code": "38341003"}}}}, 200, `Hypertension`},
		{"GET", "/fhir/CodeSystem/$subsumes?system=" + url.QueryEscape(terminology.SNOMED) + "&codeA=38341003&codeB=38341003", nil, 200, `equivalent`},
		{"GET", "/fhir/CodeSystem/$subsumes?system=" + url.QueryEscape(terminology.SNOMED), nil, 400, `codeA`},
		{"GET", "/fhir/ValueSet/$validate-code?url=" + url.QueryEscape("http://hl7.org/fhir/ValueSet/administrative-gender") + "&code=male", nil, 200, `"valueBoolean":true`},
		{"GET", "/fhir/ValueSet/$validate-code?url=" + url.QueryEscape("http://hl7.org/fhir/ValueSet/administrative-gender") + "&code=man", nil, 200, `"valueBoolean":false`},
		{"POST", "/fhir/ValueSet/$expand", map[string]any{"resourceType": "Patient"}, 400, `Parameters`},
	} {
		r := ts.do(tc.method, tc.path, tc.body)
		if r.status != tc.status || !strings.Contains(string(r.raw), tc.contains) {
			t.Errorf("%s %s: %d %s, want %d with %s", tc.method, tc.path, r.status, r.raw, tc.status, tc.contains)
		}
	}
	meta := ts.do("GET", "/fhir/metadata", nil).expect(t, 200)
	if !strings.Contains(string(meta.raw), "ValueSet-expand") || !strings.Contains(string(meta.raw), "CodeSystem-subsumes") {
		t.Error("the CapabilityStatement does not list the terminology operations")
	}
}
