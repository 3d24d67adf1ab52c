package storetest

import (
	"context"
	"database/sql"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/store"
)

// uncoveredIndexes are the search index tables' indexes as every version
// before the eighth migration created them (history: a store written by
// such a version has these), and the composite index's as every version
// before the twelfth did.
var uncoveredIndexes = []struct{ name, table, columns string }{
	{"token_index_lookup", "token_index", "type, param, code, system"},
	{"token_index_owner", "token_index", "type, id"},
	{"string_index_lookup", "string_index", "type, param, norm"},
	{"string_index_owner", "string_index", "type, id"},
	{"reference_index_lookup", "reference_index", "type, param, target_id, target_type"},
	{"reference_index_owner", "reference_index", "type, id"},
	{"date_index_lo", "date_index", "type, param, lo"},
	{"date_index_hi", "date_index", "type, param, hi"},
	{"date_index_owner", "date_index", "type, id"},
	{"number_index_lookup", "number_index", "type, param, value"},
	{"number_index_owner", "number_index", "type, id"},
	{"quantity_index_lookup", "quantity_index", "type, param, value"},
	{"quantity_index_owner", "quantity_index", "type, id"},
	{"uri_index_lookup", "uri_index", "type, param, uri"},
	{"uri_index_owner", "uri_index", "type, id"},
	{"composite_index_lookup", "composite_index", "type, param, first_code"},
	{"composite_index_owner", "composite_index", "type, id"},
}

// paramNumberedIndexes are the search index tables' indexes as the
// fifteenth migration left them (param where the sixteenth has pid).
var paramNumberedIndexes = map[string][]string{
	"token_index":     {"token_index_lookup (type, param, code, sid, patient, id)", "token_index_owner (type, id, param, code, sid)"},
	"string_index":    {"string_index_lookup (type, param, norm, id)", "string_index_owner (type, id, param, norm)"},
	"reference_index": {"reference_index_lookup (type, param, target_id, target_type, id)", "reference_index_owner (type, id, param, target_type, target_id)"},
	"date_index":      {"date_index_lo (type, param, lo, hi, id)", "date_index_hi (type, param, hi, lo, id)", "date_index_owner (type, id, param, lo, hi)"},
	"number_index":    {"number_index_lookup (type, param, value, id)", "number_index_owner (type, id, param, value)"},
	"quantity_index":  {"quantity_index_lookup (type, param, value, id)", "quantity_index_owner (type, id, param, value)"},
	"uri_index":       {"uri_index_lookup (type, param, uri, id)", "uri_index_owner (type, id, param, uri)"},
	"composite_index": {"composite_index_lookup (type, param, first_code, first_system, lo, hi, code, system, id)", "composite_index_owner (type, id, param, first_code, first_system, lo, hi, code, system)"},
}

// RowsByIDAsBefore takes a store back from the nineteenth migration:
// index rows naming their resources by id and reference rows their
// targets by target_id (no target: ""), resource_current without its
// rid, with the indexes the eighteenth left.
func RowsByIDAsBefore() []string {
	stmts := []string{`DROP INDEX resource_current_rid`, `DROP INDEX resource_current_type_rid`, `ALTER TABLE resource_current DROP COLUMN rid`}
	for _, table := range slices.Sorted(maps.Keys(paramNumberedIndexes)) {
		var indexes []string
		for _, ix := range paramNumberedIndexes[table] {
			ix = strings.ReplaceAll(ix, "param", "pid")
			indexes = append(indexes, strings.ReplaceAll(ix, "patient, id", "patient_rid, id"))
		}
		for _, ix := range indexes {
			name, _, _ := strings.Cut(ix, " ")
			stmts = append(stmts, `DROP INDEX `+name)
		}
		stmts = append(stmts,
			`ALTER TABLE `+table+` ADD COLUMN id TEXT NOT NULL DEFAULT ''`,
			`UPDATE `+table+` SET id = (SELECT k.id FROM resource_key k WHERE k.rid = `+table+`.rid)`,
			`ALTER TABLE `+table+` DROP COLUMN rid`)
		if table == "reference_index" {
			stmts = append(stmts,
				`ALTER TABLE reference_index ADD COLUMN target_id TEXT NOT NULL DEFAULT ''`,
				`UPDATE reference_index SET target_id = coalesce((SELECT k.id FROM resource_key k WHERE k.rid = reference_index.target_rid), '')`,
				`ALTER TABLE reference_index DROP COLUMN target_rid`)
		}
		for _, ix := range indexes {
			name, columns, _ := strings.Cut(ix, " ")
			stmts = append(stmts, `CREATE INDEX `+name+` ON `+table+` `+columns)
		}
	}
	return stmts
}

