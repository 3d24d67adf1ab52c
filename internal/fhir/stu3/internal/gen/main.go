// Command gen turns the FHIR STU3 (3.0.1) base definitions and the GP
// Connect / Care Connect STU3 profiles into the Go tables of package stu3.
//
// The base definitions come from the npm package fhir (lantanagroup's
// FHIR.js, folder profiles/stu3), pinned by version and the registry's
// SHA-512 integrity: the tarball is downloaded, or read from -tgz. The
// profiles come from a local copy of the StructureDefinitions, ValueSets
// and CodeSystems folders of nhsconnect/gpconnect-fhir at the pinned commit
// (-src), each file checked against the SHA-256 sums committed in
// stu3.sums, so the tables are what was reviewed. Output is sorted and
// carries no timestamps: the same input gives the same bytes.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
)

// The pinned sources. Moving a pin means changing its checksum too.
const (
	packageName    = "fhir"
	packageVersion = "3.3.1"
	// packageSHA512 is the npm registry's dist.integrity of the tarball.
	packageSHA512 = "sha512-YXLRgn4TVzWfF5HuoP5mPrzuuRIS34EDe1Z8e1P7f7nQoN81PELZGegoKIi4xMvN4gSSPm/ZS29SJsUjVa82rw=="
	tarballURL    = "https://registry.npmjs.org/fhir/-/fhir-" + packageVersion + ".tgz"
	stu3Dir       = "package/profiles/stu3/"

	// The GP Connect profiles: branch release/1.5.0 of
	// nhsconnect/gpconnect-fhir, the profiles GP Connect 1.6 names.
	repository = "github.com/nhsconnect/gpconnect-fhir"
	commit     = "4d7f2492e9201da466f0fdb002a7ac3dce9ecdd8"
)

var folders = []string{"StructureDefinitions", "ValueSets", "CodeSystems"}

func main() {
	out := flag.String("out", ".", "directory to write the generated files to")
	tgz := flag.String("tgz", os.Getenv("GPCLOUD_STU3_TGZ"), "read the fhir package tarball from this file instead of the npm registry")
	src := flag.String("src", os.Getenv("GPCLOUD_GPCONNECT_FHIR_SRC"), "local copy of gpconnect-fhir's StructureDefinitions, ValueSets and CodeSystems folders at the pinned commit")
	sums := flag.String("sums", "stu3.sums", "the committed SHA-256 sums of the gpconnect-fhir files")
	writeSums := flag.Bool("write-sums", false, "write the sums of the files in -src instead of checking them (when moving the pin)")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("gen: ")
	if *src == "" {
		log.Fatal("-src (or GPCLOUD_GPCONNECT_FHIR_SRC) is required: see the package documentation")
	}
	pkg, err := loadPackage(*tgz)
	if err != nil {
		log.Fatal(err)
	}
	files, err := readSources(*src)
	if err != nil {
		log.Fatal(err)
	}
	if *writeSums {
		if err := os.WriteFile(*sums, sumsFile(files), 0o644); err != nil {
			log.Fatal(err)
		}
	} else if err := checkSums(files, *sums); err != nil {
		log.Fatal(err)
	}
	g, err := load(pkg, files)
	if err != nil {
		log.Fatal(err)
	}
	outputs := map[string][]byte{
		"version_gen.go":   g.emitVersion(sha256Of(sumsFile(files))),
		"types_gen.go":     g.emitTypes(),
		"profiles_gen.go":  g.emitProfiles(),
		"valuesets_gen.go": g.emitValueSets(),
	}
	for name, data := range outputs {
		if err := os.WriteFile(filepath.Join(*out, name), data, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Fprintf(os.Stderr, "gen: %d types, %d profiles, %d extensions, %d value sets from %s@%s and %s@%s\n",
		len(g.types), len(g.profiles), len(g.extensions), len(g.usedValueSets), packageName, packageVersion, repository, commit[:8])
}
