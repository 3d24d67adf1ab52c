package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/postgres"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// TestOpenExisting: a schema without gpcloud's tables is refused and left
// empty; once serve (Open) has created them, OpenExisting opens it.
func TestOpenExisting(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.PostgresDSN(t)
	_, err := postgres.OpenExisting(ctx, dsn)
	var ns *store.NoStoreError
	if !errors.As(err, &ns) {
		t.Fatalf("fresh schema: err = %v, want a NoStoreError", err)
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tables int
	if err := db.QueryRow(`SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()`).Scan(&tables); err != nil || tables != 0 {
		t.Fatalf("the refused schema holds %d tables (%v)", tables, err)
	}
	s, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = postgres.OpenExisting(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}
