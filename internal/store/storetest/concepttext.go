package storetest

import (
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/store"
)

// testConceptTextRows: a concept's text row (no system, no code: what
// versions before search.Values' withoutRepeatedText wrote beside every
// coded concept with a text) gives no value to sort by and matches no
// code without a system; :text still finds it.
func testConceptTextRows(t *testing.T, s store.Store) {
	coded := func(code string) search.TokenValue {
		return search.TokenValue{Param: "code", System: "http://loinc.org", Code: code, Text: "coded " + code}
	}
	text := search.TokenValue{Param: "code", Text: "blood pressure"}
	put(t, s,
		write("Observation", "ct1", 1, 1, coded("b"), text), // as an earlier version wrote it
		write("Observation", "ct2", 1, 2, coded("a")),
		write("Observation", "ct3", 1, 3, coded("c"), text),
		write("Observation", "ct4", 1, 4, search.TokenValue{Param: "code", Code: "nosystem"}),
		write("Observation", "ct5", 1, 5, text), // a concept with a text alone
	)
	for _, c := range []struct{ query, want string }{
		{"_sort=code,_id", "ct2,ct1,ct3,ct4,ct5"}, // ct5 has no code: last
		{"_sort=-code,_id", "ct4,ct3,ct1,ct2,ct5"},
	} {
		if got := strings.Join(runQuery(t, s, "Observation", c.query), ","); got != c.want {
			t.Errorf("Observation?%s = %s, want %s", c.query, got, c.want)
		}
	}
	for _, c := range []struct{ query, want string }{
		{"code=|nosystem", "ct4"},
		{"code:text=blood", "ct1,ct3,ct5"},
		{"code:missing=false", "ct1,ct2,ct3,ct4,ct5"},
	} {
		if got := strings.Join(sortedIDs(runQuery(t, s, "Observation", c.query)), ","); got != c.want {
			t.Errorf("Observation?%s = [%s], want [%s]", c.query, got, c.want)
		}
	}
}
