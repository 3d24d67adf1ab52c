package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
)

// Dialect is what one database engine needs beyond the shared SQL.
type Dialect struct {
	Name string
	// Numbered placeholders ($1, $2...) instead of "?".
	NumberedPlaceholders bool
	// Migrations are the schema changes in order; a database at version n
	// has had the first n applied. Append only: never edit a released one.
	Migrations []string
	// ReadLock is appended to the current-version lookup inside a write
	// transaction, to lock the row read ("FOR UPDATE OF c" on PostgreSQL):
	// concurrent writers to one resource then queue instead of failing.
	ReadLock string
	// IsConflict reports errors that mean a concurrent writer won: unique
	// violations, deadlocks, serialization failures.
	IsConflict func(error) bool
	// IsTransient reports errors of a broken or refused connection (the
	// server restarted, the backend was terminated): nothing more was done
	// on it, and the work may be tried again on another connection. Nil
	// when the engine has no such errors (an embedded database).
	IsTransient func(error) bool
	// LockMigrations serialises migrations between processes; it returns
	// the function that releases the lock. Nil when the engine's own write
	// lock suffices.
	LockMigrations func(ctx context.Context, c *sql.Conn) (unlock func(), err error)
	// BulkInsert begins the multi-row INSERTs of bulk writes (versions,
	// index rows, result lists, terminology); "" for "INSERT INTO".
	// SQLite's "INSERT OR FAIL INTO" keeps no statement journal: with the
	// default OR ABORT, every existing page a multi-row statement first
	// changes is copied to a journal (spilled to a temporary file past 64
	// KiB) so that a failing statement can be undone alone. Nothing here needs
	// that: a failed bulk write fails its transaction (tx.failed), which
	// is rolled back whole. Measured in doc.go ("Bulk inserts without a
	// statement journal").
	BulkInsert string
	// MaxParams bounds the parameters of one statement.
	MaxParams int
	// Unindexed wraps a column so that the planner cannot use an index on
	// it ("+col" on SQLite, "(col || '')" on PostgreSQL): per-resource
	// probes and sort keys then go through the owner index (type, id)
	// instead of scanning a lookup index led by (type, param), whatever
	// the statistics say (after a bulk load there are none).
	Unindexed func(col string) string
	// UnindexedNumber is Unindexed for an integer column ("(col + 0)" on
	// PostgreSQL); nil when Unindexed serves both.
	UnindexedNumber func(col string) string
	// LockKeys takes transaction-scoped locks on the int64 keys given as
	// one array parameter, in the array's order ("" when write
	// transactions are serialised already, as SQLite's are).
	LockKeys string
	// GateByJoin: a part of a statement that runs on a one-row CTE's
	// answer joins the CTE outermost (SQLite, which tests a condition on a
	// scalar subquery on every row), instead of testing the answer as a
	// scalar subquery (PostgreSQL, which makes that a one-time filter but
	// reorders cross joins). See sqlBuilder.gated.
	GateByJoin bool
	// SeekByArray: a keyed chain's patients are written
	// col = ANY(ARRAY(SELECT ...)) rather than col IN (SELECT ...)
	// (PostgreSQL): the patients are then found once, first, and each
	// sought in the index, whatever the plan. Written as IN, the generic
	// plan PostgreSQL keeps for a prepared statement after five runs read
	// every row of the code and probed each for its patient (at 10x,
	// chained-name-code: 9,600 rows, 18-22 ms, against 230 rows).
	// SQLite seeks an IN's values by itself.
	SeekByArray bool
	// ProbeSuffix ends a correlated EXISTS probe: " OFFSET 0" keeps
	// PostgreSQL from turning it into a join it may start from.
	ProbeSuffix string
	// IndexDefinitions lists the indexes of the current schema as (table,
	// index name, CREATE INDEX statement), for deferred builds.
	IndexDefinitions string
	// DefersByDefault: an import defers its index build unless told
	// otherwise (measured to pay on SQLite, not on PostgreSQL; doc.go).
	DefersByDefault bool
	// LockIndexTables locks the index tables (a list, then a mode) for a
	// deferred build or drop, in a format for fmt.Sprintf ("" where write
	// transactions are serialised already).
	LockIndexTables string
	// BuildSettings run in the transaction that builds deferred indexes
	// (PostgreSQL: more sort memory; SQLite: less), and AfterBuild at its
	// end (SQLite: the connection's settings back).
	BuildSettings, AfterBuild []string
	// AnalyzeAfterBuild runs ANALYZE on the index tables once deferred
	// indexes are built (PostgreSQL's planner needs their statistics).
	AnalyzeAfterBuild bool
	// MigrationsTableExists counts (0 or 1) the schema_migrations tables
	// where the migrations would create it, for OpenExisting.
	MigrationsTableExists string
}

// insertInto begins a bulk INSERT (BulkInsert) into table.
func (d *Dialect) insertInto(table string) string {
	if d.BulkInsert == "" {
		return "INSERT INTO " + table
	}
	return d.BulkInsert + " " + table
}

// rebind turns "?" placeholders into $n for engines that number them.
func (d *Dialect) rebind(q string) string {
	if !d.NumberedPlaceholders {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}
