package main

import (
	"bytes"
	"context"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/sqlite"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// A store written without index rows (as by an older gpcloud) is
// searchable after admin reindex.
func TestAdminReindex(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	body := `{"resourceType":"Patient","id":"p1","meta":{"versionId":"1","lastUpdated":"2024-01-01T00:00:00Z"},"name":[{"family":"Reindexed"}]}`
	err = st.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.Put(ctx, store.Write{Version: store.Version{Type: "Patient", ID: "p1", VersionID: 1, LastUpdated: time.Now(), Method: "POST", Body: []byte(body)}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	find := func(s store.Store) int {
		q, _, err := search.Parse([]string{"Patient"}, url.Values{"name": {"reindexed"}}, search.ParseOptions{DefaultCount: 10, MaxCount: 10})
		if err != nil {
			t.Fatal(err)
		}
		page, err := s.Search(ctx, q, store.PageRequest{})
		if err != nil {
			t.Fatal(err)
		}
		return len(page.Matches)
	}
	if n := find(st); n != 0 {
		t.Fatalf("before reindex: %d matches", n)
	}
	st.Close()

	var stdout, stderr bytes.Buffer
	if code := run([]string{"admin", "reindex", "--data", dir, "--type", "Patient"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "reindexed 1 resources") || !strings.Contains(stderr.String(), "reindex: Patient 1") {
		t.Errorf("output: %q / %q", stdout.String(), stderr.String())
	}
	st, err = sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if n := find(st); n != 1 {
		t.Errorf("after reindex: %d matches", n)
	}
	if code := run([]string{"admin", "reindex", "--data", dir, "--type", "Nope"}, &stdout, &stderr); code != 1 {
		t.Errorf("unknown type: exit %d", code)
	}
}

// admin drop-duplicate-rows refuses a path that holds no store, deletes
// the rows a store of an earlier version holds, and then finds none.
func TestAdminDropDuplicateRows(t *testing.T) {
	var stdout, stderr bytes.Buffer
	missing := t.TempDir() + "/nope"
	if code := run([]string{"admin", "drop-duplicate-rows", "--data", missing}, &stdout, &stderr); code != 2 {
		t.Errorf("a mistyped --data: exit %d, %s", code, stderr.String())
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("a mistyped --data was created: %v", err)
	}

	// A store as an earlier version left it, with an Observation whose
	// patient row it wrote beside the subject row.
	dir := t.TempDir()
	ctx := context.Background()
	storetest.MakeOlderSQLite(t, dir)
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	obs, _ := fhir.Unmarshal([]byte(`{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/p1"}}`))
	err = st.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.Put(ctx, store.Write{Version: store.Version{Type: "Observation", ID: "o1", VersionID: 1, LastUpdated: time.Now(), Method: "POST", Body: []byte(`{}`)}, Index: search.Extract(obs)})
		return err
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	patientRows := func() int {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM reference_index r JOIN search_param p ON p.pid = r.pid WHERE p.name = 'patient'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := patientRows(); n != 1 {
		t.Fatalf("the older store holds %d patient rows, want 1", n)
	}
	for _, want := range []string{"deleted 1 duplicate search rows", "deleted 0 duplicate search rows"} {
		stdout.Reset()
		if code := run([]string{"admin", "drop-duplicate-rows", "--data", dir}, &stdout, &stderr); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		if !strings.HasPrefix(stdout.String(), want) {
			t.Errorf("output %q, want it to start %q", stdout.String(), want)
		}
	}
	if n := patientRows(); n != 0 {
		t.Errorf("%d patient rows after the drop", n)
	}
}
