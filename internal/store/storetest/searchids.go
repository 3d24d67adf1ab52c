package storetest

import (
	"context"
	"net/url"
	"sort"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/store"
)

// SearchIDs runs a search of typ through every page and returns the ids
// of its matches, sorted: what differential tests compare.
func SearchIDs(t *testing.T, st store.Store, typ string, params url.Values) []string {
	t.Helper()
	q, ignored, err := search.Parse([]string{typ}, params, search.ParseOptions{DefaultCount: 500, MaxCount: 500})
	if err != nil || len(ignored) > 0 {
		t.Fatalf("%s?%s: %v %v", typ, params.Encode(), err, ignored)
	}
	ids := []string{}
	page := store.PageRequest{}
	for {
		res, err := st.Search(context.Background(), q, page)
		if err != nil {
			t.Fatalf("%s?%s: %v", typ, params.Encode(), err)
		}
		for _, v := range res.Matches {
			ids = append(ids, v.ID)
		}
		if !res.HasMore || res.SearchID == "" {
			break
		}
		page = store.PageRequest{SearchID: res.SearchID, Offset: page.Offset + len(res.Matches)}
	}
	sort.Strings(ids)
	return ids
}
