package sqlstore

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
	"github.com/gpcloud/gpcloud/internal/fhir/search"
)

// sqlBuilder accumulates a statement and its arguments ("?" placeholders,
// rebound for the dialect at the end).
type sqlBuilder struct {
	b       strings.Builder
	args    []any
	alias   int
	now     time.Time
	dialect *Dialect
	// systems and params number token systems and parameters
	// (dictionary.go); nil looks each up in the statement.
	systems, params *dictionary
}

// noIndex wraps a column so the planner will not use an index on it (see
// Dialect.Unindexed).
func (sb *sqlBuilder) noIndex(col string) string {
	if sb.dialect == nil || sb.dialect.Unindexed == nil {
		return col
	}
	return sb.dialect.Unindexed(col)
}

// noIndexNumber is noIndex for an integer column (a parameter's or a
// system's number).
func (sb *sqlBuilder) noIndexNumber(col string) string {
	if sb.dialect != nil && sb.dialect.UnindexedNumber != nil {
		return sb.dialect.UnindexedNumber(col)
	}
	return sb.noIndex(col)
}

func (sb *sqlBuilder) w(s string, args ...any) {
	sb.b.WriteString(s)
	sb.args = append(sb.args, args...)
}

func (sb *sqlBuilder) nextAlias(prefix string) string {
	sb.alias++
	return prefix + strconv.Itoa(sb.alias)
}

// tableFor names the index table of a parameter type.
func tableFor(paramType string) string {
	switch paramType {
	case "string":
		return "string_index"
	case "token":
		return "token_index"
	case "reference":
		return "reference_index"
	case "date":
		return "date_index"
	case "number":
		return "number_index"
	case "quantity":
		return "quantity_index"
	case "uri":
		return "uri_index"
	case "composite":
		return "composite_index"
	}
	return ""
}

// prefixEnd is the exclusive upper bound of the strings starting with p
// (the columns compare bytewise; U+10FFFF sorts after every character).
func prefixEnd(p string) string { return p + "\U0010FFFF" }

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// filter writes a condition on idCol, the id of a resource of type typ,
// that holds when the resource matches f.
func (sb *sqlBuilder) filter(f *search.Filter, typ, idCol string) {
	if f.Param.Code == "_id" && f.Has == nil && f.Chain == nil {
		ids := make([]string, len(f.Values))
		for i, v := range f.Values {
			ids[i] = v.Code
		}
		sb.idsIn(idCol, typ, ids, f.Modifier == "not")
		return
	}
	op := " IN ("
	if f.Modifier == "not" || f.Missing != nil && *f.Missing {
		op = " NOT IN ("
	}
	sb.w(idCol + op)
	sb.filterIDs(f, typ, false)
	sb.w(`)`)
}

// sought writes filter's condition on idCol for ids to be sought in an
// index on idCol one by one: as an array found first where the dialect
// says so (Dialect.SeekByArray).
func (sb *sqlBuilder) sought(f *search.Filter, typ, idCol string) {
	if sb.dialect == nil || !sb.dialect.SeekByArray || f.Param.Code == "_id" && f.Has == nil && f.Chain == nil {
		sb.filter(f, typ, idCol)
		return
	}
	if f.Modifier == "not" || f.Missing != nil && *f.Missing {
		sb.w(`NOT `)
	}
	sb.w(`(` + idCol + ` = ANY(ARRAY(`)
	sb.filterIDs(f, typ, false)
	sb.w(`)))`)
}

// filterIDs writes a SELECT of the rids (a column named rid) of typ's
// resources that have matching index rows (for :not and :missing=true,
// those that have rows to exclude; the caller negates).
func (sb *sqlBuilder) filterIDs(f *search.Filter, typ string, distinct bool) (idCol string) {
	sel := `SELECT `
	if distinct {
		sel = `SELECT DISTINCT `
	}
	p := f.Param
	switch {
	case hasByPatientKey(f, typ):
		sb.hasByPatientKey(f, sel)
		return "" // a union: nothing may be appended to it
	case f.Has != nil:
		r := sb.nextAlias("h")
		// Driven by the inner matches (their references found through the
		// owner index), not by every reference of the parameter.
		params, target := storedRef(f.Has.RefParam)
		sb.w(sel+targetOf(r)+` AS rid FROM reference_index `+r+` WHERE `+r+`.type = ? AND `, f.Has.Type)
		sb.paramIn(sb.noIndexNumber(r+`.pid`), params)
		sb.narrowTo(r, target)
		sb.w(` AND `+r+`.target_type = ? AND `, typ)
		sb.filter(f.Has.Next, f.Has.Type, keyOf(r))
		sb.guard(f.Has.Guard, f.Has.Type, keyOf(r))
		return targetOf(r)
	case f.Chain != nil:
		r := sb.nextAlias("r")
		params, target := storedRef(p)
		sb.w(sel+keyOf(r)+` FROM reference_index `+r+` WHERE `+r+`.type = ? AND `, typ)
		sb.paramIn(r+`.pid`, params)
		sb.narrowTo(r, target)
		sb.w(` AND (`)
		sb.balanced(len(f.Chain.Targets), "OR", func(i int) {
			target := f.Chain.Targets[i]
			sb.w(`(`+r+`.target_type = ? AND `, target)
			sb.filter(f.Chain.Next, target, targetOf(r))
			sb.guard(f.Chain.Guards[target], target, targetOf(r))
			sb.w(`)`)
		})
		sb.w(`)`)
		return keyOf(r)
	}
	table, _, _ := filterTable(f)
	x := sb.nextAlias("x")
	sb.w(sel + keyOf(x) + ` FROM ` + table + ` ` + x + ` WHERE `)
	sb.rowsOf(f, typ, x)
	return keyOf(x)
}

