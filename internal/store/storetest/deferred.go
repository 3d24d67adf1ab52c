package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/store"
)

// DeferredIndexes checks a deferred index build (store.IndexDeferrer):
// it is refused for a store larger than asked, searches and updates stay
// complete and correct while it lasts (and start the build), and a load
// that ends without building them (a process killed) leaves them to the
// next Open, which builds them before it returns. open returns a
// new store on the same database each call.
func DeferredIndexes(t *testing.T, open func() store.Store) {
	ctx := context.Background()
	code := func(c string) search.TokenValue { return search.TokenValue{Param: "code", Code: c} }
	find := func(s store.Store, c string) []string {
		t.Helper()
		ids, err := s.Find(ctx, store.FindQuery{Type: "Observation", Criteria: []store.Criterion{{Param: "code", Code: c}}})
		if err != nil {
			t.Fatalf("find %s: %v", c, err)
		}
		return ids
	}
	deferIndexes := func(s store.Store, upTo int) bool {
		t.Helper()
		d, ok := s.(store.IndexDeferrer)
		if !ok {
			t.Fatalf("%T cannot defer its indexes", s)
		}
		deferred, err := d.DeferIndexes(ctx, upTo)
		if err != nil {
			t.Fatalf("defer: %v", err)
		}
		return deferred
	}
	pending := func(s store.Store) bool {
		t.Helper()
		_, err := s.GetRecord(ctx, "store", "deferred-indexes")
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}

	s := open()
	closed := false
	t.Cleanup(func() {
		if !closed {
			s.Close() // after a failure: a build under way ends first
		}
	})
	put(t, s, write("Observation", "o1", 1, 1, code("a")))
	if deferIndexes(s, 0) {
		t.Fatal("deferred for a store larger than asked")
	}
	if !deferIndexes(s, 10) {
		t.Fatal("not deferred for a small store")
	}
	if deferIndexes(s, 10) {
		t.Fatal("deferred twice")
	}
	put(t, s, write("Observation", "o2", 1, 2, code("a")), write("Observation", "o3", 1, 2, code("b")))
	// An update replaces its old rows without the owner index (and
	// starts the build).
	put(t, s, write("Observation", "o1", 2, 3, code("c")))
	if got := find(s, "a"); !slices.Equal(got, []string{"o2"}) {
		t.Errorf("code a after the update: %v, want [o2]", got)
	}
	if got := find(s, "c"); !slices.Equal(got, []string{"o1"}) {
		t.Errorf("code c after the update: %v, want [o1]", got)
	}
	if err := s.(store.IndexDeferrer).BuildIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	if pending(s) {
		t.Error("BuildIndexes left the build pending")
	}

	// Deferred again, then the process ends without building (as one
	// killed would): searches meanwhile are complete, and the next Open
	// builds the indexes before it returns.
	if !deferIndexes(s, 10) {
		t.Fatal("not deferred the second time")
	}
	put(t, s, write("Observation", "o4", 1, 4, code("a")))
	if !pending(s) {
		t.Fatal("no build pending after the deferral")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open()
	if pending(s) {
		t.Error("Open left the build pending")
	}
	if got := find(s, "a"); !slices.Equal(got, []string{"o2", "o4"}) {
		t.Errorf("code a after reopening: %v, want [o2 o4]", got)
	}
	if err := s.(store.IndexDeferrer).BuildIndexes(ctx); err != nil {
		t.Errorf("a build with nothing deferred: %v", err)
	}

	// A search while deferred is complete; a conditional write that fails
	// leaves nothing behind.
	if !deferIndexes(s, 10) {
		t.Fatal("not deferred the third time")
	}
	put(t, s, write("Observation", "o5", 1, 5, code("a")))
	err := s.InTx(ctx, func(tx store.Tx) error {
		ids, err := tx.Find(ctx, store.FindQuery{Type: "Observation", Criteria: []store.Criterion{{Param: "code", Code: "a"}}})
		if !slices.Equal(ids, []string{"o2", "o4", "o5"}) {
			t.Errorf("code a in a transaction while deferred: %v, %v", ids, err)
		}
		return errors.New("rolled back")
	})
	if err == nil {
		t.Fatal("the transaction was not rolled back")
	}
	if got := find(s, "a"); !slices.Equal(got, []string{"o2", "o4", "o5"}) {
		t.Errorf("code a while deferred: %v, want [o2 o4 o5]", got)
	}
	// Writers at work while the build starts in the background: none
	// fails (on PostgreSQL the build locks every index table at once, in
	// the writers' order, so neither waits for the other in a cycle).
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 15 {
				id := fmt.Sprintf("w%d-%d", g, i)
				for v := int64(1); v <= 2; v++ {
					err := s.InTx(ctx, func(tx store.Tx) error {
						_, err := tx.Put(ctx, write("Observation", id, v, 10, code("w"), code(id)))
						return err
					})
					if err != nil {
						errs <- fmt.Errorf("%s version %d: %w", id, v, err)
						return
					}
				}
			}
		}()
	}
	find(s, "a") // starts the build
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("a write while the build started: %v", err)
	}
	if err := s.(store.IndexDeferrer).BuildIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	if pending(s) {
		t.Error("BuildIndexes left the build pending")
	}
	if got := find(s, "w"); len(got) != 60 {
		t.Errorf("code w after the writers: %d resources, want 60", len(got))
	}
	closed = true
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
