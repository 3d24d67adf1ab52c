package changefeed_test

import (
	"context"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/changefeed"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// TestFeed: the first scan only sets the checkpoint (what changed before
// is not announced); later scans pass every change since, of the type and
// the narrowing asked for, across pages; a failed handler leaves the
// checkpoint where it was, so the change is read again.
func TestFeed(t *testing.T) {
	for name, open := range map[string]func(testing.TB) store.Store{"sqlite": storetest.OpenSQLite, "postgres": storetest.OpenPostgres} {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			svc := service.New(st, service.Options{BaseURL: "http://gp.example/fhir"})
			ctx := context.Background()
			create := func(status string) string {
				out, err := svc.Create(ctx, "Basic", fhir.Resource{"resourceType": "Basic", "code": map[string]any{"text": status},
					"meta": map[string]any{"tag": []any{map[string]any{"system": "urn:test", "code": status}}}}, "")
				if err != nil {
					t.Fatal(err)
				}
				return out.Version.ID
			}
			feed := changefeed.Feed{Store: st, Service: svc, Kind: "test-feed", Type: "Basic", Params: map[string][]string{"_tag": {"urn:test|yes"}}}
			seen := map[string]int{}
			handle := func(r fhir.Resource) (int, error) { seen[r.ID()]++; return 1, nil }
			before := create("yes")
			if n, err := feed.Scan(ctx, time.Now(), handle); err != nil || n != 0 {
				t.Fatalf("first scan: %d %v", n, err)
			}
			var want []string
			for i := 0; i < 210; i++ { // more than a page
				want = append(want, create("yes"))
			}
			other := create("no")
			if _, err := feed.Scan(ctx, time.Now(), handle); err != nil {
				t.Fatal(err)
			}
			for _, id := range want {
				if seen[id] == 0 {
					t.Fatalf("Basic/%s changed after the checkpoint was not passed", id)
				}
			}
			if seen[other] != 0 {
				t.Error("a change outside the narrowing was passed")
			}
			if seen[before] != 0 && len(seen) > 0 && seen[before] > seen[want[0]] {
				t.Error("a change before the first scan was announced")
			}
			// A failing handler: the checkpoint stays, the change comes again.
			failed := create("yes")
			if _, err := feed.Scan(ctx, time.Now(), func(r fhir.Resource) (int, error) {
				if r.ID() == failed {
					return 0, context.DeadlineExceeded
				}
				return 0, nil
			}); err == nil {
				t.Fatal("the handler's error was not returned")
			}
			seen = map[string]int{}
			if _, err := feed.Scan(ctx, time.Now(), handle); err != nil || seen[failed] == 0 {
				t.Errorf("after a failure the change was not read again: %v", err)
			}
		})
	}
}
