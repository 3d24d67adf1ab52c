package storetest

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/store"
)

// testSearchPagingContinued: a search in the default order led by an index
// may name its first page's last match instead of a stored list; paging on
// from it neither repeats nor misses a resource, whatever is written
// between the pages, and the link serves no other caller or search.
func testSearchPagingContinued(t *testing.T, s store.Store) {
	ctx := context.Background()
	other := search.TokenValue{Param: "gender", Code: "other"}
	var ws []store.Write
	for i := 0; i < 25; i++ {
		ws = append(ws, write("Patient", "pg"+string(rune('a'+i)), 1, i, other))
	}
	ws = append(ws, write("Patient", "pq", 1, 30, search.TokenValue{Param: "gender", Code: "male"}))
	put(t, s, ws...)
	parse := func(query string) *search.Query {
		t.Helper()
		params, _ := url.ParseQuery(query)
		q, _, err := search.Parse([]string{"Patient"}, params, search.ParseOptions{DefaultCount: 10, MaxCount: 100})
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	q := parse("gender=other&_count=10")
	first, err := s.Search(ctx, q, store.PageRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if first.Total != 25 || !first.HasMore || first.SearchID == "" || len(first.Matches) != 10 {
		t.Fatalf("first page: total %d, more %v, id %q, %d matches", first.Total, first.HasMore, first.SearchID, len(first.Matches))
	}
	var shown []string
	for _, v := range first.Matches {
		shown = append(shown, v.ID)
	}
	if want := []string{"pga", "pgb", "pgc", "pgd", "pge", "pgf", "pgg", "pgh", "pgi", "pgj"}; !slices.Equal(shown, want) {
		t.Fatalf("first page %v, want %v", shown, want)
	}

	// Between the pages: two matches created (after the page's last in
	// the order, which is the order the store first named resources in,
	// however their ids sort: pgaa among them), one deleted from the page
	// shown and one from those not yet shown, one that stops matching.
	del := func(id string) store.Write {
		w := write("Patient", id, 2, 101)
		w.Deleted, w.Method = true, "DELETE"
		return w
	}
	put(t, s, write("Patient", "pgaa", 1, 100, other), write("Patient", "pgz", 1, 100, other), del("pgb"), del("pgm"),
		write("Patient", "pgo", 2, 102, search.TokenValue{Param: "gender", Code: "female"}))

	for _, bad := range []struct {
		name string
		q    *search.Query
		id   string
	}{
		{"another caller's", func() *search.Query {
			r := *q
			r.Access = &search.Access{Patients: []string{"pga"}}
			r.AccessKey = r.Access.Key()
			return &r
		}(), first.SearchID},
		{"a sorted search's", parse("gender=other&_count=10&_sort=-_id"), first.SearchID},
		{"a mangled", q, first.SearchID[:len(first.SearchID)-2] + "zz"},
		{"a truncated", q, first.SearchID[:5]},
	} {
		if _, err := s.Search(ctx, bad.q, store.PageRequest{SearchID: bad.id, Offset: 10}); !errors.Is(err, store.ErrSearchExpired) {
			t.Errorf("%s link: %v, want ErrSearchExpired", bad.name, err)
		}
	}

	id := first.SearchID
	var later []string
	for offset := 10; ; offset += 10 {
		page, err := s.Search(ctx, q, store.PageRequest{SearchID: id, Offset: offset})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Matches {
			later = append(later, v.ID)
		}
		if !page.HasMore {
			break
		}
		id = page.SearchID
	}
	want := []string{"pgk", "pgl", "pgn", "pgp", "pgq", "pgr", "pgs", "pgt", "pgu", "pgv", "pgw", "pgx", "pgy", "pgaa", "pgz"}
	if !slices.Equal(later, want) {
		t.Errorf("the pages after the first: %v, want %v", later, want)
	}
	// Back towards the first page through the stored list: what matches
	// now, up to the first page's last and on. With pgb deleted and
	// nothing created before the first page's last, those are nine, so
	// the list starts at its second position (the matches after the
	// token stay where the first page's links put them).
	back, err := s.Search(ctx, q, store.PageRequest{SearchID: id, Offset: 1})
	if err != nil {
		t.Fatal(err)
	}
	var again []string
	for _, v := range back.Matches {
		again = append(again, v.ID)
	}
	if want := []string{"pga", "pgc", "pgd", "pge", "pgf", "pgg", "pgh", "pgi", "pgj", "pgk"}; !slices.Equal(again, want) {
		t.Errorf("the first page again %v, want %v", again, want)
	}
}