// rowsOf writes that index row x is one of typ's rows of filter f: its
// stored parameters (a narrowed reference's target too) and, unless f
// asks whether the rows are missing, one of its values.
func (sb *sqlBuilder) rowsOf(f *search.Filter, typ, x string) {
	_, params, target := filterTable(f)
	sb.w(x+`.type = ? AND `, typ)
	sb.paramIn(x+`.pid`, params)
	sb.narrowTo(x, target)
	if f.Missing != nil {
		return
	}
	sb.w(` AND (`)
	sb.values(f, x)
	sb.w(`)`)
}

// hasByPatientKey tells whether an _has filter can read the patients
// from the patient key of the inner resources' token rows (the eleventh
// migration, search.Values.OnePatient): Patient?_has:T:patient:P=V with P
// a plain token parameter of T, and no guard on T. The key is the one
// Patient T's patient parameter names, so it is what the references
// would give, for every resource that has one.
func hasByPatientKey(f *search.Filter, typ string) bool {
	return f.Has != nil && typ == "Patient" && f.Has.Guard == nil &&
		patientKeyParam(f.Has.Type, f.Has.RefParam) && plainToken(f.Has.Next)
}

// patientKeyParam tells whether reference parameter p of typ, read for
// Patients, names exactly the patients its resources' patient keys hold:
// typ's patient parameter itself, or the one it narrows to Patients
// (Observation's subject, read for Patients).
func patientKeyParam(typ string, p *search.Param) bool {
	pp := search.Lookup(typ, "patient")
	if pp == nil {
		return false
	}
	return p.Code == pp.Code ||
		pp.StoredTarget() == "Patient" && p.StoredTarget() == "" && slices.Equal(p.StoredAs(), pp.StoredAs())
}

// plainToken tells whether f is a token filter without modifier, read
// from the token rows (not _id).
func plainToken(f *search.Filter) bool {
	return f.Has == nil && f.Chain == nil && f.Missing == nil && f.Modifier == "" &&
		f.Param.Type == "token" && f.Param.Code != "_id"
}

// hasByPatientKey writes the patients of hasByPatientKey's filter: the
// keys of the matching token rows that have one, and, for those that do
// not (a resource naming no patient or several, or a row a server of an
// earlier version wrote), the patients their references name, as every
// _has reads them. At 10x Synthea, Patient?_has:Observation:patient:code=X
// reads 9,600 index entries instead of making 9,600 reference lookups
// (bench/README.md has the figures).
func (sb *sqlBuilder) hasByPatientKey(f *search.Filter, sel string) {
	inner := f.Has.Next
	table, _, _ := filterTable(inner)
	t := sb.nextAlias("t")
	// The keys are the Patients' rids, as the search passes them on.
	sb.w(sel + t + `.patient_rid AS rid FROM ` + table + ` ` + t + ` WHERE `)
	sb.rowsOf(inner, f.Has.Type, t)
	sb.w(` AND ` + t + `.patient_rid <> 0 UNION ALL `)
	t, r := sb.nextAlias("t"), sb.nextAlias("h")
	refParams, target := storedRef(f.Has.RefParam)
	sb.w(sel + targetOf(r) + ` AS rid FROM ` + table + ` ` + t + ` JOIN reference_index ` + r + ` ON `)
	sb.ownedByRowOf(r, t)
	sb.w(` AND `)
	sb.paramIn(r+`.pid`, refParams)
	sb.narrowTo(r, target)
	sb.w(` AND `+r+`.target_type = ? WHERE `, "Patient")
	sb.rowsOf(inner, f.Has.Type, t)
	sb.w(` AND ` + t + `.patient_rid = 0`)
}

// keyedChain returns, for a search led by a chain through its type's
// patient parameter to Patients (Observation?patient.name=X&code=Y, or
// subject:Patient.name=X), the index of a token filter beside the chain
// whose rows keyedChainIDs reads by their patient keys (seeksPatientKey);
// -1 when there is none.
func keyedChain(q *search.Query, l int) int {
	if l < 0 || len(q.Types) != 1 {
		return -1
	}
	f := q.Filters[l]
	if f.Chain == nil || len(f.Chain.Targets) != 1 || f.Chain.Targets[0] != "Patient" || !patientKeyParam(q.Types[0], f.Param) {
		return -1
	}
	for j, o := range q.Filters {
		if j != l && seeksPatientKey(o) {
			return j
		}
	}
	return -1
}

// seeksPatientKey tells whether a token filter's rows for one patient
// key are one range of the lookup index (type, param, code, system,
// patient, id; the thirteenth migration): one value naming its system
// and its code. A code without its system would leave the key unsought
// behind every system, and the search would read all the code's rows.
func seeksPatientKey(f *search.Filter) bool {
	return plainToken(f) && len(f.Values) == 1 && f.Values[0].HasSystem && f.Values[0].Code != ""
}

// keyedChainRows is how many of its token filter's rows without a
// patient key a chain's search reads by their references at most
// (keyedChainIDs). On a store whose rows all have keys there are few:
// those of resources naming no patient or several. A store whose rows an
// earlier version wrote, not yet reindexed, may have one for every
// resource: checking each against the chain would cost more than the
// chain's own references, so the chain leads then, as it did before.
var keyedChainRows = 2000