// PatientKeysAsText takes a store back from the nineteenth, eighteenth
// and seventeenth migrations: token rows holding their patient keys as
// text, with the lookup index the sixteenth left, and no resource_key.
var PatientKeysAsText = append(RowsByIDAsBefore(), []string{
	`DROP INDEX token_index_lookup`,
	`ALTER TABLE token_index ADD COLUMN patient TEXT NOT NULL DEFAULT ''`,
	`UPDATE token_index SET patient = (SELECT id FROM resource_key k WHERE k.rid = token_index.patient_rid) WHERE patient_rid <> 0`,
	`ALTER TABLE token_index DROP COLUMN patient_rid`,
	`DROP TABLE resource_key`,
	`CREATE INDEX token_index_lookup ON token_index (type, pid, code, sid, patient, id)`,
}...)

// NamesAsText takes a store back from the seventeenth, sixteenth and
// fifteenth migrations: index rows naming their parameters, token rows
// their systems and patient keys, as text, with the indexes the
// fourteenth left, and no dictionaries.
func NamesAsText() []string {
	stmts := slices.Clone(PatientKeysAsText)
	for _, table := range slices.Sorted(maps.Keys(paramNumberedIndexes)) {
		indexes := paramNumberedIndexes[table]
		for _, ix := range indexes {
			name, _, _ := strings.Cut(ix, " ")
			stmts = append(stmts, `DROP INDEX `+name)
		}
		stmts = append(stmts,
			`ALTER TABLE `+table+` ADD COLUMN param TEXT NOT NULL DEFAULT ''`,
			`UPDATE `+table+` SET param = (SELECT name FROM search_param p WHERE p.pid = `+table+`.pid)`,
			`ALTER TABLE `+table+` DROP COLUMN pid`)
		for _, ix := range indexes {
			name, columns, _ := strings.Cut(ix, " ")
			stmts = append(stmts, `CREATE INDEX `+name+` ON `+table+` `+columns)
		}
	}
	return append(append(stmts, `DROP TABLE search_param`), tokenSystemsAsText...)
}

// tokenSystemsAsText takes a store back from the fifteenth migration:
// token rows naming their systems as text, with the indexes the
// fourteenth left, and no dictionary.
var tokenSystemsAsText = []string{
	`DROP INDEX token_index_lookup`, `DROP INDEX token_index_owner`,
	`ALTER TABLE token_index ADD COLUMN system TEXT NOT NULL DEFAULT ''`,
	`UPDATE token_index SET system = (SELECT url FROM token_system s WHERE s.sid = token_index.sid)`,
	`ALTER TABLE token_index DROP COLUMN sid`,
	`DROP TABLE token_system`,
	`CREATE INDEX token_index_lookup ON token_index (type, param, code, system, patient, id)`,
	`CREATE INDEX token_index_owner ON token_index (type, id, param, code, system)`,
}

