// Package fhirpath evaluates FHIRPath (N1, as used by FHIR R4) over
// resources in their decoded JSON form, with element types taken from the
// R4 definitions (so choice elements, ofType/is/as and primitive
// extensions work as the specification describes).
//
// Search uses it to extract index values with each SearchParameter's
// official expression; validation will use it for invariants.
//
// An expression is compiled once (Compile) and evaluated many times
// (Expr.Evaluate); compiled expressions are safe for concurrent use.
package fhirpath
