// Package validate checks a decoded FHIR R4 resource against the official
// StructureDefinitions in package definitions: unknown elements, JSON types,
// primitive formats (the regexes the specification publishes), choice types,
// cardinality, required bindings to enumerable value sets, and the form of
// references. Every issue carries a FHIRPath expression locating the element.
//
// Not checked (documented deviations): FHIRPath invariants (constraints such
// as ele-1 or pat-1), profiles named in meta.profile, and bindings to value
// sets that the R4 package cannot enumerate (UCUM, BCP-13 mime types...).
package validate
