// Package audit is gpcloud's audit trail: every access to patient data
// (read, search, write, export, sign-in, refusal, break-glass) becomes a
// FHIR AuditEvent in the same store as the records, searchable like any
// resource (by patient, agent, date...).
//
// AuditEvents are chained: each carries its sequence number, the hash of
// the one before and its own hash (SHA-256 over the previous hash and its
// canonical JSON), and the store keeps the chain's head. Changing,
// removing or inserting an event breaks the chain where it happened;
// Verify finds it. The API refuses to create, change or delete
// AuditEvents (the service enforces that), so only this package writes
// them.
//
// The events of writes commit with the writes: the service stages them
// in the write's own transaction, in an outbox (Stage), and a writer
// goroutine moves them into the chain (the chain's head is one row that
// every write would otherwise queue on). Events of reads are recorded
// without waiting: the writer appends them in batches, so auditing adds
// no write to a read's latency; a crash loses at most those of the last
// moment (about the batch interval). Transient store failures are retried
// until they pass, never dropped. Close flushes what is queued and staged.
package audit
