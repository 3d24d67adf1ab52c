package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/gpcloud/gpcloud/internal/store"
)

// migrate applies the migrations the database lacks, each in its own
// transaction, under the dialect's cross-process lock. With existing, a
// database without the migrations table is refused before anything is
// created in it.
func (s *Store) migrate(ctx context.Context, existing bool) error {
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
		if err := applyMigration(ctx, conn, s.d, v+1, s.d.Migrations[v]); err != nil {
			return fmt.Errorf("migration %d: %w", v+1, err)
		}
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

func applyMigration(ctx context.Context, conn *sql.Conn, d Dialect, version int, ddl string) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// One statement per Exec: drivers differ on multi-statement strings.
	for _, stmt := range strings.Split(ddl, ";") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%w in %s", err, strings.TrimSpace(stmt))
		}
	}
	if _, err := tx.ExecContext(ctx, d.rebind(`INSERT INTO schema_migrations (version) VALUES (?)`), version); err != nil {
		return err
	}
	return tx.Commit()
}
