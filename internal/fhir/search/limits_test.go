package search

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
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

// repeat joins n copies of f(i) with sep.
func repeat(n int, sep string, f func(i int) string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = f(i)
	}
	return strings.Join(parts, sep)
}

func TestParseLimits(t *testing.T) {
	codes := func(n int) string {
		return repeat(n, ",", func(i int) string { return fmt.Sprintf("http://loinc.org|%d", i) })
	}
	params := func(n, values int) string {
		return repeat(n, "&", func(int) string { return "code=" + codes(values) })
	}
	tests := []struct {
		name, typ, query string
		refused          bool
	}{
		{"values at the limit", "Observation", "code=" + codes(MaxValues), false},
		{"values over the limit", "Observation", "code=" + codes(MaxValues+1), true},
		{"far over, stopped early", "Observation", "code=" + strings.Repeat("x,", 1_000_000), true},
		{"escaped commas are not separators", "Patient", "name=" + strings.Repeat(`a\,`, MaxValues+1), false},
		{"sort keys at the limit", "Patient", "_sort=" + repeat(MaxValues, ",", func(int) string { return "name" }), false},
		{"sort keys over the limit", "Patient", "_sort=" + repeat(MaxValues+1, ",", func(int) string { return "name" }), true},
		{"sort keys of repeated _sort add up", "Patient", repeat(MaxValues+1, "&", func(int) string { return "_sort=name" }), true},
		{"chain at the limit", "Organization", strings.Repeat("partof.", MaxDepth) + "name=x", false},
		{"chain over the limit", "Organization", strings.Repeat("partof.", MaxDepth+1) + "name=x", true},
		{"chain from a typed reference", "Observation", "subject:Patient.organization." + strings.Repeat("partof.", MaxDepth-2) + "name=x", false},
		{"_has at the limit", "Organization", strings.Repeat("_has:Organization:partof:", MaxDepth) + "name=x", false},
		{"_has over the limit", "Organization", strings.Repeat("_has:Organization:partof:", MaxDepth+1) + "name=x", true},
		{"_has and chains together", "Patient", "_has:Observation:subject:performer:Practitioner." + strings.Repeat("_has:Organization:partof:", MaxDepth-1) + "name=x", true},
		{"terms at the limit", "Observation", params(MaxTerms/MaxValues, MaxValues), false},
		{"terms over the limit", "Observation", params(MaxTerms/MaxValues, MaxValues) + "&status=final", true},
		{"many one-value parameters", "Patient", repeat(MaxTerms+1, "&", func(i int) string { return fmt.Sprintf("name=n%d", i) }), true},
		{"sort keys count as terms", "Observation", params(MaxTerms/MaxValues, MaxValues) + "&_sort=date", true},
		// composed-of may reference any of 145 types, and each has _id.
		{"a chain counts each type it may reach", "ActivityDefinition", "composed-of._id=" + repeat(MaxTerms/145, ",", strconv.Itoa), false},
		{"a chain over the limit through its types", "ActivityDefinition", "composed-of._id=" + repeat(MaxTerms/145+1, ",", strconv.Itoa), true},
		{"fan-out multiplies along a chain", "ActivityDefinition", "composed-of.composed-of._id=1", true},
	}
	for _, tt := range tests {
		status, diag := parseError(t, tt.typ, tt.query)
		switch {
		case !tt.refused && status != 0:
			t.Errorf("%s: %d %s", tt.name, status, diag)
		case tt.refused && status != http.StatusBadRequest:
			t.Errorf("%s: status %d, want 400", tt.name, status)
		}
	}
}

// TestParseLimitsSystemSearch: a search of several named types compiles
// its filters once per type.
func TestParseLimitsSystemSearch(t *testing.T) {
	types := definitions.ResourceTypes()[:20]
	for _, tt := range []struct {
		values  int
		refused bool
	}{{MaxTerms / 20, false}, {MaxTerms/20 + 1, true}} {
		params := url.Values{"_lastUpdated": {repeat(tt.values, ",", func(i int) string { return fmt.Sprintf("ne20%02d", i) })}}
		_, _, err := Parse(types, params, ParseOptions{DefaultCount: 10, MaxCount: 100})
		if (err != nil) != tt.refused {
			t.Errorf("%d types, %d values: %v", len(types), tt.values, err)
		}
	}
}

func TestLimitErrorsAreTooCostly(t *testing.T) {
	err := CheckValues("_id", MaxValues+1)
	var fe *fhir.Error
	if !errors.As(err, &fe) || fe.Status != http.StatusBadRequest || fe.Issues[0].Code != fhir.CodeTooCostly || !strings.Contains(fe.Error(), `"_id"`) {
		t.Errorf("CheckValues: %v", err)
	}
	if err := CheckValues("_id", MaxValues); err != nil {
		t.Errorf("CheckValues at the limit: %v", err)
	}
}
