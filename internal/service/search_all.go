package service

import (
	"context"
	"fmt"
	"net/url"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// SearchAll runs a search as the caller and follows its pages, returning
// every match: for a reader that must not leave one off (a patient's
// medicines for the safety checks, a month's claim). More than maxPages
// pages is an error rather than a silent cut.
func (s *Service) SearchAll(ctx context.Context, req SearchRequest, maxPages int) ([]fhir.Resource, error) {
	params := cloneValues(req.Params)
	var out []fhir.Resource
	for page := 0; page < maxPages; page++ {
		req.Params = params
		res, err := s.Search(ctx, req)
		if err != nil {
			return nil, err
		}
		out = append(out, Matches(res.Resource)...)
		next := NextPage(res.Resource)
		if next == nil || next.Get("_offset") == "" {
			if res.More && next == nil && !req.FirstPageOnly {
				// The last page of a list cut short (its outcome says so).
				return nil, fmt.Errorf("the search of %s stops after %d matches, though more match: narrow it", req.Type, len(out))
			}
			return out, nil
		}
		params.Set("_search", next.Get("_search"))
		params.Set("_offset", next.Get("_offset"))
	}
	return nil, fmt.Errorf("more than %d pages of %s", maxPages, req.Type)
}

// NextPage is the query of a Bundle's next link (a searchset's or a
// history's), nil on the last page.
func NextPage(bundle fhir.Resource) url.Values {
	links, _ := bundle["link"].([]any)
	for _, l := range links {
		m, _ := l.(map[string]any)
		if m["relation"] != "next" {
			continue
		}
		s, _ := m["url"].(string)
		u, err := url.Parse(s)
		if err != nil {
			return nil
		}
		return u.Query()
	}
	return nil
}
