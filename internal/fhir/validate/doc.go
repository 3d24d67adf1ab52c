// Package validate checks a decoded FHIR R4 resource against the official
// StructureDefinitions in package definitions: unknown elements, JSON types,
// primitive formats (the regexes the specification publishes), choice types,
// cardinality, required bindings to enumerable value sets, the form of
// references, and the R4 invariants of severity error (FHIRPath, evaluated
// with package fhirpath; ele-1 is enforced by the structural checks).
// Identifiers in the NHS number system must pass the Modulus 11 check.
//
// A resource that claims a UK Core profile in meta.profile (or is asked to
// conform to one, Options.Profiles) is also checked against the profile's
// differential from package ukcore, with the profiles it is based on:
// cardinality, fixed and pattern values, narrowed choice types, slicing
// (value, pattern, exists and type discriminators; extensions by url), the
// UK Core extensions it holds (their definitions and contexts), bindings
// (required: error, extensible: warning) through a CodeValidator, and the
// profile's invariants. Every issue carries a FHIRPath expression locating
// the element.
//
// Not checked (documented deviations): bindings to value sets nobody can
// enumerate (the CodeValidator answers "unknown"), reference targetProfile
// (the target is not read), slicing whose discriminators are not a simple
// path (resolve(), profile discriminators), the cross-version extensions
// UK Core profiles name (http://hl7.org/fhir/5.0/...: the R4 package has no
// definitions for them; checked as R4 Extensions only), and must-support, which asks a system to store and return an element: gpcloud
// stores and returns every element.
package validate
