package postgres_test

import (
	"bytes"
	"context"
	"database/sql"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/store/postgres"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// TestByteOrderedKeys: the tenth migration leaves no text column in the
// database's collation, on a new store and on one an older version wrote
// (its keys in the database's collation), and that store's resources are
// found and paged in byte order afterwards.
func TestByteOrderedKeys(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.PostgresDSN(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	open := opener(t, dsn)
	// Text columns not compared bytewise (a column in the database's
	// collation has none named), but for the two the migration leaves
	// (the terminology walk's codes; see byteOrderedKeys).
	notBytewise := func() int {
		var n int
		err := db.QueryRowContext(ctx, `SELECT count(*) FROM information_schema.columns
			WHERE table_schema = current_schema() AND data_type = 'text' AND coalesce(collation_name, '') <> 'C'
			AND NOT (table_name = 'term_relationship' AND column_name IN ('source', 'destination'))`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	s := open()
	if n := notBytewise(); n != 0 {
		t.Errorf("a new store has %d text columns not in byte order", n)
	}
	storetest.PutByteOrderIDs(t, s)
	s.Close()

	// Back to the ninth schema, as versions before the tenth migration
	// left a store in a database whose locale is English (ICU's en-US,
	// where PostgreSQL has ICU): the keys in a linguistic order, which
	// then differs from byte order, so that the check after the upgrade
	// can fail. Without ICU, in the database's own collation (on a C or
	// C.UTF-8 database the order check cannot tell the difference then).
	locale := `"en-US-x-icu"`
	var icu int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM pg_collation WHERE collname = 'en-US-x-icu'`).Scan(&icu); err != nil {
		t.Fatal(err)
	}
	if icu == 0 {
		t.Log("PostgreSQL has no ICU en-US collation: the store is taken back to the database's own")
		locale = `"default"`
	}
	// (Without the migration's ANALYZE, so that the statistics checked
	// below are the upgrade's.)
	back, _, _ := strings.Cut(strings.ReplaceAll(postgres.ByteOrderedKeys, `COLLATE "C"`, `COLLATE `+locale), "ANALYZE")
	// The seventeenth, sixteenth and fifteenth migrations undone first, then the eleventh (its column is new).
	for _, stmt := range append(storetest.NamesAsText(),
		`DROP INDEX token_index_lookup`, `CREATE INDEX token_index_lookup ON token_index (type, param, code, system, id)`,
		`ALTER TABLE token_index DROP COLUMN patient`,
		back, `DELETE FROM schema_migrations WHERE version >= 10`) {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%.60s...: %v", stmt, err)
		}
	}
	if n := notBytewise(); n < 60 {
		t.Fatalf("taken back, only %d text columns are in a locale", n)
	}
	if icu > 0 {
		if ids := patientIDs(t, db); slices.Equal(ids, storetest.ByteOrderIDs()) {
			t.Fatalf("taken back to en-US, the ids are still in byte order %q: the check below could not fail", ids)
		}
	}

	// The upgrade is logged, since it can take minutes.
	var logged bytes.Buffer
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.NewTextHandler(&logged, nil)))
	s = open()
	defer s.Close()
	if !strings.Contains(logged.String(), "store schema upgraded") || !strings.Contains(logged.String(), "migration=10") {
		t.Errorf("the upgrade was not logged: %q", logged.String())
	}
	if n := notBytewise(); n != 0 {
		t.Errorf("after the upgrade %d text columns are not in byte order", n)
	}
	storetest.IDsInByteOrder(t, s)
	// Changing a column's collation drops its statistics, as rebuilding
	// a table (the nineteenth) does; the migrations gather them again.
	var analyzed int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM pg_stats
		WHERE schemaname = current_schema() AND tablename = 'token_index' AND attname = 'code'`).Scan(&analyzed); err != nil || analyzed != 1 {
		t.Errorf("token_index.code has no statistics after the migration (%d, %v): plans would go without them", analyzed, err)
	}
}

// patientIDs are the Patients' ids in the order the database sorts them.
func patientIDs(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query(`SELECT id FROM resource_current WHERE type = 'Patient' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}
