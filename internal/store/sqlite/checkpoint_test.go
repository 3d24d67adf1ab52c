package sqlite

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/store"
)

// TestCheckpointerCopiesTheLog: what the writer commits is checkpointed
// by the goroutine (the writer's own automatic checkpoint, at 65,536
// pages, is far off), and Close stops it.
func TestCheckpointerCopiesTheLog(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cs := st.(*checkpointedStore)
	for i := range 20 {
		err := st.InTx(ctx, func(tx store.Tx) error {
			for j := range 50 {
				body := fmt.Sprintf(`{"resourceType":"Basic","id":"b%d-%d"}`, i, j)
				if _, err := tx.Put(ctx, store.Write{Version: store.Version{Type: "Basic", ID: fmt.Sprintf("b%d-%d", i, j), VersionID: 1, Method: "POST", Body: []byte(body)}}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * checkpointInterval)
	for cs.ck.backfilled.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(checkpointInterval / 5)
	}
	if cs.ck.backfilled.Load() == 0 {
		t.Fatalf("no log frame checkpointed in %v", 10*checkpointInterval)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-cs.ck.done:
	default:
		t.Fatal("the checkpointer still runs after Close")
	}
	if err := st.Close(); err != nil {
		t.Fatalf("a second Close: %v", err)
	}
}
