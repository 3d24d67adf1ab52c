package service

import (
	"net/url"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/store"
)

// TestSearchLinks: next and previous name a stored list's id at the
// offsets either side; a page read by key (a streamed search's later
// pages) names the page after it by SearchID and the page before it by
// PreviousID, and has no previous link without one, whatever its offset.
func TestSearchLinks(t *testing.T) {
	s := &Service{baseURL: "http://gp.example/fhir"}
	q := &search.Query{Count: 10}
	req := SearchRequest{Type: "Observation", Params: url.Values{"category": {"laboratory"}}}
	for _, tc := range []struct {
		name       string
		page       store.PageRequest
		result     store.SearchPage
		next, prev string // the _search of each link, "" for none
	}{
		{"first page, continued", store.PageRequest{}, store.SearchPage{SearchID: "c1.a", HasMore: true}, "c1.a", ""},
		{"stored list, middle", store.PageRequest{SearchID: "list", Offset: 20}, store.SearchPage{SearchID: "list", HasMore: true}, "list", "list"},
		{"stored list, last", store.PageRequest{SearchID: "list", Offset: 20}, store.SearchPage{SearchID: "list"}, "", "list"},
		{"keyed, middle", store.PageRequest{SearchID: "c1.a", Offset: 10}, store.SearchPage{Keyed: true, SearchID: "c1.b", HasMore: true, PreviousID: "b1.a"}, "c1.b", "b1.a"},
		{"keyed, last", store.PageRequest{SearchID: "c1.a", Offset: 10}, store.SearchPage{Keyed: true, PreviousID: "b1.a"}, "", "b1.a"},
		{"stored list cut, its last page hands over", store.PageRequest{SearchID: "list", Offset: 20}, store.SearchPage{Keyed: true, SearchID: "a1.z", HasMore: true, PreviousID: "list"}, "a1.z", "list"},
		{"keyed, read back to the first", store.PageRequest{SearchID: "b1.a", Offset: 10}, store.SearchPage{Keyed: true, SearchID: "c1.z", HasMore: true}, "c1.z", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]string{}
			for _, l := range s.searchLinks(req, q, nil, tc.page, tc.result) {
				m := l.(map[string]any)
				u, err := url.Parse(m["url"].(string))
				if err != nil {
					t.Fatal(err)
				}
				got[m["relation"].(string)] = u.Query().Get("_search")
			}
			if got["next"] != tc.next || got["previous"] != tc.prev {
				t.Errorf("next %q, previous %q; want %q, %q", got["next"], got["previous"], tc.next, tc.prev)
			}
		})
	}
}
