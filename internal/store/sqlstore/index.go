package sqlstore

import (
	"context"
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/store"
)

// indexTable describes one typed index table: its value columns (after
// type, id, pid) and how to read its rows from extracted values. Text
// values are kept as their search.IndexPrefix, the form queries compare
// against (see searchsql.go), so no row outgrows PostgreSQL's btree entry.
type indexTable struct {
	name string
	cols []string // including pid, the parameter
	// rows appends the statement arguments of v's rows for resource
	// typ/id to args (type, id, then cols, row after row) and returns
	// them with the number of rows. One
	// flat list for all of a statement's rows: a slice and a variadic
	// call for every row were
	// allocations for the collector to sweep (about 28,000 fewer in
	// audit.BenchmarkWriteBatch's 500 events, a tenth of its total).
	rows func(v *search.Values, typ string, rid int64, args []any, o rowOptions) ([]any, int)
}

// rowOptions are what the rows of a write depend on besides its values.
type rowOptions struct {
	// withNarrowed says whether the rows of narrowed reference
	// parameters are written (narrowed.go).
	withNarrowed bool
	// systemID, paramID and patientID number a token row's system, a
	// row's parameter and a token row's patient key (dictionary.go);
	// every name of the rows is numbered before they are made
	// (tx.numberNames).
	systemID, paramID, patientID func(name string) int64
	// resourceID numbers a resource or reference target (every one the
	// write names is numbered first, tx.numberResources).
	resourceID func(typ, id string) int64
}

// bound is the indexed form of a text value.
var bound = search.IndexPrefix

// patientKey is the patient key of v's token rows (search.Values.OnePatient,
// numbered in resource_key): one rule for numberNames and the rows.
func patientKey(v *search.Values) string {
	if len(v.Tokens) == 0 {
		return ""
	}
	return bound(v.OnePatient())
}

