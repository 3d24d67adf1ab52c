package sqlstore

import (
	"fmt"
	"strings"
)

// CompositeSchema is the third migration: the index of two-part
// composite parameters (code$value pairs read from one element).
func CompositeSchema(t ColumnTypes) string {
	ddl := `CREATE TABLE composite_index (type {K} NOT NULL, id {K} NOT NULL, param {K} NOT NULL,
		first_system {T} NOT NULL, first_code {T} NOT NULL, system {T} NOT NULL, code {T} NOT NULL, lo {R} NOT NULL, hi {R} NOT NULL);
	CREATE INDEX composite_index_lookup ON composite_index (type, param, first_code);
	CREATE INDEX composite_index_owner ON composite_index (type, id)`
	return strings.NewReplacer("{K}", t.Key, "{T}", t.Text, "{I}", t.Integer, "{R}", t.Real).Replace(ddl)
}

// ColumnTypes are a dialect's names for the search schema's column types.
type ColumnTypes struct {
	// Key is text compared for equality with resource_current's type and
	// id: it must share their collation, or PostgreSQL cannot join through
	// the primary key.
	Key     string
	Text    string // bytewise-ordered text for values (prefix ranges rely on it)
	Integer string // 64-bit
	Real    string // double precision
}

// SearchSchema is the migration that adds the typed search index tables
// and the stored result lists that make paging stable. Both adapters apply
// it as their second migration, with their own column types.
//
// Each table has a lookup index led by (type, param) and an owner index
// (type, id) for rewriting a resource's rows. Every index costs write
// time (random ids scatter the owner indexes across pages), so rarer
// lookups (reference URLs, token text, reverse includes of any type) scan
// the (type, param) range of the lookup index instead. Dates have an index
// on each end (ge/gt compare the upper end, le/lt the lower); quantities
// are looked up by value, the unit checked on the rows found.
func SearchSchema(t ColumnTypes) string {
	ddl := `ALTER TABLE token_index ADD COLUMN text {T} NOT NULL DEFAULT '';
	CREATE TABLE string_index (type {K} NOT NULL, id {K} NOT NULL, param {K} NOT NULL, norm {T} NOT NULL, exact {T} NOT NULL);
	CREATE INDEX string_index_lookup ON string_index (type, param, norm);
	CREATE INDEX string_index_owner ON string_index (type, id);
	CREATE TABLE reference_index (type {K} NOT NULL, id {K} NOT NULL, param {K} NOT NULL,
		target_type {K} NOT NULL, target_id {K} NOT NULL, url {T} NOT NULL);
	CREATE INDEX reference_index_lookup ON reference_index (type, param, target_id, target_type);
	CREATE INDEX reference_index_owner ON reference_index (type, id);
	CREATE TABLE date_index (type {K} NOT NULL, id {K} NOT NULL, param {K} NOT NULL, lo {I} NOT NULL, hi {I} NOT NULL);
	CREATE INDEX date_index_lo ON date_index (type, param, lo);
	CREATE INDEX date_index_hi ON date_index (type, param, hi);
	CREATE INDEX date_index_owner ON date_index (type, id);
	CREATE TABLE number_index (type {K} NOT NULL, id {K} NOT NULL, param {K} NOT NULL, value {R} NOT NULL, lo {R} NOT NULL, hi {R} NOT NULL);
	CREATE INDEX number_index_lookup ON number_index (type, param, value);
	CREATE INDEX number_index_owner ON number_index (type, id);
	CREATE TABLE quantity_index (type {K} NOT NULL, id {K} NOT NULL, param {K} NOT NULL, system {T} NOT NULL, code {T} NOT NULL,
		unit {T} NOT NULL, value {R} NOT NULL, lo {R} NOT NULL, hi {R} NOT NULL);
	CREATE INDEX quantity_index_lookup ON quantity_index (type, param, value);
	CREATE INDEX quantity_index_owner ON quantity_index (type, id);
	CREATE TABLE uri_index (type {K} NOT NULL, id {K} NOT NULL, param {K} NOT NULL, uri {T} NOT NULL);
	CREATE INDEX uri_index_lookup ON uri_index (type, param, uri);
	CREATE INDEX uri_index_owner ON uri_index (type, id);
	CREATE TABLE search_query (search_id {K} PRIMARY KEY, created {I} NOT NULL, total {I} NOT NULL);
	CREATE INDEX search_query_created ON search_query (created);
	CREATE TABLE search_result (search_id {K} NOT NULL, pos {I} NOT NULL, type {K} NOT NULL, id {K} NOT NULL,
		version_id {I} NOT NULL, PRIMARY KEY (search_id, pos))`
	return strings.NewReplacer("{K}", t.Key, "{T}", t.Text, "{I}", t.Integer, "{R}", t.Real).Replace(ddl)
}

