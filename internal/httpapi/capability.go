package httpapi

import (
	"fmt"
	"net/http"
	"sort"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/fhir/ukcore"
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
	// Operations apply to every type, except $everything (Patient only).
	opsFor := func(typ string) []any {
		var ops []any
		for _, op := range operations {
			switch {
			case op == "everything" && typ == "Patient":
				ops = append(ops, map[string]any{"name": op, "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"})
			case op == "export", op == "process-message":
				// system-level, listed under rest.operation
			case op != "everything":
				ops = append(ops, map[string]any{"name": op, "definition": "http://hl7.org/fhir/OperationDefinition/Resource-" + op})
			}
		}
		return ops
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
		ops := opsFor(typ)
		for _, op := range termOperations[typ] {
			ops = append(ops, map[string]any{"name": op[0], "definition": op[1]})
		}
		if ops != nil {
			res["operation"] = ops
		}
		// The UK Core profiles validated when a resource claims them.
		if profiles := ukcore.Profiles(typ); len(profiles) > 0 {
			list := make([]any, len(profiles))
			for i, p := range profiles {
				list[i] = p
			}
			res["supportedProfile"] = list
		}
		if typ == "Binary" {
			res["documentation"] = fmt.Sprintf("Documents are sent and served in their own format (FHIR http.html#binary): create and "+
				"update with the document's Content-Type (anything but FHIR JSON, application/json and FHIR XML) store the body, up to %d "+
				"bytes, streamed to storage, as data, with contentType from the Content-Type and securityContext from X-Security-Context; "+
				"without a Prefer header they answer with no body. Read and vread answer the document with its contentType unless Accept "+
				"names a FHIR format or _format, _summary or _elements is given. Active content (HTML, SVG, scripts) is served sandboxed, "+
				"as an attachment. In FHIR JSON, data is limited to a 16 MiB string.", a.opts.MaxBinaryBytes)
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
			"documentation": "Search: every R4 SearchParameter of type string, token, reference, date, number, quantity, uri and " +
				"two-part composite (code$value) " +
				"is indexed at write time and searched in SQL (modifiers :missing, :exact, :contains, :not, :text, :of-type on identifier, " +
				":identifier and :[type] on references, :below/:above on uri, :below/:above/:in/:not-in on tokens through the terminology; prefixes eq ne gt lt ge le sa eb ap; chaining, _has, " +
				"_include/_revinclude with :iterate and *, _sort on any indexed parameter, _total, _summary, _elements; Patient compartment " +
				"search; system search with _type). Not supported: three-part composites and special parameters (near, _text, _content, _list, _query), " +
				"_contained/_containedType; these are ignored (listed in an OperationOutcome entry, and left out " +
				"of the self link), or a 400 with Prefer: handling=strict. A system search without _type supports only Resource-level " +
				"parameters. The default order (no _sort) is by type, then the order in which the store first met each resource (created, or named by a reference; within one write, by id); " +
				"links given before the store ordered so (its nineteenth migration) answer 410. Paging is stable: the ordered matches (up to 100,000, for an hour) are stored on the first page, or, for a search in the default order led by a parameter, " +
				"on the second, from the first page's last match on. In the default order the last page of a list stopped at 100,000 hands over to the matches " +
				"after it (its next link names its last match); a previous link across that point answers 410. With _sort the pages stop at the 100,000th match, the last page " +
				"saying so with a too-costly warning in an OperationOutcome entry. " +
				"Bundle.total is given unless asked not to, but for one case: a search in the default order whose leading parameter matches a large part of its type " +
				"(200 index rows per entry of the page: 10,200 for _count=50) reads its first page in the default order without counting its matches, and gives Bundle.total " +
				"only when _total=accurate or estimate (an exact count either way) or _summary=count asks for it; its later pages are read by key from the " +
				"resource the next or previous link names, not stored (with _total asked for, they are stored as for any search). " +
				fmt.Sprintf("Indexes keep the first %d bytes of a text value: a search for a longer value matches every value sharing them. ", search.MaxIndexBytes) +
				fmt.Sprintf("Limits (400 too-costly past them): %d values in one parameter or _sort, %d levels of chaining and _has in one parameter, "+
					"%d conditions in one search (each value counted once for every resource type it is searched in, each _sort key and _include). ",
					search.MaxValues, search.MaxDepth, search.MaxTerms) +
				"Conditional create/update/patch/delete and conditional references take any search parameter (strictly: unknown ones are an error); " +
				"conditions on _id and identifier see a transaction's own writes and entries, others are searched over committed data. " +
				"Transactions are atomic; history supports _since, _at, _count and paging. " +
				"_summary and _elements filter top-level elements only. " +
				"Validation checks the R4 StructureDefinitions (structure, types, formats, cardinality, required bindings " +
				"to enumerable value sets, references) and their FHIRPath invariants of severity error (ele-1 through the structural checks), " +
				"NHS numbers (Modulus 11) wherever the system https://fhir.nhs.uk/Id/nhs-number is used, and the UK Core profiles " +
				"listed in supportedProfile when meta.profile claims them or $validate's profile parameter names them " +
				"(" + ukcore.Release + " @" + ukcore.Commit[:8] + "): cardinality, fixed values, slicing, extensions and their contexts, " +
				"required (error) and extensible (warning) bindings where the value set can be enumerated. " +
				"DSTU2 fhir_comments members are dropped on input. XML is not supported (415/406), save as a Binary's document sent raw. " +
				"$everything pages list each resource of the compartment once, as a match; includes (reference data) are repeated once a page.",
			"resource":    resources,
			"interaction": codes(systemInteractions),
			"operation": []any{map[string]any{"name": "export", "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"},
				map[string]any{"name": "process-message", "definition": "http://hl7.org/fhir/OperationDefinition/MessageHeader-process-message",
					"documentation": "Pathology reports as labs send them (DAPB4101: a message Bundle with the Patient and Observations as their own entries), " +
						"synchronously only: each DiagnosticReport becomes a results-inbox item with the lab's patient and results contained, " +
						"created once per report identifier; the answer is a message Bundle whose MessageHeader responds ok. Other messages are refused (422)."}},
			"security": a.security(),
		}},
	}
}

