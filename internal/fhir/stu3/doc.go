// Package stu3 holds the FHIR STU3 (3.0.1) definitions GP Connect is built
// on: the StructureDefinitions of every STU3 resource and data type
// (elements in order, cardinality, types, choice elements, required
// bindings), the GP Connect 1.6 / Care Connect STU3 profiles (what each
// changes of its base: cardinality, types, fixed values, required
// bindings, the extensions it names) and those extensions' definitions.
// Package gpconnect writes STU3 XML in the order these give, and package
// stu3validate checks what the provider sends against them.
//
// The tables are generated, pinned and committed, so a build needs no
// network. The base definitions come from the npm package fhir@3.3.1
// (folder profiles/stu3, checked by the registry's SHA-512 integrity); the
// profiles from nhsconnect/gpconnect-fhir at the commit of its branch
// release/1.5.0, read from a local copy whose every file is checked
// against stu3.sums (only the generated tables and the sums are
// committed, never the repository's files). Regenerate with
//
//	git --git-dir=gpconnect-fhir.git archive 4d7f2492e9201da466f0fdb002a7ac3dce9ecdd8 \
//	    StructureDefinitions ValueSets CodeSystems | tar -x -C /tmp/gpconnect-fhir
//	GPCLOUD_GPCONNECT_FHIR_SRC=/tmp/gpconnect-fhir go generate ./internal/fhir/stu3
//
// (the generator downloads the npm tarball, or reads it from
// GPCLOUD_STU3_TGZ: `npm pack fhir@3.3.1`).
package stu3

//go:generate go run ./internal/gen -src $GPCLOUD_GPCONNECT_FHIR_SRC -tgz $GPCLOUD_STU3_TGZ -sums stu3.sums -out .