// SearchAccessSchema is the fifth migration: each stored result list
// keeps the access condition it was computed under (search.Query.AccessKey),
// so that another caller holding its link cannot page through it.
func SearchAccessSchema(t ColumnTypes) string {
	return strings.NewReplacer("{T}", t.Text).Replace(`ALTER TABLE search_query ADD COLUMN access {T} NOT NULL DEFAULT ''`)
}

// RecordSchema is the fourth migration: records (non-FHIR documents such
// as signing keys, client registrations and accounts), keyed by kind and
// id; expires is in Unix microseconds, 0 for never.
func RecordSchema(t ColumnTypes, blob string) string {
	ddl := `CREATE TABLE record (kind {K} NOT NULL, id {K} NOT NULL, body {B} NOT NULL, expires {I} NOT NULL,
		PRIMARY KEY (kind, id))`
	return strings.NewReplacer("{K}", t.Key, "{B}", blob, "{I}", t.Integer).Replace(ddl)
}

// ContentSchema is the sixth migration: content kept beside versions (a
// Binary's bytes) in chunks of store.ContentChunkSize, one row each;
// which content each version holds; and content staged ahead of the
// write that takes it (size -1 while its chunks are still coming).
func ContentSchema(t ColumnTypes, blob string) string {
	ddl := `CREATE TABLE content_chunk (content_id {K} NOT NULL, seq {I} NOT NULL, data {B} NOT NULL, PRIMARY KEY (content_id, seq));
	CREATE TABLE version_content (type {K} NOT NULL, id {K} NOT NULL, version_id {I} NOT NULL,
		content_id {K} NOT NULL, size {I} NOT NULL, sha256 {T} NOT NULL, PRIMARY KEY (type, id, version_id));
	CREATE TABLE content_staged (content_id {K} PRIMARY KEY, created {I} NOT NULL, size {I} NOT NULL, sha256 {T} NOT NULL);
	CREATE INDEX content_staged_created ON content_staged (created)`
	return strings.NewReplacer("{K}", t.Key, "{T}", t.Text, "{I}", t.Integer, "{B}", blob).Replace(ddl)
}

// coveringIndexes are the search index tables' B-tree indexes as the
// eighth migration redefines them (issue 12): each lookup index ends with
// the resource's id and each owner index carries the parameter and its
// values, so that the lead of a search (ids by value) and the probes of
// the other filters (values by id) read one index and never the table.
// At 10x Synthea on SQLite, Observation?code=X&value-quantity=gtY matched
// its 7,440 of 9,600 candidates in 140 ms with the old indexes, 110 ms
// with the lookup covering and 50 ms with both (in process, medians).
// Composite rows were checked on columns no index held, so theirs stayed
// until the twelfth migration (CompositeIndexSchema).
var coveringIndexes = []struct{ name, table, columns string }{
	{"token_index_lookup", "token_index", "type, param, code, system, id"},
	{"token_index_owner", "token_index", "type, id, param, code, system"},
	{"string_index_lookup", "string_index", "type, param, norm, id"},
	{"string_index_owner", "string_index", "type, id, param, norm"},
	{"reference_index_lookup", "reference_index", "type, param, target_id, target_type, id"},
	{"reference_index_owner", "reference_index", "type, id, param, target_type, target_id"},
	{"date_index_lo", "date_index", "type, param, lo, hi, id"},
	{"date_index_hi", "date_index", "type, param, hi, lo, id"},
	{"date_index_owner", "date_index", "type, id, param, lo, hi"},
	{"number_index_lookup", "number_index", "type, param, value, id"},
	{"number_index_owner", "number_index", "type, id, param, value"},
	{"quantity_index_lookup", "quantity_index", "type, param, value, id"},
	{"quantity_index_owner", "quantity_index", "type, id, param, value"},
	{"uri_index_lookup", "uri_index", "type, param, uri, id"},
	{"uri_index_owner", "uri_index", "type, id, param, uri"},
}

// CoveringIndexSchema is the eighth migration: the search index tables'
// indexes redefined under the same names (coveringIndexes). The names are
// kept so that a record of deferred indexes left by a killed import of an
// older version still names them (its CREATE INDEX IF NOT EXISTS then
// finds the new ones in place). On a large store it rebuilds every index
// once, when the new version first opens it.
func CoveringIndexSchema() string {
	var b strings.Builder
	for _, ix := range coveringIndexes {
		fmt.Fprintf(&b, "DROP INDEX IF EXISTS %s;\nCREATE INDEX %s ON %s (%s);\n", ix.name, ix.name, ix.table, ix.columns)
	}
	return b.String()
}

