package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/sqlite"
	"github.com/gpcloud/gpcloud/internal/store/sqlstore"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

func open(tb testing.TB) store.Store {
	s, err := sqlite.Open(context.Background(), tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

// TestConformanceOlderStore runs the suite on stores as an earlier version
// left them, which keep and go on writing the rows of narrowed reference
// parameters (storetest.NarrowedRowsDropped): every search must answer as
// on a new store, which holds none.
func TestConformanceOlderStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return storetest.OpenOlderSQLite(t) })
}

// TestNamesOnTwoProcesses: two stores open on one file (as a
// server and a gpcloud command beside it) agree on the numbers of the
// token systems and parameters either writes.
func TestNamesOnTwoProcesses(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	var stores []store.Store
	for range 2 {
		s, err := sqlite.Open(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores = append(stores, s)
	}
	storetest.NamesOnTwoServers(t, stores[0], stores[1])
}

// TestReopen: data and schema survive a restart; migrations are not re-run.
func TestReopen(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	err = s.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.Put(ctx, store.Write{Version: store.Version{Type: "Patient", ID: "p", VersionID: 1, Method: "POST", Body: []byte(`{}`)}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, err := s.Read(ctx, "Patient", "p"); err != nil || v.VersionID != 1 {
		t.Fatalf("after reopen: %+v, %v", v, err)
	}
}

// TestPagingAfterRestart: a server stopped in the ordinary way right after
// answering a first page (Close) keeps the list behind its next link.
func TestPagingAfterRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	storetest.PagingElsewhere(t, s, func() store.Store {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s, err = sqlite.Open(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
	s.Close()
}

// TestNumberingFails: a write whose new system cannot be numbered
// writes nothing.
func TestNumberingFails(t *testing.T) {
	open, db := reopenable(t)
	s := open()
	defer s.Close()
	storetest.NumberingFails(t, s, func() {
		if _, err := db.Exec(`CREATE TRIGGER no_new_systems BEFORE INSERT ON token_system BEGIN SELECT RAISE(ABORT, 'no new systems'); END`); err != nil {
			t.Fatal(err)
		}
	})
}

// TestNamesUnderFullPool: many writers meeting new names at once, on the
// one writer connection.
func TestNamesUnderFullPool(t *testing.T) {
	storetest.NamesUnderFullPool(t, open(t))
}

func BenchmarkPut1(b *testing.B)   { storetest.BenchmarkPut(b, open(b), 1) }
func BenchmarkPut100(b *testing.B) { storetest.BenchmarkPut(b, open(b), 100) }
func BenchmarkRead(b *testing.B)   { storetest.BenchmarkRead(b, open(b)) }

// TestDeferredIndexes: a load's deferred index build, and one left by a
// process that ended without it, finished by the next Open.
func TestDeferredIndexes(t *testing.T) {
	open, _ := reopenable(t)
	storetest.DeferredIndexes(t, open)
}

// TestConceptTextMigrationWithoutIndexes: the fourteenth migration runs
// before a killed import's deferred indexes are built (sqlstore's
// finishDeferredBuild), so on a token table without indexes it must not
// scan the table once a row: its join is answered by an automatic index.
func TestConceptTextMigrationWithoutIndexes(t *testing.T) {
	open, db := reopenable(t)
	open().Close()
	// Back before the fifteenth migration (parameters and systems as
	// text), then the indexes gone.
	for _, stmt := range append(storetest.NamesAsText(), `DROP INDEX token_index_lookup`, `DROP INDEX token_index_owner`) {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := db.Query(`EXPLAIN QUERY PLAN ` + sqlstore.ConceptTextRowsSchema(true))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	has := func(word string) bool {
		return slices.ContainsFunc(plan, func(s string) bool { return strings.Contains(s, word) })
	}
	if has("CORRELATED") || !has("AUTOMATIC") {
		t.Errorf("plan without the token indexes %q: want an automatic index, no correlated subquery", plan)
	}
}

// reopenable returns a function opening a store in one new directory
// again and again (the tests that close a store, change its database
// underneath, and open it again), and a connection to its database,
// closed when the test ends.
func reopenable(t *testing.T) (open func() store.Store, db *sql.DB) {
	dir := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return func() store.Store {
		s, err := sqlite.Open(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}, db
}

// TestIndexUpgrade: a store written with the old search indexes gets the
// covering ones when a newer version opens it.
func TestIndexUpgrade(t *testing.T) {
	open, db := reopenable(t)
	storetest.IndexUpgrade(t, open, db, `SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL`)
}

// TestPatientKeysUpgrade: the seventeenth migration on SQLite.
func TestPatientKeysUpgrade(t *testing.T) {
	open, db := reopenable(t)
	storetest.PatientKeysUpgrade(t, open, db)
}

// TestNarrowedRowsDropped: storetest.NarrowedRowsDropped on SQLite.
func TestNarrowedRowsDropped(t *testing.T) {
	open, db := reopenable(t)
	storetest.NarrowedRowsDropped(t, open, db)
}

// BenchmarkPutNamedPatients: a batch of 500 Observations naming patients
// new, numbered by another server, or known to the writer
// (storetest.BenchmarkPutNamedPatients).
//
//	go test ./internal/store/sqlite -run '^$' -bench NamedPatients -count 5
func BenchmarkPutNamedPatients(b *testing.B) {
	for _, mode := range []string{"new", "elsewhere", "known"} {
		b.Run(mode, func(b *testing.B) {
			dir := b.TempDir()
			var stores []store.Store
			for range 2 {
				s, err := sqlite.Open(context.Background(), dir)
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { s.Close() })
				stores = append(stores, s)
			}
			storetest.BenchmarkPutNamedPatients(b, stores[0], stores[1], 500, mode)
		})
	}
}

// TestNameNotKept: a write whose new name the dictionary does not hold
// after it was added (here a trigger deletes it: in a store, a fault
// elsewhere) fails with an error naming it, and writes nothing; the same
// write succeeds once the name is kept.
func TestNameNotKept(t *testing.T) {
	open, db := reopenable(t)
	s := open()
	defer s.Close()
	if _, err := db.Exec(`CREATE TRIGGER drop_system AFTER INSERT ON token_system WHEN NEW.url = 'http://example.org/dropped' BEGIN DELETE FROM token_system WHERE sid = NEW.sid; END`); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	put := func() error {
		return s.InTx(ctx, func(tx store.Tx) error {
			_, err := tx.Put(ctx, store.Write{
				Version: store.Version{Type: "Observation", ID: "dropped", VersionID: 1, Method: "PUT", Body: []byte(`{"resourceType":"Observation","id":"dropped"}`)},
				Index:   search.Values{Tokens: []search.TokenValue{{Param: "code", System: "http://example.org/dropped", Code: "a"}}},
			})
			return err
		})
	}
	if err := put(); err == nil || !strings.Contains(err.Error(), `"http://example.org/dropped" has no number after it was added`) {
		t.Fatalf("a name not kept: %v, want an error naming it", err)
	}
	if _, err := s.Read(ctx, "Observation", "dropped"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the failed write's resource: %v, want not found", err)
	}
	if _, err := db.Exec(`DROP TRIGGER drop_system`); err != nil {
		t.Fatal(err)
	}
	if err := put(); err != nil {
		t.Errorf("the name kept: %v", err)
	}
}

// TestResourcesNumbered: storetest.ResourcesNumbered on SQLite.
func TestResourcesNumbered(t *testing.T) {
	open, db := reopenable(t)
	storetest.ResourcesNumbered(t, open, db)
}

// TestResourceKeysUpgrade: the eighteenth migration on SQLite.
func TestResourceKeysUpgrade(t *testing.T) {
	open, db := reopenable(t)
	storetest.ResourceKeysUpgrade(t, open, db)
}

// TestRIDUpgrade: the nineteenth migration on SQLite.
func TestRIDUpgrade(t *testing.T) {
	open, db := reopenable(t)
	storetest.RIDUpgrade(t, open, db)
}
