// Package store defines the one storage interface of gpcloud: versioned FHIR
// resources (a current version plus full history), written in atomic
// transactions with optimistic concurrency, together with the index rows
// that search reads. Adapters live in subpackages (sqlite, postgres) and all
// pass the shared conformance suite in storetest.
//
// The store knows nothing about FHIR semantics beyond type, id and version:
// the service layer decides what to write; the store makes it durable,
// atomic and ordered.
package store