// PatientKeySchema is the eleventh migration: each token row carries its
// resource's patient key (search.Values.OnePatient: the one Patient its
// patient parameter names, "" for none or several), at the end of the
// lookup index, so that a search from codes to patients reads the
// patients from the code's index entries alone (hasByPatientKey). The
// index keeps its name and its order by id: searches led by a code read
// it as before. Rows written before it, or by a server of an earlier
// version, hold "" and are found by their references, as every row was
// (the key is a shortcut, never the only way). It is a key compared with
// resource_current's ids: PostgreSQL's is byte-ordered as theirs are
// (the tenth migration), the dialect's Text type.
func PatientKeySchema(t ColumnTypes) string {
	return strings.NewReplacer("{T}", t.Text).Replace(`ALTER TABLE token_index ADD COLUMN patient {T} NOT NULL DEFAULT '';
DROP INDEX IF EXISTS token_index_lookup;
CREATE INDEX token_index_lookup ON token_index (type, param, code, system, id, patient)`)
}

// CompositeIndexSchema is the twelfth migration: the composite index's
// two indexes carry every column a search reads, so that a composite is
// read from its index entries alone, as the other tables' are (the
// eighth migration). The lookup orders a part's values after its first
// code: Observation?code=X&value-quantity=gtY, read as code-value-quantity
// (search.Paired), is then one range of one index instead of X's rows each
// probed for its value (at 10x Synthea 9,600 probes for 7,440 matches).
func CompositeIndexSchema() string {
	return `DROP INDEX IF EXISTS composite_index_lookup;
CREATE INDEX composite_index_lookup ON composite_index (type, param, first_code, first_system, lo, hi, code, system, id);
DROP INDEX IF EXISTS composite_index_owner;
CREATE INDEX composite_index_owner ON composite_index (type, id, param, first_code, first_system, lo, hi, code, system)`
}

// PatientKeyFirstSchema is the thirteenth migration: the token lookup
// index orders a code's rows by patient key before id, so that one
// patient's rows of a code are one range of it (keyedChainIDs: a chain to
// Patients beside a code reads the code's rows of the chain's patients),
// and the rows without a key are one range too (hasByPatientKey and
// keyedChainIDs read them by their references). Searches led by a code
// sort their ids after reading them (DISTINCT, then the order), so the
// index's order by id within a code served none of them.
func PatientKeyFirstSchema() string {
	return `DROP INDEX IF EXISTS token_index_lookup;
CREATE INDEX token_index_lookup ON token_index (type, param, code, system, patient, id)`
}

// ConceptTextRowsSchema is the fourteenth migration: it deletes the token
// rows that hold only a text which another row of the same resource and
// parameter holds too (search.Values' withoutRepeatedText, which no
// longer writes them: a CodeableConcept's text repeating its coding's
// display). Such a row answered :text as the other does, and no other
// search reads a row without a code: sort keys skip them, and a bare
// "|", which matched them, is refused as an empty value. Servers of earlier versions, which may still write such
// rows during a rolling upgrade, read the other rows alike.
//
// It must not depend on the token indexes: a store whose import was
// killed while they were deferred (deferred.go) is migrated before they
// are built. With rowids (SQLite) the rows are found by a join, for
// which SQLite makes an automatic index when the table has none (1.6 s
// with the indexes, 2.0 s without, for the Synthea set; a correlated
// EXISTS scanned the table once a row without them). Otherwise
// (PostgreSQL) by EXISTS, which its planner makes a semi-join.
func ConceptTextRowsSchema(rowids bool) string {
	if rowids {
		return `DELETE FROM token_index WHERE rowid IN (SELECT t.rowid FROM token_index t JOIN token_index u
	ON u.type = t.type AND u.id = t.id AND u.param = t.param AND u.text = t.text
	WHERE t.system = '' AND t.code = '' AND (u.system <> '' OR u.code <> ''))`
	}
	return `DELETE FROM token_index t WHERE t.system = '' AND t.code = '' AND EXISTS (SELECT 1 FROM token_index u
	WHERE u.type = t.type AND u.id = t.id AND u.param = t.param
	AND u.text = t.text AND (u.system <> '' OR u.code <> ''))`
}

