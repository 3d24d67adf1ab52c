package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/auth/tokens"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/oauth"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/postgres"
	"github.com/gpcloud/gpcloud/internal/store/sqlite"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
	"github.com/gpcloud/gpcloud/internal/web"
)

// TestSetupLinkSurvivesRestartAndReplicas: the set-up link printed by the
// first start still works after a restart and when a second replica
// starts on the same database before it is used (each start used to
// replace it); it works once, on either server; and a start after it was
// used makes none. On SQLite (two processes' handles on one file) and,
// with GPCLOUD_TEST_POSTGRES, on PostgreSQL.
func TestSetupLinkSurvivesRestartAndReplicas(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		open := func() store.Store {
			st, err := sqlite.Open(context.Background(), dir)
			if err != nil {
				t.Fatal(err)
			}
			return st
		}
		setupAcrossStarts(t, open)
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := storetest.PostgresDSN(t) // skips without GPCLOUD_TEST_POSTGRES
		open := func() store.Store {
			st, err := postgres.Open(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			return st
		}
		setupAcrossStarts(t, open)
	})
}

func setupAcrossStarts(t *testing.T, open func() store.Store) {
	ctx := context.Background()
	first := open()
	tok1, err := identity.NewSetupToken(ctx, first)
	if err != nil || tok1 == "" {
		t.Fatalf("first start: %q %v", tok1, err)
	}
	// A restart: the store closed and opened again.
	first.Close()
	first = open()
	defer first.Close()
	tok2, err := identity.NewSetupToken(ctx, first)
	if err != nil || tok2 != tok1 {
		t.Fatalf("after a restart the link changed (%v)", err)
	}
	// A second replica on the same database.
	second := open()
	defer second.Close()
	tok3, err := identity.NewSetupToken(ctx, second)
	if err != nil || tok3 != tok1 {
		t.Fatalf("a second replica changed the link (%v)", err)
	}
	// The link printed first is used on the second replica's pages.
	srv := pagesOn(t, second)
	b := newBrowser(t)
	_, page := b.get(srv.URL + "/setup?token=" + tok1)
	form := hidden(t, page)
	form.Set("practice", "Riverside Surgery")
	form.Set("ods", "A81001")
	form.Set("name", "Ann Admin")
	form.Set("username", "ann")
	form.Set("password", "a long enough password")
	resp, page := b.post(srv.URL+"/setup", form)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Practice created") {
		t.Fatalf("set-up with the first start's link on the second replica: %d", resp.StatusCode)
	}
	// Once used it works on neither, and no start makes another.
	if err := identity.CheckSetupToken(ctx, first, tok1); err == nil {
		t.Fatal("the used link still works on the first server")
	}
	if tok, _ := identity.NewSetupToken(ctx, first); tok != "" {
		t.Fatal("a start after set-up made a new link")
	}
}

// pagesOn serves the sign-in and set-up pages on a store.
func pagesOn(t *testing.T, st store.Store) *httptest.Server {
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	authority, err := tokens.ForStore(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(st, service.Options{BaseURL: srv.URL + "/fhir"})
	o := oauth.NewServer(st, authority, srv.URL+"/auth/token", srv.URL+"/fhir")
	pages := web.New(web.Options{Store: st, Service: svc, OAuth: o, Origin: srv.URL, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	mux.Handle("/", web.SecurityHeaders(false, pages))
	return srv
}
