// Package testdata locates the shared test data (Synthea patients, UK Core
// and PDS examples, the official FHIR test cases) that tests and
// benchmarks read. The data is not in the repository, for its size and
// licences, and must never be copied into it: it lives beside a checkout
// at ../shared/data on development machines and in CI, or wherever
// GPCLOUD_SHARED_DATA points.
package testdata

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// EnvVar names the directory of the shared data, overriding the search.
const EnvVar = "GPCLOUD_SHARED_DATA"

// Find returns the shared data directory: $GPCLOUD_SHARED_DATA when set,
// else the first shared/data found walking up from the working directory.
func Find() (string, bool) {
	if dir := os.Getenv(EnvVar); dir != "" {
		abs, err := filepath.Abs(dir)
		return abs, err == nil && isDir(abs)
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		candidate := filepath.Join(dir, "shared", "data")
		if isDir(candidate) {
			return candidate, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// Dir returns the shared data directory, or skips the test when there is
// none. A GPCLOUD_SHARED_DATA that names no directory fails the test
// instead: CI sets it, and must not skip silently.
func Dir(tb testing.TB) string {
	tb.Helper()
	dir, ok := Find()
	switch {
	case ok:
		return dir
	case os.Getenv(EnvVar) != "":
		tb.Fatalf("%s=%s is not a directory", EnvVar, os.Getenv(EnvVar))
	default:
		tb.Skip("shared test data not found (set GPCLOUD_SHARED_DATA or place it at ../shared/data): skipped")
	}
	return ""
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// Gunzip returns the decompressed contents of a gzip file (the Synthea
// bundles are kept compressed), failing the test when it cannot.
func Gunzip(tb testing.TB, path string) []byte {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return data
}
