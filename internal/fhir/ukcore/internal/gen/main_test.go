package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestGeneratedUpToDate regenerates the tables from the copy of the
// release named by GPCLOUD_UKCORE_SRC and compares them byte for byte with
// the committed files (skipped without a copy: the release is not in the
// repository).
func TestGeneratedUpToDate(t *testing.T) {
	src, tgz := os.Getenv("GPCLOUD_UKCORE_SRC"), os.Getenv("GPCLOUD_R4_TGZ")
	if src == "" || tgz == "" {
		t.Skip("GPCLOUD_UKCORE_SRC and GPCLOUD_R4_TGZ not both set: no copy of the UK Core release and R4 package to regenerate from")
	}
	core, err := coreExtensions(tgz)
	if err != nil {
		t.Fatal(err)
	}
	files, err := readSources(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkSums(files, "../../ukcore.sums"); err != nil {
		t.Fatal(err)
	}
	outputs, _, err := generate(files, core)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range outputs {
		committed, err := os.ReadFile(filepath.Join("../..", name))
		if err != nil {
			t.Fatal(err)
		}
		if string(committed) != string(data) {
			t.Errorf("%s differs from what the pinned release generates: run go generate ./internal/fhir/ukcore", name)
		}
	}
}
