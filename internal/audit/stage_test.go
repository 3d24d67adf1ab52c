package audit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/store"
)

// TestStagedEventsCommitWithTheWrite: an event staged in a transaction
// that rolls back never appears; one staged in a committed transaction
// is chained by the next trail, and verifies.
func TestStagedEventsCommitWithTheWrite(t *testing.T) {
	st := openStore(t)
	ctx := WithRequest(context.Background(), Event{Interaction: "create", Action: "C",
		Principal: &auth.Principal{Subject: "c", ClientID: "c", Role: auth.RoleSystem}, Path: "POST /fhir/Observation"})
	written := []Seen{{Type: "Observation", ID: "o1", Owners: []string{"p7"}, OwnersKnown: true}}
	failed := errors.New("the write failed")
	err := st.InTx(ctx, func(tx store.Tx) error {
		if err := Stage(ctx, tx, written); err != nil {
			return err
		}
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatal(err)
	}
	if n, _ := Pending(ctx, st); n != 0 {
		t.Fatalf("a rolled-back transaction left %d staged events", n)
	}
	if err := st.InTx(ctx, func(tx store.Tx) error { return Stage(ctx, tx, written) }); err != nil {
		t.Fatal(err)
	}
	// Without a request in the context nothing is staged.
	if err := st.InTx(context.Background(), func(tx store.Tx) error { return Stage(context.Background(), tx, written) }); err != nil {
		t.Fatal(err)
	}
	if n, _ := Pending(ctx, st); n != 1 {
		t.Fatalf("%d staged records, want 1", n)
	}
	trail := NewTrail(st, nil) // a starting server chains what waits
	trail.Flush()
	trail.Close()
	if n, _ := Pending(ctx, st); n != 0 {
		t.Errorf("%d staged records left after the trail ran", n)
	}
	vs, err := st.Current(ctx, "AuditEvent", "", 10)
	if err != nil || len(vs) != 1 {
		t.Fatalf("%d AuditEvents, %v", len(vs), err)
	}
	for _, want := range []string{`"Patient/p7"`, `"Observation/o1"`, `"action":"C"`} {
		if !strings.Contains(string(vs[0].Body), want) {
			t.Errorf("the chained event lacks %s: %s", want, vs[0].Body)
		}
	}
	if r, err := Verify(ctx, st, nil); err != nil || len(r.Problems) > 0 || r.Events != 1 {
		t.Errorf("verify: %+v %v", r, err)
	}
}

// TestTwoTrailsDrainOnce: two trails (two processes on one store) chain
// each staged event once, in one valid chain.
func TestTwoTrailsDrainOnce(t *testing.T) {
	st := openStore(t)
	ctx := WithRequest(context.Background(), Event{Interaction: "create", Action: "C"})
	for i := 0; i < 50; i++ {
		if err := st.InTx(ctx, func(tx store.Tx) error {
			return Stage(ctx, tx, []Seen{{Type: "Patient", ID: "p" + string(rune('a'+i%26)) + string(rune('a'+i/26))}})
		}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr := NewTrail(st, nil)
			tr.Flush()
			tr.Close()
		}()
	}
	wg.Wait()
	r, err := Verify(ctx, st, nil)
	if err != nil || len(r.Problems) > 0 || r.Events != 50 {
		t.Errorf("after two trails drained 50 staged events: %+v %v", r, err)
	}
}

// TestDrainBoundsMemory: a drain takes no more records once it holds
// maxDrainedBytes of them (an import's transactions stage large ones),
// and Drain goes on until the outbox is empty, in one valid chain.
func TestDrainBoundsMemory(t *testing.T) {
	defer func(n int) { maxDrainedBytes = n }(maxDrainedBytes)
	maxDrainedBytes = 1
	st := openStore(t)
	ctx := WithRequest(context.Background(), Event{Interaction: "transaction", Action: "C",
		Principal: &auth.Principal{Subject: "c", ClientID: "c", Role: auth.RoleSystem}, Path: "gpcloud import"})
	for r := range 4 {
		var written []Seen
		for i := range 3 {
			written = append(written, Seen{Type: "Observation", ID: fmt.Sprintf("o%d-%d", r, i), Owners: []string{fmt.Sprintf("p%d-%d", r, i)}, OwnersKnown: true})
		}
		if err := st.InTx(ctx, func(tx store.Tx) error { return Stage(ctx, tx, written) }); err != nil {
			t.Fatal(err)
		}
	}
	var more bool
	err := st.InTx(ctx, func(tx store.Tx) error {
		var err error
		more, err = drain(ctx, tx, nil)
		return err
	})
	if err != nil || !more {
		t.Fatalf("the first drain: more %v, %v", more, err)
	}
	if n, _ := Pending(ctx, st); n != 3 {
		t.Errorf("%d records left after the first drain, want 3 (it stops after one)", n)
	}
	if err := Drain(ctx, st); err != nil {
		t.Fatal(err)
	}
	if n, _ := Pending(ctx, st); n != 0 {
		t.Errorf("%d records left after Drain", n)
	}
	r, err := Verify(ctx, st, nil)
	if err != nil || len(r.Problems) > 0 {
		t.Errorf("verify: %+v %v", r, err)
	}
}
