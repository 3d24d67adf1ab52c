package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Names as numbers: token systems (the fifteenth migration,
// TokenSystemSchema), search parameters (the sixteenth,
// ParamNumberSchema) and the patients of token rows' patient keys (the
// seventeenth, PatientKeyNumberSchema: their rids in resource_key, a
// dictionary of Patients' ids kept as these are).
//
// An index row names its parameter, and a token row its code system, by
// a number from one of the store's dictionaries of the names its rows
// have used: token_system (an AuditEvent's systems are 40-57 characters,
// "http://terminology.hl7.org/CodeSystem/audit-event-type") and
// search_param ("value-quantity", "identifier:of-type"). Each was kept in
// the row and in every index of its table. A number is given once, by
// the write that first uses the name, and never changes or is reused,
// so a server may keep what it has read of a dictionary for as long as
// it runs.
//
// Each server keeps the dictionaries in memory (dictionary), read whole
// when the store opens and added to by its own writes once they commit:
// a number given inside a transaction that then rolls back does not
// exist, and SQLite would give it again to another name. PostgreSQL's
// writers run concurrently, and a number given inside one's transaction
// would hold every other writer meeting the name until it ended (two
// meeting each other's would deadlock), so there numbers are given in
// statements of their own on a pool of their own, committed at once
// (Store.GiveNumbersOn); a number whose write then rolls back names
// nothing, harmlessly.
//
// A search binds a name's number when the server knows it; one it does
// not know (written by another server since it read the dictionary, or
// by nobody) is looked up by the statement itself, in its own snapshot,
// so a search is never wrong for want of a number. The empty name (a
// code without a system) is 0.

// maxCachedNames bounds each dictionary kept in memory: systems are what
// clients write, and a client writing a new one in every resource must
// not grow the server without bound; a large practice has more patients.
// Names the copy lacks are looked up in the store (a search's statement,
// or a write's lookup per transaction), and a write's new or looked-up
// names take the places of others (remember).
const maxCachedNames = 10_000

// dictionaryTable is where a dictionary is kept: the table, its number
// column and its name column; for resource_key, the type its names are
// ids of (kind, in its column type), or anyType for names of every type
// ("Type/id", bound as two columns).
type dictionaryTable struct{ table, number, name, kind string }

// anyType is the kind of a dictionary of resource_key whose names are
// "Type/id" keys of every type.
const anyType = "*"

var (
	systemNumbers = dictionaryTable{"token_system", "sid", "url", ""}
	paramNumbers  = dictionaryTable{"search_param", "pid", "name", ""}
	// patientNumbers are Patients' rids (the seventeenth migration): a
	// token row's patient key.
	patientNumbers = dictionaryTable{"resource_key", "rid", "id", "Patient"}
	// resourceNumbers are the rids of every resource the store has
	// written and every reference target its index rows have named (the
	// eighteenth migration), by "Type/id" (resourceName).
	resourceNumbers = dictionaryTable{"resource_key", "rid", "id", anyType}
)

// resourceName is a resource's name in resourceNumbers.
func resourceName(typ, id string) string { return typ + "/" + id }

// args are the statement arguments naming names in t's lookup and insert:
// one a name, or a type and an id for anyType.
func (t dictionaryTable) args(names []string) []any {
	if t.kind != anyType {
		return anySlice(names)
	}
	args := make([]any, 0, 2*len(names))
	for _, name := range names {
		typ, id, _ := strings.Cut(name, "/")
		args = append(args, typ, id)
	}
	return args
}

// where is the condition that a row of t is name's (one "?" for it).
func (t dictionaryTable) where() string {
	if t.kind != "" {
		return `type = '` + t.kind + `' AND ` + t.name + ` = ?`
	}
	return t.name + ` = ?`
}

// lookup is the statement reading the numbers of n names (n "?"): a row
// of each name and its number, NULL for a name t does not hold. Each
// name is sought by a probe of t's unique index of its own. Written as
// "name IN (...)", PostgreSQL's generic plan, made while a new store's
// resource_key was small and had no statistics, read every Patient's
// row for each lookup of 500 names (100-230 ms a lookup in
// BenchmarkPutNamedPatients, growing with the table); the probe keeps
// its index scan planned on a small table (2.3 ms for 500 names among
// 200,000, planned when the table held 21), and PostgreSQL's numbers
// pool plans each run, for the empty table of a new store
// (TestPatientLookupPlan).
func (t dictionaryTable) lookup(n int) string {
	if t.kind == anyType {
		return `SELECT n.column1 || '/' || n.column2, (SELECT k.` + t.number + ` FROM ` + t.table + ` k WHERE k.type = n.column1 AND k.` + t.name + ` = n.column2)` +
			` FROM (VALUES ` + strings.TrimSuffix(strings.Repeat(`(?, ?), `, n), `, `) + `) AS n`
	}
	of := ``
	if t.kind != "" {
		of = `k.type = '` + t.kind + `' AND `
	}
	return `SELECT n.column1, (SELECT k.` + t.number + ` FROM ` + t.table + ` k WHERE ` + of + `k.` + t.name + ` = n.column1)` +
		` FROM (VALUES ` + strings.TrimSuffix(strings.Repeat(`(?), `, n), `, `) + `) AS n`
}

// insert is the statement adding n names (n "?") to t, those no other
// writer has.
func (t dictionaryTable) insert(n int) string {
	cols, row := t.name, `(?)`
	switch t.kind {
	case "":
	case anyType:
		cols, row = `type, `+t.name, `(?, ?)`
	default:
		cols, row = `type, `+t.name, `('`+t.kind+`', ?)`
	}
	return `INSERT INTO ` + t.table + ` (` + cols + `) VALUES ` + strings.TrimSuffix(strings.Repeat(row+`, `, n), `, `) + ` ON CONFLICT DO NOTHING`
}

// dictionary is a server's copy of one: name (in its indexed form,
// search.IndexPrefix, for systems) to number.
type dictionary struct {
	mu  sync.RWMutex
	ids map[string]int64
}

// id returns the number of name, when known (a nil dictionary knows
// only the empty name).
func (c *dictionary) id(name string) (int64, bool) {
	if name == "" {
		return 0, true
	}
	if c == nil {
		return 0, false
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	n, ok := c.ids[name]
	return n, ok
}

func (c *dictionary) known(name string) bool {
	_, ok := c.id(name)
	return ok
}

// remember adds committed numbers, up to maxCachedNames in all: past it
// each new one takes the place of one already held, chosen by the map's
// random order, so that the names in use (a practice's patients this
// morning) stay known. Numbers never change, so any entry may go. A nil
// dictionary keeps nothing (resourceNumbers, which no server copies).
func (c *dictionary) remember(ids map[string]int64) {
	if c == nil || len(ids) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ids == nil {
		c.ids = map[string]int64{}
	}
	for name, n := range ids {
		if _, ok := c.ids[name]; !ok && len(c.ids) >= maxCachedNames {
			for old := range c.ids {
				delete(c.ids, old)
				break
			}
		}
		c.ids[name] = n
	}
}

// loadDictionaries reads the dictionaries of systems and parameters (up
// to maxCachedNames of each) when the store opens. Patients are not read:
// the first maxCachedNames by number are a practice's oldest, not the
// ones its writes meet, and each server learns those as it writes them.
func (s *Store) loadDictionaries(ctx context.Context) error {
	for _, d := range []struct {
		t dictionaryTable
		c *dictionary
	}{{systemNumbers, &s.systems}, {paramNumbers, &s.params}} {
		if err := s.loadDictionary(ctx, d.t, d.c); err != nil {
			return fmt.Errorf("read %s: %w", d.t.table, err)
		}
	}
	return nil
}

func (s *Store) loadDictionary(ctx context.Context, t dictionaryTable, c *dictionary) error {
	rows, err := s.read.QueryContext(ctx, s.d.rebind(`SELECT `+t.name+`, `+t.number+` FROM `+t.table+` ORDER BY `+t.number+` LIMIT ?`), maxCachedNames)
	if err != nil {
		return err
	}
	defer rows.Close()
	ids := map[string]int64{}
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			return err
		}
		ids[name] = n
	}
	if err := rows.Err(); err != nil {
		return err
	}
	c.remember(ids)
	return nil
}