// keyedChainIDs writes the ids of keyedChain's search, read from the
// token filter's rows by patient key, in one statement of three parts,
// of which the rows' count without a key (bounded: one range of the
// index) chooses:
//
//   - few: the rows whose key is one of the chain's patients (a range of
//     the lookup index for each patient), and the rows without a key
//     whose references match the chain, as every chain reads them;
//   - many: the chain leads and the token filter is probed on each of its
//     references, as before keys.
//
// The other filters are probed on the ids either way. At 10x Synthea,
// Observation?subject:Patient.name=X&code=Y reads the code's rows of the
// chain's 10 patients (230) instead of probing 4,210 references for the
// code (bench/README.md has the figures).
func (sb *sqlBuilder) keyedChainIDs(q *search.Query, l, k int, typ string) {
	chain, tok := q.Filters[l], q.Filters[k]
	others := without(q.Filters, l, k)
	table, _, _ := filterTable(tok)
	few, z := sb.nextAlias("few"), sb.nextAlias("z")
	sb.w(`WITH ` + few + ` AS (SELECT count(*) <= ` + strconv.Itoa(keyedChainRows) + ` AS yes FROM (SELECT 1 FROM ` + table + ` ` + z + ` WHERE `)
	sb.rowsOf(tok, typ, z)
	sb.w(` AND ` + z + `.patient_rid = 0 LIMIT ` + strconv.Itoa(keyedChainRows+1) + `) n) `)

	t := sb.nextAlias("t")
	sb.w(`SELECT ` + keyOf(t))
	sb.gated(few, true, func() { sb.w(table + ` ` + t) })
	sb.w(` AND `)
	sb.rowsOf(tok, typ, t)
	sb.w(` AND ` + t + `.patient_rid <> 0 AND `)
	sb.patientRIDs(t+".patient_rid", chain.Chain)
	sb.probeAll(others, typ, keyOf(t))

	t = sb.nextAlias("t")
	sb.w(` UNION ALL SELECT ` + keyOf(t))
	sb.gated(few, true, func() { sb.w(table + ` ` + t) })
	sb.w(` AND `)
	sb.rowsOf(tok, typ, t)
	// Unindexed: from the few rows without a key to the chain's
	// references, not from each reference to the rows (PostgreSQL and
	// SQLite both chose the latter: 3,950 seeks for no row).
	sb.w(` AND ` + t + `.patient_rid = 0 AND `)
	sb.filter(chain, typ, sb.noIndexNumber(keyOf(t)))
	sb.probeAll(others, typ, keyOf(t))

	ch := sb.nextAlias("ch")
	sb.w(` UNION ALL SELECT ` + keyOf(ch))
	sb.gated(few, false, func() {
		sb.w(`(`)
		sb.probedLead(q, l, typ)
		sb.w(`) ` + ch)
	})
}

// patientRIDs writes that col, a token row's patient key (a rid), is the
// rid of one of the Patients chain's next filter and guard select, found
// first, so that the lookup index is sought by each (as an array where
// the dialect seeks so, Dialect.SeekByArray). resource_key is read by
// its rid alone (its primary key): the Patients' index rows the filter
// reads are of Patients already.
func (sb *sqlBuilder) patientRIDs(col string, chain *search.Chain) {
	k := sb.nextAlias("k")
	byArray := sb.dialect != nil && sb.dialect.SeekByArray
	if byArray {
		sb.w(col + ` = ANY(ARRAY(`)
	} else {
		sb.w(col + ` IN (`)
	}
	sb.w(`SELECT ` + k + `.rid FROM resource_key ` + k + ` WHERE `)
	sb.sought(chain.Next, "Patient", keyOf(k))
	sb.guard(chain.Guards["Patient"], "Patient", keyOf(k))
	if byArray {
		sb.w(`)`)
	}
	sb.w(`)`)
}

// gated writes " FROM <from> WHERE <one-row CTE few says yes (or no)>"
// for a part of a statement that runs only on that answer; the part's
// own conditions follow (" AND ..."). SQLite tests a condition on a
// scalar subquery on every row, not once, so there the CTE is joined
// outermost (CROSS JOIN fixes SQLite's join order) and the part reads
// nothing when it says no; PostgreSQL reorders cross joins, but makes an
// uncorrelated scalar subquery a one-time filter that skips the part
// (Dialect.GateByJoin).
func (sb *sqlBuilder) gated(few string, yes bool, from func()) {
	not := ""
	if !yes {
		not = "NOT "
	}
	if sb.dialect != nil && sb.dialect.GateByJoin {
		sb.w(` FROM ` + few + ` CROSS JOIN `)
		from()
		sb.w(` WHERE ` + not + few + `.yes`)
		return
	}
	sb.w(` FROM `)
	from()
	sb.w(` WHERE ` + not + `(SELECT yes FROM ` + few + `)`)
}

// nestsProbes tells whether the other filters of a search led by an index
// are probed inside the lead's subquery, on the index rows' ids, rather
// than on the current-version rows the lead selects: each candidate then
// costs a seek in resource_current only when it passes them. At 1x on
// SQLite, Observation?code=72514-3&date=ge2019-01-01 has 1,921 code
// matches of which 358 pass the date: 1,563 seeks fewer. Only for a lead
// read from one index table: a chain's or _has's rows may repeat an id.
// (An _id filter never leads: lead leaves the ids to the primary key.)
func nestsProbes(q *search.Query, l int) bool {
	if l < 0 || len(q.Filters) < 2 {
		return false
	}
	f := q.Filters[l]
	return f.Has == nil && f.Chain == nil
}

// leadIDs writes the ids the lead's index rows select, with the other
// filters probed on those rows (nestsProbes); the ids may repeat.
func (sb *sqlBuilder) leadIDs(q *search.Query, l int, typ string) {
	if k := keyedChain(q, l); k >= 0 {
		sb.keyedChainIDs(q, l, k, typ)
		return
	}
	sb.probedLead(q, l, typ)
}

// probedLead writes the lead's ids with the other filters probed on them.
func (sb *sqlBuilder) probedLead(q *search.Query, l int, typ string) {
	idCol := sb.filterIDs(q.Filters[l], typ, false)
	sb.probeAll(without(q.Filters, l), typ, idCol)
}

