package sqlstore

import (
	"context"
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/store"
)

// indexTable describes one typed index table: its value columns (after
// type, id, param) and how to read its rows from extracted values. Text
// values are kept as their search.IndexPrefix, the form queries compare
// against (see searchsql.go), so no row outgrows PostgreSQL's btree entry.
type indexTable struct {
	name string
	cols []string // including param
	rows func(v *search.Values, emit func(...any))
}

// bound is the indexed form of a text value.
var bound = search.IndexPrefix

var indexTables = []indexTable{
	{"token_index", []string{"param", "system", "code", "text"}, func(v *search.Values, emit func(...any)) {
		for _, r := range v.Tokens {
			emit(r.Param, bound(r.System), bound(r.Code), bound(r.Text))
		}
	}},
	{"string_index", []string{"param", "norm", "exact"}, func(v *search.Values, emit func(...any)) {
		for _, r := range v.Strings {
			emit(r.Param, bound(r.Norm), bound(r.Exact))
		}
	}},
	{"reference_index", []string{"param", "target_type", "target_id", "url"}, func(v *search.Values, emit func(...any)) {
		for _, r := range v.References {
			emit(r.Param, r.TargetType, bound(r.TargetID), bound(r.URL))
		}
	}},
	{"date_index", []string{"param", "lo", "hi"}, func(v *search.Values, emit func(...any)) {
		for _, r := range v.Dates {
			emit(r.Param, r.Lo, r.Hi)
		}
	}},
	{"number_index", []string{"param", "value", "lo", "hi"}, func(v *search.Values, emit func(...any)) {
		for _, r := range v.Numbers {
			emit(r.Param, r.Value, r.Lo, r.Hi)
		}
	}},
	{"quantity_index", []string{"param", "system", "code", "unit", "value", "lo", "hi"}, func(v *search.Values, emit func(...any)) {
		for _, r := range v.Quantities {
			emit(r.Param, bound(r.System), bound(r.Code), bound(r.Unit), r.Value, r.Lo, r.Hi)
		}
	}},
	{"uri_index", []string{"param", "uri"}, func(v *search.Values, emit func(...any)) {
		for _, r := range v.URIs {
			emit(r.Param, bound(r.URI))
		}
	}},
	{"composite_index", []string{"param", "first_system", "first_code", "system", "code", "lo", "hi"}, func(v *search.Values, emit func(...any)) {
		for _, r := range v.Composites {
			emit(r.Param, bound(r.FirstSystem), bound(r.FirstCode), bound(r.System), bound(r.Code), r.Lo, r.Hi)
		}
	}},
}

// replaceIndexes drops the index rows of updated resources and inserts
// the new versions' rows, table by table, in multi-row statements. A
// version 1 has no rows to drop.
func (t *tx) replaceIndexes(ctx context.Context, ws []store.Write) error {
	var updated []resourceKey
	for _, w := range ws {
		if w.VersionID > 1 {
			updated = append(updated, resourceKey{w.Type, w.ID})
		}
	}
	if err := t.dropIndexes(ctx, updated); err != nil {
		return err
	}
	for _, tbl := range indexTables {
		var rows [][]any
		for i := range ws {
			w := &ws[i]
			tbl.rows(&w.Index, func(vals ...any) {
				rows = append(rows, append([]any{w.Type, w.ID}, vals...))
			})
		}
		if err := t.insertRows(ctx, tbl, rows); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) dropIndexes(ctx context.Context, keys []resourceKey) error {
	if len(keys) == 0 {
		return nil
	}
	// Without the owner indexes each DELETE reads whole tables.
	t.s.needIndexes()
	for _, tbl := range indexTables {
		err := t.chunked(ctx, len(keys), 2, func(lo, hi int) (string, []any) {
			var b strings.Builder
			args := make([]any, 0, (hi-lo)*2)
			b.WriteString(`DELETE FROM ` + tbl.name + ` WHERE `)
			for i, k := range keys[lo:hi] {
				if i > 0 {
					b.WriteString(` OR `)
				}
				b.WriteString(`(type = ? AND id = ?)`)
				args = append(args, k.typ, k.id)
			}
			return b.String(), args
		}, false)
		if err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) insertRows(ctx context.Context, tbl indexTable, rows [][]any) error {
	cols := 2 + len(tbl.cols)
	placeholder := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	head := t.s.d.insertInto(tbl.name) + ` (type, id, ` + strings.Join(tbl.cols, ", ") + `) VALUES `
	return t.chunked(ctx, len(rows), cols, func(lo, hi int) (string, []any) {
		var b strings.Builder
		b.Grow(len(head) + (hi-lo)*(len(placeholder)+2))
		args := make([]any, 0, (hi-lo)*cols)
		b.WriteString(head)
		for i, r := range rows[lo:hi] {
			if i > 0 {
				b.WriteString(`, `)
			}
			b.WriteString(placeholder)
			args = append(args, r...)
		}
		return b.String(), args
	}, false)
}

// ReplaceIndex rewrites one resource's index rows.
func (t *tx) ReplaceIndex(ctx context.Context, typ, id string, v search.Values) error {
	if err := t.flush(ctx); err != nil {
		return err
	}
	if err := t.dropIndexes(ctx, []resourceKey{{typ, id}}); err != nil {
		return t.fail(err)
	}
	for _, tbl := range indexTables {
		var rows [][]any
		tbl.rows(&v, func(vals ...any) { rows = append(rows, append([]any{typ, id}, vals...)) })
		if err := t.insertRows(ctx, tbl, rows); err != nil {
			return t.fail(err)
		}
	}
	return nil
}
