package sqlstore

import (
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir/search"
)

// TestPairedFilters: which searches read a composite's rows for two of
// their filters (withPairedFilters), what the rest of the query keeps,
// and that the caller's query is not changed.
func TestPairedFilters(t *testing.T) {
	for _, c := range []struct {
		typ, query string
		want       []string // the planned filters' codes, in order
	}{
		{"Observation", "code=http://loinc.org|4548-4&value-quantity=gt48", []string{"code-value-quantity"}},
		{"Observation", "patient=p1&value-quantity=gt48&code=4548-4", []string{"code-value-quantity", "patient"}}, // in the place of the pair's first
		{"Observation", "code=1&value-concept=2&value-quantity=gt3", []string{"code-value-concept", "value-quantity"}},
		{"Observation", "code=1&code=2&value-quantity=gt3", []string{"code-value-quantity", "code"}}, // one pair: the other code still holds
		{"Observation", "code=1&value-quantity=gt3|http://unitsofmeasure.org|mg", []string{"code", "value-quantity"}},
		{"Observation", "component-code=1&component-value-quantity=gt3", []string{"component-code", "component-value-quantity"}},
		{"Observation", "code=1", []string{"code"}},
		{"Condition", "code=1&onset-date=ge2020", []string{"code", "onset-date"}},
	} {
		q := parsed(t, c.query, c.typ)
		before := codes(q.Filters)
		planned := withPairedFilters(q)
		if got := codes(planned.Filters); strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("%s?%s: planned %v, want %v", c.typ, c.query, got, c.want)
		}
		if got := codes(q.Filters); strings.Join(got, " ") != strings.Join(before, " ") {
			t.Errorf("%s?%s: the caller's query changed to %v", c.typ, c.query, got)
		}
		sql := whereSQL(planned)
		paired := strings.Contains(strings.Join(c.want, " "), "code-value-")
		if strings.Contains(sql, "composite_index") != paired {
			t.Errorf("%s?%s: the SQL reads composite_index: %v, want %v\n%s", c.typ, c.query, !paired, paired, sql)
		}
	}
}

func codes(fs []*search.Filter) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Param.Code)
	}
	return out
}
