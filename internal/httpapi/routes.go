package httpapi

import (
	"net/http"
	"strings"
)

// route is one FHIR interaction the server implements. The same table
// registers the handlers and generates the CapabilityStatement, so the
// statement can claim nothing the server does not do.
type route struct {
	pattern string
	// interaction is the CapabilityStatement code: a TypeRestfulInteraction
	// when level is "type", a SystemRestfulInteraction when "system", an
	// operation name (without $) when "operation"; "" for plumbing.
	interaction string
	level       string
	handler     http.HandlerFunc
}

// auditInteraction names a route's interaction in the code system
// http://hl7.org/fhir/restful-interaction, for AuditEvent.subtype.
func auditInteraction(rt route) string {
	switch rt.interaction {
	case "everything", "export", "validate", "process-message":
		return "operation"
	case "":
	default:
		return rt.interaction
	}
	switch {
	case strings.Contains(rt.pattern, "$"):
		return "operation"
	case strings.HasSuffix(rt.pattern, "_search"), strings.HasPrefix(rt.pattern, "GET /fhir/{ctype}"), rt.pattern == "GET /fhir/{$}":
		return "search-type"
	case strings.HasPrefix(rt.pattern, "PUT"):
		return "update"
	case strings.HasPrefix(rt.pattern, "DELETE"):
		return "delete"
	case strings.HasPrefix(rt.pattern, "PATCH"):
		return "patch"
	case strings.HasPrefix(rt.pattern, "POST"):
		return "create"
	}
	return "read"
}

func (a *API) routes() []route {
	return append(a.termRoutes(), []route{
		{"GET /fhir/metadata", "", "", a.capabilities},
		{"POST /fhir", "transaction", "system", a.bundle}, // also batch
		{"POST /fhir/{$}", "batch", "system", a.bundle},
		{"GET /fhir/_history", "history-system", "system", a.historySystem},
		{"GET /fhir", "search-system", "system", a.search},
		{"GET /fhir/{$}", "", "", a.search},
		{"POST /fhir/_search", "", "", a.searchPost},
		{"GET /fhir/{ctype}/{cid}/{type}", "", "", a.search}, // compartment search
		{"GET /fhir/Patient/{id}/$everything", "everything", "operation", a.everything},
		{"GET /fhir/$export", "export", "operation", a.exportSystem},
		{"POST /fhir/$process-message", "process-message", "operation", a.processMessage},
		{"GET /fhir/Patient/$export", "", "", a.exportPatient},
		{"GET /fhir/Group/{id}/$export", "", "", a.exportGroup},

		{"POST /fhir/{ctype}/{cid}/{type}/_search", "", "", a.searchPost},

		{"POST /fhir/{type}", "create", "type", a.create},
		{"GET /fhir/{type}", "search-type", "type", a.search},
		{"POST /fhir/{type}/_search", "", "", a.searchPost},
		{"PUT /fhir/{type}", "", "", a.conditionalUpdate},
		{"DELETE /fhir/{type}", "", "", a.conditionalDelete},
		{"PATCH /fhir/{type}", "", "", a.conditionalPatch},
		{"GET /fhir/{type}/_history", "history-type", "type", a.historyType},
		{"POST /fhir/{type}/$validate", "validate", "operation", a.validate},

		{"GET /fhir/{type}/{id}", "read", "type", a.read},
		{"PUT /fhir/{type}/{id}", "update", "type", a.update},
		{"PATCH /fhir/{type}/{id}", "patch", "type", a.patch},
		{"DELETE /fhir/{type}/{id}", "delete", "type", a.delete},
		{"POST /fhir/{type}/{id}/$validate", "", "", a.validate},
		{"GET /fhir/{type}/{id}/_history", "history-instance", "type", a.historyInstance},
		{"GET /fhir/{type}/{id}/_history/{vid}", "vread", "type", a.vread},
	}...)
}