// TokenSystemSchema is the fifteenth migration: token rows name their
// code system by a number from the dictionary token_system (systems.go),
// in a column sid that takes the place of system, in the row and in both
// of the table's indexes. Every system the rows hold is numbered (the
// empty system, a code without one, is 0), and the rows take their
// numbers.
//
// It is one-way, as the rewrite to integer keys was always going to be
// (doc.go): a server of an earlier version cannot write token rows or
// search them by system once it has run. The column's new name makes
// such a server fail loudly ("no such column: system") rather than
// search a number as if it were text and find nothing; searches without
// a system still work on it. Servers of earlier versions must be stopped
// before the first server of this version starts (README).
//
// On SQLite the table is rebuilt (a column's type cannot change); the
// indexes are made anew, also on a store whose import was killed while
// they were deferred (the deferral's record then finds them in place).
// PostgreSQL changes the column in place, through a function that reads
// the dictionary, dropped again (a USING clause may not hold a query),
// which rebuilds the two indexes; it analyses the table, as the type
// change drops the column's statistics.
func TokenSystemSchema(sqlite bool) string {
	if sqlite {
		return `CREATE TABLE token_system (sid INTEGER PRIMARY KEY, url TEXT NOT NULL UNIQUE);
INSERT INTO token_system (sid, url) VALUES (0, '');
INSERT INTO token_system (url) SELECT DISTINCT system FROM token_index WHERE system <> '' ORDER BY system;
CREATE TABLE token_index_numbered (type TEXT NOT NULL, id TEXT NOT NULL, param TEXT NOT NULL,
	sid INTEGER NOT NULL, code TEXT NOT NULL, text TEXT NOT NULL DEFAULT '', patient TEXT NOT NULL DEFAULT '');
INSERT INTO token_index_numbered (type, id, param, sid, code, text, patient)
	SELECT t.type, t.id, t.param, s.sid, t.code, t.text, t.patient FROM token_index t JOIN token_system s ON s.url = t.system;
DROP TABLE token_index;
ALTER TABLE token_index_numbered RENAME TO token_index;
CREATE INDEX token_index_lookup ON token_index (type, param, code, sid, patient, id);
CREATE INDEX token_index_owner ON token_index (type, id, param, code, sid)`
	}
	return `CREATE TABLE token_system (sid INTEGER GENERATED BY DEFAULT AS IDENTITY (START WITH 1) PRIMARY KEY, url TEXT COLLATE "C" NOT NULL UNIQUE);
INSERT INTO token_system (sid, url) VALUES (0, '');
INSERT INTO token_system (url) SELECT DISTINCT system FROM token_index WHERE system <> '' ORDER BY system;
CREATE FUNCTION gpcloud_token_system_id(u TEXT) RETURNS INTEGER LANGUAGE sql STABLE AS 'SELECT sid FROM token_system WHERE url = u';
ALTER TABLE token_index ALTER COLUMN system DROP DEFAULT;
ALTER TABLE token_index ALTER COLUMN system TYPE INTEGER USING gpcloud_token_system_id(system);
ALTER TABLE token_index RENAME COLUMN system TO sid;
DROP FUNCTION gpcloud_token_system_id(TEXT);
ANALYZE token_system, token_index`
}

// paramNumberedTables are the search index tables as the fifteenth
// migration left them: the columns after type, id and param (with their
// SQLite types) and the indexes, written with pid for param.
var paramNumberedTables = []struct {
	name    string
	columns string
	indexes []string
}{
	{"token_index", "sid INTEGER NOT NULL, code TEXT NOT NULL, text TEXT NOT NULL DEFAULT '', patient TEXT NOT NULL DEFAULT ''",
		[]string{"token_index_lookup (type, pid, code, sid, patient, id)", "token_index_owner (type, id, pid, code, sid)"}},
	{"string_index", "norm TEXT NOT NULL, exact TEXT NOT NULL",
		[]string{"string_index_lookup (type, pid, norm, id)", "string_index_owner (type, id, pid, norm)"}},
	{"reference_index", "target_type TEXT NOT NULL, target_id TEXT NOT NULL, url TEXT NOT NULL",
		[]string{"reference_index_lookup (type, pid, target_id, target_type, id)", "reference_index_owner (type, id, pid, target_type, target_id)"}},
	{"date_index", "lo INTEGER NOT NULL, hi INTEGER NOT NULL",
		[]string{"date_index_lo (type, pid, lo, hi, id)", "date_index_hi (type, pid, hi, lo, id)", "date_index_owner (type, id, pid, lo, hi)"}},
	{"number_index", "value REAL NOT NULL, lo REAL NOT NULL, hi REAL NOT NULL",
		[]string{"number_index_lookup (type, pid, value, id)", "number_index_owner (type, id, pid, value)"}},
	{"quantity_index", "system TEXT NOT NULL, code TEXT NOT NULL, unit TEXT NOT NULL, value REAL NOT NULL, lo REAL NOT NULL, hi REAL NOT NULL",
		[]string{"quantity_index_lookup (type, pid, value, id)", "quantity_index_owner (type, id, pid, value)"}},
	{"uri_index", "uri TEXT NOT NULL",
		[]string{"uri_index_lookup (type, pid, uri, id)", "uri_index_owner (type, id, pid, uri)"}},
	{"composite_index", "first_system TEXT NOT NULL, first_code TEXT NOT NULL, system TEXT NOT NULL, code TEXT NOT NULL, lo REAL NOT NULL, hi REAL NOT NULL",
		[]string{"composite_index_lookup (type, pid, first_code, first_system, lo, hi, code, system, id)",
			"composite_index_owner (type, id, pid, first_code, first_system, lo, hi, code, system)"}},
}