// number writes name's number from t: bound when the server knows it
// (c, which may be nil), else looked up by the statement (NULL, which
// matches no row, for a name no row uses).
func (sb *sqlBuilder) number(t dictionaryTable, c *dictionary, name string) {
	if n, ok := c.id(name); ok {
		sb.w(`?`, n)
		return
	}
	sb.w(`(SELECT `+t.number+` FROM `+t.table+` WHERE `+t.where()+`)`, name)
}

// systemIs writes that col, a token row's system (sid), is url's number.
func (sb *sqlBuilder) systemIs(col, url string) {
	sb.w(col + ` = `)
	sb.number(systemNumbers, sb.systems, bound(url))
}

// paramIn writes that col, an index row's parameter (pid), is one of the
// stored parameter names: " = n", or " IN (n, ...)" for a union's parts.
func (sb *sqlBuilder) paramIn(col string, params []string) {
	if len(params) == 1 {
		sb.w(col + ` = `)
		sb.number(paramNumbers, sb.params, params[0])
		return
	}
	sb.w(col + ` IN (`)
	for i, p := range params {
		if i > 0 {
			sb.w(`, `)
		}
		sb.number(paramNumbers, sb.params, p)
	}
	sb.w(`)`)
}

// numbered are the names a transaction numbered that the server did not
// know, by dictionary: remembered once it commits.
type numbered map[*dictionary]map[string]int64

