package main

import (
	"os"
	"path/filepath"
	"testing"
)

// The XML reader keeps what the generator needs: values, the id and url
// attributes, repeats.
func TestFromXML(t *testing.T) {
	n, err := fromXML([]byte(`<StructureDefinition xmlns="http://hl7.org/fhir"><url value="u"/>
	  <snapshot><element id="Extension.url"><path value="Extension.url"/><fixedUri value="x"/>
	  <type><code value="uri"/></type></element><element id="b"><path value="b"/></element></snapshot>
	  <text><div xmlns="http://www.w3.org/1999/xhtml"><p>ignored</p></div></text></StructureDefinition>`))
	if err != nil {
		t.Fatal(err)
	}
	s := parseSD(n)
	if n.str("resourceType") != "StructureDefinition" || s.URL != "u" || len(s.Elems) != 2 || s.Elems[0].Fixed != "x" || s.Elems[0].Types[0].Code != "uri" {
		t.Fatalf("got %+v", s)
	}
}

// TestGeneratedUpToDate regenerates the tables from the pinned sources
// (the npm tarball at GPCLOUD_STU3_TGZ, the gpconnect-fhir copy at
// GPCLOUD_GPCONNECT_FHIR_SRC) and compares them byte for byte with the
// committed files; skipped without them (neither is in the repository).
func TestGeneratedUpToDate(t *testing.T) {
	tgz, src := os.Getenv("GPCLOUD_STU3_TGZ"), os.Getenv("GPCLOUD_GPCONNECT_FHIR_SRC")
	if tgz == "" || src == "" {
		t.Skip("GPCLOUD_STU3_TGZ and GPCLOUD_GPCONNECT_FHIR_SRC not both set")
	}
	pkg, err := loadPackage(tgz)
	if err != nil {
		t.Fatal(err)
	}
	files, err := readSources(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkSums(files, "../../stu3.sums"); err != nil {
		t.Fatal(err)
	}
	g, err := load(pkg, files)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"version_gen.go":   g.emitVersion(sha256Of(sumsFile(files))),
		"types_gen.go":     g.emitTypes(),
		"profiles_gen.go":  g.emitProfiles(),
		"valuesets_gen.go": g.emitValueSets(),
	} {
		committed, err := os.ReadFile(filepath.Join("../..", name))
		if err != nil {
			t.Fatal(err)
		}
		if string(committed) != string(data) {
			t.Errorf("%s differs from what the pinned sources generate: run go generate ./internal/fhir/stu3", name)
		}
	}
}
