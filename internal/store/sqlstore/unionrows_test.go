package sqlstore

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
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
			if stored := p.StoredAs(); (len(stored) != 1 || stored[0] != p.Code) && p.StoredTarget() == "" {
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

// TestNarrowedRowsDelete: DropNarrowedRows deletes the reference rows of
// exactly the parameters stored as others' rows narrowed to a target
// type.
func TestNarrowedRowsDelete(t *testing.T) {
	var want []string
	for _, typ := range definitions.ResourceTypes() {
		for _, p := range search.Params(typ) {
			if p.StoredTarget() != "" {
				want = append(want, typ+" "+p.Code)
			}
		}
	}
	var got []string
	stmt := regexp.MustCompile(`DELETE FROM reference_index WHERE pid = \(SELECT pid FROM search_param WHERE name = '([\w-]+)'\) AND type IN \(([^)]*)\)`)
	typ := regexp.MustCompile(`'(\w+)'`)
	stmts := stmt.FindAllStringSubmatch(narrowedRowsDelete(), -1)
	for _, m := range stmts {
		for _, c := range typ.FindAllStringSubmatch(m[2], -1) {
			got = append(got, c[1]+" "+m[1])
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if len(want) == 0 || !slices.Equal(got, want) || len(stmts) != strings.Count(narrowedRowsDelete(), "DELETE") {
		t.Errorf("the migration deletes %q; the narrowed parameters are %q", got, want)
	}
}
