package service_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store/sqlstore"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// TestSearchPastTheCut, with stored lists cut at 4 of 9 matches: paged in
// the default order, every match comes, the pages handing over at the
// cut; with _sort the last page carries a too-costly warning saying the
// pages stop there, and SearchAll refuses such a search rather than
// return it cut short.
func TestSearchPastTheCut(t *testing.T) {
	old := sqlstore.MaxStoredResults
	sqlstore.MaxStoredResults = 4
	defer func() { sqlstore.MaxStoredResults = old }()
	for _, o := range storetest.Openers() {
		t.Run(o.Name, func(t *testing.T) {
			svc := service.New(o.Open(t), service.Options{BaseURL: "http://gp.example/fhir"})
			ctx := context.Background()
			for range 9 {
				if _, err := svc.Create(ctx, "Observation", fhir.Resource{"resourceType": "Observation", "status": "final", "code": map[string]any{"text": "Weight"}, "effectiveDateTime": "2024-01-02"}, ""); err != nil {
					t.Fatal(err)
				}
			}
			all, err := svc.SearchAll(ctx, service.SearchRequest{Type: "Observation", Params: url.Values{"status": {"final"}, "_count": {"2"}}}, 20)
			if err != nil || len(all) != 9 {
				t.Errorf("default order: %d of 9, %v", len(all), err)
			}
			sorted := url.Values{"status": {"final"}, "_count": {"2"}, "_sort": {"date"}}
			if _, err := svc.SearchAll(ctx, service.SearchRequest{Type: "Observation", Params: sorted}, 20); err == nil || !strings.Contains(err.Error(), "stops after 4") {
				t.Errorf("SearchAll of a search cut short: %v, want an error", err)
			}
			params := sorted
			var warned bool
			for range 20 {
				out, err := svc.Search(ctx, service.SearchRequest{Type: "Observation", Params: params})
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range out.Resource["entry"].([]any) {
					em := e.(map[string]any)
					if em["search"].(map[string]any)["mode"] == "outcome" {
						issue := em["resource"].(fhir.Resource)["issue"].([]any)[0].(map[string]any)
						warned = issue["code"] == fhir.CodeTooCostly && issue["severity"] == "warning" && strings.Contains(issue["diagnostics"].(string), "after 4 matches")
					}
				}
				next := service.NextPage(out.Resource)
				if next == nil {
					if !out.More {
						t.Error("the cut page says no more match")
					}
					break
				}
				params = cloneParams(sorted, next)
			}
			if !warned {
				t.Error("the last page of the sorted search carries no too-costly warning")
			}
		})
	}
}

func cloneParams(base, next url.Values) url.Values {
	out := url.Values{}
	for k, v := range base {
		out[k] = v
	}
	out.Set("_search", next.Get("_search"))
	out.Set("_offset", next.Get("_offset"))
	return out
}
