// Package clinical holds the practice's rules as plain Go over FHIR
// resources: the NHS number, registration and its duplicate checks,
// what a patient's banner shows, how a search box query is read, what a
// consultation writes. No HTTP, no templates, no SQL: the workspace, the
// patient portal, GP Connect and the FHIR API's operations call it alike,
// and it is tested with tables.
package clinical
