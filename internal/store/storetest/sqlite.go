package storetest

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
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

// OpenOlderSQLite opens a SQLite store as an earlier version left it: it
// keeps, and this version goes on writing, the rows of narrowed reference
// parameters, which a new store never holds (NarrowedRowsDropped); and,
// as while servers of an earlier version still write beside this one,
// about half of its resources' token rows have no patient key (those
// whose id ends in a character of even code: a trigger blanks the key
// this version writes). Every search must answer on it as on a new store.
func OpenOlderSQLite(tb testing.TB) store.Store {
	tb.Helper()
	dir := tb.TempDir()
	MakeOlderSQLite(tb, dir)
	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		tb.Fatalf("reopen sqlite: %v", err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// MakeOlderSQLite creates a SQLite store in dir as an earlier version
// would have left it (OpenOlderSQLite), closed.
func MakeOlderSQLite(tb testing.TB, dir string) {
	tb.Helper()
	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		tb.Fatalf("open sqlite: %v", err)
	}
	st.Close()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.FileName))
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	for _, stmt := range []string{
		`DELETE FROM record WHERE kind = 'store-setting'`,
		`CREATE TRIGGER written_by_an_earlier_version AFTER INSERT ON token_index
			WHEN NEW.patient_rid <> 0 AND unicode(substr((SELECT k.id FROM resource_key k WHERE k.rid = NEW.rid), -1)) % 2 = 0
			BEGIN UPDATE token_index SET patient_rid = 0 WHERE rowid = NEW.rowid; END`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			tb.Fatal(err)
		}
	}
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
