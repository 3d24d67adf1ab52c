// Package search is FHIR search at the level of the model, with no SQL:
// the registry of the official R4 SearchParameters (their FHIRPath
// expressions compiled once), the extraction of typed index values from a
// resource, and the parsing of a search request into a Query that a store
// compiles for its database.
//
// Extraction follows the R4 rules for each parameter type (string, token,
// reference, date, number, quantity, uri, composite): a HumanName gives its
// family, given, prefix, suffix and text strings; a CodeableConcept gives
// each coding and its text; a Period gives a date range; a decimal gives
// the range its precision implies. Store adapters keep these rows in typed
// tables and answer queries from them.
package search
