package audit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/store"
)

// A write and its AuditEvent commit together: the service stages the
// event of every write transaction in the transaction itself, as a record
// in the outbox, and the trail's writer later moves outbox records into
// the chain (the chain's head is one row: chaining inside every write
// would queue all writers behind it). A crash between the two loses
// nothing: the next writer to start chains what the outbox holds.

// outboxKind is the kind of the records holding staged events.
const outboxKind = "audit-outbox"

type requestKey struct{}

// WithRequest returns ctx carrying what the audit needs to know of a
// request or command besides what it touches: who, which interaction,
// from where, the path and query (Resources and Patients are ignored).
// Write transactions under ctx stage their AuditEvents with it.
func WithRequest(ctx context.Context, e Event) context.Context {
	e.Resources, e.Patients = nil, nil
	return context.WithValue(ctx, requestKey{}, &e)
}

// Stage writes, in tx, the AuditEvents of the resources the transaction
// wrote, described by the request in ctx. Without a request in ctx (an
// in-process caller that audits itself) it does nothing.
func Stage(ctx context.Context, tx store.Tx, written []Seen) error {
	req, _ := ctx.Value(requestKey{}).(*Event)
	if req == nil || len(written) == 0 {
		return nil
	}
	e := *req
	e.Time, e.Status, e.Resources = time.Now(), 200, written
	body, err := json.Marshal(e.AuditEvents())
	if err != nil {
		return err
	}
	// The id is new (time and randomness): an upsert is one statement.
	return tx.PutRecord(ctx, store.Record{Kind: outboxKind, ID: outboxID(), Body: body})
}

// outboxID orders staged events by when they were staged; the random
// part keeps two processes' ids apart.
func outboxID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%020d-%s", time.Now().UnixNano(), hex.EncodeToString(b[:]))
}

// maxDrained bounds the staged records chained in one transaction, and
// maxDrainedBytes their JSON: a request stages a small record, an import's
// transaction one naming hundreds of resources, and a drain holds all it
// chains in memory at once, several times over. Records are read
// drainBatch at a time: a 655,754-resource import, whose outbox held
// 2,052 such records, peaked 140 MB higher when a drain took them all.
const (
	maxDrained = 1000
	drainBatch = 32
)

var maxDrainedBytes = 1 << 20 // a variable for tests

// drain chains, in tx, the events waiting in the outbox (at most
// maxDrained records, and no more once maxDrainedBytes are taken) after
// those given, and removes the records; more tells that records may be
// left. The head is locked first, so that a concurrent drainer waits and
// then sees the records gone.
func drain(ctx context.Context, tx store.Tx, resources []fhir.Resource) (more bool, err error) {
	if _, err := tx.GetRecord(ctx, headKind, headID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	// Each batch is read after the last one's records were deleted.
	for taken, size := 0, 0; ; {
		if taken >= maxDrained || taken > 0 && size >= maxDrainedBytes {
			more = true
			break
		}
		recs, err := tx.FirstRecords(ctx, outboxKind, min(drainBatch, maxDrained-taken))
		if err != nil {
			return false, err
		}
		if len(recs) == 0 {
			break
		}
		for _, r := range recs {
			var staged []fhir.Resource
			if err := json.Unmarshal(r.Body, &staged); err != nil {
				return false, fmt.Errorf("audit outbox record %s: %w", r.ID, err)
			}
			resources = append(resources, staged...)
			if err := tx.DeleteRecord(ctx, outboxKind, r.ID); err != nil {
				return false, err
			}
			taken++
			if size += len(r.Body); size >= maxDrainedBytes {
				break
			}
		}
	}
	if len(resources) == 0 {
		return false, nil
	}
	return more, Append(ctx, tx, resources)
}

// Drain chains everything waiting in the outbox (a command that staged
// events and has no trail running, or a check before verifying).
func Drain(ctx context.Context, st store.Store) error {
	for {
		var more bool
		err := st.InTx(ctx, func(tx store.Tx) error {
			var err error
			more, err = drain(ctx, tx, nil)
			return err
		})
		if err != nil || !more {
			return err
		}
	}
}

// Pending counts the staged events not chained yet.
func Pending(ctx context.Context, st store.Store) (int, error) {
	recs, err := st.ListRecords(ctx, outboxKind)
	return len(recs), err
}
