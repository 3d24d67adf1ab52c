package postgres

import "github.com/gpcloud/gpcloud/internal/store/sqlstore"

// migrations are the schema, in order. Append only; keep each additive so
// that running servers keep working while a newer one migrates.
var migrations = []string{
	// 1: versioned resources, current-version pointers, token index.
	`CREATE TABLE resource_version (
		seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		type         TEXT    NOT NULL,
		id           TEXT    NOT NULL,
		version_id   BIGINT  NOT NULL,
		last_updated BIGINT  NOT NULL, -- microseconds since the Unix epoch, UTC
		deleted      BOOLEAN NOT NULL,
		method       TEXT    NOT NULL,
		body         BYTEA,
		UNIQUE (type, id, version_id)
	);
	CREATE INDEX resource_version_type_seq ON resource_version (type, seq);
	CREATE INDEX resource_version_updated ON resource_version (last_updated);
	CREATE TABLE resource_current (
		type       TEXT    NOT NULL,
		id         TEXT    NOT NULL,
		version_id BIGINT  NOT NULL,
		deleted    BOOLEAN NOT NULL,
		PRIMARY KEY (type, id)
	);
	CREATE TABLE token_index (
		type   TEXT NOT NULL,
		id     TEXT NOT NULL,
		param  TEXT NOT NULL,
		system TEXT NOT NULL,
		code   TEXT NOT NULL
	);
	CREATE INDEX token_index_lookup ON token_index (type, param, code, system);
	CREATE INDEX token_index_owner ON token_index (type, id)`,
	// 2: typed search indexes for every search parameter, stored result lists.
	sqlstore.SearchSchema(sqlstore.ColumnTypes{Key: "TEXT", Text: `TEXT COLLATE "C"`, Integer: "BIGINT", Real: "DOUBLE PRECISION"}),
	// 3: two-part composite parameters.
	sqlstore.CompositeSchema(sqlstore.ColumnTypes{Key: "TEXT", Text: `TEXT COLLATE "C"`, Integer: "BIGINT", Real: "DOUBLE PRECISION"}),
	// 4: records beside the resources (keys, clients, accounts, audit chain head).
	sqlstore.RecordSchema(sqlstore.ColumnTypes{Key: "TEXT", Text: `TEXT COLLATE "C"`, Integer: "BIGINT", Real: "DOUBLE PRECISION"}, "BYTEA"),
	// 5: the access condition of each stored result list.
	sqlstore.SearchAccessSchema(sqlstore.ColumnTypes{Key: "TEXT", Text: `TEXT COLLATE "C"`, Integer: "BIGINT", Real: "DOUBLE PRECISION"}),
	// 6: content beside versions (a Binary's bytes), in chunks. Chunks are
	// kept out of line without compression: scanned documents are
	// compressed already, and trying again costs time for nothing.
	sqlstore.ContentSchema(sqlstore.ColumnTypes{Key: "TEXT", Text: `TEXT COLLATE "C"`, Integer: "BIGINT", Real: "DOUBLE PRECISION"}, "BYTEA") +
		`; ALTER TABLE content_chunk ALTER COLUMN data SET STORAGE EXTERNAL`,
	// 7: terminology (code systems loaded as releases; see store.Terminology).
	sqlstore.TerminologySchema(sqlstore.ColumnTypes{Key: "TEXT", Text: `TEXT COLLATE "C"`, Integer: "BIGINT", Real: "DOUBLE PRECISION"}),
	// 8: covering search indexes (lookups end with the id, owners carry
	// the values), rebuilt once on an existing store.
	sqlstore.CoveringIndexSchema(),
	// 9: the rows of parameters now stored as their parts' rows
	// (Observation's combo parameters; search.Param.StoredAs).
	sqlstore.UnionRowsSchema(),
	// 10: identifiers compared in byte order (byteOrderedKeys).
	byteOrderedKeys,
	// 11: the patient key on token rows (search.Values.OnePatient),
	// byte-ordered as the keys it is compared with.
	// Analysed, so that the planner knows the new column at once.
	sqlstore.PatientKeySchema(sqlstore.ColumnTypes{Key: `TEXT COLLATE "C"`, Text: `TEXT COLLATE "C"`, Integer: "BIGINT", Real: "DOUBLE PRECISION"}) +
		`; ANALYZE token_index`,
	// 12: the composite index's indexes carry every column a search reads
	// (sqlstore.CompositeIndexSchema). Analysed, as the eleventh.
	sqlstore.CompositeIndexSchema() + `; ANALYZE composite_index`,
	// 13: the token lookup index ordered by patient key before id
	// (sqlstore.PatientKeyFirstSchema). Analysed, as the eleventh.
	sqlstore.PatientKeyFirstSchema() + `; ANALYZE token_index`,
	// 14: no token rows repeating another's text (sqlstore.ConceptTextRowsSchema).
	// Analysed, as the eleventh.
	sqlstore.ConceptTextRowsSchema(false) + `; ANALYZE token_index`,
	// 15: token systems as numbers (a dictionary); one-way: servers of
	// earlier versions must be stopped first (sqlstore.TokenSystemSchema).
	sqlstore.TokenSystemSchema(false),
	// 16: parameters as numbers (a dictionary); one-way, as the fifteenth
	// (sqlstore.ParamNumberSchema).
	sqlstore.ParamNumberSchema(false),
	// 17: token rows' patient keys as numbers (resource_key); one-way,
	// as the fifteenth (sqlstore.PatientKeyNumberSchema).
	sqlstore.PatientKeyNumberSchema(false),
	// 18: every resource and reference target numbered in resource_key
	// (sqlstore.ResourceNumberSchema); additive.
	sqlstore.ResourceNumberSchema(false),
	// 19: index rows named by rids, pages in rid order; one-way
	// (sqlstore.RowsByRIDSchema).
	sqlstore.RowsByRIDSchema(false),
}

