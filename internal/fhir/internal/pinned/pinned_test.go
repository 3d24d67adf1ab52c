package pinned

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckSums(t *testing.T) {
	files := map[string][]byte{"valuesets/a.xml": []byte("<a/>"), "codesystems/b.xml": []byte("<b/>")}
	sums := filepath.Join(t.TempDir(), "x.sums")
	if err := os.WriteFile(sums, SumsFile(files, "test"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckSums(files, sums, "release r@c"); err != nil {
		t.Fatalf("the pinned files are refused: %v", err)
	}
	for name, changed := range map[string]map[string][]byte{
		"changed": {"valuesets/a.xml": []byte("<a />"), "codesystems/b.xml": []byte("<b/>")},
		"missing": {"valuesets/a.xml": []byte("<a/>")},
		"added":   {"valuesets/a.xml": []byte("<a/>"), "codesystems/b.xml": []byte("<b/>"), "valuesets/c.xml": nil},
	} {
		err := CheckSums(changed, sums, "release r@c")
		if err == nil || !strings.Contains(err.Error(), "not the pinned release r@c") {
			t.Errorf("%s: got %v, want the source refused", name, err)
		}
	}
}