// nameID is the number of a name in this transaction: the server's, or
// one this transaction looked up or gave. A name numberNames did not
// number has none: 0 would be another name's (the empty system's, "no
// patient"), so it is kept for unnumbered to fail the write with.
func (t *tx) nameID(c *dictionary, name string) int64 {
	if n, ok := c.id(name); ok {
		return n
	}
	n, ok := t.numbered[c][name]
	if !ok && t.unnumbered == "" {
		t.unnumbered = name
	}
	return n
}

// unnumberedName is the error of index rows made with a name that had
// no number (numberNames and the rows disagree: a fault of this
// package), nil when every name had one.
func (t *tx) unnumberedName() error {
	if t.unnumbered == "" {
		return nil
	}
	return fmt.Errorf("index rows name %q, which was not numbered before they were made", t.unnumbered)
}

func (t *tx) systemID(url string) int64  { return t.nameID(&t.s.systems, url) }
func (t *tx) paramID(param string) int64 { return t.nameID(&t.s.params, param) }
func (t *tx) patientID(id string) int64  { return t.nameID(&t.s.patients, id) }

// resourceID is the rid numberResources gave typ/id in this transaction.
func (t *tx) resourceID(typ, id string) int64 { return t.nameID(nil, resourceName(typ, id)) }

// numberNames makes sure every token system, parameter and patient key
// of ws has a number before their rows are written. Their resources and
// reference targets are numbered before (numberResources: flush, before
// resource_current's rows, which hold the rids too; ReplaceIndex).
func (t *tx) numberNames(ctx context.Context, ws []store.Write) error {
	var systems, params, patients []string // those the server does not know
	for i := range ws {
		v := &ws[i].Index
		for _, r := range v.Tokens {
			if url := bound(r.System); !t.s.systems.known(url) {
				systems = append(systems, url)
			}
		}
		if p := patientKey(v); !t.s.patients.known(p) {
			patients = append(patients, p)
		}
		paramsOf(v, func(p string) {
			if !t.s.params.known(p) {
				params = append(params, p)
			}
		})
	}
	if err := t.numberAll(ctx, systemNumbers, &t.s.systems, systems); err != nil {
		return err
	}
	if err := t.numberAll(ctx, paramNumbers, &t.s.params, params); err != nil {
		return err
	}
	return t.numberAll(ctx, patientNumbers, &t.s.patients, patients)
}

// numberResources gives every resource ws write, and every reference
// target their index rows name, its rid in resource_key, if it has none
// yet (the eighteenth migration numbered those of earlier versions'
// writes): the first stage of the index rows named by rids (bench/README.md,
// "Every resource numbered when first written"). No server keeps a copy
// (a nil dictionary): most of a write's names are its own new resources,
// which no copy would hold, so each write looks its names up, many to a
// statement, and adds the new ones.
func (t *tx) numberResources(ctx context.Context, ws []store.Write) error {
	var names []string
	for i := range ws {
		w := &ws[i]
		names = append(names, resourceName(w.Type, w.ID))
		for _, r := range w.Index.References {
			if r.TargetType != "" && r.TargetID != "" {
				names = append(names, resourceName(r.TargetType, bound(r.TargetID)))
			}
		}
	}
	return t.numberAll(ctx, resourceNumbers, nil, names)
}

// paramsOf calls fn with the parameter of every row of v.
func paramsOf(v *search.Values, fn func(string)) {
	for _, r := range v.Tokens {
		fn(r.Param)
	}
	for _, r := range v.Strings {
		fn(r.Param)
	}
	for _, r := range v.References {
		fn(r.Param)
	}
	for _, r := range v.Dates {
		fn(r.Param)
	}
	for _, r := range v.Numbers {
		fn(r.Param)
	}
	for _, r := range v.Quantities {
		fn(r.Param)
	}
	for _, r := range v.URIs {
		fn(r.Param)
	}
	for _, r := range v.Composites {
		fn(r.Param)
	}
}

