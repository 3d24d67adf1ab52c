package sqlstore

import (
	"net/url"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir/search"
)

// parsed is query parsed as a search of types, for the plan tests.
func parsed(t *testing.T, query string, types ...string) *search.Query {
	t.Helper()
	params, err := url.ParseQuery(query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	q, _, err := search.Parse(types, params, search.ParseOptions{DefaultCount: 50, MaxCount: 1000})
	if err != nil {
		t.Fatalf("%v?%s: %v", types, query, err)
	}
	return q
}

// whereSQL is the WHERE clause q plans to, led as lead chooses: unindexed
// columns written as SQLite does, parts gated as PostgreSQL does.
func whereSQL(q *search.Query) string {
	sb := (&Store{d: Dialect{Unindexed: func(col string) string { return "+" + col }}}).builder(time.Now())
	sb.where(q, lead(q))
	return sb.b.String()
}
