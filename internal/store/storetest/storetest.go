package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Opener returns a fresh, empty store for one test.
type Opener func(t *testing.T) store.Store

// epoch is the base of the test clock; versions are stamped epoch + n ms.
var epoch = time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)

func at(ms int) time.Time { return epoch.Add(time.Duration(ms) * time.Millisecond) }

// write returns a Write of version v of typ/id with one identifier token.
func write(typ, id string, v int64, ms int, tokens ...search.TokenValue) store.Write {
	return store.Write{
		Version: store.Version{Type: typ, ID: id, VersionID: v, LastUpdated: at(ms), Method: "PUT",
			Body: fmt.Appendf(nil, `{"resourceType":%q,"id":%q,"meta":{"versionId":"%d"}}`, typ, id, v)},
		Index: search.Values{Tokens: tokens},
	}
}

func put(t *testing.T, s store.Store, ws ...store.Write) {
	t.Helper()
	err := s.InTx(context.Background(), func(tx store.Tx) error {
		for _, w := range ws {
			if _, err := tx.Put(context.Background(), w); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("put: %v", err)
	}
}

// Run runs the conformance suite against stores from open.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"ReadAndVRead", testReadAndVRead},
		{"VersionConflict", testVersionConflict},
		{"LockSerialises", testLockSerialises},
		{"TxSeesOwnWrites", testTxSeesOwnWrites},
		{"RollbackWritesNothing", testRollback},
		{"Delete", testDelete},
		{"History", testHistory},
		{"Find", testFind},
		{"IndexReplacedOnUpdate", testIndexReplaced},
		{"ManyInOneTx", testManyInOneTx},
		{"Search", testSearch},
		{"SearchPaging", testSearchPaging},
		{"SearchPagingContinued", testSearchPagingContinued},
		{"SearchIndexMaintained", testSearchIndexMaintained},
		{"SearchFirstPageFromIndex", testSearchFirstPageFromIndex},
		{"IDsInByteOrder", testIDsInByteOrder},
		{"NarrowedReferences", testNarrowedReferences},
		{"ConceptTextRows", testConceptTextRows},
		{"NamesAsNumbers", testNamesAsNumbers},
		{"LongValues", testLongValues},
		{"SearchAtLimits", testSearchAtLimits},
		{"Records", testRecords},
		{"RecordsRollBack", testRecordsRollBack},
		{"FailedWriteFailsTx", testFailedWriteFailsTx},
		{"Content", testContent},
		{"ContentInTx", testContentInTx},
		{"StagedContent", testStagedContent},
		{"ConcurrentWriters", func(t *testing.T, s store.Store) { ConcurrentWriters(t, s) }},
		{"Ping", func(t *testing.T, s store.Store) {
			if err := s.Ping(context.Background()); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

func testReadAndVRead(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.Read(ctx, "Patient", "p"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("read of a missing resource: %v, want ErrNotFound", err)
	}
	put(t, s, write("Patient", "p", 1, 1))
	put(t, s, write("Patient", "p", 2, 2))
	v, err := s.Read(ctx, "Patient", "p")
	if err != nil || v.VersionID != 2 || v.Deleted || !v.LastUpdated.Equal(at(2)) || v.Method != "PUT" || v.Type != "Patient" || v.ID != "p" {
		t.Fatalf("read = %+v, %v", v, err)
	}
	if string(v.Body) != `{"resourceType":"Patient","id":"p","meta":{"versionId":"2"}}` {
		t.Errorf("body = %s", v.Body)
	}
	v1, err := s.VRead(ctx, "Patient", "p", 1)
	if err != nil || v1.VersionID != 1 || !v1.LastUpdated.Equal(at(1)) || v1.Seq >= v.Seq || v1.Seq == 0 {
		t.Fatalf("vread 1 = %+v, %v (current seq %d)", v1, err, v.Seq)
	}
	if _, err := s.VRead(ctx, "Patient", "p", 3); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("vread of a missing version: %v", err)
	}
	if _, err := s.Read(ctx, "Observation", "p"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("same id, other type: %v", err)
	}
	// Microsecond precision survives.
	w := write("Patient", "micro", 1, 0)
	w.LastUpdated = epoch.Add(123456 * time.Microsecond)
	put(t, s, w)
	if got, _ := s.Read(ctx, "Patient", "micro"); !got.LastUpdated.Equal(w.LastUpdated) {
		t.Errorf("lastUpdated %v, want %v", got.LastUpdated, w.LastUpdated)
	}
}

func testVersionConflict(t *testing.T, s store.Store) {
	ctx := context.Background()
	put(t, s, write("Patient", "p", 1, 1))
	for _, v := range []int64{1, 3} { // re-create, and skip a version
		err := s.InTx(ctx, func(tx store.Tx) error {
			_, err := tx.Put(ctx, write("Patient", "p", v, 5))
			return err
		})
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("put version %d over version 1: %v, want ErrConflict", v, err)
		}
	}
	err := s.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.Put(ctx, write("Patient", "new", 2, 5))
		return err
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("version 2 of a resource that does not exist: %v, want ErrConflict", err)
	}
	// Nothing of the failed transactions is visible, and the good one stays.
	if v, _ := s.Read(ctx, "Patient", "p"); v.VersionID != 1 {
		t.Errorf("version after conflicts = %d", v.VersionID)
	}
	if n, _ := s.HistoryCount(ctx, store.HistoryQuery{}); n != 1 {
		t.Errorf("history holds %d versions, want 1", n)
	}
}

func testTxSeesOwnWrites(t *testing.T, s store.Store) {
	ctx := context.Background()
	tok := search.TokenValue{Param: "identifier", System: "s", Code: "1"}
	err := s.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.Put(ctx, write("Patient", "a", 1, 1, tok)); err != nil {
			return err
		}
		v, err := tx.Read(ctx, "Patient", "a")
		if err != nil || v.VersionID != 1 {
			return fmt.Errorf("read in tx = %+v, %v", v, err)
		}
		if _, err := tx.Put(ctx, write("Patient", "a", 2, 2, tok)); err != nil {
			return err
		}
		if v, err := tx.VRead(ctx, "Patient", "a", 2); err != nil || v.VersionID != 2 {
			return fmt.Errorf("vread in tx = %+v, %v", v, err)
		}
		ids, err := tx.Find(ctx, store.FindQuery{Type: "Patient", Criteria: []store.Criterion{{Param: "identifier", Code: "1"}}})
		if err != nil || !slices.Equal(ids, []string{"a"}) {
			return fmt.Errorf("find in tx = %v, %v", ids, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testRollback(t *testing.T, s store.Store) {
	ctx := context.Background()
	boom := errors.New("boom")
	err := s.InTx(ctx, func(tx store.Tx) error {
		for i := range 3 {
			if _, err := tx.Put(ctx, write("Patient", fmt.Sprint("r", i), 1, i, search.TokenValue{Param: "identifier", Code: "x"})); err != nil {
				return err
			}
		}
		if _, err := tx.Read(ctx, "Patient", "r0"); err != nil { // forces the writes out
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx returned %v, want the callback's error", err)
	}
	if _, err := s.Read(ctx, "Patient", "r0"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("rolled back resource readable: %v", err)
	}
	if ids, _ := s.Find(ctx, store.FindQuery{Type: "Patient", Criteria: []store.Criterion{{Param: "identifier", Code: "x"}}}); len(ids) != 0 {
		t.Errorf("rolled back index rows found: %v", ids)
	}
	if n, _ := s.HistoryCount(ctx, store.HistoryQuery{}); n != 0 {
		t.Errorf("rolled back versions in history: %d", n)
	}
}

func testDelete(t *testing.T, s store.Store) {
	ctx := context.Background()
	tok := search.TokenValue{Param: "identifier", System: "s", Code: "d"}
	put(t, s, write("Patient", "d", 1, 1, tok))
	del := store.Write{Version: store.Version{Type: "Patient", ID: "d", VersionID: 2, LastUpdated: at(2), Deleted: true, Method: "DELETE"}}
	put(t, s, del)
	v, err := s.Read(ctx, "Patient", "d")
	if err != nil || !v.Deleted || v.VersionID != 2 || v.Body != nil || v.Method != "DELETE" {
		t.Fatalf("read after delete = %+v, %v", v, err)
	}
	if ids, _ := s.Find(ctx, store.FindQuery{Type: "Patient"}); len(ids) != 0 {
		t.Errorf("deleted resource found: %v", ids)
	}
	if ids, _ := s.Find(ctx, store.FindQuery{Type: "Patient", Criteria: []store.Criterion{{Param: "identifier", Code: "d"}}}); len(ids) != 0 {
		t.Errorf("deleted resource found by token: %v", ids)
	}
	if v1, err := s.VRead(ctx, "Patient", "d", 1); err != nil || v1.Deleted {
		t.Errorf("old version after delete = %+v, %v", v1, err)
	}
	// Re-create after delete continues the version sequence.
	put(t, s, write("Patient", "d", 3, 3, tok))
	if ids, _ := s.Find(ctx, store.FindQuery{Type: "Patient", Criteria: []store.Criterion{{Param: "identifier", Code: "d"}}}); !slices.Equal(ids, []string{"d"}) {
		t.Errorf("re-created resource not found: %v", ids)
	}
}

func versionsOf(vs []store.Version) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = fmt.Sprintf("%s/%s/%d", v.Type, v.ID, v.VersionID)
	}
	return out
}

func testHistory(t *testing.T, s store.Store) {
	ctx := context.Background()
	put(t, s, write("Patient", "a", 1, 10))
	put(t, s, write("Observation", "o", 1, 20))
	put(t, s, write("Patient", "a", 2, 30))
	put(t, s, write("Patient", "b", 1, 40))
	put(t, s, write("Patient", "a", 3, 50))
	tests := []struct {
		name  string
		q     store.HistoryQuery
		want  []string
		total int
	}{
		{"system", store.HistoryQuery{}, []string{"Patient/a/3", "Patient/b/1", "Patient/a/2", "Observation/o/1", "Patient/a/1"}, 5},
		{"type", store.HistoryQuery{Type: "Patient"}, []string{"Patient/a/3", "Patient/b/1", "Patient/a/2", "Patient/a/1"}, 4},
		{"instance", store.HistoryQuery{Type: "Patient", ID: "a"}, []string{"Patient/a/3", "Patient/a/2", "Patient/a/1"}, 3},
		{"count", store.HistoryQuery{Count: 2}, []string{"Patient/a/3", "Patient/b/1"}, 5},
		{"since", store.HistoryQuery{Since: at(30)}, []string{"Patient/a/3", "Patient/b/1", "Patient/a/2"}, 3},
		{"at", store.HistoryQuery{At: at(35)}, []string{"Patient/a/2", "Observation/o/1"}, 2},
		{"at exact", store.HistoryQuery{Type: "Patient", At: at(40)}, []string{"Patient/b/1", "Patient/a/2"}, 2},
		{"at before all", store.HistoryQuery{At: at(5)}, nil, 0},
	}
	for _, tt := range tests {
		got, err := s.History(ctx, tt.q)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !slices.Equal(versionsOf(got), tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
			t.Errorf("%s: %v, want %v", tt.name, versionsOf(got), tt.want)
		}
		if n, err := s.HistoryCount(ctx, tt.q); err != nil || n != tt.total {
			t.Errorf("%s: count %d, %v; want %d", tt.name, n, err, tt.total)
		}
	}
	// Paging: Before is a cursor over Seq; pages join up with no gaps.
	all, _ := s.History(ctx, store.HistoryQuery{})
	for i := 1; i < len(all); i++ {
		if all[i].Seq >= all[i-1].Seq {
			t.Fatalf("history not in descending seq order: %d then %d", all[i-1].Seq, all[i].Seq)
		}
	}
	var paged []store.Version
	q := store.HistoryQuery{Count: 2}
	for {
		page, err := s.History(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, page...)
		if len(page) < 2 {
			break
		}
		q.Before = page[len(page)-1].Seq
	}
	if !slices.Equal(versionsOf(paged), versionsOf(all)) {
		t.Errorf("paged history %v, want %v", versionsOf(paged), versionsOf(all))
	}
	if n, _ := s.HistoryCount(ctx, store.HistoryQuery{Before: all[1].Seq, Count: 1}); n != 5 {
		t.Errorf("count ignores Before and Count: got %d", n)
	}
}

func testFind(t *testing.T, s store.Store) {
	ctx := context.Background()
	nhs := func(c string) search.TokenValue {
		return search.TokenValue{Param: "identifier", System: "https://fhir.nhs.uk/Id/nhs-number", Code: c}
	}
	local := func(c string) search.TokenValue { return search.TokenValue{Param: "identifier", Code: c} }
	put(t, s,
		write("Patient", "p1", 1, 1, nhs("111"), local("A")),
		write("Patient", "p2", 1, 1, nhs("222")),
		write("Patient", "p3", 1, 1, local("111")),
		write("Patient", "p4", 1, 1, nhs("111"), search.TokenValue{Param: "other", Code: "z"}),
		write("Observation", "p1", 1, 1, nhs("111")),
	)
	crit := func(system string, systemSet bool, code string) store.Criterion {
		return store.Criterion{Param: "identifier", System: system, SystemSet: systemSet, Code: code}
	}
	tests := []struct {
		name string
		q    store.FindQuery
		want []string
	}{
		{"all of a type", store.FindQuery{Type: "Patient"}, []string{"p1", "p2", "p3", "p4"}},
		{"code any system", store.FindQuery{Type: "Patient", Criteria: []store.Criterion{crit("", false, "111")}}, []string{"p1", "p3", "p4"}},
		{"system|code", store.FindQuery{Type: "Patient", Criteria: []store.Criterion{crit("https://fhir.nhs.uk/Id/nhs-number", true, "111")}}, []string{"p1", "p4"}},
		{"|code (no system)", store.FindQuery{Type: "Patient", Criteria: []store.Criterion{crit("", true, "111")}}, []string{"p3"}},
		{"system|", store.FindQuery{Type: "Patient", Criteria: []store.Criterion{crit("https://fhir.nhs.uk/Id/nhs-number", true, "")}}, []string{"p1", "p2", "p4"}},
		{"AND", store.FindQuery{Type: "Patient", Criteria: []store.Criterion{crit("", false, "111"), crit("", true, "A")}}, []string{"p1"}},
		{"other param", store.FindQuery{Type: "Patient", Criteria: []store.Criterion{{Param: "other", Code: "z"}}}, []string{"p4"}},
		{"param must match", store.FindQuery{Type: "Patient", Criteria: []store.Criterion{{Param: "other", Code: "111"}}}, nil},
		{"ids", store.FindQuery{Type: "Patient", IDs: []string{"p2", "p3", "nope"}}, []string{"p2", "p3"}},
		{"ids and criteria", store.FindQuery{Type: "Patient", IDs: []string{"p2", "p3"}, Criteria: []store.Criterion{crit("", false, "111")}}, []string{"p3"}},
		{"limit", store.FindQuery{Type: "Patient", Limit: 2}, []string{"p1", "p2"}},
		{"other type", store.FindQuery{Type: "Observation", Criteria: []store.Criterion{crit("", false, "111")}}, []string{"p1"}},
	}
	for _, tt := range tests {
		got, err := s.Find(ctx, tt.q)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func testIndexReplaced(t *testing.T, s store.Store) {
	ctx := context.Background()
	put(t, s, write("Patient", "p", 1, 1, search.TokenValue{Param: "identifier", Code: "old"}))
	put(t, s, write("Patient", "p", 2, 2, search.TokenValue{Param: "identifier", Code: "new"}))
	find := func(code string) []string {
		ids, _ := s.Find(ctx, store.FindQuery{Type: "Patient", Criteria: []store.Criterion{{Param: "identifier", Code: code}}})
		return ids
	}
	if got := find("old"); len(got) != 0 {
		t.Errorf("old token still indexed: %v", got)
	}
	if got := find("new"); !slices.Equal(got, []string{"p"}) {
		t.Errorf("new token not indexed: %v", got)
	}
}

// testManyInOneTx writes more rows than one statement carries.
func testManyInOneTx(t *testing.T, s store.Store) {
	ctx := context.Background()
	const n = 1200
	ws := make([]store.Write, n)
	for i := range ws {
		ws[i] = write("Observation", fmt.Sprintf("o%04d", i), 1, i, search.TokenValue{Param: "identifier", Code: fmt.Sprint(i % 7)})
	}
	put(t, s, ws...)
	ids, err := s.Find(ctx, store.FindQuery{Type: "Observation"})
	if err != nil || len(ids) != n {
		t.Fatalf("found %d, %v; want %d", len(ids), err, n)
	}
	want := 0
	for i := range n {
		if i%7 == 3 {
			want++
		}
	}
	if ids, _ := s.Find(ctx, store.FindQuery{Type: "Observation", Criteria: []store.Criterion{{Param: "identifier", Code: "3"}}}); len(ids) != want {
		t.Errorf("token 3 found %d times, want %d", len(ids), want)
	}
	hist, _ := s.History(ctx, store.HistoryQuery{Type: "Observation", Count: 1})
	if len(hist) != 1 || hist[0].ID != "o1199" {
		t.Errorf("newest version = %v, want the last written", versionsOf(hist))
	}
}

// ConcurrentWriters runs 8 writers, each 20 times reading the current
// version of one resource and writing the next, retrying on ErrConflict,
// across the given stores (several stores on one database behave as
// several servers). No update may be lost.
func ConcurrentWriters(t *testing.T, stores ...store.Store) {
	ctx := context.Background()
	put(t, stores[0], write("Patient", "hot", 1, 0))
	const writers, rounds = 8, 20
	var wg sync.WaitGroup
	var conflicts sync.Map
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := stores[w%len(stores)]
			for i := 0; i < rounds; i++ {
				for attempt := 0; ; attempt++ {
					err := s.InTx(ctx, func(tx store.Tx) error {
						cur, err := tx.Read(ctx, "Patient", "hot")
						if err != nil {
							return err
						}
						_, err = tx.Put(ctx, write("Patient", "hot", cur.VersionID+1, int(cur.VersionID)))
						return err
					})
					if err == nil {
						break
					}
					if !errors.Is(err, store.ErrConflict) || attempt > 1000 {
						t.Errorf("writer %d: %v", w, err)
						return
					}
					conflicts.Store(w, attempt+1)
				}
			}
		}()
	}
	wg.Wait()
	v, err := stores[0].Read(ctx, "Patient", "hot")
	if err != nil || v.VersionID != 1+writers*rounds {
		t.Fatalf("final version %d (%v), want %d", v.VersionID, err, 1+writers*rounds)
	}
	if n, _ := stores[0].HistoryCount(ctx, store.HistoryQuery{Type: "Patient", ID: "hot"}); n != 1+writers*rounds {
		t.Errorf("history holds %d versions, want %d", n, 1+writers*rounds)
	}
}