// probeAll writes " AND (...)" probing each of filters on the resource
// idCol names; nothing for none. Balanced: a long AND chain would pass
// SQLite's expression depth limit (storetest SearchAtLimits).
func (sb *sqlBuilder) probeAll(filters []*search.Filter, typ, idCol string) {
	if len(filters) == 0 {
		return
	}
	sb.w(` AND (`)
	sb.balanced(len(filters), "AND", func(j int) { sb.probe(filters[j], typ, idCol) })
	sb.w(`)`)
}

// without is filters less those at the positions skip names.
func without(filters []*search.Filter, skip ...int) []*search.Filter {
	var out []*search.Filter
	for j, f := range filters {
		if !slices.Contains(skip, j) {
			out = append(out, f)
		}
	}
	return out
}

// indexOnlyPage tells whether a search's first page can be counted and
// ordered from its lead's index rows alone, with resource_current read
// for the page's resources only: one type, a lead read from the type's
// own index rows (a chain's too: its ids are the type's own reference
// rows, its targets tested on their own index rows; not an _has' targets,
// which are other resources' references and may name resources that do
// not exist), no compartment, no access condition, the default order.
// It rests on index rows existing only for current versions that are
// not deletions: a write replaces a resource's rows in its transaction,
// and a deletion leaves none (tx.Put; hazard H-1308).
// The other filters are probed on the lead's rows (leadIDs), and those
// probes read index rows too: another resource's (_has) or a chain's
// targets', which exist only while those are current. At 10x Synthea on
// PostgreSQL, Encounter?date=ge2020-01-01 (5,110 matches) scanned all of
// resource_current to join them (118 ms in EXPLAIN ANALYZE); from the
// index rows alone it took 10-17 ms (bench/README.md).
func indexOnlyPage(q *search.Query, l int) bool {
	if l < 0 || len(q.Types) != 1 || q.Compartment != nil || q.Access != nil || len(q.Sort) > 0 {
		return false
	}
	f := q.Filters[l]
	return f.Has == nil && f.Missing == nil
}

// values writes the OR of a filter's values on index row x.
func (sb *sqlBuilder) values(f *search.Filter, x string) {
	sb.balanced(len(f.Values), "OR", func(i int) {
		sb.w(`(`)
		if f.Param.Type == "composite" {
			sb.compositeValue(f.Param, x, f.Values[i])
		} else {
			sb.value(f.Param, f.Modifier, x, f.Values[i])
		}
		sb.w(`)`)
	})
}

// balanced writes n terms joined by op (AND, OR) as a balanced tree:
// SQLite refuses an expression more than 1,000 levels deep, and a flat
// "a OR b OR c ..." nests one level per term, so 500 values broke a query
// that ((a OR b) OR (c OR d)) writes in 10 levels. Both databases flatten
// the tree again when planning, so plans do not change. Each term must
// bind tighter than op (parenthesise it, or be a comparison, IN or
// EXISTS).
func (sb *sqlBuilder) balanced(n int, op string, term func(i int)) {
	var span func(lo, hi int)
	span = func(lo, hi int) {
		if hi-lo == 1 {
			term(lo)
			return
		}
		mid := (lo + hi) / 2
		sb.w(`(`)
		span(lo, mid)
		sb.w(`) ` + op + ` (`)
		span(mid, hi)
		sb.w(`)`)
	}
	if n > 0 {
		span(0, n)
	}
}

// filterTable is the index table and the stored parameter names of a
// filter: the parameter's own, those of the parameters it is the union
// of, or those of the reference parameters it narrows, whose rows must
// then name target (search.Param.StoredAs, StoredTarget; "" otherwise).
// A narrowed parameter's :identifier rows are its own (tokens hold no
// target type).
func filterTable(f *search.Filter) (table string, params []string, target string) {
	table, suffix := tableFor(f.Param.Type), ""
	stored := f.Param.StoredAs()
	switch f.Modifier {
	case "identifier":
		table, suffix = "token_index", ":identifier"
		if f.Param.StoredTarget() != "" {
			stored = []string{f.Param.Code}
		}
	case "of-type":
		suffix = ":of-type"
	}
	for _, code := range stored {
		params = append(params, code+suffix)
	}
	if table == "reference_index" {
		target = f.Param.StoredTarget()
	}
	return table, params, target
}

// narrowTo writes that reference row x names target, when a narrowed
// parameter's rows are read ("": nothing to write).
func (sb *sqlBuilder) narrowTo(x, target string) {
	if target != "" {
		sb.w(` AND `+x+`.target_type = ?`, target)
	}
}

// storedRef is the stored parameter names of a reference parameter and
// the target its rows must name (filterTable, for the parameter alone).
func storedRef(p *search.Param) (params []string, target string) {
	return p.StoredAs(), p.StoredTarget()
}

// probe writes a filter as a correlated [NOT] EXISTS on the index rows of
// the resource idCol names (found through the owner index): the cheap way
// to check a condition on candidates another filter already narrowed
// down. An empty typ probes rows of c's own type (a search over every
// type; idCol is c.rid then).
func (sb *sqlBuilder) probe(f *search.Filter, typ, idCol string) {
	if f.Has != nil || f.Chain != nil || f.Param.Code == "_id" {
		sb.filter(f, typ, idCol)
		return
	}
	table, params, target := filterTable(f)
	x := sb.nextAlias("x")
	not := f.Modifier == "not" || f.Missing != nil && *f.Missing
	if not {
		sb.w(`NOT `)
	}
	sb.w(`EXISTS (SELECT 1 FROM ` + table + ` ` + x + ` WHERE `)
	sb.ownedBy(x, idCol) // for typ "", c's own rows: idCol is c.rid
	sb.w(` AND `)
	sb.paramIn(sb.noIndexNumber(x+`.pid`), params)
	sb.narrowTo(x, target)
	if f.Missing == nil {
		sb.w(` AND (`)
		sb.values(f, x)
		sb.w(`)`)
	}
	sb.w(sb.dialect.ProbeSuffix + `)`)
}