// ParamNumberSchema is the sixteenth migration: every search index row
// names its parameter by a number from the dictionary search_param
// (dictionary.go), in a column pid that takes the place of param, in the
// row and in every index of its table, as the fifteenth did for token
// systems. Every parameter the rows hold is numbered, and the rows take
// their numbers.
//
// One-way, as the fifteenth: under the column's new name a server of an
// earlier version fails on index rows ("no such column: param") rather
// than compare a name with a number and find nothing.
//
// On SQLite each table is rebuilt, its indexes made anew. PostgreSQL
// changes each column in place through a function reading the
// dictionary (which rebuilds the indexes), then makes any index that a
// killed import had deferred (the deferral's record, which names the
// old columns, then finds them in place), and analyses the tables.
func ParamNumberSchema(sqlite bool) string {
	var b strings.Builder
	var union []string
	for _, t := range paramNumberedTables {
		union = append(union, `SELECT param AS name FROM `+t.name)
	}
	fill := `INSERT INTO search_param (pid, name) VALUES (0, '');
INSERT INTO search_param (name) SELECT name FROM (` + strings.Join(union, ` UNION `) + `) u WHERE name <> '' ORDER BY name;
`
	if sqlite {
		b.WriteString("CREATE TABLE search_param (pid INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);\n" + fill)
		for _, t := range paramNumberedTables {
			var cols []string
			for _, c := range strings.Split(t.columns, ", ") {
				cols = append(cols, strings.Fields(c)[0])
			}
			fmt.Fprintf(&b, "CREATE TABLE %s_numbered (type TEXT NOT NULL, id TEXT NOT NULL, pid INTEGER NOT NULL, %s);\n", t.name, t.columns)
			fmt.Fprintf(&b, "INSERT INTO %s_numbered (type, id, pid, %s) SELECT t.type, t.id, p.pid, t.%s FROM %s t JOIN search_param p ON p.name = t.param;\n",
				t.name, strings.Join(cols, ", "), strings.Join(cols, ", t."), t.name)
			fmt.Fprintf(&b, "DROP TABLE %s;\nALTER TABLE %s_numbered RENAME TO %s;\n", t.name, t.name, t.name)
			for _, ix := range t.indexes {
				name, columns, _ := strings.Cut(ix, " ")
				fmt.Fprintf(&b, "CREATE INDEX %s ON %s %s;\n", name, t.name, columns)
			}
		}
		return strings.TrimSuffix(b.String(), ";\n")
	}
	b.WriteString(`CREATE TABLE search_param (pid INTEGER GENERATED BY DEFAULT AS IDENTITY (START WITH 1) PRIMARY KEY, name TEXT COLLATE "C" NOT NULL UNIQUE);
` + fill + `CREATE FUNCTION gpcloud_param_id(n TEXT) RETURNS INTEGER LANGUAGE sql STABLE AS 'SELECT pid FROM search_param WHERE name = n';
`)
	var tables []string
	for _, t := range paramNumberedTables {
		fmt.Fprintf(&b, "ALTER TABLE %s ALTER COLUMN param DROP DEFAULT;\nALTER TABLE %s ALTER COLUMN param TYPE INTEGER USING gpcloud_param_id(param);\nALTER TABLE %s RENAME COLUMN param TO pid;\n", t.name, t.name, t.name)
		for _, ix := range t.indexes {
			name, columns, _ := strings.Cut(ix, " ")
			fmt.Fprintf(&b, "CREATE INDEX IF NOT EXISTS %s ON %s %s;\n", name, t.name, columns)
		}
		tables = append(tables, t.name)
	}
	b.WriteString("DROP FUNCTION gpcloud_param_id(TEXT);\nANALYZE search_param, " + strings.Join(tables, ", "))
	return b.String()
}

