package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// storeCommands are the commands that open a store, with arguments that
// would let each run (so that only the missing store stops them).
func storeCommands(t *testing.T) map[string][]string {
	in := filepath.Join(t.TempDir(), "Patient.ndjson")
	if err := os.WriteFile(in, []byte(`{"resourceType":"Patient","id":"p1"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return map[string][]string{
		"admin token":        {"admin", "token", "--scope", "system/*.rs"},
		"admin audit verify": {"admin", "audit", "verify"},
		"admin reindex":      {"admin", "reindex"},
		"admin user add":     {"admin", "user", "add", "--username", "dr.a", "--role", "gp", "--practice", "o1"},
		"admin client add":   {"admin", "client", "add", "--id", "app", "--kind", "public", "--scope", "patient/*.rs", "--redirect-uri", "https://a.example/cb"},
		"export":             {"export", "--out", filepath.Join(t.TempDir(), "out")},
		"import":             {"import", in},
	}
}

// TestCommandsRefuseMissingStore: every command but serve and admin init
// refuses a --data that holds no store, with exit status 2, a message
// naming the path and how to create a store, and nothing created.
func TestCommandsRefuseMissingStore(t *testing.T) {
	root := t.TempDir()
	empty := filepath.Join(root, "empty")
	if err := os.Mkdir(empty, 0o750); err != nil {
		t.Fatal(err)
	}
	places := map[string]string{"a mistyped path": filepath.Join(root, "typo"), "an empty directory": empty}
	for name, args := range storeCommands(t) {
		for place, dir := range places {
			t.Run(name+" on "+place, func(t *testing.T) {
				var stdout, stderr bytes.Buffer
				code := run(withStore(args, "--data", dir), &stdout, &stderr)
				msg := stderr.String()
				if code != 2 || !strings.Contains(msg, "no gpcloud store in "+dir) || !strings.Contains(msg, "gpcloud admin init --data "+dir) || stdout.Len() > 0 {
					t.Errorf("exit %d\nstdout: %s\nstderr: %s", code, stdout.String(), msg)
				}
				if _, err := os.Stat(filepath.Join(root, "typo")); err == nil {
					t.Error("the mistyped directory was created")
				}
				if entries, _ := os.ReadDir(empty); len(entries) > 0 {
					t.Errorf("the empty directory now holds %s", entries[0].Name())
				}
			})
		}
	}
}

// TestCommandsRefuseMissingSchema: likewise for a PostgreSQL database
// without gpcloud's tables, which is left without them.
func TestCommandsRefuseMissingSchema(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	for name, args := range storeCommands(t) {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(withStore(args, "--database", dsn), &stdout, &stderr)
			if code != 2 || !strings.Contains(stderr.String(), "no gpcloud store in ") || !strings.Contains(stderr.String(), "gpcloud admin init --database URL") {
				t.Errorf("exit %d\nstdout: %s\nstderr: %s", code, stdout.String(), stderr.String())
			}
		})
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tables int
	if err := db.QueryRowContext(context.Background(), `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()`).Scan(&tables); err != nil || tables != 0 {
		t.Errorf("the schema now holds %d tables (%v)", tables, err)
	}
	// admin init creates it, and then the commands run.
	var stdout, stderr bytes.Buffer
	if code := run([]string{"admin", "init", "--database", dsn}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "created an empty gpcloud store") {
		t.Fatalf("init: exit %d: %s %s", code, stdout.String(), stderr.String())
	}
	if code := run([]string{"admin", "audit", "verify", "--database", dsn}, &stdout, &stderr); code != 0 {
		t.Errorf("after init: exit %d: %s", code, stderr.String())
	}
}

// withStore puts the store flag after the command's words, before its
// other flags and paths.
func withStore(args []string, flag, value string) []string {
	words := 1
	switch args[0] {
	case "admin":
		words = 2
		if args[1] == "user" || args[1] == "client" || args[1] == "audit" {
			words = 3
		}
	}
	out := append([]string{}, args[:words]...)
	return append(append(out, flag, value), args[words:]...)
}

// TestUnwritableDataDirectory: a data directory that cannot be written is
// said to be so, with its path, by every command that writes (they all
// do: an audit event at least).
func TestUnwritableDataDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes into read-only directories: cannot test here")
	}
	data := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"admin", "init", "--data", data}, &stdout, &stderr); code != 0 {
		t.Fatal(stderr.String())
	}
	if err := os.Chmod(data, 0o500); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(data, 0o700)
	for name, args := range storeCommands(t) {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(withStore(args, "--data", data), &stdout, &stderr)
			if code != 1 || !strings.Contains(stderr.String(), "the data directory "+data+" is not writable (permission denied)") {
				t.Errorf("exit %d\nstdout: %s\nstderr: %s", code, stdout.String(), stderr.String())
			}
		})
	}
}