// selectivity ranks how few resources a filter is likely to match
// (lower is fewer): the most selective drives the query through its
// index, the others are probed per candidate.
func selectivity(f *search.Filter) int {
	switch {
	case f.Missing != nil || f.Modifier == "not" || f.Modifier == "contains" || f.Modifier == "text" || f.Modifier == "above":
		return 100
	case f.Param.Code == "_id":
		return 0
	case f.Has != nil, f.Chain != nil:
		return 30
	}
	switch f.Param.Type {
	case "reference":
		return 10
	case "token":
		if f.Param.Code == "identifier" || f.Modifier == "identifier" || f.Modifier == "of-type" {
			return 5
		}
		return 40
	case "string", "uri":
		return 20
	case "composite":
		return 35
	}
	return 50
}

// driver picks the filter that leads the query, or -1 for none.
func driver(filters []*search.Filter) int {
	best, rank := -1, 100
	for i, f := range filters {
		if r := selectivity(f); r < rank {
			best, rank = i, r
		}
	}
	return best
}

// value writes the condition on index row x for one search value. Text is
// compared in the bounded form the index keeps (see indexTables).
func (sb *sqlBuilder) value(p *search.Param, modifier, x string, v search.Value) {
	paramType := p.Type
	switch {
	case modifier == "identifier":
		sb.tokenValue(x, v)
		return
	}
	switch paramType {
	case "string":
		switch modifier {
		case "exact":
			sb.w(x+`.norm = ? AND `+x+`.exact = ?`, bound(search.Normalize(v.Text)), bound(v.Text))
		case "contains":
			sb.w(x+`.norm LIKE ? ESCAPE '\'`, "%"+likeEscape(bound(v.Text))+"%")
		default:
			sb.startsWith(x+`.norm`, v.Text)
		}
	case "token":
		if modifier == "text" {
			sb.startsWith(x+`.text`, v.Text)
			return
		}
		if modifier == "below" || modifier == "above" {
			sb.hierarchyValue(x, v, modifier == "below")
			return
		}
		sb.tokenValue(x, v)
	case "reference":
		switch {
		case v.URL != "":
			sb.w(x+`.url = ?`, bound(v.URL))
		default:
			sb.targetIs(x, v.RefType, bound(v.RefID), p.Targets)
		}
	case "uri":
		switch modifier {
		case "below":
			sb.startsWith(x+`.uri`, v.Text)
		case "above":
			sb.w(x+`.uri = substr(CAST(? AS TEXT), 1, length(`+x+`.uri))`, bound(v.Text))
		default:
			sb.w(x+`.uri = ?`, bound(v.Text))
		}
	case "date":
		sb.dateValue(x+".lo", x+".hi", v)
	case "number":
		sb.numberValue(x+".value", v)
	case "quantity":
		sb.numberValue(x+".value", v)
		if v.Code != "" {
			sb.w(` AND (`+x+`.code = ? OR `+x+`.unit = ?)`, bound(v.Code), bound(v.Code))
		}
		if v.HasSystem {
			sb.w(` AND `+x+`.system = ?`, bound(v.System))
		}
	}
}

// startsWith matches the values of col that start with the bounded prefix.
func (sb *sqlBuilder) startsWith(col, prefix string) {
	prefix = bound(prefix)
	sb.w(col+` >= ? AND `+col+` < ?`, prefix, prefixEnd(prefix))
}

// compositeValue matches a composite_index row: the first part on
// first_system/first_code, the second by its own type.
func (sb *sqlBuilder) compositeValue(p *search.Param, x string, v search.Value) {
	first, second := v.Parts[0], v.Parts[1]
	switch p.Components[0].Param.Type {
	case "reference":
		if first.RefType == "" {
			sb.w(x+`.first_code LIKE ? ESCAPE '\'`, "%/"+likeEscape(first.RefID))
		} else {
			sb.w(x+`.first_code = ?`, bound(first.RefType+"/"+first.RefID))
		}
	default:
		sb.w(x+`.first_code = ?`, bound(first.Code))
		if first.HasSystem {
			sb.w(` AND `+x+`.first_system = ?`, bound(first.System))
		}
	}
	sb.w(` AND `)
	switch p.Components[1].Param.Type {
	case "token":
		sb.w(x+`.code = ?`, bound(second.Code))
		if second.HasSystem {
			sb.w(` AND `+x+`.system = ?`, bound(second.System))
		}
	case "reference":
		sb.w(x+`.code = ?`, bound(second.RefType+"/"+second.RefID))
	case "string":
		sb.startsWith(x+`.code`, second.Text)
	case "uri":
		sb.w(x+`.code = ?`, bound(second.Text))
	case "date":
		sb.dateValue(x+".lo", x+".hi", search.Value{Prefix: second.Prefix, Lo: second.Lo, Hi: second.Hi})
	case "number", "quantity":
		sb.numberValue(x+".lo", second)
		if second.Code != "" {
			sb.w(` AND `+x+`.code = ?`, bound(second.Code))
		}
		if second.HasSystem {
			sb.w(` AND `+x+`.system = ?`, bound(second.System))
		}
	}
}

// hierarchyValue matches codes subsumed by (below) or subsuming (above)
// the value's code, walking IS-A in the current release of its system
// (SNOMED CT when the value names none; see terminology.go). Without a
// release of the system only the code itself matches.
func (sb *sqlBuilder) hierarchyValue(x string, v search.Value, below bool) {
	system := v.System
	if !v.HasSystem || system == "" {
		system = snomedSystem
	}
	walk := hierarchyWalk(below, `(SELECT ts.release_id FROM term_system ts JOIN term_current tc ON tc.release_id = ts.release_id WHERE ts.system = ?)`)
	sb.systemIs(x+`.sid`, system)
	sb.w(` AND `+x+`.code IN (`+walk+` SELECT code FROM walk)`, v.Code, system, system)
}

