package service

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/gpcloud/gpcloud/internal/audit"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
	"github.com/gpcloud/gpcloud/internal/fhir/search"
)

// Everything answers Patient/{id}/$everything: the patient and every
// resource in its compartment (the official Patient CompartmentDefinition),
// page by page, each page with the resources its entries reference (mode
// include: practitioners, organisations, medications...). _type narrows
// the types, _since keeps resources updated since an instant, _count sets
// the page size.
func (s *Service) Everything(ctx context.Context, id string, params url.Values) (Outcome, error) {
	if _, err := s.Read(ctx, "Patient", id); err != nil {
		return Outcome{}, err
	}
	paramsByType := map[string][]string{}
	for _, t := range definitions.ResourceTypes() {
		if ps := definitions.PatientCompartment(t); len(ps) > 0 && t != "Patient" && t != auditEventType {
			paramsByType[t] = ps
		}
	}
	types := []string{"Patient"}
	for t := range paramsByType {
		types = append(types, t)
	}
	if v := params.Get("_type"); v != "" {
		types = nil
		for _, t := range strings.Split(v, ",") {
			if _, ok := paramsByType[t]; !ok && t != "Patient" {
				return Outcome{}, fhir.Errorf(http.StatusBadRequest, fhir.CodeValue, "_type: %q is not a type in the Patient compartment", t)
			}
			types = append(types, t)
		}
	}
	if types = callerReadable(ctx, types); len(types) == 0 {
		// No types would mean every type to the store.
		return Outcome{}, fhir.Errorf(http.StatusForbidden, fhir.CodeForbidden, "the access token's scopes allow reading none of the types asked for")
	}
	sort.Strings(types)
	count := DefaultSearchCount
	if v := params.Get("_count"); v != "" {
		var err error
		if count, err = search.ParseCount(v, MaxSearchCount); err != nil {
			return Outcome{}, err
		}
	}
	q := &search.Query{
		Types:       types,
		Count:       count,
		Compartment: &search.Compartment{Type: "Patient", ID: id, ParamsByType: paramsByType},
		Include:     []search.Include{{SourceType: "*"}},
	}
	if v := params.Get("_since"); v != "" {
		since, err := ParseInstantParam("_since", v, false)
		if err != nil {
			return Outcome{}, err
		}
		micros := since.UnixMicro()
		q.Filters = append(q.Filters, &search.Filter{Param: search.Lookup("Patient", "_lastUpdated"),
			Values: []search.Value{{Prefix: "ge", Lo: micros, Hi: micros}}})
	}
	audit.SawPatient(ctx, id)
	req := SearchRequest{Params: params, path: "/Patient/" + id + "/$everything"}
	return s.searchset(ctx, req, q, url.Values{}, nil)
}
