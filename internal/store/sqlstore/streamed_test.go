package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/sqlstore"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// TestStreamedPageEitherWay: a first page streamed in id order
// (streamedPage) holds what the search led by its index holds, and the
// pages after it follow on alike; it leaves the total out unless asked.
// The bounds are lowered so that a page of 3 streams from 12 lead rows
// and walks at most 6 resources: 60 Observations, 40 laboratory (two in
// three, spread), 20 surveys (the last 20 ids: the walk finds none within
// its bound and the search is led by its index), on SQLite and PostgreSQL.
func TestStreamedPageEitherWay(t *testing.T) {
	const lab, survey = "http://terminology.hl7.org/CodeSystem/observation-category|laboratory", "http://terminology.hl7.org/CodeSystem/observation-category|survey"
	docs := streamDocs()
	for _, s := range []storetest.Named{{Name: "sqlite", Open: storetest.OpenSQLite}, {Name: "postgres", Open: storetest.OpenPostgres}} {
		t.Run(s.Name, func(t *testing.T) {
			st := s.Open(t)
			storetest.PutResources(t, st, docs...)
			restore := sqlstore.SetStreamRows(4, 2)
			defer restore()
			for _, c := range []struct {
				query    url.Values
				streamed bool
				total    int // the total the first page reports (-1: none)
				matches  int
				walk     int // resources walked per row of the page (0: 2)
			}{
				{url.Values{"category": {lab}, "_count": {"2"}}, true, -1, 26, 0},
				{url.Values{"category": {"laboratory"}, "_count": {"2"}}, true, -1, 26, 0},
				{url.Values{"category": {lab}, "code": {"http://loinc.org|2339-0"}, "_count": {"1"}}, true, -1, 13, 0},
				{url.Values{"category": {lab}, "code": {"http://loinc.org|2339-0"}, "_count": {"2"}}, false, 13, 13, 0}, // 2 within the walk: led by the index
				{url.Values{"category": {lab}, "_count": {"2"}, "_total": {"accurate"}}, true, 26, 26, 0},
				{url.Values{"category": {lab}, "_count": {"2"}, "_total": {"estimate"}}, true, 26, 26, 0},
				{url.Values{"category": {lab}, "_count": {"0"}, "_total": {"accurate"}}, false, 26, 0, 0}, // counted alone
				{url.Values{"category": {survey}, "_count": {"2"}}, false, 20, 20, 0},
				{url.Values{"category": {lab}, "_count": {"10"}}, false, 26, 26, 0},
				// Pages of one: the walk from the last but one meets its
				// bound (4 resources) before a second match, and the page
				// is led by the index from there.
				{url.Values{"category": {lab}, "_count": {"1"}}, true, -1, 26, 0},
				// Surveys of one code (every other of the last 20): the first
				// page is led by the index (no survey in the first walk),
				// the later ones walk 2 resources for 2 matches, find 1,
				// and are led by the index from the token on.
				{url.Values{"category": {survey}, "code": {"http://loinc.org|2339-0"}, "_count": {"1"}}, false, 10, 10, 1},
				// Other leads, and other filters probed on the walk.
				{url.Values{"date": {"le2020-01-14"}, "_count": {"2"}}, true, -1, 32, 0},
				{url.Values{"value-quantity": {"lt30"}, "_count": {"2"}}, true, -1, 24, 0},
				{url.Values{"category": {lab}, "value-quantity:missing": {"false"}, "_count": {"2"}}, true, -1, 21, 0},
				{url.Values{"category": {lab}, "code:not": {"http://loinc.org|4548-4"}, "date": {"ge2020-01-02"}, "_count": {"1"}}, true, -1, 12, 0},
				{url.Values{"category": {lab}, "value-quantity:missing": {"true"}, "_count": {"2"}}, false, 5, 5, 0},
			} {
				if c.walk > 0 {
					defer sqlstore.SetStreamRows(4, c.walk)()
				}
				before := sqlstore.StreamedPages()
				streamed, streamedTotal := pages(t, st, c.query)
				checkPreviousLinks(t, st, c.query)
				if did := sqlstore.StreamedPages() > before; did != c.streamed {
					t.Errorf("Observation?%s: streamed %v, want %v", c.query.Encode(), did, c.streamed)
				}
				unbound := sqlstore.SetStreamRows(1<<30, 2)
				led, ledTotal := pages(t, st, c.query)
				unbound()
				if c.walk > 0 {
					sqlstore.SetStreamRows(4, 2)
				}
				if !slices.Equal(streamed, led) || len(led) != c.matches {
					t.Errorf("Observation?%s: %v streamed, %v led by the index, want %d", c.query.Encode(), streamed, led, c.matches)
				}
				if want := c.total; streamedTotal != want {
					t.Errorf("Observation?%s: total %d, want %d", c.query.Encode(), streamedTotal, want)
				}
				if c.matches > 0 && c.query.Get("_count") != "0" && ledTotal != c.matches {
					t.Errorf("Observation?%s led by the index: total %d, want %d", c.query.Encode(), ledTotal, c.matches)
				}
			}
		})
	}
}