// numberAll gives names their numbers from t: the server's (c), else the
// store's, else new ones given in this transaction (kept in t.numbered,
// and remembered by the server once the transaction commits), or, where
// the store gives them apart (GiveNumbersOn), committed at once and
// remembered now. In sorted order, so that two writers giving
// numbers to the same new names meet them in the same order.
//
// The names the server does not know are looked up, and the new ones
// added, in statements of many names each (lookUpNumbers, addNames), not
// one a name: the trail's batch of 500 read events names up to 500
// patients, which a server of a practice larger than its copy
// (maxCachedNames) does not hold. Figures in doc.go ("A write's names
// numbered many to a statement").
func (t *tx) numberAll(ctx context.Context, d dictionaryTable, c *dictionary, names []string) error {
	var missing []string
	for _, name := range names {
		if _, ok := c.id(name); ok {
			continue
		}
		if _, ok := t.numbered[c][name]; ok {
			continue
		}
		missing = append(missing, name)
	}
	if len(missing) == 0 {
		return nil
	}
	slices.Sort(missing)
	missing = slices.Compact(missing)
	var on conn = t.sql
	if t.s.apart != nil {
		on = t.s.apart // each statement commits at once (GiveNumbersOn)
	}
	ids := map[string]int64{}
	if d.kind == anyType {
		// Most are new (a write's own resources): added first, their
		// numbers returned, and only the others looked up.
		if err := t.s.addNames(ctx, on, d, missing, ids); err != nil {
			return err
		}
		if err := t.s.lookUpNumbers(ctx, on, d, absentFrom(ids, missing), ids); err != nil {
			return err
		}
	} else {
		if err := t.s.lookUpNumbers(ctx, on, d, missing, ids); err != nil {
			return err
		}
		if absent := absentFrom(ids, missing); len(absent) > 0 {
			if err := t.s.addNames(ctx, on, d, absent, nil); err != nil {
				return err
			}
			if err := t.s.lookUpNumbers(ctx, on, d, absent, ids); err != nil {
				return err
			}
		}
	}
	for _, name := range missing {
		if _, ok := ids[name]; !ok {
			return fmt.Errorf("%s: %q has no number after it was added", d.table, name)
		}
	}
	if t.s.apart != nil {
		c.remember(ids) // committed already
	}
	if t.numbered == nil {
		t.numbered = numbered{}
	}
	if t.numbered[c] == nil {
		t.numbered[c] = map[string]int64{}
	}
	maps.Copy(t.numbered[c], ids)
	return nil
}

// maxNamesAStatement bounds the names of one lookup or insert: well
// within both engines' parameter limits.
const maxNamesAStatement = 500

// lookUpNumbers adds to ids the numbers t holds for names (sorted and
// distinct), in statements of up to maxNamesAStatement names, sized as
// chunkSize sizes bulk writes so that the statements kept prepared are
// met again. A name t does not hold is left out.
func (s *Store) lookUpNumbers(ctx context.Context, on conn, t dictionaryTable, names []string, ids map[string]int64) error {
	return eachChunk(len(names), maxNamesAStatement, func(lo, hi int) error {
		rows, err := on.QueryContext(ctx, s.d.rebind(t.lookup(hi-lo)), t.args(names[lo:hi])...)
		if err != nil {
			return err
		}
		return scanNumbers(rows, ids)
	})
}

// absentFrom is names less those ids holds.
func absentFrom(ids map[string]int64, names []string) []string {
	var absent []string
	for _, name := range names {
		if _, ok := ids[name]; !ok {
			absent = append(absent, name)
		}
	}
	return absent
}

// addNames adds names (sorted and distinct) to t, those another writer
// has not added already, in statements of up to maxNamesAStatement; with
// ids, it adds to ids the numbers of the names it added (t anyType).
func (s *Store) addNames(ctx context.Context, on conn, t dictionaryTable, names []string, ids map[string]int64) error {
	return eachChunk(len(names), maxNamesAStatement, func(lo, hi int) error {
		if ids == nil {
			_, err := on.ExecContext(ctx, s.d.rebind(t.insert(hi-lo)), t.args(names[lo:hi])...)
			return err
		}
		rows, err := on.QueryContext(ctx, s.d.rebind(t.insert(hi-lo)+` RETURNING type || '/' || `+t.name+`, `+t.number), t.args(names[lo:hi])...)
		if err != nil {
			return err
		}
		return scanNumbers(rows, ids)
	})
}

// scanNumbers adds to ids the rows of names and numbers (NULL for a name
// without one, left out), and closes them.
func scanNumbers(rows *sql.Rows, ids map[string]int64) error {
	defer rows.Close()
	for rows.Next() {
		var name string
		var n sql.NullInt64
		if err := rows.Scan(&name, &n); err != nil {
			return err
		}
		if n.Valid {
			ids[name] = n.Int64
		}
	}
	return rows.Err()
}