func (sb *sqlBuilder) tokenValue(x string, v search.Value) {
	switch {
	case v.HasSystem && v.Code == "":
		sb.systemIs(x+`.sid`, v.System)
	case v.HasSystem:
		sb.w(x+`.code = ? AND `, bound(v.Code))
		sb.systemIs(x+`.sid`, v.System)
	default:
		sb.w(x+`.code = ?`, bound(v.Code))
	}
}

// dateValue applies a prefix to the row's range [lo, hi] against the
// value's [Lo, Hi], as R4 defines them.
func (sb *sqlBuilder) dateValue(lo, hi string, v search.Value) {
	switch v.Prefix {
	case "ne":
		sb.w(`(`+lo+` < ? OR `+hi+` > ?)`, v.Lo, v.Hi)
	case "gt":
		sb.w(hi+` > ?`, v.Hi)
	case "lt":
		sb.w(lo+` < ?`, v.Lo)
	case "ge":
		sb.w(hi+` >= ?`, v.Lo)
	case "le":
		sb.w(lo+` <= ?`, v.Hi)
	case "sa":
		sb.w(lo+` > ?`, v.Hi)
	case "eb":
		sb.w(hi+` < ?`, v.Lo)
	case "ap":
		// Approximately: within 10% of the distance from now, at least a day.
		now := sb.now.UnixMicro()
		margin := max(int64(math.Abs(float64(now-v.Lo))*0.1), int64(24*time.Hour/time.Microsecond))
		sb.w(lo+` <= ? AND `+hi+` >= ?`, v.Hi+margin, v.Lo-margin)
	default:
		sb.w(lo+` >= ? AND `+hi+` <= ?`, v.Lo, v.Hi)
	}
}

// numberValue compares the row's value: eq and ne use the value's implicit
// precision range, the others its exact value.
func (sb *sqlBuilder) numberValue(val string, v search.Value) {
	switch v.Prefix {
	case "ne":
		sb.w(`(`+val+` < ? OR `+val+` >= ?)`, v.NumLo, v.NumHi)
	case "gt", "sa":
		sb.w(val+` > ?`, v.Num)
	case "lt", "eb":
		sb.w(val+` < ?`, v.Num)
	case "ge":
		sb.w(val+` >= ?`, v.Num)
	case "le":
		sb.w(val+` <= ?`, v.Num)
	case "ap":
		margin := math.Abs(v.Num) * 0.1
		sb.w(val+` >= ? AND `+val+` <= ?`, v.Num-margin, v.Num+margin)
	default:
		sb.w(val+` >= ? AND `+val+` < ?`, v.NumLo, v.NumHi)
	}
}

// sortExpr is the ORDER BY expression of one key for resource alias c.
func (sb *sqlBuilder) sortExpr(k search.SortKey) (string, []any) {
	p := k.Param
	if p.Code == "_id" {
		return "c.id", nil
	}
	agg, col, valued := "min", "", ""
	if k.Desc {
		agg = "max"
	}
	rows := tableFor(p.Type) + ` s`
	switch p.Type {
	case "string":
		col = "s.norm"
	case "token":
		// Rows without a code (a concept's text, a coding with only a
		// display) hold no value to sort by: counted, they put every
		// concept with a text first, as if its code were "".
		col, valued = "s.code", ` AND s.code <> ''`
	case "reference":
		// By the target's id, as before rids: its rid mapped back.
		col, rows = "sk.id", rows+` JOIN resource_key sk ON sk.rid = s.target_rid`
	case "date":
		col = "s.lo"
		if k.Desc {
			col = "s.hi"
		}
	case "number", "quantity":
		col = "s.value"
	case "uri":
		col = "s.uri"
	default:
		return "c.id", nil
	}
	return sb.fragment(func(f *sqlBuilder) {
		f.w(fmt.Sprintf(`(SELECT %s(%s) FROM %s WHERE `, agg, col, rows))
		f.ownedByRowOf("s", "c")
		f.w(` AND `)
		f.paramIn(sb.noIndexNumber("s.pid"), p.StoredAs())
		f.narrowTo("s", p.StoredTarget())
		f.w(valued + `)`)
	})
}

// fragment returns the text and arguments that write writes, for a part
// of a statement placed by the caller.
func (sb *sqlBuilder) fragment(write func(*sqlBuilder)) (string, []any) {
	f := &sqlBuilder{now: sb.now, dialect: sb.dialect, systems: sb.systems, params: sb.params}
	write(f)
	return f.b.String(), f.args
}

// Leads of a search: the filter (by index) or the compartment whose ids
// drive the query.
const (
	compartmentJoined = -3 // members of a many-type compartment, joined (withMatches)
	noLead            = -2
	compartmentLead   = -1
)

// lead picks what drives a single-type search: the compartment, else the
// most selective filter; an _id list needs no lead (primary key lookups).
func lead(q *search.Query) int {
	if len(q.Types) != 1 {
		return noLead
	}
	if q.Compartment != nil {
		return compartmentLead
	}
	if i := driver(q.Filters); i >= 0 && q.Filters[i].Param.Code != "_id" {
		return i
	}
	return noLead
}

// from writes the FROM clause.
func (sb *sqlBuilder) from(withVersion bool) {
	sb.w(` FROM resource_current c`)
	if withVersion {
		sb.w(` JOIN resource_version v ON v.type = c.type AND v.id = c.id AND v.version_id = c.version_id`)
	}
}

