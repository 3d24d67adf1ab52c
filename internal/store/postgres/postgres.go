// Package postgres is the production store: PostgreSQL through pgx v5
// (via its database/sql adapter, so that the SQL is shared with SQLite in
// package sqlstore). Several gpcloud processes may share one database:
// migrations run under an advisory lock, and concurrent writers to one
// resource queue on its row lock or fail with store.ErrConflict, never
// losing an update.
//
// A search_path given in the connection URL (…&search_path=schema) is
// honoured, which lets tests and CI give each run a fresh schema.
package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/sqlstore"
)

// migrationLockKey is the advisory lock key guarding migrations (an
// arbitrary constant: "gpcloud" in ASCII).
const migrationLockKey = 0x677063_6c6f7564

// Open connects to dsn and migrates the schema, creating it if needed.
func Open(ctx context.Context, dsn string) (store.Store, error) {
	return open(ctx, dsn, sqlstore.Open)
}

// OpenExisting is Open for a database that already holds a gpcloud schema
// (in the schema the connection's search_path selects); one without it is
// refused with a *store.NoStoreError, and nothing is created in it.
func OpenExisting(ctx context.Context, dsn string) (store.Store, error) {
	return open(ctx, dsn, sqlstore.OpenExisting)
}

func open(ctx context.Context, dsn string, openSQL func(context.Context, *sql.DB, *sql.DB, sqlstore.Dialect) (*sqlstore.Store, error)) (store.Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	n := max(8, runtime.GOMAXPROCS(0)*4)
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s, err := openSQL(ctx, db, db, dialect)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	// New dictionary numbers are given on a pool of their own, committed
	// at once (sqlstore's dictionary.go): given inside a write's
	// transaction, a number would hold every other writer meeting the
	// same name until it ended; given on the writers' pool, it would wait
	// for a connection that every open transaction holds.
	numbers, err := openNumbersPool(dsn)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s.GiveNumbersOn(numbers)
	return &pgStore{Store: s, stop: keepStatistics(ctx, db)}, nil
}

// openNumbersPool opens the pool new dictionary numbers are given on.
// Its statements (a write's lookups of the names its server does not
// know, and their inserts) are planned each time they run, for the
// table as it is then: the plan PostgreSQL would otherwise keep for a
// prepared statement after five runs, made while a new store's
// resource_key was empty, scans the table for each name, and goes on
// doing so as the table grows until the table is next analysed
// (TestNumbersPlannedEachTime; the sqlstore doc, "A write's names
// numbered many to a statement"). Planning one lookup of up to 500
// names costs well under a millisecond.
func openNumbersPool(dsn string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	cfg.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	numbers := stdlib.OpenDB(*cfg)
	numbers.SetMaxOpenConns(2)
	return numbers, nil
}

var _ = stdlib.GetDefaultDriver // registers the "pgx" database/sql driver

var dialect = sqlstore.Dialect{
	Name:                 "postgres",
	NumberedPlaceholders: true,
	Migrations:           migrations,
	ReadLock:             "FOR UPDATE OF c",
	IsConflict:           isConflict,
	IsTransient:          isTransient,
	LockMigrations:       lockMigrations,
	MaxParams:            65535,
	Unindexed:            func(col string) string { return "(" + col + " || '')" },
	UnindexedNumber:      func(col string) string { return "(" + col + " + 0)" },
	ProbeSuffix:          " OFFSET 0",
	SeekByArray:          true,
	// unnest keeps the array's (sorted) order, so every transaction
	// takes its locks in one global order and none waits in a cycle.
	LockKeys: `SELECT count(pg_advisory_xact_lock(k)) FROM unnest($1::bigint[]) AS k`,
	// Where CREATE TABLE schema_migrations would put it: the first
	// schema of the search_path that exists.
	MigrationsTableExists: `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'schema_migrations'`,
	IndexDefinitions:      `SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()`,
	// Each index is sorted in memory rather than in runs on disk.
	BuildSettings:     []string{`SET LOCAL maintenance_work_mem = '256MB'`},
	AnalyzeAfterBuild: true,
	LockIndexTables:   `LOCK TABLE %s IN %s MODE`,
}

// isTransient: the connection broke or was refused. SQLSTATE class 08
// (connection exception), 57P01-57P03 (the backend was terminated, the
// server is shutting down or starting), 53300 (too many connections);
// pgx's own errors for a connection that closed, failed to connect or
// failed before sending anything; network errors and EOF.
func isTransient(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03" || pe.Code == "53300"
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	switch {
	case errors.As(err, &ce), errors.As(err, &ne) && !errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, pgconn.ErrConnClosed),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EPIPE), pgconn.SafeToRetry(err):
		return true
	}
	return false
}

// isConflict: unique violation, serialization failure, deadlock.
func isConflict(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505", "40001", "40P01":
			return true
		}
	}
	return false
}

func lockMigrations(ctx context.Context, c *sql.Conn) (func(), error) {
	if _, err := c.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLockKey)); err != nil {
		return nil, err
	}
	return func() {
		_, _ = c.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, int64(migrationLockKey))
	}, nil
}