// security describes authorization (SMART App Launch 2.0 and Backend
// Services) when the server checks tokens.
func (a *API) security() map[string]any {
	if a.opts.Tokens == nil {
		return map[string]any{"description": "Authentication is OFF (--insecure-no-auth): for local development only."}
	}
	o := a.origin()
	return map[string]any{
		"service": []any{map[string]any{"coding": []any{map[string]any{
			"system": "http://terminology.hl7.org/CodeSystem/restful-security-service", "code": "SMART-on-FHIR"}}}},
		"extension": []any{map[string]any{
			"url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
			"extension": []any{
				map[string]any{"url": "authorize", "valueUri": o + "/auth/authorize"},
				map[string]any{"url": "token", "valueUri": o + "/auth/token"},
				map[string]any{"url": "revoke", "valueUri": o + "/auth/revoke"},
				map[string]any{"url": "introspect", "valueUri": o + "/auth/introspect"},
			},
		}},
		"description": "Every request needs a bearer access token (SMART App Launch 2.0: /.well-known/smart-configuration; " +
			"SMART Backend Services with private_key_jwt, RS384/ES384). Scopes in SMART v1 and v2 syntax; v2 fine-grained " +
			"scopes (?param=value) are matched on token parameters only. Staff reach the patients registered at their practice " +
			"(managingOrganization or generalPractitioner), patients and proxies their own records; other records answer 404. " +
			"A Binary is reached as what its securityContext names (Patient/X as X's records, a compartment record as that record, " +
			"other resources as reference data); one without a securityContext by system scopes only. " +
			"Clinicians may break the glass with the X-Break-Glass-Reason header (audited, flagged). Bulk $export needs system " +
			"scopes that read every record of the exported types. AuditEvents are written by the server only. A search across " +
			"every type needs a wildcard scope; a restricted caller names the types with _type; type and system history omit " +
			"Bundle.total for restricted callers. Patients and proxies read what their online access opens (the practice's " +
			"record access level, prospective access, a high identity proof, a proxy's grant per service) and never an entry " +
			"labelled NOPAT, coded for enhanced review or not yet filed from the inbox: others answer 404; their searchsets carry " +
			"no total, and _summary=count, _has and chained parameters are refused to them.",
	}
}

// searchParams lists the search parameters searchable on typ: every
// supported official parameter of the type and of Resource/DomainResource.
func searchParams(typ string) []any {
	var out []any
	for _, p := range search.Params(typ) {
		if p.Supported() || p.Code == "_id" {
			out = append(out, map[string]any{"name": p.Code, "type": p.Type, "definition": p.URL})
		}
	}
	return out
}