// withMatches writes, for a search with a lead, the matches as a
// materialised common table expression: planners then cannot trade the
// lead's index for a walk in ORDER BY ... LIMIT order over the whole type
// (PostgreSQL's choice when statistics are thin, or SQLite's to get ids
// in order for DISTINCT). It tells whether it did.
func (sb *sqlBuilder) withMatches(q *search.Query, l int) bool {
	if compartmentDrives(q) {
		// DISTINCT: a resource may name its patient through two parameters
		// (subject and patient). Not UNION: SQLite 3.54 merges 65 UNIONed
		// selects pairwise, sorted (107 ms; UNION ALL then DISTINCT: 23).
		sb.w(`WITH m AS MATERIALIZED (SELECT DISTINCT c.type, c.id, c.version_id, c.rid FROM (`)
		sb.compartmentMembers(q)
		sb.w(`) cm JOIN resource_current c ON c.rid = cm.rid`)
		sb.where(q, compartmentJoined)
		sb.w(`) `)
		return true
	}
	if l == noLead {
		return false
	}
	sb.w(`WITH m AS MATERIALIZED (SELECT c.type, c.id, c.version_id, c.rid`)
	sb.from(false)
	sb.where(q, l)
	sb.w(`) `)
	return true
}

// compartmentDrives tells whether a search is a compartment's over
// several types (Patient/{id}/$everything): its members, found type by
// type through the reference index, drive the query. Written as one
// condition per type (c.type = T AND c.id IN (...)) OR'ed together, no
// index can lead it, and PostgreSQL read every current resource and every
// version (a patient's $everything on the 1x Synthea store: 691 ms, 114,000
// buffers; joined from the members: 16 ms, 135 index lookups).
func compartmentDrives(q *search.Query) bool {
	return q.Compartment != nil && len(q.Types) > 1
}

// compartmentMembers writes the (type, rid) of the compartment's members of
// each type searched, each set from the lookup index (type, param,
// target), and the compartment's own resource, as one UNION ALL (with
// repeats: the caller keeps each once).
func (sb *sqlBuilder) compartmentMembers(q *search.Query) {
	cp := q.Compartment
	n := 0
	union := func() {
		if n > 0 {
			sb.w(` UNION ALL `)
		}
		n++
	}
	for _, typ := range q.Types {
		params := search.StoredParams(typ, cp.ParamsFor(typ), cp.Type)
		switch {
		case typ == cp.Type && len(cp.ParamsFor(typ)) == 0:
			union()
			sb.w(`SELECT o.type, o.rid FROM resource_current o WHERE o.type = ? AND o.id = ?`, typ, cp.ID)
		case len(params) > 0:
			union()
			r := sb.nextAlias("k")
			sb.w(`SELECT `+r+`.type, `+keyOf(r)+` FROM reference_index `+r+` WHERE `+r+`.type = ? AND `, typ)
			sb.paramIn(r+`.pid`, params)
			sb.w(` AND `)
			sb.targetIs(r, cp.Type, cp.ID, nil)
		}
	}
	if n == 0 {
		sb.w(`SELECT o.type, o.rid FROM resource_current o WHERE 1 = 0`)
	}
}

// fromMatches writes the FROM (and WHERE) of the matches: the common
// table expression as c, or the search itself.
func (sb *sqlBuilder) fromMatches(q *search.Query, l int, withVersion, cte bool) {
	if !cte {
		sb.from(withVersion)
		sb.where(q, l)
		return
	}
	sb.w(` FROM m c`)
	if withVersion {
		sb.w(` JOIN resource_version v ON v.type = c.type AND v.id = c.id AND v.version_id = c.version_id`)
	}
}

// where writes the WHERE clause of a search over resource_current c: the
// lead as an IN over its index, the other filters as per-resource probes.
// Under compartmentJoined the rows are the compartment's members already:
// the compartment's conditions are left out.
func (sb *sqlBuilder) where(q *search.Query, l int) {
	sb.w(` WHERE NOT c.deleted AND (`)
	types := q.Types
	if len(types) == 0 {
		sb.w(`1 = 1`)
	}
	for i, typ := range types {
		if i > 0 {
			sb.w(` OR `)
		}
		if l >= 0 {
			// The lead's rows are of the type: a condition on the type
			// beside the rids would let SQLite read every row of the type
			// by the primary key's prefix and test each (doc.go).
			sb.w(`(1 = 1`)
		} else {
			sb.w(`(c.type = ?`, typ)
		}
		switch {
		case len(q.Filters) == 0:
		case nestsProbes(q, l), keyedChain(q, l) >= 0: // the lead's rows, the other filters probed on them
			sb.w(` AND ` + keyOf("c") + ` IN (`)
			sb.leadIDs(q, l, typ)
			sb.w(`)`)
		default:
			sb.w(` AND (`)
			sb.balanced(len(q.Filters), "AND", func(j int) {
				switch {
				case j == l, l == noLead && len(types) > 1:
					sb.filter(q.Filters[j], typ, keyOf("c"))
				default:
					sb.probe(q.Filters[j], typ, keyOf("c"))
				}
			})
			sb.w(`)`)
		}
		if cp := q.Compartment; cp != nil && l != compartmentJoined {
			params := search.StoredParams(typ, cp.ParamsFor(typ), cp.Type)
			switch {
			case typ == cp.Type && len(cp.ParamsFor(typ)) == 0:
				sb.w(` AND c.id = ?`, cp.ID) // the compartment's own resource
			case len(params) == 0:
				sb.w(` AND 1 = 0`)
			default:
				r := sb.nextAlias("k")
				sb.w(` AND `+keyOf("c")+` IN (SELECT `+keyOf(r)+` FROM reference_index `+r+` WHERE `+r+`.type = ? AND `, typ)
				sb.targetIs(r, cp.Type, cp.ID, nil)
				sb.w(` AND `)
				sb.paramIn(r+`.pid`, params)
				sb.w(`)`)
			}
		}
		if q.Access != nil {
			sb.access(q.Access, typ, keyOf("c"))
		}
		sb.w(`)`)
	}
	if len(types) == 0 {
		if q.Access != nil {
			sb.w(` AND 1 = 0`) // the service names the types of a restricted search
		}
		// Resource-level parameters on every type: probe the row's own type.
		sb.probeAll(q.Filters, "", keyOf("c"))
	}
	sb.w(`)`)
}

