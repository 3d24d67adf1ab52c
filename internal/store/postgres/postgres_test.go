package postgres_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/postgres"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return storetest.OpenPostgres(t) })
}

// TestTwoProcesses opens two stores on one schema at the same moment (the
// advisory lock serialises their migrations), then has the 8 writers use
// both, as two gpcloud serve processes would.
func TestTwoProcesses(t *testing.T) {
	storetest.ConcurrentWriters(t, storetest.OpenPostgresConcurrently(t, 2)...)
}

// TestPagingOnAnotherProcess: a page link followed on another server
// sharing the database finds the list the first server is writing.
func TestPagingOnAnotherProcess(t *testing.T) {
	stores := storetest.OpenPostgresConcurrently(t, 2)
	storetest.PagingElsewhere(t, stores[0], func() store.Store { return stores[1] })
}

// TestNamesOnTwoProcesses: two servers on one schema agree on the
// numbers of the token systems and parameters either writes.
func TestNamesOnTwoProcesses(t *testing.T) {
	stores := storetest.OpenPostgresConcurrently(t, 2)
	storetest.NamesOnTwoServers(t, stores[0], stores[1])
}

// TestNamesInTwoTransactions: two writers meeting each other's new names
// do not wait for each other.
func TestNamesInTwoTransactions(t *testing.T) {
	storetest.NamesInTwoTransactions(t, storetest.OpenPostgres(t))
}

// TestNumberingFails: a write whose new system cannot be numbered (on
// the pool the numbers are given on) writes nothing.
func TestNumberingFails(t *testing.T) {
	dsn, db := schemaDB(t)
	s := opener(t, dsn)()
	defer s.Close()
	storetest.NumberingFails(t, s, func() {
		for _, stmt := range []string{
			`CREATE FUNCTION no_new_systems() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RAISE EXCEPTION ''no new systems''; END'`,
			`CREATE TRIGGER no_new_systems BEFORE INSERT ON token_system FOR EACH ROW EXECUTE FUNCTION no_new_systems()`,
		} {
			if _, err := db.Exec(stmt); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestNamesUnderFullPool: more writers meeting new names than the pool
// has connections do not wait for one another.
func TestNamesUnderFullPool(t *testing.T) {
	storetest.NamesUnderFullPool(t, storetest.OpenPostgres(t))
}

func BenchmarkPut1(b *testing.B)   { storetest.BenchmarkPut(b, storetest.OpenPostgres(b), 1) }
func BenchmarkPut100(b *testing.B) { storetest.BenchmarkPut(b, storetest.OpenPostgres(b), 100) }
func BenchmarkRead(b *testing.B)   { storetest.BenchmarkRead(b, storetest.OpenPostgres(b)) }

// TestDeferredIndexes: a load's deferred index build, and one left by a
// process that ended without it, finished by the next Open.
func TestDeferredIndexes(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	storetest.DeferredIndexes(t, opener(t, dsn))
}

// TestIndexUpgrade: a store written with the old search indexes gets the
// covering ones when a newer version opens it.
func TestIndexUpgrade(t *testing.T) {
	dsn, db := schemaDB(t)
	storetest.IndexUpgrade(t, opener(t, dsn), db, `SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()`)
}

// TestPatientKeysUpgrade: the seventeenth migration on PostgreSQL.
func TestPatientKeysUpgrade(t *testing.T) {
	dsn, db := schemaDB(t)
	storetest.PatientKeysUpgrade(t, opener(t, dsn), db)
}

// TestNarrowedRowsDropped: storetest.NarrowedRowsDropped on PostgreSQL.
func TestNarrowedRowsDropped(t *testing.T) {
	dsn, db := schemaDB(t)
	storetest.NarrowedRowsDropped(t, opener(t, dsn), db)
}

// opener returns a function opening a new store on dsn (the tests that
// close a store, change its database underneath, and open it again).
// schemaDB returns a new test schema's DSN and a plain database handle on
// it (closed when the test ends), for statements no store makes.
func schemaDB(t *testing.T) (string, *sql.DB) {
	dsn := storetest.PostgresDSN(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return dsn, db
}

func opener(t *testing.T, dsn string) func() store.Store {
	return func() store.Store {
		s, err := postgres.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}

// BenchmarkPutNamedPatients: a batch of 500 Observations naming patients
// new, numbered by another server, or known to the writer
// (storetest.BenchmarkPutNamedPatients).
func BenchmarkPutNamedPatients(b *testing.B) {
	for _, mode := range []string{"new", "elsewhere", "known"} {
		b.Run(mode, func(b *testing.B) {
			stores := storetest.OpenPostgresConcurrently(b, 2)
			storetest.BenchmarkPutNamedPatients(b, stores[0], stores[1], 500, mode)
		})
	}
}

// TestNumbersPlannedEachTime: the pool new dictionary numbers are given
// on plans its statements each time they run (sqlstore's
// TestPatientLookupPlan shows why).
func TestNumbersPlannedEachTime(t *testing.T) {
	numbers, err := postgres.OpenNumbersPool(storetest.PostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer numbers.Close()
	var mode string
	if err := numbers.QueryRow(`SHOW plan_cache_mode`).Scan(&mode); err != nil || mode != "force_custom_plan" {
		t.Errorf("plan_cache_mode = %q (%v), want force_custom_plan", mode, err)
	}
}

// TestResourcesNumbered: storetest.ResourcesNumbered on PostgreSQL.
func TestResourcesNumbered(t *testing.T) {
	dsn, db := schemaDB(t)
	storetest.ResourcesNumbered(t, opener(t, dsn), db)
}

// TestResourceKeysUpgrade: the eighteenth migration on PostgreSQL.
func TestResourceKeysUpgrade(t *testing.T) {
	dsn, db := schemaDB(t)
	storetest.ResourceKeysUpgrade(t, opener(t, dsn), db)
}

// TestRIDUpgrade: the nineteenth migration on PostgreSQL.
func TestRIDUpgrade(t *testing.T) {
	dsn, db := schemaDB(t)
	storetest.RIDUpgrade(t, opener(t, dsn), db)
}
