// Package httpapi is the HTTP adapter of gpcloud: it maps the FHIR RESTful
// API (/fhir/...) and the health endpoints onto the service layer. It owns
// everything that is HTTP: routing, content negotiation, request limits,
// conditional request headers, Prefer, _summary/_elements/_pretty, and
// turning errors into OperationOutcome responses. Requests are logged with
// log/slog, each line carrying the request's id.
package httpapi
