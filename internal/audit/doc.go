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
// Events are recorded without waiting: a writer goroutine appends them in
// batches, one transaction each, so auditing adds no write to a read's
// latency. Close flushes what is queued; a crash loses at most the
// events of the last moment (about the batch interval).
package audit
