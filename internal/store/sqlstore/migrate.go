package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/store"
)

// migrate applies the migrations the database lacks, each in its own
// transaction, under the dialect's cross-process lock. With existing, a
// database without the migrations table is refused before anything is
// created in it.
func (s *Store) migrate(ctx context.Context, existing bool) error {
	return s.withMigrationLock(ctx, func(conn *sql.Conn) error { return s.migrateLocked(ctx, conn, existing) })
}

// withMigrationLock runs fn on a write connection holding the dialect's
// migration lock, so that no two processes change the schema at once.
func (s *Store) withMigrationLock(ctx context.Context, fn func(*sql.Conn) error) error {
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if s.d.LockMigrations != nil {
		unlock, err := s.d.LockMigrations(ctx, conn)
		if err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
		defer unlock()
	}
	return fn(conn)
}

func (s *Store) migrateLocked(ctx context.Context, conn *sql.Conn, existing bool) error {
	if existing {
		// Checked under the lock, so that a server creating the schema
		// at this moment has either finished or not begun.
		var n int
		if err := conn.QueryRowContext(ctx, s.d.MigrationsTableExists).Scan(&n); err != nil {
			return fmt.Errorf("look for schema_migrations: %w", err)
		}
		if n == 0 {
			return &store.NoStoreError{Reason: "the database holds no gpcloud tables (no schema_migrations table)"}
		}
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	current, err := schemaVersion(ctx, conn)
	if err != nil {
		return err
	}
	for v := current; v < len(s.d.Migrations); v++ {
		// An existing store's upgrade is logged: some migrations rebuild
		// indexes and take minutes on a large store, and a server silent
		// meanwhile looks hung. A new store's are quick and not logged.
		start := time.Now()
		if current > 0 {
			slog.Info("upgrading the store's schema; this server starts serving once it is done", "store", s.d.Name, "migration", v+1, "of", len(s.d.Migrations))
		}
		if err := applyMigration(ctx, conn, s.d, v+1, s.d.Migrations[v]); err != nil {
			return fmt.Errorf("migration %d: %w", v+1, err)
		}
		if current > 0 {
			slog.Info("store schema upgraded", "store", s.d.Name, "migration", v+1, "took", time.Since(start).Round(time.Millisecond).String())
		}
	}
	if current == 0 {
		// A new store: no server of an earlier version reads it, so it
		// never holds the rows of narrowed parameters (narrowed.go).
		if err := markNewStore(ctx, conn, &s.d); err != nil {
			return fmt.Errorf("record a new store's settings: %w", err)
		}
	}
	return finishDeferredBuild(ctx, conn, &s.d)
}

// finishDeferredBuild builds the search indexes a load deferred and did
// not build (it was killed, or is still running in another process), so
// that no store is served without them once opened (deferred.go).
func finishDeferredBuild(ctx context.Context, conn *sql.Conn, d *Dialect) error {
	err := connTx(ctx, conn, func(tx *sql.Tx) error {
		_, err := buildDeferred(ctx, tx, d)
		return err
	})
	if err != nil {
		return fmt.Errorf("build the search indexes a load deferred: %w", err)
	}
	return nil
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func schemaVersion(ctx context.Context, q queryer) (int, error) {
	var v sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return int(v.Int64), nil
}

func applyMigration(ctx context.Context, conn *sql.Conn, d Dialect, version int, ddl string) (err error) {
	// Migrations that rebuild tables sort and index as a deferred build
	// does, so they run under its settings (SQLite: a smaller page cache
	// and a helper thread for the sorter; PostgreSQL: more sort memory),
	// put back whatever becomes of the migration.
	defer func() {
		for _, stmt := range d.AfterBuild {
			if _, aerr := conn.ExecContext(ctx, stmt); aerr != nil && err == nil {
				err = fmt.Errorf("%w in %s", aerr, stmt)
			}
		}
	}()
	return connTx(ctx, conn, func(tx *sql.Tx) error {
		for _, stmt := range d.BuildSettings {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("%w in %s", err, stmt)
			}
		}
		// One statement per Exec: drivers differ on multi-statement strings.
		for _, stmt := range strings.Split(ddl, ";") {
			if strings.TrimSpace(stmt) == "" {
				continue
			}
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("%w in %s", err, strings.TrimSpace(stmt))
			}
		}
		_, err := tx.ExecContext(ctx, d.rebind(`INSERT INTO schema_migrations (version) VALUES (?)`), version)
		return err
	})
}
