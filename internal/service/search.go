package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gpcloud/gpcloud/internal/audit"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
	"github.com/gpcloud/gpcloud/internal/fhir/elements"
	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Search page sizes.
const (
	DefaultSearchCount = 50
	MaxSearchCount     = 1000
)

// SearchRequest is a search at type level (Type set), system level (Type
// empty; _type selects types) or in a compartment (CompartmentType/ID).
type SearchRequest struct {
	Type   string
	Params url.Values
	// Strict is Prefer: handling=strict: unknown parameters are errors.
	Strict                         bool
	CompartmentType, CompartmentID string
	// FirstPageOnly: the caller (a page of the workspace) reads the first
	// page and no other; no result list is kept for a next link.
	FirstPageOnly bool
	// path overrides the links' path below the base (operations).
	path string
	// matchedElsewhere, when set, reports includes that are matches of
	// the same search (on this page or another): they are left out of the
	// includes, so that a paged operation ($everything) lists each
	// resource once.
	matchedElsewhere func(store.Version) bool
}

// Search runs a search and returns a searchset Bundle: one page of
// matches (search.mode match), what _include/_revinclude reach (mode
// include), paging links and, when known or asked for, the total.
func (s *Service) Search(ctx context.Context, req SearchRequest) (Outcome, error) {
	types, err := searchTypes(req)
	if err != nil {
		return Outcome{}, err
	}
	params := req.Params
	if err := checkNamesOnlySearch(ctx, types, params); err != nil {
		return Outcome{}, err
	}
	if err := checkRedactedSearch(ctx, types, params); err != nil {
		return Outcome{}, err
	}
	if err := checkWithheldSearch(ctx, params); err != nil {
		return Outcome{}, err
	}
	if err := checkPatientAuditSearch(ctx, types, params); err != nil {
		return Outcome{}, err
	}
	countOnly := params.Get("_summary") == "count"
	if countOnly {
		// _summary=count: the total and no entries.
		params = cloneValues(params)
		params.Del("_summary")
		params.Set("_count", "0")
		params.Set("_total", "accurate")
	}
	q, ignored, err := search.Parse(types, params, search.ParseOptions{BaseURL: s.baseURL, DefaultCount: DefaultSearchCount, MaxCount: MaxSearchCount})
	if err != nil {
		return Outcome{}, err
	}
	if len(ignored) > 0 && req.Strict {
		issues := make([]fhir.Issue, len(ignored))
		for i, ig := range ignored {
			issues[i] = fhir.Issue{Severity: fhir.SeverityError, Code: fhir.CodeNotSupported, Diagnostics: ig.Name + ": " + ig.Reason, Expression: []string{ig.Name}}
		}
		return Outcome{}, &fhir.Error{Status: http.StatusBadRequest, Issues: issues}
	}
	if err := s.resolveTerminology(ctx, q.Filters); err != nil {
		return Outcome{}, err
	}
	if req.CompartmentType != "" {
		if err := s.compartment(ctx, q, req); err != nil {
			return Outcome{}, err
		}
	}
	if err := restrictToCaller(ctx, q); err != nil {
		return Outcome{}, err
	}
	return s.searchset(ctx, req, q, params, ignored)
}