// UnionRowsSchema is the ninth migration: it deletes the index rows of
// the parameters now stored as other parameters' rows (search.Param.StoredAs:
// in R4 only Observation's six combo parameters are such unions), which
// no search reads any more. It is written out rather than derived from
// the registry, so that a released migration never changes;
// TestUnionRowsSchema checks that it names every union and nothing else.
func UnionRowsSchema() string {
	return `DELETE FROM token_index WHERE type = 'Observation' AND param IN ('combo-code', 'combo-data-absent-reason', 'combo-value-concept');
DELETE FROM quantity_index WHERE type = 'Observation' AND param IN ('combo-value-quantity');
DELETE FROM composite_index WHERE type = 'Observation' AND param IN ('combo-code-value-concept', 'combo-code-value-quantity')`
}

// narrowedRowsDelete deletes the reference rows of the parameters now
// stored as other reference parameters' rows narrowed to one target type
// (search.Param.StoredTarget: Observation's patient is its subject's rows
// naming a Patient), which stores of earlier versions hold (narrowed.go).
// It runs on the current schema (gpcloud admin drop-duplicate-rows), so
// it names the parameters by their numbers (the sixteenth migration).
// Written out, as the ninth migration is; TestNarrowedRowsDelete checks
// that it names every narrowed parameter of R4 and nothing else.
func narrowedRowsDelete() string {
	return `DELETE FROM reference_index WHERE pid = (SELECT pid FROM search_param WHERE name = 'location') AND type IN ('Appointment', 'AppointmentResponse');
DELETE FROM reference_index WHERE pid = (SELECT pid FROM search_param WHERE name = 'patient') AND type IN ('Account', 'Appointment', 'AppointmentResponse', 'AuditEvent', 'Basic', 'CarePlan', 'CareTeam', 'ChargeItem', 'ClinicalImpression', 'Communication', 'CommunicationRequest', 'Composition', 'Condition', 'Contract', 'DeviceRequest', 'DiagnosticReport', 'DocumentManifest', 'DocumentReference', 'Encounter', 'Flag', 'Goal', 'GuidanceResponse', 'ImagingStudy', 'Invoice', 'List', 'MeasureReport', 'Media', 'MedicationAdministration', 'MedicationDispense', 'MedicationRequest', 'MedicationStatement', 'Observation', 'Person', 'Procedure', 'Provenance', 'QuestionnaireResponse', 'RequestGroup', 'RiskAssessment', 'ServiceRequest', 'Specimen', 'Task');
DELETE FROM reference_index WHERE pid = (SELECT pid FROM search_param WHERE name = 'practitioner') AND type IN ('Appointment', 'AppointmentResponse', 'Encounter', 'Person');
DELETE FROM reference_index WHERE pid = (SELECT pid FROM search_param WHERE name = 'relatedperson') AND type IN ('Person')`
}

