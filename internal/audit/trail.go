package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/store"
)

// headKind and headID name the record that holds the chain's head.
const headKind, headID = "audit-chain", "head"

// head is the last event of the chain.
type head struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// Trail records events in the store, chained.
type Trail struct {
	st    store.Store
	queue chan Event
	done  chan struct{}
	log   *slog.Logger
}

// queueSize bounds the events waiting for the writer; beyond it Record
// waits (back-pressure) rather than drop an event.
const queueSize = 4096

// batchInterval is how long the writer gathers events before writing.
const batchInterval = 50 * time.Millisecond

// NewTrail starts a trail writing to st.
func NewTrail(st store.Store, log *slog.Logger) *Trail {
	if log == nil {
		log = slog.Default()
	}
	t := &Trail{st: st, queue: make(chan Event, queueSize), done: make(chan struct{}), log: log}
	go t.run()
	return t
}

// Record queues an event.
func (t *Trail) Record(e Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	t.queue <- e
}

// Flush waits until everything recorded before it is written: it queues
// a marker that the writer answers once the batch holding it is stored.
func (t *Trail) Flush() {
	ch := make(chan struct{})
	t.queue <- Event{flushed: ch}
	<-ch
}

// Close writes what is queued and stops the writer.
func (t *Trail) Close() {
	close(t.queue)
	<-t.done
}

func (t *Trail) run() {
	defer close(t.done)
	for {
		e, ok := <-t.queue
		if !ok {
			return
		}
		batch := []Event{e}
		timer := time.NewTimer(batchInterval)
	gather:
		for len(batch) < 500 {
			select {
			case e, ok := <-t.queue:
				if !ok {
					break gather
				}
				batch = append(batch, e)
			case <-timer.C:
				break gather
			}
		}
		timer.Stop()
		t.write(batch)
		for _, e := range batch {
			if e.flushed != nil {
				close(e.flushed)
			}
		}
	}
}

// write appends a batch to the chain, retrying a lost race with another
// process for the head.
func (t *Trail) write(batch []Event) {
	var events []Event
	for _, e := range batch {
		if e.Interaction != "" {
			events = append(events, e)
		}
	}
	if len(events) == 0 {
		return
	}
	// The body of each event (and whose record it touched) is worked out
	// once, outside the transaction.
	var resources []fhir.Resource
	for i := range events {
		resources = append(resources, events[i].AuditEvents()...)
	}
	ctx := context.Background()
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = t.st.InTx(ctx, func(tx store.Tx) error { return Append(ctx, tx, resources) })
		if !errors.Is(err, store.ErrConflict) {
			break
		}
	}
	if err != nil {
		// The request was answered already; an audit that cannot be
		// written is an operational emergency, logged as one.
		t.log.Error("audit events not written", "events", len(events), "error", err)
	}
}

// Append chains AuditEvent resources after the head and stores them in
// tx (which locks the head where the store can, so concurrent writers
// queue). The caller's resources get id, meta and the chain extension.
func Append(ctx context.Context, tx store.Tx, resources []fhir.Resource) error {
	h := head{}
	rec, err := tx.GetRecord(ctx, headKind, headID)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return err
	default:
		if err := json.Unmarshal(rec.Body, &h); err != nil {
			return fmt.Errorf("audit chain head: %w", err)
		}
	}
	now := time.Now()
	for _, res := range resources {
		h.Seq++
		res["id"] = eventID(h.Seq)
		delete(res, "meta")
		setChain(res, h.Seq, h.Hash, "")
		hash, err := chainHash(h.Hash, res)
		if err != nil {
			return err
		}
		setChain(res, h.Seq, h.Hash, hash)
		h.Hash = hash
		res.SetVersion("1", now)
		body, err := fhir.Marshal(res)
		if err != nil {
			return err
		}
		w := store.Write{
			Version: store.Version{Type: "AuditEvent", ID: eventID(h.Seq), VersionID: 1, LastUpdated: now, Method: http.MethodPost, Body: body},
			Index:   search.Extract(res),
		}
		if _, err := tx.Put(ctx, w); err != nil {
			return err
		}
	}
	body, _ := json.Marshal(h)
	return tx.PutRecord(ctx, store.Record{Kind: headKind, ID: headID, Body: body})
}

// eventID is the id of the chain's seq-th event: ordered as the chain is.
func eventID(seq int64) string { return fmt.Sprintf("chain-%016d", seq) }

// setChain sets the chain extension (seq, previous hash, own hash when
// known) as the resource's last extension.
func setChain(res fhir.Resource, seq int64, prev, hash string) {
	var exts []any
	if old, ok := res["extension"].([]any); ok {
		for _, x := range old {
			if m, ok := x.(map[string]any); ok && m["url"] == chainURL {
				continue
			}
			exts = append(exts, x)
		}
	}
	parts := []any{
		map[string]any{"url": "seq", "valueString": strconv.FormatInt(seq, 10)},
		map[string]any{"url": "previous", "valueString": orGenesis(prev)},
	}
	if hash != "" {
		parts = append(parts, map[string]any{"url": "hash", "valueString": hash})
	}
	res["extension"] = append(exts, map[string]any{"url": chainURL, "extension": parts})
}

func orGenesis(h string) string {
	if h == "" {
		return "genesis"
	}
	return h
}

// chainHash is SHA-256 over the previous hash and the event's canonical
// JSON (sorted keys, without meta and without its own hash).
func chainHash(prev string, res fhir.Resource) (string, error) {
	body, err := json.Marshal(map[string]any(res)) // encoding/json sorts map keys
	if err != nil {
		return "", err
	}
	sum := sha256.New()
	sum.Write([]byte(orGenesis(prev)))
	sum.Write([]byte{'\n'})
	sum.Write(body)
	return hex.EncodeToString(sum.Sum(nil)), nil
}
