// Package bulk moves whole stores in and out: export writes every current
// resource as NDJSON (one file per type, split at a size), with a manifest
// that gives each file's resource count and SHA-256 and a human-readable
// description of the extract (types, counts, code systems, dates) that a
// receiving supplier needs. It reads through the store interface, so it
// works the same on SQLite and PostgreSQL.
package bulk