// pages reads every page of an Observation search, in order, and the
// total its first page reports.
func pages(t *testing.T, st store.Store, params url.Values) (ids []string, total int) {
	t.Helper()
	q, ignored, err := search.Parse([]string{"Observation"}, params, search.ParseOptions{DefaultCount: 50, MaxCount: 500})
	if err != nil || len(ignored) > 0 {
		t.Fatalf("%s: %v %v", params.Encode(), err, ignored)
	}
	page := store.PageRequest{}
	for n := 0; ; n++ {
		res, err := st.Search(context.Background(), q, page)
		if err != nil {
			t.Fatalf("%s: %v", params.Encode(), err)
		}
		if n == 0 {
			total = res.Total
		}
		for _, v := range res.Matches {
			ids = append(ids, v.ID)
		}
		if !res.HasMore || res.SearchID == "" || q.Count == 0 {
			return ids, total
		}
		page = store.PageRequest{SearchID: res.SearchID, Offset: page.Offset + len(res.Matches)}
	}
}

// TestBackTokenElsewhere: a back token (only a page read by key gives
// one) used with a search of another type is gone (store.ErrSearchExpired),
// not read as that search's page.
func TestBackTokenElsewhere(t *testing.T) {
	st := storetest.OpenSQLite(t)
	storetest.PutResources(t, st, streamDocs()...)
	defer sqlstore.SetStreamRows(4, 2)()
	obs, _, _ := search.Parse([]string{"Observation"}, url.Values{"category": {"laboratory"}, "_count": {"2"}}, search.ParseOptions{DefaultCount: 50, MaxCount: 500})
	first, err := st.Search(context.Background(), obs, store.PageRequest{})
	if err != nil {
		t.Fatal(err)
	}
	second, err := st.Search(context.Background(), obs, store.PageRequest{SearchID: first.SearchID, Offset: 2})
	if err != nil || !second.Keyed || second.PreviousID == "" {
		t.Fatalf("second page: keyed %v, previous %q, %v", second.Keyed, second.PreviousID, err)
	}
	enc, _, _ := search.Parse([]string{"Encounter"}, url.Values{"status": {"finished"}}, search.ParseOptions{DefaultCount: 50, MaxCount: 500})
	if _, err := st.Search(context.Background(), enc, store.PageRequest{SearchID: second.PreviousID, Offset: 0}); !errors.Is(err, store.ErrSearchExpired) {
		t.Errorf("an Observation search's back token on Encounters: %v, want store.ErrSearchExpired", err)
	}
}

// checkPreviousLinks reads a search's pages forward, then back from the
// last by each page's previous page (a keyed page's PreviousID, or the
// stored list's offsets), and wants the same pages in reverse.
func checkPreviousLinks(t *testing.T, st store.Store, params url.Values) {
	t.Helper()
	q, _, err := search.Parse([]string{"Observation"}, params, search.ParseOptions{DefaultCount: 50, MaxCount: 500})
	if err != nil || q.Count == 0 {
		return
	}
	var forward [][]string
	var last store.SearchPage
	req := store.PageRequest{}
	for {
		res, err := st.Search(context.Background(), q, req)
		if err != nil {
			t.Fatalf("%s: %v", params.Encode(), err)
		}
		forward = append(forward, versionIDs(res.Matches))
		last = res
		if !res.HasMore || res.SearchID == "" {
			break
		}
		req = store.PageRequest{SearchID: res.SearchID, Offset: req.Offset + len(res.Matches)}
	}
	offset := req.Offset
	for i := len(forward) - 2; i >= 0; i-- {
		prev := last.SearchID
		if last.Keyed {
			prev = last.PreviousID
		}
		if prev == "" {
			t.Fatalf("%s: page %d has no previous page", params.Encode(), i+2)
		}
		offset = max(0, offset-q.Count)
		res, err := st.Search(context.Background(), q, store.PageRequest{SearchID: prev, Offset: offset})
		if err != nil {
			t.Fatalf("%s: page %d, back: %v", params.Encode(), i+1, err)
		}
		if got := versionIDs(res.Matches); !slices.Equal(got, forward[i]) {
			t.Errorf("%s: page %d read back %v, forward %v", params.Encode(), i+1, got, forward[i])
		}
		if !res.HasMore {
			t.Errorf("%s: page %d read back says nothing follows", params.Encode(), i+1)
		}
		last = res
	}
	if last.Keyed && last.PreviousID != "" {
		t.Errorf("%s: the first page read back has a previous page", params.Encode())
	}
}

