package main

import (
	"bytes"
	"context"
	"fmt"
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
	if code != 1 || !strings.Contains(stdout.String(), "imported 1 resource (Patient 1) from 1 file in ") || !strings.Contains(stderr.String(), "Patient.ndjson:2:") {
		t.Errorf("exit %d\nstdout %s\nstderr %s", code, stdout.String(), stderr.String())
	}
	if code := run([]string{"import", "--data", data}, &stdout, &stderr); code != 2 {
		t.Errorf("no paths: exit %d", code)
	}
}

// newStore makes a SQLite store holding the given Patients, versioned as
// listed (an id twice is two versions).
func newStore(t *testing.T, ids ...string) string {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	versions := map[string]int64{}
	for _, id := range ids {
		versions[id]++
		err := st.InTx(ctx, func(tx store.Tx) error {
			_, err := tx.Put(ctx, store.Write{Version: store.Version{Type: "Patient", ID: id, VersionID: versions[id], LastUpdated: time.Now(), Method: "PUT",
				Body: []byte(`{"resourceType":"Patient","id":"` + id + `"}`)}})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestExportRefusesUsedFolder: --out must be new or empty; a used one is
// refused (exit 2, the folder named) and left as it was.
func TestExportRefusesUsedFolder(t *testing.T) {
	data := newStore(t, "p1")
	used := filepath.Join(t.TempDir(), "used")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"export", "--data", data, "--out", used, "--with-history"}, &stdout, &stderr); code != 0 {
		t.Fatalf("first export: exit %d: %s", code, stderr.String())
	}
	notes := filepath.Join(t.TempDir(), "notes")
	if err := os.MkdirAll(notes, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(notes, "todo.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, out, want string }{
		{"a folder holding an export", used, "--out " + used + " already holds an export (Patient.history.ndjson, Patient.ndjson, README.md, 1 more): choose a new or empty directory"},
		{"a folder holding other files", notes, "--out " + notes + " is not empty (todo.txt)"},
		{"a file", filepath.Join(notes, "todo.txt"), "is a file, not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := folderState(t, filepath.Dir(tt.out))
			var stdout, stderr bytes.Buffer
			code := run([]string{"export", "--data", data, "--out", tt.out}, &stdout, &stderr)
			if code != 2 || !strings.Contains(stderr.String(), tt.want) || stdout.Len() > 0 {
				t.Errorf("exit %d\nstdout: %s\nstderr: %s", code, stdout.String(), stderr.String())
			}
			if after := folderState(t, filepath.Dir(tt.out)); after != before {
				t.Errorf("the folder changed:\n%s\nbecame\n%s", before, after)
			}
		})
	}
}

// TestImportOfMixedFolder: a folder holding an export and a stale history
// file of an older one (which the export no longer refuses to leave, but a
// person may copy in) imports what its manifest lists, and says which file
// it passed over; before, the stale history replaced the current file and
// resources were lost.
func TestImportOfMixedFolder(t *testing.T) {
	old := filepath.Join(t.TempDir(), "old")
	cur := filepath.Join(t.TempDir(), "current")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"export", "--data", newStore(t, "p1"), "--out", old, "--with-history"}, &stdout, &stderr); code != 0 {
		t.Fatalf("old export: %s", stderr.String())
	}
	if code := run([]string{"export", "--data", newStore(t, "p1", "p2"), "--out", cur}, &stdout, &stderr); code != 0 {
		t.Fatalf("current export: %s", stderr.String())
	}
	stale, err := os.ReadFile(filepath.Join(old, "Patient.history.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cur, "Patient.history.ndjson"), stale, 0o644); err != nil {
		t.Fatal(err)
	}
	target := t.TempDir()
	if code := run([]string{"admin", "init", "--data", target}, &stdout, &stderr); code != 0 {
		t.Fatal(stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	code := run([]string{"import", "--data", target, cur}, &stdout, &stderr)
	wantSkipped := filepath.Join(cur, "Patient.history.ndjson") + ": skipped: not listed in " + filepath.Join(cur, "manifest.json")
	if code != 0 || !strings.Contains(stdout.String(), "imported 2 resources (Patient 2) from 1 file") || !strings.Contains(stdout.String(), "; 1 file skipped") ||
		!strings.Contains(stderr.String(), wantSkipped) {
		t.Errorf("exit %d\nstdout: %s\nstderr: %s", code, stdout.String(), stderr.String())
	}
}

// folderState lists a folder's files with their sizes and times.
func folderState(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s %d %s\n", p, fi.Size(), fi.ModTime())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
