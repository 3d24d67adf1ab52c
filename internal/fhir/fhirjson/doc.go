// Package fhirjson decodes untrusted JSON request bodies into the generic
// form the server works on (map[string]any, []any, string, json.Number,
// bool, nil).
//
// It is a single-pass scanner rather than encoding/json because a request
// must be refused before it can exhaust memory: nesting deeper than a limit
// and strings longer than a limit are rejected when the scanner reaches
// them, before anything is allocated for them. It also enforces what FHIR
// JSON requires and encoding/json lets through: UTF-8 only, no duplicate
// member names. Errors are 400 OperationOutcomes naming the byte offset,
// line and column.
package fhirjson
