package service_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// TestSearchAll: every match over every page, each once; more pages than
// allowed is an error, not a list cut short.
func TestSearchAll(t *testing.T) {
	for _, o := range storetest.Openers() {
		t.Run(o.Name, func(t *testing.T) {
			svc := service.New(o.Open(t), service.Options{BaseURL: "http://gp.example/fhir"})
			ctx := context.Background()
			for range 7 {
				if _, err := svc.Create(ctx, "Observation", fhir.Resource{"resourceType": "Observation", "status": "final", "code": map[string]any{"text": "Weight"}}, ""); err != nil {
					t.Fatal(err)
				}
			}
			req := service.SearchRequest{Type: "Observation", Params: url.Values{"_count": {"3"}}}
			all, err := svc.SearchAll(ctx, req, 10)
			seen := map[string]bool{}
			for _, r := range all {
				seen[r.ID()] = true
			}
			if err != nil || len(all) != 7 || len(seen) != 7 {
				t.Errorf("SearchAll: %d matches, %d different, %v; want 7", len(all), len(seen), err)
			}
			if req.Params.Get("_offset") != "" {
				t.Error("SearchAll changed the request's parameters")
			}
			if _, err := svc.SearchAll(ctx, req, 2); err == nil {
				t.Error("three pages read as two without an error")
			}
		})
	}
}
