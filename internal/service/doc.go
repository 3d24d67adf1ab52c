// Package service implements the FHIR RESTful interactions (create, read,
// vread, update, patch, delete, history, conditional interactions, batch
// and transaction) as domain operations over a store.Store. It validates
// every resource before it is written, stamps the server-managed meta,
// computes index rows and maps store errors to FHIR errors.
//
// It knows nothing of HTTP: the HTTP adapter decodes requests, calls a
// Service method and renders the Outcome or *fhir.Error it returns.
package service
