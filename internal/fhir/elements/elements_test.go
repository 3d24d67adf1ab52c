package elements

import (
	"sort"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

func keys(r fhir.Resource) []string {
	var out []string
	for k := range r {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestSummaryAndSelect(t *testing.T) {
	obs, _ := fhir.Unmarshal([]byte(`{"resourceType":"Observation","id":"o","text":{"status":"generated","div":"<div>x</div>"},
		"status":"final","code":{"text":"weight"},"valueQuantity":{"value":70},"note":[{"text":"n"}],"_status":{"id":"s"}}`))
	tests := []struct {
		name string
		got  fhir.Resource
		want []string
	}{
		{"summary true", Summary(obs, SummaryTrue), []string{"_status", "code", "id", "meta", "resourceType", "status", "valueQuantity"}},
		{"summary text", Summary(obs, SummaryText), []string{"_status", "code", "id", "meta", "resourceType", "status", "text"}},
		{"summary data", Summary(obs, SummaryData), []string{"_status", "code", "id", "meta", "note", "resourceType", "status", "valueQuantity"}},
		{"elements choice", Select(obs, []string{"value"}), []string{"_status", "code", "id", "meta", "resourceType", "status", "valueQuantity"}},
		{"elements note", Select(obs, []string{"Observation.note"}), []string{"_status", "code", "id", "meta", "note", "resourceType", "status"}},
	}
	for _, tt := range tests {
		if got := keys(tt.got); !equal(got, tt.want) {
			t.Errorf("%s: keys %v, want %v", tt.name, got, tt.want)
		}
		tags, _ := tt.got["meta"].(map[string]any)["tag"].([]any)
		if len(tags) != 1 || tags[0].(map[string]any)["code"] != "SUBSETTED" {
			t.Errorf("%s: SUBSETTED tag missing: %v", tt.name, tt.got["meta"])
		}
	}
	if _, ok := obs["meta"]; ok {
		t.Error("Summary changed its input")
	}
	if Summary(obs, SummaryFalse)["note"] == nil {
		t.Error("_summary=false must return the whole resource")
	}
	if _, err := ParseSummary("maybe"); err == nil {
		t.Error("ParseSummary accepted an unknown mode")
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
