package patientview

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

func TestWithheld(t *testing.T) {
	nopat := func(system string) fhir.Resource {
		return fhir.Resource{"resourceType": "Observation", "meta": map[string]any{"security": []any{map[string]any{"system": system, "code": "NOPAT"}}}}
	}
	inbox := func(state string) fhir.Resource {
		return fhir.Resource{"resourceType": "DiagnosticReport", "meta": map[string]any{"tag": []any{
			map[string]any{"system": "https://gpcloud.dev/fhir/CodeSystem/inbox-source", "code": "pathology"},
			map[string]any{"system": InboxTagSystem, "code": state}}}}
	}
	coded := func(system, code string) fhir.Resource {
		return fhir.Resource{"resourceType": "Condition", "code": map[string]any{"coding": []any{map[string]any{"system": system, "code": code}}}}
	}
	for _, c := range []struct {
		name string
		res  fhir.Resource
		want bool
	}{
		{"NOPAT", nopat(ActCodeSystem), true},
		{"NOPAT, old system", nopat("http://hl7.org/fhir/v3/ActCode"), true},
		{"NOPAT code in another system", nopat("http://example.org/labels"), false},
		{"enhanced review", coded(SNOMED, "1364731000000104"), true},
		{"enhanced review, second code", coded(SNOMED, "1364751000000106"), true},
		{"review code in another system", coded("http://example.org", "1364731000000104"), false},
		{"ordinary problem", coded(SNOMED, "38341003"), false},
		{"result received", inbox("received"), true},
		{"result to match", inbox("to-match"), true},
		{"letter to file", inbox("to-file"), true},
		{"result filed", inbox("filed"), false},
		{"practice's own report (no inbox tag)", fhir.Resource{"resourceType": "DiagnosticReport"}, false},
	} {
		if got := Withheld(c.res); got != c.want {
			t.Errorf("%s: Withheld = %v, want %v", c.name, got, c.want)
		}
		// Every withheld resource carries a marker in its JSON.
		b, _ := json.Marshal(c.res)
		marked := false
		for _, m := range Markers {
			marked = marked || bytes.Contains(b, m)
		}
		if c.want && !marked {
			t.Errorf("%s: withheld but no marker in %s", c.name, b)
		}
	}
}
