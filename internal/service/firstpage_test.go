package service

import (
	"context"
	"net/url"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// TestFirstPageOnly: a search for the first page only returns that page,
// says more match, and keeps no result list (no next link), on both
// stores; one that fits on its page says no more.
func TestFirstPageOnly(t *testing.T) {
	for name, open := range map[string]func(testing.TB) store.Store{"sqlite": storetest.OpenSQLite, "postgres": storetest.OpenPostgres} {
		t.Run(name, func(t *testing.T) {
			s := New(open(t), Options{BaseURL: "http://gp.example/fhir"})
			ctx := context.Background()
			for i := 0; i < 7; i++ {
				if _, err := s.Create(ctx, "Basic", fhir.Resource{"resourceType": "Basic", "code": map[string]any{"text": "x"}}, ""); err != nil {
					t.Fatal(err)
				}
			}
			for _, tc := range []struct {
				count string
				n     int
				more  bool
			}{{"3", 3, true}, {"7", 7, false}, {"10", 7, false}} {
				out, err := s.Search(ctx, SearchRequest{Type: "Basic", Params: url.Values{"_count": {tc.count}}, FirstPageOnly: true})
				if err != nil {
					t.Fatal(err)
				}
				if got := len(Matches(out.Resource)); got != tc.n || out.More != tc.more {
					t.Errorf("_count=%s: %d matches, more %v; want %d, %v", tc.count, got, out.More, tc.n, tc.more)
				}
				links, _ := out.Resource["link"].([]any)
				for _, l := range links {
					if l.(map[string]any)["relation"] == "next" {
						t.Errorf("_count=%s: a next link for a first page only", tc.count)
					}
				}
			}
			// A paged search still keeps its list.
			out, err := s.Search(ctx, SearchRequest{Type: "Basic", Params: url.Values{"_count": {"3"}}})
			if err != nil {
				t.Fatal(err)
			}
			if !out.More || Total(out.Resource) != 7 {
				t.Errorf("paged search: more %v total %d, want true 7", out.More, Total(out.Resource))
			}
		})
	}
}
