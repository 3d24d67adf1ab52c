package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/sqlite"
)

func TestExportCommand(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	err = st.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.Put(ctx, store.Write{Version: store.Version{Type: "Patient", ID: "p1", VersionID: 1, LastUpdated: time.Now(), Method: "POST",
			Body: []byte(`{"resourceType":"Patient","id":"p1"}`)}})
		return err
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "extract")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"export", "--data", dir, "--out", out, "--since", "2000-01-01"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "exported 1 resources of 1 types in 1 files") {
		t.Errorf("stdout: %s", stdout.String())
	}
	for _, name := range []string{"Patient.ndjson", "manifest.json", "README.md"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The export is in the audit trail.
	stdout.Reset()
	if code := run([]string{"admin", "audit", "verify", "--data", dir}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "intact: 1 events") {
		t.Errorf("audit after export: exit %d, %s", code, stdout.String())
	}
	for _, args := range [][]string{{"export", "--data", dir}, {"export", "--data", dir, "--out", out, "--since", "yesterday"}} {
		stderr.Reset()
		if code := run(args, &stdout, &stderr); code != 2 || stderr.Len() == 0 {
			t.Errorf("%v: exit %d, %q", args, code, stderr.String())
		}
	}
}

func TestImportCommand(t *testing.T) {
	data := t.TempDir()
	in := filepath.Join(t.TempDir(), "Patient.ndjson")
	if err := os.WriteFile(in, []byte(`{"resourceType":"Patient","id":"p1"}`+"\n"+`{"resourceType":"Patient","id":"p2","gender":"nope"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"admin", "init", "--data", data}, &stdout, &stderr); code != 0 {
		t.Fatalf("init: exit %d: %s", code, stderr.String())
	}
	code := run([]string{"import", "--data", data, in}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stdout.String(), "imported 1 resources from 1 files") || !strings.Contains(stderr.String(), "Patient.ndjson:2:") {
		t.Errorf("exit %d\nstdout %s\nstderr %s", code, stdout.String(), stderr.String())
	}
	if code := run([]string{"import", "--data", data}, &stdout, &stderr); code != 2 {
		t.Errorf("no paths: exit %d", code)
	}
}