var indexTables = []indexTable{
	{"token_index", []string{"pid", "sid", "code", "text", "patient_rid"}, func(v *search.Values, typ string, rid int64, args []any, o rowOptions) ([]any, int) {
		if len(v.Tokens) == 0 {
			return args, 0
		}
		patient := o.patientID(patientKey(v))
		for _, r := range v.Tokens {
			args = append(args, typ, rid, o.paramID(r.Param), o.systemID(bound(r.System)), bound(r.Code), bound(r.Text), patient)
		}
		return args, len(v.Tokens)
	}},
	{"string_index", []string{"pid", "norm", "exact"}, func(v *search.Values, typ string, rid int64, args []any, o rowOptions) ([]any, int) {
		for _, r := range v.Strings {
			args = append(args, typ, rid, o.paramID(r.Param), bound(r.Norm), bound(r.Exact))
		}
		return args, len(v.Strings)
	}},
	{"reference_index", []string{"pid", "target_type", "target_rid", "url"}, func(v *search.Values, typ string, rid int64, args []any, o rowOptions) ([]any, int) {
		n := 0
		for _, r := range v.References {
			if !o.withNarrowed && search.Narrowed(typ, r.Param) {
				continue // its parts' rows hold it
			}
			var target int64
			if r.TargetType != "" && r.TargetID != "" {
				target = o.resourceID(r.TargetType, bound(r.TargetID))
			}
			args = append(args, typ, rid, o.paramID(r.Param), r.TargetType, target, bound(r.URL))
			n++
		}
		return args, n
	}},
	{"date_index", []string{"pid", "lo", "hi"}, func(v *search.Values, typ string, rid int64, args []any, o rowOptions) ([]any, int) {
		for _, r := range v.Dates {
			args = append(args, typ, rid, o.paramID(r.Param), r.Lo, r.Hi)
		}
		return args, len(v.Dates)
	}},
	{"number_index", []string{"pid", "value", "lo", "hi"}, func(v *search.Values, typ string, rid int64, args []any, o rowOptions) ([]any, int) {
		for _, r := range v.Numbers {
			args = append(args, typ, rid, o.paramID(r.Param), r.Value, r.Lo, r.Hi)
		}
		return args, len(v.Numbers)
	}},
	{"quantity_index", []string{"pid", "system", "code", "unit", "value", "lo", "hi"}, func(v *search.Values, typ string, rid int64, args []any, o rowOptions) ([]any, int) {
		for _, r := range v.Quantities {
			args = append(args, typ, rid, o.paramID(r.Param), bound(r.System), bound(r.Code), bound(r.Unit), r.Value, r.Lo, r.Hi)
		}
		return args, len(v.Quantities)
	}},
	{"uri_index", []string{"pid", "uri"}, func(v *search.Values, typ string, rid int64, args []any, o rowOptions) ([]any, int) {
		for _, r := range v.URIs {
			args = append(args, typ, rid, o.paramID(r.Param), bound(r.URI))
		}
		return args, len(v.URIs)
	}},
	{"composite_index", []string{"pid", "first_system", "first_code", "system", "code", "lo", "hi"}, func(v *search.Values, typ string, rid int64, args []any, o rowOptions) ([]any, int) {
		for _, r := range v.Composites {
			args = append(args, typ, rid, o.paramID(r.Param), bound(r.FirstSystem), bound(r.FirstCode), bound(r.System), bound(r.Code), r.Lo, r.Hi)
		}
		return args, len(v.Composites)
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
	if err := t.numberNames(ctx, ws); err != nil {
		return err
	}
	if err := t.dropIndexes(ctx, updated); err != nil {
		return err
	}
	// Each write's rid, looked up once rather than once a table.
	rids := make([]int64, len(ws))
	for i := range ws {
		rids[i] = t.resourceID(ws[i].Type, ws[i].ID)
	}
	var args []any // one buffer for every table's rows in turn
	o := t.rowOptions()
	for _, tbl := range indexTables {
		args = args[:0]
		n := 0
		for i := range ws {
			var added int
			args, added = tbl.rows(&ws[i].Index, ws[i].Type, rids[i], args, o)
			n += added
		}
		if err := t.unnumberedName(); err != nil {
			return err
		}
		if err := t.insertRows(ctx, tbl, args, n); err != nil {
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
				b.WriteString(`rid = ?`)
				args = append(args, t.resourceID(k.typ, k.id))
			}
			return b.String(), args
		}, false)
		if err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) insertRows(ctx context.Context, tbl indexTable, args []any, n int) error {
	cols := 2 + len(tbl.cols) // type, id and the table's own
	return t.chunked(ctx, n, cols, func(lo, hi int) (string, []any) {
		return t.s.insertSQL(tbl, hi-lo), args[lo*cols : hi*cols]
	}, false)
}

// insertSQL is the INSERT of n rows into tbl. Its text is made once for
// each table and row count (the counts come in a few sizes, see
// chunkSize): a 500-row statement's text is some 16 KB.
func (s *Store) insertSQL(tbl indexTable, n int) string {
	key := insertKey{tbl.name, n}
	if q, ok := s.inserts.Load(key); ok {
		return q.(string)
	}
	cols := 2 + len(tbl.cols)
	placeholder := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	var b strings.Builder
	b.WriteString(s.d.insertInto(tbl.name) + ` (type, rid, ` + strings.Join(tbl.cols, ", ") + `) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteString(`, `)
		}
		b.WriteString(placeholder)
	}
	q := b.String() // with "?": chunked rebinds it
	s.inserts.Store(key, q)
	return q
}

type insertKey struct {
	table string
	rows  int
}

// ReplaceIndex rewrites one resource's index rows.
func (t *tx) ReplaceIndex(ctx context.Context, typ, id string, v search.Values) error {
	if err := t.flush(ctx); err != nil {
		return err
	}
	ws := []store.Write{{Version: store.Version{Type: typ, ID: id}, Index: v}}
	if err := t.numberResources(ctx, ws); err != nil {
		return t.fail(err)
	}
	if err := t.numberNames(ctx, ws); err != nil {
		return t.fail(err)
	}
	if err := t.dropIndexes(ctx, []resourceKey{{typ, id}}); err != nil {
		return t.fail(err)
	}
	o, rid := t.rowOptions(), t.resourceID(typ, id)
	for _, tbl := range indexTables {
		args, n := tbl.rows(&v, typ, rid, nil, o)
		if err := t.unnumberedName(); err != nil {
			return t.fail(err)
		}
		if err := t.insertRows(ctx, tbl, args, n); err != nil {
			return t.fail(err)
		}
	}
	return nil
}

func (t *tx) rowOptions() rowOptions {
	return rowOptions{withNarrowed: t.s.writesNarrowedRows(), systemID: t.systemID, paramID: t.paramID, patientID: t.patientID, resourceID: t.resourceID}
}