func versionIDs(vs []store.Version) []string {
	ids := []string{}
	for _, v := range vs {
		ids = append(ids, v.ID)
	}
	return ids
}

// streamDocs are the test's 60 Observations (o00-o59) and two resources
// of other types.
func streamDocs() []string {
	var docs []string
	for i := range 60 {
		category, code := "laboratory", "4548-4"
		switch {
		case i >= 40:
			category = "survey"
		case i%3 == 0:
			category = "vital-signs"
		}
		if i%2 == 0 {
			code = "2339-0"
		}
		value := "" // one in five has no value
		if i%5 != 0 {
			value = fmt.Sprintf(`,"valueQuantity":{"value":%d,"system":"http://unitsofmeasure.org","code":"mmol/L"}`, i)
		}
		docs = append(docs, fmt.Sprintf(`{"resourceType":"Observation","id":"o%02d","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":%q}]}],"code":{"coding":[{"system":"http://loinc.org","code":%q}]},"effectiveDateTime":"2020-01-%02dT09:00:00Z"%s}`,
			i, category, code, 1+i%28, value))
	}
	// Other types' resources on either side of the Observations in the
	// primary key: the walk and its bound stay within the type.
	docs = append(docs, `{"resourceType":"Encounter","id":"e1","status":"finished","class":{"code":"AMB"}}`,
		`{"resourceType":"Patient","id":"p1"}`)
	return docs
}

// TestByKeyPastTheCut: a caller reading to the end by key
// (store.PageRequest.ByKey, bulk export's _typeFilter) reads every match,
// in order, on SQLite and PostgreSQL.
func TestByKeyPastTheCut(t *testing.T) {
	withStreamDocsCutAt(t, 5, func(t *testing.T, st store.Store) {
		q, _, err := search.Parse([]string{"Observation"}, url.Values{"category": {"laboratory"}, "_count": {"2"}}, search.ParseOptions{DefaultCount: 50, MaxCount: 500})
		if err != nil {
			t.Fatal(err)
		}
		read := func(byKey bool) []string {
			var ids []string
			page := store.PageRequest{ByKey: byKey}
			for range 100 {
				res, err := st.Search(context.Background(), q, page)
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, versionIDs(res.Matches)...)
				if !res.HasMore || res.SearchID == "" {
					break
				}
				page = store.PageRequest{SearchID: res.SearchID, Offset: page.Offset + len(res.Matches), ByKey: byKey}
			}
			return ids
		}
		// Paged by the matches read, not the page size: a stored list
		// hands over at its cut all the same (TestStoredListPastTheCut).
		if listed := read(false); len(listed) != 26 || !slices.IsSorted(listed) {
			t.Errorf("through stored lists: %v, want 26 in order", listed)
		}
		if keyed := read(true); len(keyed) != 26 || !slices.IsSorted(keyed) {
			t.Errorf("by key: %v, want 26 in order", keyed)
		}
	})
}

// withStreamDocsCutAt runs fn on SQLite and PostgreSQL stores holding
// streamDocs, with stored result lists cut at cut matches.
func withStreamDocsCutAt(t *testing.T, cut int, fn func(t *testing.T, st store.Store)) {
	old := sqlstore.MaxStoredResults
	sqlstore.MaxStoredResults = cut
	defer func() { sqlstore.MaxStoredResults = old }()
	for _, s := range []storetest.Named{{Name: "sqlite", Open: storetest.OpenSQLite}, {Name: "postgres", Open: storetest.OpenPostgres}} {
		t.Run(s.Name, func(t *testing.T) {
			st := s.Open(t)
			storetest.PutResources(t, st, streamDocs()...)
			fn(t, st)
		})
	}
}
