package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/sqlite"
)

// TestImportKilledWhileIndexesDeferred: an import into a new store
// defers its search indexes; killed with SIGKILL before it builds them,
// it leaves a store whose next opening builds them before serving, and
// every resource written is found by a search.
func TestImportKilledWhileIndexesDeferred(t *testing.T) {
	bin := binary(t)
	data := t.TempDir()
	if out, err := exec.Command(bin, "admin", "init", "--data", data).CombinedOutput(); err != nil {
		t.Fatalf("admin init: %v\n%s", err, out)
	}
	in := filepath.Join(t.TempDir(), "Patient.ndjson")
	var b strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&b, `{"resourceType":"Patient","id":"k%d","gender":"female","identifier":[{"system":"urn:test","value":"%d"}]}`+"\n", i, i)
	}
	if err := os.WriteFile(in, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "import", "--data", data, "--batch", "100", in)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })

	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, sqlite.FileName)+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	count := func(q string) int {
		var n int
		if err := db.QueryRow(q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	const pending = `SELECT count(*) FROM record WHERE kind = 'store' AND id = 'deferred-indexes'`
	const indexes = `SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'token_index'`
	deadline := time.Now().Add(60 * time.Second)
	for count(pending) == 0 || count(`SELECT count(*) FROM resource_current WHERE type = 'Patient'`) < 1000 {
		if time.Now().After(deadline) {
			t.Fatal("the import never deferred its indexes and wrote 1,000 Patients")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no build, no cleanup
		t.Fatal(err)
	}
	_, _ = cmd.Process.Wait()
	if count(pending) == 0 || count(indexes) != 0 {
		t.Fatal("the import finished its build before the kill: the test proved nothing")
	}
	written := count(`SELECT count(*) FROM resource_current WHERE type = 'Patient'`)

	st, err := sqlite.Open(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if count(pending) != 0 || count(indexes) == 0 {
		t.Fatalf("after reopening: build pending %d, token_index indexes %d", count(pending), count(indexes))
	}
	found, err := st.Find(context.Background(), store.FindQuery{Type: "Patient", Criteria: []store.Criterion{{Param: "gender", Code: "female"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != written {
		t.Errorf("a search finds %d of the %d Patients written before the kill", len(found), written)
	}
	t.Logf("killed after %d Patients; the reopened store built its indexes and finds them all", written)
}

// TestImportDeferIndexesValue: a mistyped --defer-indexes is refused
// before anything is opened or read.
func TestImportDeferIndexesValue(t *testing.T) {
	var stdout, stderr strings.Builder
	dir := t.TempDir()
	if code := run([]string{"import", "--data", dir, "--defer-indexes", "maybe", dir}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), `--defer-indexes "maybe": give auto, yes or no`) {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the refused import created %d files", len(entries))
	}
}
