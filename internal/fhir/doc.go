// Package fhir holds the small core of the FHIR R4 model that every other
// package shares: the in-memory form of a resource, the error type that
// becomes an OperationOutcome, and helpers for the elements the server itself
// manages (id, meta).
//
// Resources are kept as decoded JSON (map[string]any with json.Number for
// numbers) rather than as generated structs: FHIR decimals must keep their
// exact digits, unknown extensions must survive a round trip, and the
// validator works from the official StructureDefinitions, not from Go types.
package fhir
