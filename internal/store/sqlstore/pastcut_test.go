package sqlstore_test

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/sqlstore"
)

// TestStoredListPastTheCut: a client paging a search in the default order
// through stored lists, as the service's links do (the offset grows by
// the page size), meets every match in order, however far past
// MaxStoredResults: the last page of a list cut there hands over to the
// matches after it, with a previous link back into the list, and the
// list past the cut refuses a page before its start as gone. A search
// with _sort still stops at the cut. On SQLite and PostgreSQL, the cut
// lowered to 5.
func TestStoredListPastTheCut(t *testing.T) {
	withStreamDocsCutAt(t, 5, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		for _, c := range []struct {
			name   string
			params url.Values
			want   int // matches in all
			total  int // each page's total: -1 when not counted
			sorted bool
		}{
			{"led by an index", url.Values{"category": {"laboratory"}, "_count": {"2"}}, 26, -1, false},
			{"total asked", url.Values{"category": {"laboratory"}, "_count": {"2"}, "_total": {"accurate"}}, 26, 26, false},
			{"pages of the cut's size", url.Values{"category": {"laboratory"}, "_count": {"5"}}, 26, -1, false},
			{"no filter", url.Values{"_count": {"3"}}, 60, -1, false},
			{"two filters", url.Values{"category": {"laboratory"}, "code": {"2339-0"}, "_count": {"2"}}, 13, -1, false},
			{"_sort stops at the cut", url.Values{"category": {"laboratory"}, "_count": {"2"}, "_sort": {"-date"}}, 5, -1, true},
		} {
			t.Run(c.name, func(t *testing.T) {
				q, _, err := search.Parse([]string{"Observation"}, c.params, search.ParseOptions{DefaultCount: 50, MaxCount: 500})
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				var handedOver, handover store.PageRequest
				page := store.PageRequest{}
				for range 100 {
					res, err := st.Search(ctx, q, page)
					if err != nil {
						t.Fatalf("page at %d: %v", page.Offset, err)
					}
					ids = append(ids, versionIDs(res.Matches)...)
					if page.SearchID != "" && res.Total != c.total { // a later page
						t.Errorf("page at %d: total %d, want %d", page.Offset, res.Total, c.total)
					}
					if res.Keyed && res.HasMore && handover.SearchID == "" {
						handover = page
						if res.PreviousID != "" {
							// The previous link goes back into the list.
							prev, err := st.Search(ctx, q, store.PageRequest{SearchID: res.PreviousID, Offset: max(0, page.Offset-q.Count)})
							if err != nil || len(prev.Matches) != q.Count {
								t.Errorf("the handover's previous page: %d matches, %v", len(prev.Matches), err)
							}
						}
						handedOver = store.PageRequest{SearchID: res.SearchID, Offset: page.Offset + q.Count}
					}
					if !res.HasMore || res.SearchID == "" {
						if want := map[bool]int{true: sqlstore.MaxStoredResults}[c.sorted]; res.CutAt != want {
							t.Errorf("the last page's CutAt %d, want %d", res.CutAt, want)
						}
						break
					}
					page = store.PageRequest{SearchID: res.SearchID, Offset: page.Offset + q.Count}
				}
				if len(ids) != c.want {
					t.Fatalf("%d matches %v, want %d", len(ids), ids, c.want)
				}
				if !c.sorted && (!slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids)) {
					t.Fatalf("matches out of order or repeated: %v", ids)
				}
				if c.sorted || c.want <= sqlstore.MaxStoredResults {
					if handover.SearchID != "" {
						t.Errorf("handed over at %d", handover.Offset)
					}
					return
				}
				if handover.SearchID == "" {
					t.Fatal("no page handed over past the cut")
				}
				// The page after the handover, then a page before the
				// list past the cut begins: gone.
				after, err := st.Search(ctx, q, handedOver)
				if err != nil || len(after.Matches) == 0 {
					t.Fatalf("the page after the handover: %v, %v", after.Matches, err)
				}
				if after.SearchID != "" && !after.Keyed {
					_, err := st.Search(ctx, q, store.PageRequest{SearchID: after.SearchID, Offset: handedOver.Offset - q.Count})
					if !errors.Is(err, store.ErrSearchExpired) {
						t.Errorf("a page before the list past the cut: %v, want gone", err)
					}
				}
			})
		}
	})
}