// PatientKeyNumberSchema is the seventeenth migration, the first stage of
// ids as numbers (doc.go, "Integer keys"): a token row's patient key
// (the eleventh migration) becomes the number of that Patient in
// resource_key (rid, type, id), the store's one numbering of resources,
// in a column patient_rid that takes the place of patient, in the row
// and in the lookup index; 0 is no key. resource_key holds, for now, the
// Patients that token rows have named; later stages number every
// resource and reference target through it.
//
// One-way, as the fifteenth and sixteenth: under the column's new name a
// server of the version before fails on token rows ("no such column:
// patient") rather than write a patient's id into a column of numbers.
//
// On SQLite the table is rebuilt, its indexes made anew. PostgreSQL
// changes the column in place through a function reading resource_key
// (which rebuilds the lookup index), makes the lookup index if a killed
// import had deferred it (the deferral's record, naming the old column,
// then finds it in place), and analyses both tables.
func PatientKeyNumberSchema(sqlite bool) string {
	if sqlite {
		return `CREATE TABLE resource_key (rid INTEGER PRIMARY KEY, type TEXT NOT NULL, id TEXT NOT NULL, UNIQUE (type, id));
INSERT INTO resource_key (type, id) SELECT DISTINCT 'Patient', patient FROM token_index WHERE patient <> '' ORDER BY patient;
CREATE TABLE token_index_keyed (type TEXT NOT NULL, id TEXT NOT NULL, pid INTEGER NOT NULL,
	sid INTEGER NOT NULL, code TEXT NOT NULL, text TEXT NOT NULL DEFAULT '', patient_rid INTEGER NOT NULL DEFAULT 0);
INSERT INTO token_index_keyed (type, id, pid, sid, code, text, patient_rid)
	SELECT t.type, t.id, t.pid, t.sid, t.code, t.text, coalesce(k.rid, 0) FROM token_index t LEFT JOIN resource_key k ON k.type = 'Patient' AND k.id = t.patient;
DROP TABLE token_index;
ALTER TABLE token_index_keyed RENAME TO token_index;
CREATE INDEX token_index_lookup ON token_index (type, pid, code, sid, patient_rid, id);
CREATE INDEX token_index_owner ON token_index (type, id, pid, code, sid)`
	}
	return `CREATE TABLE resource_key (rid BIGINT GENERATED BY DEFAULT AS IDENTITY (START WITH 1) PRIMARY KEY,
	type TEXT COLLATE "C" NOT NULL, id TEXT COLLATE "C" NOT NULL, UNIQUE (type, id));
INSERT INTO resource_key (type, id) SELECT DISTINCT 'Patient', patient FROM token_index WHERE patient <> '' ORDER BY 2;
CREATE FUNCTION gpcloud_patient_rid(p TEXT) RETURNS BIGINT LANGUAGE sql STABLE AS 'SELECT coalesce((SELECT rid FROM resource_key WHERE type = ''Patient'' AND id = p), 0)';
ALTER TABLE token_index ALTER COLUMN patient DROP DEFAULT;
ALTER TABLE token_index ALTER COLUMN patient TYPE BIGINT USING gpcloud_patient_rid(patient);
ALTER TABLE token_index ALTER COLUMN patient SET DEFAULT 0;
ALTER TABLE token_index RENAME COLUMN patient TO patient_rid;
DROP FUNCTION gpcloud_patient_rid(TEXT);
CREATE INDEX IF NOT EXISTS token_index_lookup ON token_index (type, pid, code, sid, patient_rid, id);
CREATE INDEX IF NOT EXISTS token_index_owner ON token_index (type, id, pid, code, sid);
ANALYZE resource_key, token_index`
}

// ResourceNumberSchema is the eighteenth migration, the second stage of
// ids as numbers (bench/README.md, "Every resource numbered when first written"):
// every resource the store holds (deleted ones too) and every reference
// target its index rows name gets a rid in resource_key, as this
// version's writes give them, so that the next stage can name index rows
// and their targets by rids. The Patients token rows' keys named keep
// theirs; the others are numbered in (type, id) order, the order in which
// searches page them now. Additive: a server of the version before reads
// and writes as it did, and numbers what it writes no further (a later
// migration that needs those numbers gives them again).
func ResourceNumberSchema(sqlite bool) string {
	ddl := numberAllResources
	if !sqlite {
		ddl += `;
ANALYZE resource_key`
	}
	return ddl
}

// numberAllResources gives every resource and reference target without a
// rid one, in (type, id) order: the eighteenth migration.
const numberAllResources = `INSERT INTO resource_key (type, id)
	SELECT u.type, u.id FROM (SELECT type, id FROM resource_current
		UNION SELECT target_type, target_id FROM reference_index WHERE target_type <> '' AND target_id <> '') u
	WHERE NOT EXISTS (SELECT 1 FROM resource_key k WHERE k.type = u.type AND k.id = u.id)
	ORDER BY u.type, u.id`

