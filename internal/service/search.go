package service

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Search page sizes.
const (
	DefaultSearchCount = 50
	MaxSearchCount     = 1000
)

// Search is the basic type-level search that precedes the search engine:
// it supports the ConditionalParams (_id, identifier) and _count, returns
// one page of matches in id order, and reports more matches with an
// OperationOutcome entry rather than paging. Without parameters it lists
// the type's resources.
func (s *Service) Search(ctx context.Context, typ string, params url.Values) (Outcome, error) {
	if err := checkType(typ); err != nil {
		return Outcome{}, err
	}
	count := DefaultSearchCount
	if v := params.Get("_count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return Outcome{}, fhir.Errorf(http.StatusBadRequest, fhir.CodeValue, "_count must be a non-negative integer, got %q", v)
		}
		count = min(n, MaxSearchCount)
	}
	q, _, err := parseCriteria(typ, params)
	if err != nil {
		return Outcome{}, err
	}
	q.Limit = count + 1
	ids, err := s.store.Find(ctx, q)
	if err != nil {
		return Outcome{}, mapStoreError(err)
	}
	more := len(ids) > count
	if more {
		ids = ids[:count]
	}
	entries := make([]any, 0, len(ids)+1)
	for _, id := range ids {
		v, err := s.store.Read(ctx, typ, id)
		if err != nil {
			continue // deleted between Find and Read
		}
		entries = append(entries, map[string]any{
			"fullUrl":  s.baseURL + "/" + typ + "/" + id,
			"resource": json.RawMessage(v.Body),
			"search":   map[string]any{"mode": "match"},
		})
	}
	if more {
		entries = append(entries, map[string]any{
			"resource": fhir.OperationOutcome([]fhir.Issue{{Severity: fhir.SeverityWarning, Code: fhir.CodeTooCostly,
				Diagnostics: "more resources match than _count; paging is not supported by this basic search: narrow the query"}}),
			"search": map[string]any{"mode": "outcome"},
		})
	}
	self := s.baseURL + "/" + typ
	if enc := selfParams(params).Encode(); enc != "" {
		self += "?" + enc
	}
	return Outcome{Status: http.StatusOK, Resource: fhir.Resource{
		"resourceType": "Bundle",
		"id":           newID(),
		"type":         "searchset",
		"link":         []any{map[string]any{"relation": "self", "url": self}},
		"entry":        entries,
	}}, nil
}

// selfParams keeps the parameters that were applied, for the self link.
func selfParams(params url.Values) url.Values {
	out := url.Values{}
	for k, v := range params {
		if k == "_id" || k == "identifier" || k == "_count" {
			out[k] = v
		}
	}
	return out
}
