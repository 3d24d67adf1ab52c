package service

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/audit"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Everything answers Patient/{id}/$everything: the patient and every
// resource in its compartment (the official Patient CompartmentDefinition),
// page by page, each page with the resources its entries reference (mode
// include: practitioners, organisations, medications...). _type narrows
// the types, _since keeps resources updated since an instant, _count sets
// the page size.
//
// Each resource of the compartment is a match, on its own page of the
// stored result list; a page includes only what lies outside that list
// (reference data, another patient's records, types _type left out), so
// that paging through the whole answer meets every resource once. A
// practitioner referenced from several pages is included on each of them
// (once per page): each page stands on its own.
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
	var since time.Time
	if v := params.Get("_since"); v != "" {
		var err error
		if since, err = ParseInstantParam("_since", v, false); err != nil {
			return Outcome{}, err
		}
		micros := since.UnixMicro()
		q.Filters = append(q.Filters, &search.Filter{Param: search.Lookup("Patient", "_lastUpdated"),
			Values: []search.Value{{Prefix: "ge", Lo: micros, Hi: micros}}})
	}
	audit.SawPatient(ctx, id)
	req := SearchRequest{Params: params, path: "/Patient/" + id + "/$everything",
		matchedElsewhere: func(v store.Version) bool { return inEverything(v, id, types, paramsByType, since) }}
	return s.searchset(ctx, req, q, url.Values{}, nil)
}

// inEverything reports whether a resource is one of the matches of the
// patient's $everything: of a type asked for, in the patient's
// compartment (the patient itself, or a record referring to them through
// the compartment's parameters, as the search's SQL decides), and
// changed since the _since instant.
func inEverything(v store.Version, patient string, types []string, paramsByType map[string][]string, since time.Time) bool {
	if v.Deleted || !slices.Contains(types, v.Type) || v.LastUpdated.Before(since) {
		return false
	}
	if v.Type == "Patient" {
		return v.ID == patient
	}
	res, err := fhir.Unmarshal(v.Body)
	if err != nil {
		return false
	}
	return slices.Contains(search.ReferencesTo(res, paramsByType[v.Type], "Patient"), patient)
}
