package storetest

import (
	"context"
	"os"
	"testing"

	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/sqlite"
)

// OpenSQLite opens a store in a fresh temporary directory, closed when
// the test ends: what most tests of other packages need.
func OpenSQLite(tb testing.TB) store.Store {
	tb.Helper()
	st, err := sqlite.Open(context.Background(), tb.TempDir())
	if err != nil {
		tb.Fatalf("open sqlite: %v", err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// Named opens one kind of store for a test of another package.
type Named struct {
	Name string
	Open func(tb testing.TB) store.Store
}

// Openers are SQLite and, when GPCLOUD_TEST_POSTGRES is set, PostgreSQL:
// the stores a domain test runs on.
func Openers() []Named {
	out := []Named{{"sqlite", OpenSQLite}}
	if os.Getenv("GPCLOUD_TEST_POSTGRES") != "" {
		out = append(out, Named{"postgres", OpenPostgres})
	}
	return out
}
