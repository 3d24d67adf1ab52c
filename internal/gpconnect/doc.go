// Package gpconnect is gpcloud's GP Connect provider: a facade with its
// own FHIR STU3 bases per practice (/{ODS}/STU3/1/gpconnect/fhir for
// Foundations and Appointment Management, with Access Record HTML's
// $gpc.getcarerecord; .../structured/fhir for Access Record Structured)
// over the R4 record.
//
// Each request is checked as the Spine Secure Proxy delivers it (the
// Ssp-TraceID, Ssp-From, Ssp-To and Ssp-InteractionID headers, the
// consumer's unsigned JWT and every claim the specification requires),
// then runs through internal/service as a GP Connect consumer principal
// (auth.RoleConsumer) limited to the practice, to the interaction's
// resource types and to records that may be shared: access control,
// booking rules, slot locking and audit are the service's, the same as
// for the pages and the R4 API. Results are mapped from R4 (UK Core) to
// STU3 (Care Connect and GP Connect profiles); failures are GP Connect
// OperationOutcomes with the Spine error codes.
package gpconnect
