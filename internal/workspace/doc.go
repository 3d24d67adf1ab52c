// Package workspace is the staff's screens at /workspace/: find and
// register patients, the record, consultations. Pages are rendered on the
// server (html/template, the NHS.UK design system) and work without
// JavaScript; htmx makes the search box answer as people type and saves
// parts of a page in place.
//
// Every page runs as the signed-in user: the handler reads and writes
// the record only through internal/service with the user's Principal, so
// that the FHIR API's access control and audit apply unchanged (a
// receptionist's page cannot show what a receptionist's token could not
// read). The practice's rules live in internal/clinical; a handler decodes
// a form, calls clinical and the service, and renders a template. One
// file per thing the user does.
package workspace
