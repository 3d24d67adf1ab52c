package search

import "testing"

func TestSensitive(t *testing.T) {
	label := func(system, code string) map[string]any {
		return map[string]any{"resourceType": "Patient", "meta": map[string]any{"security": []any{map[string]any{"system": system, "code": code}}}}
	}
	for _, tc := range []struct {
		name string
		res  map[string]any
		want bool
	}{
		{"no meta", map[string]any{"resourceType": "Patient"}, false},
		{"restricted", label(ConfidentialitySystem, "R"), true},
		{"very restricted", label(ConfidentialitySystem, "V"), true},
		{"normal", label(ConfidentialitySystem, "N"), false},
		{"R of another system", label("http://example.org/labels", "R"), false},
		{"malformed security", map[string]any{"meta": map[string]any{"security": "R"}}, false},
	} {
		if got := Sensitive(tc.res); got != tc.want {
			t.Errorf("%s: Sensitive = %v, want %v", tc.name, got, tc.want)
		}
	}
}