// byteOrderedKeys is the tenth migration: every text column the first
// seven created with the database's default collation (the keys: types,
// ids, parameter names; token codes and systems; terminology's keys)
// becomes COLLATE "C", as the value columns were from the start. They
// hold identifiers, compared for equality and ordered only for paging,
// for which byte order is the right one: under the database's locale
// every B-tree comparison went through the C library's (or ICU's)
// collation, and an upgrade of that library can reorder text and so
// silently corrupt the indexes (PostgreSQL's wiki, "Locale data
// changes"), which byte order never does. Measured on the Synthea set at
// 10x (bench/README.md): the probes of a two-filter search took 34 ms
// under C.UTF-8 and 53 ms under ICU's en-US, 29 ms in byte order.
//
// Two columns stay as they were: term_relationship's source and
// destination, the codes the terminology's hierarchy walk returns. The
// walk is a recursive query whose first term is its parameter, in the
// database's collation, and PostgreSQL requires a recursive query's
// column to have one collation in both terms: were they byte-ordered,
// the servers of earlier versions still running beside this one during
// a rolling upgrade would fail every walk. (Its parameter could be cast
// to "C" only in a later version's query.)
//
// Changing a column's collation keeps the table (text stays text) but
// rebuilds every index on the column, under a lock that holds the
// table's readers and writers meanwhile (52 s for the Synthea set at 10x,
// 655,754 resources, on the 2-core bench machine): on a large store, run
// a newer version's first start in a maintenance window. It also drops
// the columns' statistics, so the migration ends by gathering them again;
// without them the planner chose a 100x slower plan for an _include
// search (4-6 ms -> 370 ms at 10x) until they were gathered.
const byteOrderedKeys = `ALTER TABLE resource_current ALTER COLUMN id TYPE TEXT COLLATE "C", ALTER COLUMN type TYPE TEXT COLLATE "C";
ALTER TABLE resource_version ALTER COLUMN id TYPE TEXT COLLATE "C", ALTER COLUMN method TYPE TEXT COLLATE "C", ALTER COLUMN type TYPE TEXT COLLATE "C";
ALTER TABLE composite_index ALTER COLUMN id TYPE TEXT COLLATE "C", ALTER COLUMN param TYPE TEXT COLLATE "C", ALTER COLUMN type TYPE TEXT COLLATE "C";
ALTER TABLE content_chunk ALTER COLUMN content_id TYPE TEXT COLLATE "C";
ALTER TABLE content_staged ALTER COLUMN content_id TYPE TEXT COLLATE "C";
ALTER TABLE date_index ALTER COLUMN id TYPE TEXT COLLATE "C", ALTER COLUMN param TYPE TEXT COLLATE "C", ALTER COLUMN type TYPE TEXT COLLATE "C";
ALTER TABLE number_index ALTER COLUMN id TYPE TEXT COLLATE "C", ALTER COLUMN param TYPE TEXT COLLATE "C", ALTER COLUMN type TYPE TEXT COLLATE "C";
ALTER TABLE quantity_index ALTER COLUMN id TYPE TEXT COLLATE "C", ALTER COLUMN param TYPE TEXT COLLATE "C", ALTER COLUMN type TYPE TEXT COLLATE "C";
ALTER TABLE record ALTER COLUMN id TYPE TEXT COLLATE "C", ALTER COLUMN kind TYPE TEXT COLLATE "C";
ALTER TABLE reference_index ALTER COLUMN id TYPE TEXT COLLATE "C", ALTER COLUMN param TYPE TEXT COLLATE "C", ALTER COLUMN target_id TYPE TEXT COLLATE "C", ALTER COLUMN target_type TYPE TEXT COLLATE "C", ALTER COLUMN type TYPE TEXT COLLATE "C";
ALTER TABLE search_query ALTER COLUMN search_id TYPE TEXT COLLATE "C";
ALTER TABLE search_result ALTER COLUMN id TYPE TEXT COLLATE "C", ALTER COLUMN search_id TYPE TEXT COLLATE "C", ALTER COLUMN type TYPE TEXT COLLATE "C";
ALTER TABLE string_index ALTER COLUMN id TYPE TEXT COLLATE "C", ALTER COLUMN param TYPE TEXT COLLATE "C", ALTER COLUMN type TYPE TEXT COLLATE "C";
ALTER TABLE term_association ALTER COLUMN refset TYPE TEXT COLLATE "C", ALTER COLUMN source TYPE TEXT COLLATE "C", ALTER COLUMN system TYPE TEXT COLLATE "C", ALTER COLUMN target TYPE TEXT COLLATE "C";
ALTER TABLE term_concept ALTER COLUMN code TYPE TEXT COLLATE "C", ALTER COLUMN system TYPE TEXT COLLATE "C";
ALTER TABLE term_current ALTER COLUMN source TYPE TEXT COLLATE "C";
ALTER TABLE term_description ALTER COLUMN code TYPE TEXT COLLATE "C", ALTER COLUMN desc_id TYPE TEXT COLLATE "C", ALTER COLUMN system TYPE TEXT COLLATE "C";
ALTER TABLE term_member ALTER COLUMN code TYPE TEXT COLLATE "C", ALTER COLUMN refset TYPE TEXT COLLATE "C";
ALTER TABLE term_relationship ALTER COLUMN system TYPE TEXT COLLATE "C", ALTER COLUMN type TYPE TEXT COLLATE "C";
ALTER TABLE term_release ALTER COLUMN source TYPE TEXT COLLATE "C";
ALTER TABLE term_system ALTER COLUMN system TYPE TEXT COLLATE "C";
ALTER TABLE term_word ALTER COLUMN desc_id TYPE TEXT COLLATE "C";
ALTER TABLE token_index ALTER COLUMN code TYPE TEXT COLLATE "C", ALTER COLUMN id TYPE TEXT COLLATE "C", ALTER COLUMN param TYPE TEXT COLLATE "C", ALTER COLUMN system TYPE TEXT COLLATE "C", ALTER COLUMN type TYPE TEXT COLLATE "C";
ALTER TABLE uri_index ALTER COLUMN id TYPE TEXT COLLATE "C", ALTER COLUMN param TYPE TEXT COLLATE "C", ALTER COLUMN type TYPE TEXT COLLATE "C";
ALTER TABLE version_content ALTER COLUMN content_id TYPE TEXT COLLATE "C", ALTER COLUMN id TYPE TEXT COLLATE "C", ALTER COLUMN type TYPE TEXT COLLATE "C";
ANALYZE resource_current, resource_version, composite_index, content_chunk, content_staged, date_index, number_index, quantity_index, record, reference_index, search_query, search_result, string_index, term_association, term_concept, term_current, term_description, term_member, term_relationship, term_release, term_system, term_word, token_index, uri_index, version_content`
