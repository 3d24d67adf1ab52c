package service

import (
	"net/url"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

func TestNeedsStore(t *testing.T) {
	plain := &bundleEntry{method: "POST", resource: fhir.Resource{"resourceType": "Observation", "subject": map[string]any{"reference": "urn:uuid:1"}}}
	tests := []struct {
		name    string
		entries []*bundleEntry
		want    bool
	}{
		{"urn:uuid references only", []*bundleEntry{plain}, false},
		{"If-None-Exist", []*bundleEntry{plain, {method: "POST", ifNoneExist: "identifier=x"}}, true},
		{"conditional URL", []*bundleEntry{{method: "PUT", query: url.Values{"identifier": {"x"}}}}, true},
		{"conditional reference deep inside", []*bundleEntry{{method: "POST", resource: fhir.Resource{"resourceType": "Encounter",
			"participant": []any{map[string]any{"individual": map[string]any{"reference": "Practitioner?identifier=x|1"}}}}}}, true},
	}
	for _, tc := range tests {
		if got := needsStore(tc.entries); got != tc.want {
			t.Errorf("%s: needsStore = %v, want %v", tc.name, got, tc.want)
		}
	}
}