// ridTables are the index tables as RowsByRIDSchema leaves them: their
// value columns after (type, rid), how they are read from the tables of
// the seventeenth migration (t, joined to its owner's rid k and, for
// references, its target's g), and their indexes.
var ridTables = []struct {
	name, columns, from string
	indexes             []string
}{
	{"token_index", "pid INTEGER NOT NULL, sid INTEGER NOT NULL, code TEXT NOT NULL, text TEXT NOT NULL, patient_rid INTEGER NOT NULL",
		"t.pid, t.sid, t.code, t.text, t.patient_rid", []string{"token_index_lookup (type, pid, code, sid, patient_rid, rid)", "token_index_owner (rid, pid, code, sid)"}},
	{"string_index", "pid INTEGER NOT NULL, norm TEXT NOT NULL, exact TEXT NOT NULL",
		"t.pid, t.norm, t.exact", []string{"string_index_lookup (type, pid, norm, rid)", "string_index_owner (rid, pid, norm)"}},
	{"reference_index", "pid INTEGER NOT NULL, target_type TEXT NOT NULL, target_rid INTEGER NOT NULL, url TEXT NOT NULL",
		"t.pid, t.target_type, coalesce(g.rid, 0), t.url", []string{"reference_index_lookup (type, pid, target_rid, rid)", "reference_index_owner (rid, pid, target_rid)"}},
	{"date_index", "pid INTEGER NOT NULL, lo INTEGER NOT NULL, hi INTEGER NOT NULL",
		"t.pid, t.lo, t.hi", []string{"date_index_lo (type, pid, lo, hi, rid)", "date_index_hi (type, pid, hi, lo, rid)", "date_index_owner (rid, pid, lo, hi)"}},
	{"number_index", "pid INTEGER NOT NULL, value REAL NOT NULL, lo REAL NOT NULL, hi REAL NOT NULL",
		"t.pid, t.value, t.lo, t.hi", []string{"number_index_lookup (type, pid, value, rid)", "number_index_owner (rid, pid, value)"}},
	{"quantity_index", "pid INTEGER NOT NULL, system TEXT NOT NULL, code TEXT NOT NULL, unit TEXT NOT NULL, value REAL NOT NULL, lo REAL NOT NULL, hi REAL NOT NULL",
		"t.pid, t.system, t.code, t.unit, t.value, t.lo, t.hi", []string{"quantity_index_lookup (type, pid, value, rid)", "quantity_index_owner (rid, pid, value)"}},
	{"uri_index", "pid INTEGER NOT NULL, uri TEXT NOT NULL",
		"t.pid, t.uri", []string{"uri_index_lookup (type, pid, uri, rid)", "uri_index_owner (rid, pid, uri)"}},
	{"composite_index", "pid INTEGER NOT NULL, first_system TEXT NOT NULL, first_code TEXT NOT NULL, system TEXT NOT NULL, code TEXT NOT NULL, lo REAL NOT NULL, hi REAL NOT NULL",
		"t.pid, t.first_system, t.first_code, t.system, t.code, t.lo, t.hi",
		[]string{"composite_index_lookup (type, pid, first_code, first_system, lo, hi, code, system, rid)", "composite_index_owner (rid, pid, first_code, first_system, lo, hi, code, system)"}},
}

// RowsByRIDSchema is the nineteenth migration, the integer-key stage
// (doc.go, "Rows named by rids"): every index row names its resource by
// rid instead of id, and every reference row its target by rid (0 for a
// target the row does not name by type and id); resource_current gains
// the rid, unique, and an index in (type, rid) order, the default order
// of pages. One-way: the index tables are rebuilt, so a server of an
// earlier version fails on them instead of searching ids among rids.
func RowsByRIDSchema(sqlite bool) string {
	var b strings.Builder
	integer, text := "INTEGER", "TEXT"
	if !sqlite {
		integer, text = "BIGINT", `TEXT COLLATE "C"`
	}
	for _, t := range ridTables {
		cols := strings.ReplaceAll(strings.ReplaceAll(t.columns, "INTEGER", integer), "TEXT", text)
		if !sqlite {
			cols = strings.ReplaceAll(cols, "REAL", "DOUBLE PRECISION")
		}
		fmt.Fprintf(&b, "CREATE TABLE %s_rid (type %s NOT NULL, rid %s NOT NULL, %s);\n", t.name, text, integer, cols)
		join := ""
		if t.name == "reference_index" {
			join = " LEFT JOIN resource_key g ON g.type = t.target_type AND g.id = t.target_id"
		}
		fmt.Fprintf(&b, "INSERT INTO %s_rid SELECT t.type, k.rid, %s FROM %s t JOIN resource_key k ON k.type = t.type AND k.id = t.id%s;\n", t.name, t.from, t.name, join)
		fmt.Fprintf(&b, "DROP TABLE %s;\nALTER TABLE %s_rid RENAME TO %s;\n", t.name, t.name, t.name)
		for _, ix := range t.indexes {
			name, columns, _ := strings.Cut(ix, " ")
			fmt.Fprintf(&b, "CREATE INDEX %s ON %s %s;\n", name, t.name, columns)
		}
	}
	fmt.Fprintf(&b, "ALTER TABLE resource_current ADD COLUMN rid %s NOT NULL DEFAULT 0;\n", integer)
	b.WriteString("UPDATE resource_current SET rid = (SELECT k.rid FROM resource_key k WHERE k.type = resource_current.type AND k.id = resource_current.id);\n")
	b.WriteString("CREATE UNIQUE INDEX resource_current_rid ON resource_current (rid);\n")
	// Pages of one type walked in rid order (walkFrom) and searches of
	// several types in (type, rid) order.
	b.WriteString("CREATE INDEX resource_current_type_rid ON resource_current (type, rid)")
	if !sqlite {
		// New tables have no statistics: plans would go without them.
		b.WriteString(";\nANALYZE resource_current, " + indexTableList())
	}
	return b.String()
}