// searchset runs a parsed query and builds the Bundle: the page asked for
// (_search, _offset), what includes reach, links and total.
func (s *Service) searchset(ctx context.Context, req SearchRequest, q *search.Query, params url.Values, ignored []search.Ignored) (Outcome, error) {
	var err error
	page := store.PageRequest{SearchID: req.Params.Get("_search"), FirstOnly: req.FirstPageOnly && req.Params.Get("_search") == ""}
	if v := req.Params.Get("_offset"); v != "" {
		if page.Offset, err = strconv.Atoi(v); err != nil || page.Offset < 0 {
			return Outcome{}, fhir.Errorf(http.StatusBadRequest, fhir.CodeValue, "_offset must be a non-negative integer")
		}
	}
	result, err := s.store.Search(ctx, q, page)
	if errors.Is(err, store.ErrSearchExpired) {
		return Outcome{}, fhir.Errorf(http.StatusGone, fhir.CodeNotFound, "the results of this search have expired; search again")
	}
	if err != nil {
		return Outcome{}, mapStoreError(err)
	}
	// Matches withheld from a patient or proxy are left out before
	// anything is included from them (includes are judged themselves, by
	// seesVersion), and are not audited as seen: their own audit trail,
	// which they may read, must not name them. The page's links stay the
	// store's.
	matches := result.Matches
	if patientFacing(ctx) {
		matches = slices.DeleteFunc(slices.Clone(matches), func(v store.Version) bool { return withheld(ctx, v) })
		// Entries their online access does not open are left out too
		// (patient_access.go), and a Binary is judged by the entry it
		// stands for (seesBinary: a withheld or redacted one), which the
		// search's SQL does not read.
		if matches, err = s.openMatches(ctx, matches); err != nil {
			return Outcome{}, err
		}
	}
	// Included resources are not bound by the search's access condition:
	// each is checked on its own, at every step, so that :iterate never
	// goes on from a resource the caller may not see.
	included, err := s.store.Included(ctx, q, matches, func(vs []store.Version) ([]store.Version, error) {
		return s.filterVisible(ctx, vs)
	})
	if err != nil {
		return Outcome{}, mapStoreError(err)
	}
	if req.matchedElsewhere != nil {
		included = slices.DeleteFunc(included, req.matchedElsewhere)
	}
	shape, err := subsetter(params)
	if err != nil {
		return Outcome{}, err
	}
	s.seen(ctx, matches...)
	s.seen(ctx, included...)
	// Bundles hold their entries whole: Binary data goes back in.
	if err := expandAll(ctx, s.store, matches); err != nil {
		return Outcome{}, mapStoreError(err)
	}
	if err := expandAll(ctx, s.store, included); err != nil {
		return Outcome{}, mapStoreError(err)
	}
	entries := make([]any, 0, len(matches)+len(included)+1)
	for _, v := range viewed(ctx, matches) {
		entries = append(entries, s.searchEntry(v, "match", shape))
	}
	for _, v := range viewed(ctx, included) {
		entries = append(entries, s.searchEntry(v, "include", shape))
	}
	if len(ignored) > 0 {
		var diags []string
		for _, ig := range ignored {
			diags = append(diags, ig.Name+": "+ig.Reason)
		}
		entries = append(entries, map[string]any{
			"resource": fhir.OperationOutcome([]fhir.Issue{{Severity: fhir.SeverityWarning, Code: fhir.CodeNotSupported,
				Diagnostics: "ignored parameters: " + strings.Join(diags, "; ")}}),
			"search": map[string]any{"mode": "outcome"},
		})
	}
	if result.CutAt > 0 {
		entries = append(entries, map[string]any{
			"resource": fhir.OperationOutcome([]fhir.Issue{{Severity: fhir.SeverityWarning, Code: fhir.CodeTooCostly,
				Diagnostics: fmt.Sprintf("the pages stop here, after %d matches, though more match: a search with _sort pages through at most %d; "+
					"narrow it, page it in the default order, or export it ($export with _typeFilter)", result.CutAt, result.CutAt)}}),
			"search": map[string]any{"mode": "outcome"},
		})
	}
	bundle := fhir.Resource{
		"resourceType": "Bundle",
		"id":           newID(),
		"type":         "searchset",
		"link":         s.searchLinks(req, q, ignored, page, result),
		"entry":        entries,
	}
	// A patient-facing total would count what is withheld: none.
	if result.Total >= 0 && q.Total != "none" && !patientFacing(ctx) {
		bundle["total"] = result.Total
	}
	return Outcome{Status: http.StatusOK, Resource: bundle, More: result.HasMore || result.CutAt > 0}, nil
}

func searchTypes(req SearchRequest) ([]string, error) {
	if req.Type != "" {
		if err := checkType(req.Type); err != nil {
			return nil, err
		}
		return []string{req.Type}, nil
	}
	var types []string
	for _, v := range req.Params["_type"] {
		for _, t := range strings.Split(v, ",") {
			if !definitions.IsResourceType(t) {
				return nil, fhir.Errorf(http.StatusBadRequest, fhir.CodeValue, "_type: %q is not a resource type", t)
			}
			types = append(types, t)
		}
	}
	return types, nil
}

// compartment restricts q to Type/ID's compartment (only Patient has an
// R4 CompartmentDefinition gpcloud carries).
func (s *Service) compartment(ctx context.Context, q *search.Query, req SearchRequest) error {
	if req.CompartmentType != "Patient" {
		return fhir.Errorf(http.StatusNotFound, fhir.CodeNotSupported, "compartment %s is not supported (only Patient)", req.CompartmentType)
	}
	if err := checkID(req.CompartmentID); err != nil {
		return fhir.Errorf(http.StatusNotFound, fhir.CodeNotFound, "invalid id %q", req.CompartmentID)
	}
	params := definitions.PatientCompartment(req.Type)
	if len(params) == 0 {
		return fhir.Errorf(http.StatusBadRequest, fhir.CodeNotSupported, "%s is not in the Patient compartment", req.Type)
	}
	if req.Type == "Patient" {
		// The patient is in its own compartment (as itself).
		q.Filters = append(q.Filters, &search.Filter{Param: search.Lookup("Patient", "_id"), Values: []search.Value{{Code: req.CompartmentID}}})
		return nil
	}
	q.Compartment = &search.Compartment{Type: "Patient", ID: req.CompartmentID, Params: params}
	audit.SawPatient(ctx, req.CompartmentID)
	return nil
}

