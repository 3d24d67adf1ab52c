package httpapi_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/terminology"
	"github.com/gpcloud/gpcloud/internal/terminology/termtest"
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

// TestTokenHierarchyModifiers searches Conditions by the loaded
// hierarchy and value sets: :below, :above, :in, :not-in, also through
// _has (whose guard stays in place).
func TestTokenHierarchyModifiers(t *testing.T) {
	ts := newTestServer(t)
	termtest.LoadSmallRelease(t, ts.store)
	patients := map[string]string{}
	for _, code := range []string{"44054006", "46635009", "38341003", "190330002"} {
		p := ts.do("POST", "/fhir/Patient", patient("P"+code)).expect(t, 201)
		pid := p.str("id")
		patients[code] = pid
		ts.do("POST", "/fhir/Condition", map[string]any{"resourceType": "Condition",
			"subject": map[string]any{"reference": "Patient/" + pid},
			"code":    map[string]any{"coding": []any{map[string]any{"system": terminology.SNOMED, "code": code}}}}).expect(t, 201)
	}
	sct := url.QueryEscape(terminology.SNOMED + "|")
	vs := func(s string) string { return url.QueryEscape(terminology.SNOMED + "?fhir_vs=" + s) }
	for _, tc := range []struct {
		query string
		want  []string // codes of the Conditions found
	}{
		{"code:below=" + sct + "73211009", []string{"44054006", "46635009"}},
		{"code:below=73211009", []string{"44054006", "46635009"}},
		{"code:below=" + sct + "404684003", []string{"38341003", "44054006", "46635009"}},
		{"code:above=" + sct + "44054006", []string{"44054006"}},
		{"code:in=" + vs("isa/73211009"), []string{"44054006", "46635009"}},
		{"code:in=" + vs("refset/"+termtest.Refset), []string{"38341003", "44054006"}},
		{"code:not-in=" + vs("isa/73211009"), []string{"190330002", "38341003"}},
		{"code:in=" + vs("isa/1234567"), nil},
	} {
		r := ts.do("GET", "/fhir/Condition?"+tc.query, nil).expect(t, 200)
		var got []string
		entries, _ := r.body["entry"].([]any)
		for _, e := range entries {
			res := e.(map[string]any)["resource"].(map[string]any)
			got = append(got, res["code"].(map[string]any)["coding"].([]any)[0].(map[string]any)["code"].(string))
		}
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.query, got, tc.want)
		}
	}
	r := ts.do("GET", "/fhir/Patient?_has:Condition:subject:code:below="+sct+"73211009", nil).expect(t, 200)
	if n := len(r.body["entry"].([]any)); n != 2 {
		t.Errorf("_has with :below found %d patients, want 2", n)
	}
	ts.do("GET", "/fhir/Condition?code:in=http://example.org/none", nil).expect(t, 404)
}
