package search

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// parseError parses query for typ and returns the error's status and
// diagnostics (0 and "" when it parsed).
func parseError(t *testing.T, typ, query string) (int, string) {
	t.Helper()
	params, err := url.ParseQuery(query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	_, _, err = Parse([]string{typ}, params, ParseOptions{DefaultCount: 10, MaxCount: 100})
	if err == nil {
		return 0, ""
	}
	var fe *fhir.Error
	if !errors.As(err, &fe) {
		t.Fatalf("%s?%s: %v is not a FHIR error", typ, query, err)
	}
	return fe.Status, fe.Error()
}

func TestParseRefusesControlCharacters(t *testing.T) {
	tests := []struct {
		query string
		want  string // in the diagnostics; "" when the query is fine
	}{
		{"name=a%00", "U+0000"},
		{"name=%01", "U+0001"},
		{"identifier=urn:x%7Ca%1Fb", "U+001F"},
		{"name:exact=a%0Cb", "U+000C"},
		{"na%00me=x", "the name holds"},
		{"_sort=name%00", "U+0000"},
		{"_count=1%00", "U+0000"},
		{"name=%FF", "not valid UTF-8"},
		{"name=%C3", "not valid UTF-8"},
		// Tab, LF and CR may be in FHIR strings, so they may be searched for.
		{"address:exact=1%20High%20St%0D%0ALeeds%09LS1", ""},
		{"name=Bront%C3%AB", ""},
		{"name=a%7Fb", ""},
	}
	for _, tt := range tests {
		status, diag := parseError(t, "Patient", tt.query)
		switch {
		case tt.want == "" && status != 0:
			t.Errorf("Patient?%s: %d %s, want it parsed", tt.query, status, diag)
		case tt.want != "" && (status != http.StatusBadRequest || !strings.Contains(diag, tt.want)):
			t.Errorf("Patient?%s: %d %q, want 400 saying %q", tt.query, status, diag, tt.want)
		}
	}
}
