// Package terminology is gpcloud's terminology service: the code systems a
// GP record is coded in (SNOMED CT UK Edition, dm+d, the code systems FHIR
// R4 ships), loaded as releases into the store (store.Terminology), and the
// FHIR terminology operations over them: CodeSystem/$lookup,
// CodeSystem/$subsumes, ValueSet/$expand (with the clinicians' typeahead
// as its filter) and ValueSet/$validate-code.
//
// The real releases are licensed and are loaded by the user (LoadRF2,
// LoadDMD: `gpcloud admin terminology load`); a starter set generated from
// the shared test data ships in the repository (starter.tsv, see
// LoadStarter) so that the demo and the tests have codes without one.
//
//go:generate go run ./internal/startergen -out starter.tsv
package terminology
