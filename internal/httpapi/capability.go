package httpapi

import (
	"net/http"
	"sort"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
	"github.com/gpcloud/gpcloud/internal/service"
)

// capabilities answers GET /fhir/metadata.
func (a *API) capabilities(w http.ResponseWriter, r *http.Request) {
	writeResourceValue(w, r, http.StatusOK, a.capabilityStatement())
}

// capabilityStatement describes what this server does, generated from the
// route table (interactions), the definitions (resource types) and the
// service (search parameters), so it cannot claim more than is served.
func (a *API) capabilityStatement() fhir.Resource {
	var typeInteractions, systemInteractions, operations []string
	for _, rt := range a.routes() {
		switch rt.level {
		case "type":
			typeInteractions = append(typeInteractions, rt.interaction)
		case "system":
			systemInteractions = append(systemInteractions, rt.interaction)
		case "operation":
			operations = append(operations, rt.interaction)
		}
	}
	sort.Strings(typeInteractions)
	codes := func(list []string) []any {
		out := make([]any, len(list))
		for i, c := range list {
			out[i] = map[string]any{"code": c}
		}
		return out
	}
	var ops []any
	for _, op := range operations {
		ops = append(ops, map[string]any{
			"name":       op,
			"definition": "http://hl7.org/fhir/OperationDefinition/Resource-" + op,
		})
	}
	var resources []any
	for _, typ := range definitions.ResourceTypes() {
		res := map[string]any{
			"type":              typ,
			"profile":           "http://hl7.org/fhir/StructureDefinition/" + typ,
			"interaction":       codes(typeInteractions),
			"versioning":        "versioned-update",
			"readHistory":       true,
			"updateCreate":      true,
			"conditionalCreate": true,
			"conditionalRead":   "not-supported",
			"conditionalUpdate": true,
			"conditionalDelete": "single",
			"referencePolicy":   []any{"literal", "logical", "local"},
			"searchParam":       searchParams(typ),
		}
		if ops != nil {
			res["operation"] = ops
		}
		resources = append(resources, res)
	}
	return fhir.Resource{
		"resourceType": "CapabilityStatement",
		"status":       "active",
		"date":         fhir.FormatInstant(a.started)[:10],
		"publisher":    "gpcloud",
		"kind":         "instance",
		"software":     map[string]any{"name": "gpcloud", "version": a.opts.SoftwareVersion},
		"implementation": map[string]any{
			"description": "gpcloud FHIR R4 server",
			"url":         a.svc.BaseURL(),
		},
		"fhirVersion": fhir.Version,
		// JSON only: XML bodies are refused with 415 and XML responses with 406.
		"format":      []any{"json", "application/fhir+json"},
		"patchFormat": []any{"application/json-patch+json"},
		"rest": []any{map[string]any{
			"mode": "server",
			"documentation": "Search supports only _id and identifier (token) until the search engine lands; " +
				"conditional create/update/patch/delete and conditional references match on those. " +
				"Transactions are atomic; history supports _since, _at, _count and paging. " +
				"_summary and _elements filter top-level elements only. " +
				"Validation checks the R4 StructureDefinitions (structure, types, formats, cardinality, required bindings " +
				"to enumerable value sets, references); FHIRPath invariants and meta.profile profiles are not evaluated yet. " +
				"DSTU2 fhir_comments members are dropped on input. XML is not supported (415/406).",
			"resource":    resources,
			"interaction": codes(systemInteractions),
		}},
	}
}

// searchParams lists the search parameters the basic search supports for
// typ: _id always, identifier where the type has an identifier element.
func searchParams(typ string) []any {
	out := []any{map[string]any{
		"name": "_id", "type": "token",
		"definition": "http://hl7.org/fhir/SearchParameter/Resource-id",
	}}
	for _, sp := range definitions.SearchParameters(typ) {
		if sp.Code == "identifier" && sp.Type == "token" && contains(service.ConditionalParams, sp.Code) {
			out = append(out, map[string]any{"name": sp.Code, "type": sp.Type, "definition": sp.URL})
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
