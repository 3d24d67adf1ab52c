package testdata

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDirFromEnv(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(EnvVar, dir)
	if got := Dir(t); got != dir {
		t.Errorf("Dir = %q, want %q", got, dir)
	}
	t.Setenv(EnvVar, filepath.Join(dir, "missing"))
	if _, ok := Find(); ok {
		t.Error("Find accepted a directory that does not exist")
	}
}

func TestDirByWalkingUp(t *testing.T) {
	root := t.TempDir()
	data := filepath.Join(root, "shared", "data")
	work := filepath.Join(root, "main", "internal", "pkg")
	for _, d := range []string{data, work} {
		if err := mkdirAll(d); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv(EnvVar, "")
	t.Chdir(work)
	if got, ok := Find(); !ok || got != data {
		t.Errorf("Find = %q, %t; want %q", got, ok, data)
	}
}

func mkdirAll(d string) error { return os.MkdirAll(d, 0o755) }
