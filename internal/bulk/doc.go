// Package bulk moves whole stores in and out. Export writes every current
// resource as NDJSON (one file per type, split at a size), with a manifest
// that gives each file's resource count and SHA-256 and a human-readable
// description of the extract (types, counts, code systems, dates) that a
// receiving supplier needs; it reads through the store interface, so it
// works the same on SQLite and PostgreSQL. Import loads Bundles and NDJSON
// through a Sink (the local service, or a FHIR server's REST API), so that
// everything stored passes the same validation and reference resolution
// as the API.
package bulk
