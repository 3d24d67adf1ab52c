package storetest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/store"
)

func testRecords(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.GetRecord(ctx, "key", "a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("get missing: %v, want ErrNotFound", err)
	}
	err := s.InTx(ctx, func(tx store.Tx) error {
		if err := tx.InsertRecord(ctx, store.Record{Kind: "key", ID: "b", Body: []byte(`{"n":2}`)}); err != nil {
			return err
		}
		if err := tx.InsertRecord(ctx, store.Record{Kind: "key", ID: "a", Body: []byte(`{"n":1}`)}); err != nil {
			return err
		}
		if err := tx.InsertRecord(ctx, store.Record{Kind: "other", ID: "a", Body: []byte(`x`)}); err != nil {
			return err
		}
		// The transaction sees its own records.
		r, err := tx.GetRecord(ctx, "key", "a")
		if err != nil || string(r.Body) != `{"n":1}` {
			t.Errorf("in tx: %+v %v", r, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	list, err := s.ListRecords(ctx, "key")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != "a" || list[1].ID != "b" || string(list[1].Body) != `{"n":2}` {
		t.Fatalf("list = %+v", list)
	}

	// A second insert of the same id conflicts and leaves the first.
	err = s.InTx(ctx, func(tx store.Tx) error {
		return tx.InsertRecord(ctx, store.Record{Kind: "key", ID: "a", Body: []byte(`{"n":9}`)})
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate insert: %v, want ErrConflict", err)
	}
	// Put replaces; Delete removes.
	err = s.InTx(ctx, func(tx store.Tx) error {
		if err := tx.PutRecord(ctx, store.Record{Kind: "key", ID: "a", Body: []byte(`{"n":3}`)}); err != nil {
			return err
		}
		return tx.DeleteRecord(ctx, "key", "b")
	})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := s.GetRecord(ctx, "key", "a"); err != nil || string(r.Body) != `{"n":3}` {
		t.Fatalf("after put: %+v %v", r, err)
	}
	if _, err := s.GetRecord(ctx, "key", "b"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}

	// An expired record is absent, and an insert may take its place.
	past := time.Now().Add(-time.Second)
	future := time.Now().Add(time.Hour)
	err = s.InTx(ctx, func(tx store.Tx) error {
		if err := tx.PutRecord(ctx, store.Record{Kind: "jti", ID: "old", Body: []byte(`1`), Expires: past}); err != nil {
			return err
		}
		return tx.PutRecord(ctx, store.Record{Kind: "jti", ID: "live", Body: []byte(`1`), Expires: future})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetRecord(ctx, "jti", "old"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired record read: %v", err)
	}
	if r, err := s.GetRecord(ctx, "jti", "live"); err != nil || !r.Expires.Round(time.Millisecond).Equal(future.Round(time.Millisecond)) {
		t.Fatalf("live record: %+v %v", r, err)
	}
	err = s.InTx(ctx, func(tx store.Tx) error {
		return tx.InsertRecord(ctx, store.Record{Kind: "jti", ID: "old", Body: []byte(`2`)})
	})
	if err != nil {
		t.Fatalf("insert over an expired record: %v", err)
	}
	err = s.InTx(ctx, func(tx store.Tx) error {
		return tx.InsertRecord(ctx, store.Record{Kind: "jti", ID: "live", Body: []byte(`2`)})
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("insert over a live record: %v, want ErrConflict", err)
	}
}

// testRecordsRollBack: records written in a failed transaction vanish
// with its resources.
func testRecordsRollBack(t *testing.T, s store.Store) {
	ctx := context.Background()
	boom := errors.New("boom")
	err := s.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.Put(ctx, write("Patient", "r", 1, 0)); err != nil {
			return err
		}
		if err := tx.PutRecord(ctx, store.Record{Kind: "audit-head", ID: "chain", Body: []byte(`x`)}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if _, err := s.GetRecord(ctx, "audit-head", "chain"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("record survived a rollback: %v", err)
	}
}

// testFailedWriteFailsTx: a transaction whose queued writes failed to be
// written does not commit, even when its caller goes on (an outbox that
// takes InsertRecord's ErrConflict for "enqueued already" would), and
// none of its rows are kept: the statement that failed had already
// written some of them.
func testFailedWriteFailsTx(t *testing.T, s store.Store) {
	ctx := context.Background()
	put(t, s, write("Patient", "taken", 1, 1))
	err := s.InTx(ctx, func(tx store.Tx) error {
		// One statement inserts both current rows; the second exists.
		for _, w := range []store.Write{write("Patient", "fresh", 1, 2), write("Patient", "taken", 1, 2)} {
			if _, err := tx.Put(ctx, w); err != nil {
				return err
			}
		}
		if err := tx.InsertRecord(ctx, store.Record{Kind: "outbox", ID: "m1", Body: []byte(`x`)}); !errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("InsertRecord after a write that lost its race: %v, want ErrConflict", err)
		}
		return nil // taken for "enqueued already"
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("InTx = %v, want ErrConflict", err)
	}
	if v, err := s.Read(ctx, "Patient", "fresh"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the failed transaction's resource was committed: %+v, %v", v, err)
	}
	if n, _ := s.HistoryCount(ctx, store.HistoryQuery{}); n != 1 {
		t.Errorf("history holds %d versions, want 1", n)
	}
	if _, err := s.GetRecord(ctx, "outbox", "m1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the failed transaction's record was committed: %v", err)
	}
	put(t, s, write("Patient", "fresh", 1, 3)) // and the id is free
}

// testLockSerialises: transactions locking the same key run one after
// the other, and the later sees what the earlier committed even when it
// reads outside the transaction (as a conditional create's search does).
func testLockSerialises(t *testing.T, s store.Store) {
	ctx := context.Background()
	const workers = 4
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			errs[w] = s.InTx(ctx, func(tx store.Tx) error {
				if err := tx.Lock(ctx, "counter", "other-"+strconv.Itoa(w)); err != nil {
					return err
				}
				seen, err := s.ListRecords(ctx, "lock-test") // committed data only
				if err != nil {
					return err
				}
				time.Sleep(20 * time.Millisecond) // let the others try
				return tx.InsertRecord(ctx, store.Record{Kind: "lock-test", ID: strconv.Itoa(len(seen)), Body: []byte(`{}`)})
			})
		}(w)
	}
	wg.Wait()
	for w, err := range errs {
		if err != nil {
			t.Errorf("worker %d: %v", w, err)
		}
	}
	if got, err := s.ListRecords(ctx, "lock-test"); err != nil || len(got) != workers {
		t.Errorf("%d records after %d serialised increments (%v)", len(got), workers, err)
	}
}
