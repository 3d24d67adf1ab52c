package storetest

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/store"
)

// testSearchAtLimits runs searches at each of search's limits, under the
// access condition the service adds for a practice's staff: the store
// must answer every search Parse lets through.
func testSearchAtLimits(t *testing.T, s store.Store) {
	list := func(n int, f func(i int) string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = f(i)
		}
		return strings.Join(parts, ",")
	}
	names := list(search.MaxValues, func(i int) string { return fmt.Sprint("n", i) })
	chain := strings.Repeat("partof.", search.MaxDepth)
	has := strings.Repeat("_has:Organization:partof:", search.MaxDepth)
	params := func(n int, param string) string {
		return strings.Repeat("&"+param, n)[1:]
	}
	tests := []struct{ typ, query string }{
		{"Observation", "code=" + list(search.MaxValues, func(i int) string { return fmt.Sprint("http://loinc.org|", i) })},
		{"Observation", "code-value-quantity=" + list(search.MaxValues, func(i int) string {
			return fmt.Sprint("http://loinc.org|", i, "$gt", i, "|http://unitsofmeasure.org|mg")
		})},
		{"Organization", chain + "name=" + names},
		{"Organization", has + "name=" + names},
		{"Observation", "subject:Patient.organization." + strings.Repeat("partof.", search.MaxDepth-2) + "name=" + names},
		// The most conditions, deepest: every parameter a chain at MaxDepth.
		{"Organization", params(search.MaxTerms/search.MaxValues, chain+"name="+names)},
		{"Patient", params(search.MaxTerms, "name=x")},
		{"ActivityDefinition", "composed-of._lastUpdated=" + list(search.MaxTerms/145, func(i int) string { return fmt.Sprintf("ne20%02d", i) })},
		{"Patient", "_sort=" + list(search.MaxValues, func(i int) string { return []string{"name", "-birthdate", "family"}[i%3] })},
	}
	access := &search.Access{Patients: []string{"p1", "p2"}, Practice: "org1"}
	for _, tt := range tests {
		params, err := url.ParseQuery(tt.query)
		if err != nil {
			t.Fatal(err)
		}
		q, _, err := search.Parse([]string{tt.typ}, params, search.ParseOptions{DefaultCount: 10, MaxCount: 100})
		if err != nil {
			t.Errorf("%s?%.80s...: %v", tt.typ, tt.query, err)
			continue
		}
		q.Access = access
		if _, err := s.Search(context.Background(), q, store.PageRequest{}); err != nil {
			t.Errorf("%s?%.80s...: %v", tt.typ, tt.query, err)
		}
	}
}
