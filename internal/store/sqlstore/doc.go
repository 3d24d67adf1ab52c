// Package sqlstore implements store.Store once, in SQL, for the SQLite and
// PostgreSQL adapters; a Dialect carries what differs between them
// (placeholders, DDL, row locks, error codes, the migration lock).
//
// Writes in a transaction are buffered and sent as multi-row statements
// when the transaction reads or commits: loading a bundle of a few hundred
// resources then costs a handful of round trips instead of several per
// resource, which is what lets PostgreSQL keep up with bulk loads.
// Optimistic concurrency is enforced by the database itself: the upsert of
// a resource's current-version row only succeeds when the stored version
// is the one the writer started from, and (type, id, version) is unique,
// so a lost race surfaces as store.ErrConflict and never as a lost update.
package sqlstore