// subsetter applies _summary and _elements to each entry's resource.
func subsetter(params url.Values) (func(fhir.Resource) fhir.Resource, error) {
	summary, elems := params.Get("_summary"), params.Get("_elements")
	if summary == "" && elems == "" {
		return nil, nil
	}
	if summary != "" {
		mode, err := elements.ParseSummary(summary)
		if err != nil {
			return nil, fhir.Errorf(http.StatusBadRequest, fhir.CodeValue, "%v", err)
		}
		return func(r fhir.Resource) fhir.Resource { return elements.Summary(r, mode) }, nil
	}
	names := strings.Split(elems, ",")
	return func(r fhir.Resource) fhir.Resource { return elements.Select(r, names) }, nil
}

func (s *Service) searchEntry(v store.Version, mode string, shape func(fhir.Resource) fhir.Resource) map[string]any {
	var res any = json.RawMessage(v.Body)
	if shape != nil {
		if r, err := fhir.Unmarshal(v.Body); err == nil {
			res = shape(r)
		}
	}
	search := map[string]any{"mode": mode}
	if mode == "match" {
		search["score"] = 1
	}
	return map[string]any{"fullUrl": s.baseURL + "/" + v.Type + "/" + v.ID, "resource": res, "search": search}
}

// searchLinks builds self, next and previous. The self link lists the
// parameters applied (ignored ones are left out); next and previous add
// the stored search's id and offset.
func (s *Service) searchLinks(req SearchRequest, q *search.Query, ignored []search.Ignored, page store.PageRequest, result store.SearchPage) []any {
	base := s.baseURL
	switch {
	case req.path != "":
		base += req.path
	case req.CompartmentType != "":
		base += "/" + req.CompartmentType + "/" + req.CompartmentID + "/" + req.Type
	case req.Type != "":
		base += "/" + req.Type
	}
	applied := url.Values{}
	skip := map[string]bool{"_search": true, "_offset": true}
	for _, ig := range ignored {
		skip[ig.Name] = true
	}
	for k, v := range req.Params {
		if !skip[k] {
			applied[k] = v
		}
	}
	link := func(rel string, extra url.Values) map[string]any {
		vals := url.Values{}
		for k, v := range applied {
			vals[k] = v
		}
		for k, v := range extra {
			vals[k] = v
		}
		u := base
		if enc := vals.Encode(); enc != "" {
			u += "?" + enc
		}
		return map[string]any{"relation": rel, "url": u}
	}
	var selfExtra url.Values
	if page.SearchID != "" {
		selfExtra = url.Values{"_search": {page.SearchID}, "_offset": {strconv.Itoa(page.Offset)}}
	}
	links := []any{link("self", selfExtra)}
	if result.SearchID != "" && result.HasMore {
		links = append(links, link("next", url.Values{"_search": {result.SearchID}, "_offset": {strconv.Itoa(page.Offset + q.Count)}}))
	}
	switch {
	case result.Keyed && result.PreviousID != "":
		links = append(links, link("previous", url.Values{"_search": {result.PreviousID}, "_offset": {strconv.Itoa(max(0, page.Offset-q.Count))}}))
	case !result.Keyed && result.SearchID != "" && page.Offset > 0:
		links = append(links, link("previous", url.Values{"_search": {result.SearchID}, "_offset": {strconv.Itoa(max(0, page.Offset-q.Count))}}))
	}
	return links
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// Matches reads the matching resources of a searchset Bundle the service
// returned (includes and OperationOutcomes left out): what a page or a
// facade built on the service wants from a search.
func Matches(b fhir.Resource) []fhir.Resource {
	var out []fhir.Resource
	entries, _ := b["entry"].([]any)
	for _, e := range entries {
		em, _ := e.(map[string]any)
		if s, _ := em["search"].(map[string]any); s["mode"] != "match" {
			continue
		}
		switch res := em["resource"].(type) {
		case map[string]any:
			out = append(out, res)
		case fhir.Resource:
			out = append(out, res)
		case json.RawMessage:
			if r, err := fhir.Unmarshal(res); err == nil {
				out = append(out, r)
			}
		}
	}
	return out
}

// Total reads a searchset Bundle's total (an int as the service builds
// it, a number when the Bundle was decoded from JSON); -1 when it has
// none.
func Total(b fhir.Resource) int {
	switch t := b["total"].(type) {
	case int:
		return t
	case float64:
		return int(t)
	case json.Number:
		if n, err := t.Int64(); err == nil {
			return int(n)
		}
	}
	return -1
}
