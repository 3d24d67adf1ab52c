package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// The terminology operations (FHIR terminology-service.html): GET with
// the parameters in the query, or POST with a Parameters resource (a
// ValueSet to expand or validate against in its valueSet parameter).

// termOperations are the routes' operations with their definitions, for
// the CapabilityStatement (under their resource types only).
var termOperations = map[string][][2]string{
	"CodeSystem": {{"lookup", "http://hl7.org/fhir/OperationDefinition/CodeSystem-lookup"}, {"subsumes", "http://hl7.org/fhir/OperationDefinition/CodeSystem-subsumes"}},
	"ValueSet":   {{"expand", "http://hl7.org/fhir/OperationDefinition/ValueSet-expand"}, {"validate-code", "http://hl7.org/fhir/OperationDefinition/ValueSet-validate-code"}},
}

func (a *API) termRoutes() []route {
	var out []route
	ops := map[string]func(ctx context.Context, p url.Values, vs fhir.Resource) (service.Outcome, error){
		"lookup": func(ctx context.Context, p url.Values, _ fhir.Resource) (service.Outcome, error) {
			return a.svc.Lookup(ctx, p)
		},
		"subsumes": func(ctx context.Context, p url.Values, _ fhir.Resource) (service.Outcome, error) {
			return a.svc.Subsumes(ctx, p)
		},
		"expand":        a.svc.Expand,
		"validate-code": a.svc.ValidateCode,
	}
	for _, typ := range []string{"CodeSystem", "ValueSet"} {
		for _, op := range termOperations[typ] {
			run := ops[op[0]]
			h := func(w http.ResponseWriter, r *http.Request) { a.termOperation(w, r, run) }
			out = append(out,
				route{"GET /fhir/" + typ + "/$" + op[0], "", "", h},
				route{"POST /fhir/" + typ + "/$" + op[0], "", "", h})
		}
	}
	return out
}

func (a *API) termOperation(w http.ResponseWriter, r *http.Request, run func(context.Context, url.Values, fhir.Resource) (service.Outcome, error)) {
	p := r.URL.Query()
	var vs fhir.Resource
	if r.Method == http.MethodPost {
		body, err := a.readResource(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if body.Type() != "Parameters" {
			writeError(w, r, fhir.Errorf(http.StatusBadRequest, fhir.CodeInvalid, "the body of a terminology operation is a Parameters resource, not %s", body.Type()))
			return
		}
		vs = parametersToValues(body, p)
	}
	out, err := run(r.Context(), p, vs)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeResourceValue(w, r, http.StatusOK, out.Resource)
}

// parametersToValues adds a Parameters resource's primitive values to p
// (a Coding as system|code) and returns its valueSet resource, if any.
func parametersToValues(body fhir.Resource, p url.Values) fhir.Resource {
	var vs fhir.Resource
	params, _ := body["parameter"].([]any)
	for _, x := range params {
		m, _ := x.(map[string]any)
		name, _ := m["name"].(string)
		if res, ok := m["resource"].(map[string]any); ok && name == "valueSet" {
			vs = res
			continue
		}
		for k, v := range m {
			if len(k) <= 5 || k[:5] != "value" {
				continue
			}
			switch v := v.(type) {
			case string:
				p.Add(name, v)
			case bool, float64:
				p.Add(name, fmt.Sprint(v))
			case map[string]any:
				if k == "valueCoding" {
					sys, _ := v["system"].(string)
					code, _ := v["code"].(string)
					p.Add(name, sys+"|"+code)
					if d, ok := v["display"].(string); ok && p.Get("display") == "" {
						p.Set("display", d)
					}
				}
			}
		}
	}
	return vs
}