// orderBy writes the sort keys, nulls (no value) last, then type and rid
// (the order in which the store first named each resource) so that the
// order is total.
func (sb *sqlBuilder) orderBy(q *search.Query) {
	sb.w(` ORDER BY `)
	for _, k := range q.Sort {
		expr, args := sb.sortExpr(k)
		dir := ""
		if k.Desc {
			dir = " DESC"
		}
		sb.w(`(`+expr+`) IS NULL, `, args...)
		sb.w(expr+dir+`, `, args...)
	}
	sb.w(`c.type, c.rid`)
}

// guard writes the conditions that keep the resources of typ a chain or
// _has step reaches (ids in idCol) within the caller's reach, as a direct
// search of typ would: the access condition and fine-grained scopes.
func (sb *sqlBuilder) guard(g *search.Guard, typ, idCol string) {
	if g == nil {
		return
	}
	for _, f := range g.Filters {
		sb.w(` AND `)
		sb.filter(f, typ, idCol)
	}
	if g.Access != nil {
		sb.access(g.Access, typ, idCol)
	}
}

// access writes the condition that keeps a search of typ within the
// records the caller reaches (ids in idCol): per candidate, probes through
// the owner index of reference_index, so the cost follows the page, not
// the store.
func (sb *sqlBuilder) access(a *search.Access, typ, idCol string) {
	// Every Patient compartment parameter names a Patient, so each maps
	// to at least one stored parameter (TestStoredParamsOfCompartments).
	params := search.StoredParams(typ, definitions.PatientCompartment(typ), "Patient")
	if typ == "Patient" {
		sb.w(` AND `)
		sb.reachesPatient(a, idCol)
		return
	}
	if typ == "Binary" {
		sb.binaryAccess(a, idCol)
		return
	}
	if len(params) == 0 {
		return // reference data
	}
	ownedBy := func(k string) {
		sb.w(`SELECT 1 FROM reference_index ` + k + ` WHERE `)
		sb.ownedBy(k, idCol)
		sb.w(` AND `)
		sb.paramIn(sb.noIndexNumber(k+`.pid`), params)
		sb.w(` AND ` + k + `.target_type = 'Patient'`)
	}
	sb.w(` AND (1 = 0`)
	if len(a.Patients) > 0 {
		k := sb.nextAlias("k")
		sb.w(` OR EXISTS (`)
		ownedBy(k)
		sb.w(` AND `)
		sb.idsIn(targetOf(k), "Patient", a.Patients, false)
		sb.w(sb.dialect.ProbeSuffix + `)`)
	}
	if a.Practice != "" {
		k := sb.nextAlias("k")
		sb.w(` OR EXISTS (`)
		ownedBy(k)
		sb.w(` AND `)
		sb.registered(a, targetOf(k))
		sb.w(` AND NOT `)
		sb.sensitive(targetOf(k))
		sb.w(sb.dialect.ProbeSuffix + `)`)
		// Records of no patient at all.
		if search.UnownedShared(typ) {
			k = sb.nextAlias("k")
			sb.w(` OR NOT EXISTS (`)
			ownedBy(k)
			sb.w(sb.dialect.ProbeSuffix + `)`)
		}
	}
	sb.w(`)`)
}

// registered writes that the Patient patientID (a column or "?") is
// registered at the caller's practice.
func (sb *sqlBuilder) registered(a *search.Access, patientID string) {
	r := sb.nextAlias("r")
	sb.w(`EXISTS (SELECT 1 FROM reference_index ` + r + ` WHERE `)
	sb.ownedBy(r, patientID)
	sb.w(` AND `)
	sb.paramIn(sb.noIndexNumber(r+`.pid`), search.PracticeParams)
	sb.w(` AND `)
	sb.targetIs(r, "Organization", a.Practice, nil)
	sb.w(sb.dialect.ProbeSuffix + `)`)
}

// sensitive writes that the Patient patientID (a column) is labelled
// sensitive (search.Sensitive): a practice's reach leaves their records
// out until a clinician breaks the glass, which reaches everything.
func (sb *sqlBuilder) sensitive(patientID string) {
	s := sb.nextAlias("s")
	// A probe by the patient's id (the owner index): the lookup index by
	// parameter and code would scan every sensitive patient per row.
	sb.w(`EXISTS (SELECT 1 FROM token_index ` + s + ` WHERE `)
	sb.ownedBy(s, patientID)
	sb.w(` AND `)
	sb.paramIn(sb.noIndexNumber(s+`.pid`), []string{search.SecurityParam})
	sb.w(` AND `)
	sb.systemIs(s+`.sid`, search.ConfidentialitySystem)
	sb.w(` AND `+sb.noIndex(s+`.code`)+` IN (`+placeholders(len(search.SensitiveLabels))+`)`+sb.dialect.ProbeSuffix+`)`,
		anySlice(search.SensitiveLabels)...)
}

// reachesPatient writes that the caller reaches the Patient patientID (a
// column): one of their patients, or registered at their practice.
func (sb *sqlBuilder) reachesPatient(a *search.Access, patientID string) {
	sb.w(`(`)
	if len(a.Patients) > 0 {
		sb.idsIn(patientID, "Patient", a.Patients, false)
	} else {
		sb.w(`1 = 0`)
	}
	if a.Practice != "" {
		sb.w(` OR `)
		sb.registered(a, patientID)
	}
	sb.w(`)`)
}
