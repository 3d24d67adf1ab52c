package sqlite

import "github.com/gpcloud/gpcloud/internal/store/sqlstore"

// migrations are the schema, in order. Append only.
var migrations = []string{
	// 1: versioned resources, current-version pointers, token index.
	`CREATE TABLE resource_version (
		seq          INTEGER PRIMARY KEY,
		type         TEXT    NOT NULL,
		id           TEXT    NOT NULL,
		version_id   INTEGER NOT NULL,
		last_updated INTEGER NOT NULL, -- microseconds since the Unix epoch, UTC
		deleted      BOOLEAN NOT NULL,
		method       TEXT    NOT NULL,
		body         BLOB,
		UNIQUE (type, id, version_id)
	);
	CREATE INDEX resource_version_type_seq ON resource_version (type, seq);
	CREATE INDEX resource_version_updated ON resource_version (last_updated);
	CREATE TABLE resource_current (
		type       TEXT    NOT NULL,
		id         TEXT    NOT NULL,
		version_id INTEGER NOT NULL,
		deleted    BOOLEAN NOT NULL,
		PRIMARY KEY (type, id)
	) WITHOUT ROWID;
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
	sqlstore.SearchSchema(sqlstore.ColumnTypes{Key: "TEXT", Text: "TEXT", Integer: "INTEGER", Real: "REAL"}),
	// 3: two-part composite parameters.
	sqlstore.CompositeSchema(sqlstore.ColumnTypes{Key: "TEXT", Text: "TEXT", Integer: "INTEGER", Real: "REAL"}),
	// 4: records beside the resources (keys, clients, accounts, audit chain head).
	sqlstore.RecordSchema(sqlstore.ColumnTypes{Key: "TEXT", Text: "TEXT", Integer: "INTEGER", Real: "REAL"}, "BLOB"),
	// 5: the access condition of each stored result list.
	sqlstore.SearchAccessSchema(sqlstore.ColumnTypes{Key: "TEXT", Text: "TEXT", Integer: "INTEGER", Real: "REAL"}),
	// 6: content beside versions (a Binary's bytes), in chunks.
	sqlstore.ContentSchema(sqlstore.ColumnTypes{Key: "TEXT", Text: "TEXT", Integer: "INTEGER", Real: "REAL"}, "BLOB"),
	// 7: terminology (code systems loaded as releases; see store.Terminology).
	sqlstore.TerminologySchema(sqlstore.ColumnTypes{Key: "TEXT", Text: "TEXT", Integer: "INTEGER", Real: "REAL"}),
	// 8: covering search indexes (lookups end with the id, owners carry
	// the values), rebuilt once on an existing store.
	sqlstore.CoveringIndexSchema(),
	// 9: the rows of parameters now stored as their parts' rows
	// (Observation's combo parameters; search.Param.StoredAs).
	sqlstore.UnionRowsSchema(),
	// 10: nothing. PostgreSQL's tenth makes its keys byte-ordered
	// (COLLATE "C"); SQLite's text was always compared bytewise (BINARY).
	// Kept so that both stores' schema versions name the same schema.
	`SELECT 1`,
	// 11: the patient key on token rows (search.Values.OnePatient).
	sqlstore.PatientKeySchema(sqlstore.ColumnTypes{Key: "TEXT", Text: "TEXT", Integer: "INTEGER", Real: "REAL"}),
	// 12: the composite index's indexes carry every column a search reads.
	sqlstore.CompositeIndexSchema(),
	// 13: the token lookup index ordered by patient key before id.
	sqlstore.PatientKeyFirstSchema(),
	// 14: no token rows repeating another's text (a concept's text).
	sqlstore.ConceptTextRowsSchema(true),
	// 15: token systems as numbers (a dictionary); one-way.
	sqlstore.TokenSystemSchema(true),
	// 16: parameters as numbers (a dictionary); one-way.
	sqlstore.ParamNumberSchema(true),
	// 17: token rows' patient keys as numbers (resource_key); one-way.
	sqlstore.PatientKeyNumberSchema(true),
	// 18: every resource and reference target numbered in resource_key
	// (sqlstore.ResourceNumberSchema); additive.
	sqlstore.ResourceNumberSchema(true),
	// 19: index rows named by rids, pages in rid order; one-way
	// (sqlstore.RowsByRIDSchema).
	sqlstore.RowsByRIDSchema(true),
}
