package sqlstore

import (
	"fmt"
	"regexp"
	"slices"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
	"github.com/gpcloud/gpcloud/internal/fhir/search"
)

// TestUnionRowsSchema: the ninth migration deletes the rows of exactly the
// parameters that are stored as others' rows, each from its own table.
func TestUnionRowsSchema(t *testing.T) {
	var want []string
	for _, typ := range definitions.ResourceTypes() {
		for _, p := range search.Params(typ) {
			if stored := p.StoredAs(); len(stored) != 1 || stored[0] != p.Code {
				want = append(want, fmt.Sprintf("%s %s %s", tableFor(p.Type), typ, p.Code))
			}
		}
	}
	var got []string
	stmt := regexp.MustCompile(`DELETE FROM (\w+) WHERE type = '(\w+)' AND param IN \(([^)]*)\)`)
	code := regexp.MustCompile(`'([\w-]+)'`)
	for _, m := range stmt.FindAllStringSubmatch(UnionRowsSchema(), -1) {
		for _, c := range code.FindAllStringSubmatch(m[3], -1) {
			got = append(got, fmt.Sprintf("%s %s %s", m[1], m[2], c[1]))
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("the migration deletes %q; the unions are %q", got, want)
	}
}
