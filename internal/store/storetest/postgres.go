package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/postgres"
)

// PostgresEnv names the DSN of the PostgreSQL server tests may use.
const PostgresEnv = "GPCLOUD_TEST_POSTGRES"

// PostgresDSN creates a fresh schema on the test server and returns a DSN
// whose search_path selects it; the schema is dropped when the test ends.
// The test is skipped when GPCLOUD_TEST_POSTGRES is not set.
func PostgresDSN(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		tb.Skip("GPCLOUD_TEST_POSTGRES not set: PostgreSQL tests skipped")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "test_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatalf("postgres: %v", err)
	}
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		admin.Close()
		tb.Fatalf("postgres: create schema: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			tb.Errorf("postgres: drop schema %s: %v", schema, err)
		}
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("%s is not a URL: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// OpenPostgres opens a store on a fresh schema (see PostgresDSN), closed
// when the test ends.
func OpenPostgres(tb testing.TB) store.Store {
	tb.Helper()
	dsn := PostgresDSN(tb)
	st, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		tb.Fatalf("open postgres: %v", err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// OpenPostgresConcurrently opens n stores on one fresh schema at the same
// moment, as n gpcloud serve processes starting together would; their
// migrations must serialise on the advisory lock. The stores are closed
// when the test ends.
func OpenPostgresConcurrently(tb testing.TB, n int) []store.Store {
	tb.Helper()
	dsn := PostgresDSN(tb)
	stores := make([]store.Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = postgres.Open(context.Background(), dsn)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			tb.Fatalf("open %d: %v", i, err)
		}
		tb.Cleanup(func() { stores[i].Close() })
	}
	return stores
}
