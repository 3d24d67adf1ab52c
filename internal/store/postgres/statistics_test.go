package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/postgres"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// TestStatisticsKeeperVacuums: on a server with autovacuum off, the store
// vacuums a table that took many inserts, so that its pages are
// all-visible and the covering indexes answer from the index alone.
func TestStatisticsKeeperVacuums(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var autovacuum string
	if err := db.QueryRow(`SHOW autovacuum`).Scan(&autovacuum); err != nil {
		t.Fatal(err)
	}
	if autovacuum == "on" {
		t.Skip("autovacuum is on: the server vacuums, not gpcloud")
	}
	ctx := context.Background()
	s, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.InTx(ctx, func(tx store.Tx) error {
		for i := range 3000 {
			id := fmt.Sprintf("o%d", i)
			w := store.Write{
				Version: store.Version{Type: "Observation", ID: id, VersionID: 1, LastUpdated: time.Now(), Method: "PUT",
					Body: fmt.Appendf(nil, `{"resourceType":"Observation","id":%q}`, id)},
				Index: search.Values{Tokens: []search.TokenValue{{Param: "code", Code: "c"}}},
			}
			if _, err := tx.Put(ctx, w); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		var vacuumed, analysed sql.NullTime
		err := db.QueryRow(`SELECT last_vacuum, last_analyze FROM pg_stat_user_tables WHERE schemaname = current_schema() AND relname = 'token_index'`).Scan(&vacuumed, &analysed)
		if err != nil {
			t.Fatal(err)
		}
		if vacuumed.Valid && analysed.Valid {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("token_index after 3,000 inserts: vacuumed %v, analysed %v after 60 s", vacuumed.Valid, analysed.Valid)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