// IndexUpgrade checks the eighth, ninth, twelfth, fourteenth, fifteenth,
// sixteenth, seventeenth, eighteenth and nineteenth migrations (and that the others after the eighth run again after
// them) on a store an older version wrote: open returns a new store on
// the database db reaches, and indexDefs lists its indexes (table, name,
// DDL) as the dialect's IndexDefinitions does. The store is taken back
// to the seventh schema (the old indexes, a combo-code row as versions
// before the ninth wrote them, a concept's text rows as versions before
// the fourteenth did, token systems and parameters as text as versions
// before the fifteenth wrote them, the migrations unrecorded), reopened, and must
// then hold the covering indexes, find what it held before (by code, and
// by system and code), and have no combo rows and no text row that
// repeats a coded row's text.
func IndexUpgrade(t *testing.T, open func() store.Store, db *sql.DB, indexDefs string) {
	ctx := context.Background()
	code := func(c string) search.TokenValue { return search.TokenValue{Param: "code", Code: c} }
	loinc := search.TokenValue{Param: "code", System: "http://loinc.org", Code: "a"}
	s := open()
	put(t, s, write("Observation", "o1", 1, 1, code("a")), write("Observation", "o2", 1, 1, code("b")),
		write("Observation", "o3", 1, 2, code("a")), write("Observation", "o4", 1, 1, loinc))
	s.Close()

	var version int
	if err := db.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if version != 19 {
		t.Fatalf("schema version %d: this test takes a store back from the nineteenth migration", version)
	}
	for _, stmt := range NamesAsText() {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	for _, ix := range uncoveredIndexes {
		for _, stmt := range []string{`DROP INDEX ` + ix.name, `CREATE INDEX ` + ix.name + ` ON ` + ix.table + ` (` + ix.columns + `)`} {
			if _, err := db.ExecContext(ctx, stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
	}
	for _, stmt := range []string{
		`ALTER TABLE token_index DROP COLUMN patient`, // the eleventh migration's
		`INSERT INTO token_index (type, id, param, system, code, text) VALUES ('Observation', 'o1', 'combo-code', '', 'a', '')`,
		// A concept's text as versions before the fourteenth wrote it
		// (o1's repeats its coding's display, o2's does not).
		`UPDATE token_index SET text = 'blood pressure' WHERE id = 'o1' AND param = 'code'`,
		`INSERT INTO token_index (type, id, param, system, code, text) VALUES ('Observation', 'o1', 'code', '', '', 'blood pressure')`,
		`INSERT INTO token_index (type, id, param, system, code, text) VALUES ('Observation', 'o2', 'code', '', '', 'free text')`,
		`DELETE FROM schema_migrations WHERE version >= 8`,
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}

	s = open()
	defer s.Close()
	ids, err := s.Find(ctx, store.FindQuery{Type: "Observation", Criteria: []store.Criterion{{Param: "code", Code: "a"}}})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Sort(ids); !slices.Equal(ids, []string{"o1", "o3", "o4"}) {
		t.Errorf("code a after the upgrade: %v, want [o1 o3 o4]", ids)
	}
	ids, err = s.Find(ctx, store.FindQuery{Type: "Observation", Criteria: []store.Criterion{{Param: "code", System: "http://loinc.org", Code: "a"}}})
	if err != nil || !slices.Equal(ids, []string{"o4"}) {
		t.Errorf("http://loinc.org|a after the upgrade: %v, %v; want [o4]", ids, err)
	}
	ids, err = s.Find(ctx, store.FindQuery{Type: "Observation", Criteria: []store.Criterion{{Param: "code", SystemSet: true, Code: "a"}}})
	if slices.Sort(ids); err != nil || !slices.Equal(ids, []string{"o1", "o3"}) {
		t.Errorf("|a (no system) after the upgrade: %v, %v; want [o1 o3]", ids, err)
	}
	// The old column is gone, so that a server of an earlier version fails
	// on token rows instead of searching text against numbers.
	for _, old := range []string{`SELECT count(*) FROM token_index WHERE system = ''`, `SELECT count(*) FROM date_index WHERE param = 'date'`,
		`SELECT count(*) FROM token_index WHERE patient = ''`} {
		if _, err := db.ExecContext(ctx, old); err == nil {
			t.Errorf("%s runs after the seventeenth migration: an earlier version's searches would run and find nothing", old)
		}
	}
	var combo int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM token_index t JOIN search_param p ON p.pid = t.pid WHERE p.name = 'combo-code'`).Scan(&combo); err != nil || combo != 0 {
		t.Errorf("combo-code rows after the upgrade: %d, %v; want none", combo, err)
	}
	var textRows []string
	rows, err := db.QueryContext(ctx, `SELECT k.id FROM token_index t JOIN resource_key k ON k.rid = t.rid WHERE t.sid = 0 AND t.code = '' ORDER BY k.id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		textRows = append(textRows, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if rows.Close(); !slices.Equal(textRows, []string{"o2"}) {
		t.Errorf("text rows after the upgrade: %v, want o2's alone (o1's repeats its coding's display)", textRows)
	}
	defs := map[string]string{}
	rows, err = db.QueryContext(ctx, indexDefs)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var table, name, ddl string
		if err := rows.Scan(&table, &name, &ddl); err != nil {
			t.Fatal(err)
		}
		defs[name] = ddl
	}
	for name, want := range map[string]string{
		"token_index_lookup": "(type, pid, code, sid, patient_rid, rid)", "token_index_owner": "(rid, pid, code, sid)",
		"quantity_index_owner": "(rid, pid, value)", "date_index_hi": "(type, pid, hi, lo, rid)",
		"composite_index_lookup": "(type, pid, first_code, first_system, lo, hi, code, system, rid)",
		"composite_index_owner":  "(rid, pid, first_code, first_system, lo, hi, code, system)",
		"reference_index_lookup": "(type, pid, target_rid, rid)", "resource_current_rid": "(rid)",
	} {
		if !strings.HasSuffix(defs[name], want) {
			t.Errorf("%s after the upgrade: %q, want it to end %s", name, defs[name], want)
		}
	}
}

// PatientKeysUpgrade checks the seventeenth migration on a store whose
// token rows hold patient keys as text (PatientKeysAsText): every key
// becomes its Patient's rid, one rid a patient, and searches by key
// answer as before; a write after it numbers a known patient as the
// migration did and a new one apart.
func PatientKeysUpgrade(t *testing.T, open func() store.Store, db *sql.DB) {
	ctx := context.Background()
	patient, obs := namedPatient, keyedObservation
	count := func(query string) int {
		t.Helper()
		var n int
		if err := db.QueryRowContext(ctx, query).Scan(&n); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return n
	}
	s := open()
	put(t, s, patient("ku1", "shaw"), patient("ku2", "other"),
		obs("kuo1", "a", "ku1"), obs("kuo2", "a", "ku2"), obs("kuo3", "b", "ku1"), write("Observation", "kuo4", 1, 1, search.TokenValue{Param: "code", Code: "a"}))
	s.Close()
	for _, stmt := range append(slices.Clone(PatientKeysAsText), `DELETE FROM schema_migrations WHERE version >= 17`) {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	keyed := count(`SELECT count(*) FROM token_index WHERE patient <> ''`)
	if keyed != 3 {
		t.Fatalf("taken back, %d token rows have a patient key, want 3", keyed)
	}

	s = open()
	defer s.Close()
	if n := count(`SELECT count(*) FROM token_index WHERE patient_rid <> 0`); n != keyed {
		t.Errorf("after the upgrade %d token rows have a key, want %d", n, keyed)
	}
	if n := count(`SELECT count(DISTINCT patient_rid) FROM token_index t JOIN resource_key k ON k.rid = t.patient_rid WHERE k.type = 'Patient' AND k.id IN ('ku1', 'ku2')`); n != 2 {
		t.Errorf("after the upgrade the keys name %d of ku1 and ku2, want both", n)
	}
	put(t, s, patient("ku3", "shaw"), obs("kuo5", "a", "ku1"), obs("kuo6", "a", "ku3"))
	if n := count(`SELECT count(DISTINCT patient_rid) FROM token_index t JOIN resource_key k ON k.rid = t.rid WHERE k.id IN ('kuo1', 'kuo3', 'kuo5')`); n != 1 {
		t.Errorf("ku1's rows after a new write hold %d keys, want one", n)
	}
	for _, c := range []struct{ typ, query, want string }{
		{"Patient", "_has:Observation:patient:code=http://example.org/keys|a", "ku1,ku2,ku3"},
		{"Patient", "_has:Observation:patient:code=http://example.org/keys|b", "ku1"},
		{"Observation", "patient.name=shaw&code=http://example.org/keys|a", "kuo1,kuo5,kuo6"},
		{"Observation", "patient.name=other&code=http://example.org/keys|a", "kuo2"},
		{"Observation", "code=a", "kuo1,kuo2,kuo4,kuo5,kuo6"},
	} {
		if got := strings.Join(sortedIDs(runQuery(t, s, c.typ, c.query)), ","); got != c.want {
			t.Errorf("%s?%s after the upgrade = [%s], want [%s]", c.typ, c.query, got, c.want)
		}
	}
}

// RIDUpgrade checks the nineteenth migration on a store the version
// before it wrote: testSearch's resources are written, the store is taken
// back (RowsByIDAsBefore), reopened, and must answer every one of
// testSearch's searches as a new store does. open returns a new store on
// the database db reaches.
func RIDUpgrade(t *testing.T, open func() store.Store, db *sql.DB) {
	ctx := context.Background()
	s := open()
	loadFixtures(t, s)
	s.Close()
	for _, stmt := range append(RowsByIDAsBefore(), `DELETE FROM schema_migrations WHERE version >= 19`) {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	var byID int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM reference_index WHERE target_id <> ''`).Scan(&byID); err != nil || byID == 0 {
		t.Fatalf("taken back, %d reference rows name their targets by id (%v)", byID, err)
	}
	s = open()
	defer s.Close()
	var unnamed int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM token_index t WHERE NOT EXISTS (SELECT 1 FROM resource_current c WHERE c.rid = t.rid AND c.type = t.type)`).Scan(&unnamed); err != nil || unnamed != 0 {
		t.Errorf("after the upgrade %d token rows name no current resource of their type (%v)", unnamed, err)
	}
	searchTheFixtures(t, s)
}
