package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/sqlite"
)

// TestOpenExisting: commands other than serve open with OpenExisting, which
// refuses a place without a gpcloud store and creates nothing there.
func TestOpenExisting(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	made := filepath.Join(root, "made")
	s, err := sqlite.Open(ctx, made)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	file := filepath.Join(root, "file")
	empty := filepath.Join(root, "empty")
	emptyDB := filepath.Join(root, "emptydb")
	for _, d := range []string{empty, emptyDB} {
		if err := os.Mkdir(d, 0o750); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(emptyDB, sqlite.FileName), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, dir, reason string // reason "" opens
	}{
		{"a store", made, ""},
		{"a mistyped path", filepath.Join(root, "mistyped"), "the directory does not exist"},
		{"a file", file, "it is a file, not a directory"},
		{"an empty directory", empty, "the directory holds no gpcloud.db"},
		{"an empty database file", emptyDB, "no gpcloud tables"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := listing(t, root)
			s, err := sqlite.OpenExisting(ctx, tt.dir)
			if tt.reason == "" {
				if err != nil {
					t.Fatal(err)
				}
				s.Close()
				return
			}
			var ns *store.NoStoreError
			if !errors.As(err, &ns) || !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("err = %v, want a NoStoreError saying %q", err, tt.reason)
			}
			if tt.dir != emptyDB { // SQLite may give that file a header and a WAL
				if after := listing(t, root); after != before {
					t.Errorf("files changed:\n%s\nbecame\n%s", before, after)
				}
			}
		})
	}
	// The empty database file got no tables.
	if s, err := sqlite.OpenExisting(ctx, emptyDB); err == nil {
		s.Close()
		t.Error("the refused database file was given a schema")
	}
}

// TestUnwritableDataDirectory: the error says so, for both ways of opening.
func TestUnwritableDataDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes into read-only directories: cannot test here")
	}
	ctx := context.Background()
	dir := t.TempDir()
	s, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o700)
	for name, open := range map[string]func(context.Context, string) (store.Store, error){"Open": sqlite.Open, "OpenExisting": sqlite.OpenExisting} {
		if s, err := open(ctx, dir); err == nil || !strings.Contains(err.Error(), dir+" is not writable (permission denied)") {
			if s != nil {
				s.Close()
			}
			t.Errorf("%s: %v", name, err)
		}
	}
}

// listing names every file under root with its mode and size.
func listing(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		b.WriteString(path)
		if !d.IsDir() {
			fmt.Fprintf(&b, " %s %d", fi.Mode(), fi.Size())
		}
		b.WriteString("\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
