package sqlstore

import (
	"context"
	"database/sql"
	"testing"

	_ "modernc.org/sqlite"
)

// TestMigrationSettings: a migration runs under the dialect's build
// settings (SQLite's smaller page cache, so that rebuilding a large
// table stays within the server's memory), and the connection has its
// own back afterwards, whether the migration succeeded or failed.
func TestMigrationSettings(t *testing.T) {
	d := Dialect{
		BuildSettings: []string{`PRAGMA cache_size = -16384`},
		AfterBuild:    []string{`PRAGMA cache_size = -65536`},
	}
	for _, c := range []struct {
		name, ddl string
		fails     bool
	}{
		{"applied", `CREATE TABLE seen AS SELECT cache_size FROM pragma_cache_size()`, false},
		{"failed", `CREATE TABLE seen AS SELECT cache_size FROM pragma_cache_size(); SELECT * FROM no_such_table`, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			db, err := sql.Open("sqlite", "file::memory:")
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			conn, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			for _, stmt := range []string{`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY)`, `PRAGMA cache_size = -65536`} {
				if _, err := conn.ExecContext(ctx, stmt); err != nil {
					t.Fatal(err)
				}
			}
			err = applyMigration(ctx, conn, d, 1, c.ddl)
			if (err != nil) != c.fails {
				t.Fatalf("migration: %v, want failure %v", err, c.fails)
			}
			if !c.fails {
				var during int
				if err := conn.QueryRowContext(ctx, `SELECT cache_size FROM seen`).Scan(&during); err != nil || during != -16384 {
					t.Errorf("the migration ran with cache_size %d (%v), want the build's -16384", during, err)
				}
			}
			var after int
			if err := conn.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&after); err != nil || after != -65536 {
				t.Errorf("after the migration cache_size is %d (%v), want the connection's -65536 back", after, err)
			}
		})
	}
}
