package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/store/postgres"
	"github.com/gpcloud/gpcloud/internal/store/sqlstore"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// TestPatientLookupPlan: on PostgreSQL, the statement that looks up a
// write's patients probes resource_key's unique index for each name
// when it is planned for the table as it is (the numbers' pool plans
// each run: postgres.TestNumbersPlannedEachTime), after five runs on
// the empty table of a new store. The plan PostgreSQL would keep after
// those runs scans the table for each name instead, which the test
// shows too, so that it fails if the way the pool plans stops mattering
// (the sqlstore doc, "A write's names numbered many to a statement").
func TestPatientLookupPlan(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	ctx := context.Background()
	st, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	exec := func(stmt string) {
		t.Helper()
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	explain := func() string {
		t.Helper()
		rows, err := conn.QueryContext(ctx, `EXPLAIN EXECUTE lookup('p-1', 'p-2', 'p-3')`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		return strings.Join(plan, "\n")
	}
	q := sqlstore.PatientLookupSQL(3)
	for i := 1; i <= 3; i++ {
		q = strings.Replace(q, "?", fmt.Sprintf("$%d", i), 1)
	}
	exec(`PREPARE lookup(text, text, text) AS ` + q)
	for range 6 { // five custom plans, then the one PostgreSQL keeps
		exec(`EXECUTE lookup('p-1', 'p-2', 'p-3')`)
	}
	exec(`INSERT INTO resource_key (type, id) SELECT 'Patient', 'p-' || n FROM generate_series(1, 20000) n`)
	probe := "Index Cond: ((type = 'Patient'::text) AND (id = "
	if kept := explain(); strings.Contains(kept, probe) {
		t.Errorf("the plan kept from the empty table probes the index; the pool's planning would not be needed:\n%s", kept)
	}
	exec(`SET plan_cache_mode = force_custom_plan`)
	if each := explain(); !strings.Contains(each, "Index Scan") || !strings.Contains(each, probe) {
		t.Errorf("planned for the table as it is, the lookup does not probe resource_key's unique index by type and id:\n%s", each)
	}
}
