package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
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

// Trail records events in the store, chained: events recorded in memory
// (reads, refusals, sign-ins) and events staged by write transactions in
// the outbox (see Stage).
type Trail struct {
	st    store.Store
	queue chan Event
	wake  chan struct{}
	done  chan struct{}
	log   *slog.Logger
}

// queueSize bounds the events waiting for the writer; beyond it Record
// waits (back-pressure) rather than drop an event. With the batch
// interval it bounds what a crash can lose: the events of reads answered
// within about the last batchInterval, and, while the store is failing,
// at most queueSize events. Writes' events are never lost: they commit
// with the writes. Under reads faster than the writer chains them (two
// clients reading by id outran its ~1,600-1,800 events a second on
// SQLite, 2026-12-02) the queue fills and reads are held to its rate,
// stalling together while a batch is stored: that is the read tail
// bench/README.md ("Reads and their tail") measures.
const queueSize = 4096

// batchInterval is how long the writer gathers events before writing.
const batchInterval = 50 * time.Millisecond

// drainDelay is how long the writer lets staged events gather once woken.
const drainDelay = 200 * time.Millisecond

// pollInterval is how often the writer looks in the outbox for events
// staged by other processes (or left by a crash) when nothing woke it.
const pollInterval = time.Second

// NewTrail starts a trail writing to st. The writer first chains what
// the outbox holds (events staged before a crash).
func NewTrail(st store.Store, log *slog.Logger) *Trail {
	if log == nil {
		log = slog.Default()
	}
	t := &Trail{st: st, queue: make(chan Event, queueSize), wake: make(chan struct{}, 1), done: make(chan struct{}), log: log}
	t.Wake()
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

// Wake asks the writer to chain the outbox soon (a write transaction of
// this process staged events).
func (t *Trail) Wake() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// Flush waits until everything recorded before it is written, and the
// outbox chained: it queues a marker that the writer answers once the
// batch holding it is stored.
func (t *Trail) Flush() {
	ch := make(chan struct{})
	t.queue <- Event{flushed: ch}
	<-ch
}

// Close writes what is queued and staged, and stops the writer.
func (t *Trail) Close() {
	close(t.queue)
	<-t.done
}

func (t *Trail) run() {
	defer close(t.done)
	poll := time.NewTicker(pollInterval)
	defer poll.Stop()
	for {
		var batch []Event
		woken := false
		select {
		case e, ok := <-t.queue:
			if !ok {
				t.write(nil, false)
				return
			}
			batch = t.gather(e)
		case <-t.wake:
			// Staged events are durable already: chaining them can wait
			// for their neighbours, so that a busy server chains many in
			// one transaction instead of taking the write lock from the
			// writers for a few each time.
			time.Sleep(drainDelay)
			woken = true
		case <-poll.C:
		}
		t.write(batch, woken)
		for _, e := range batch {
			if e.flushed != nil {
				close(e.flushed)
			}
		}
	}
}

// gather collects events for up to batchInterval after the first.
func (t *Trail) gather(first Event) []Event {
	batch := []Event{first}
	timer := time.NewTimer(batchInterval)
	defer timer.Stop()
	for len(batch) < 500 {
		select {
		case e, ok := <-t.queue:
			if !ok {
				return batch
			}
			batch = append(batch, e)
			if e.flushed != nil {
				return batch
			}
		case <-timer.C:
			return batch
		}
	}
	return batch
}

// write appends a batch and the outbox to the chain. A failure the store
// calls transient (a lost race for the head, a broken connection) is
// retried until it succeeds: events are not dropped because the database
// was briefly away (Record waits meanwhile once the queue is full).
// Anything else is retried a few times, then logged as the operational
// emergency it is.
func (t *Trail) write(batch []Event, woken bool) {
	var resources []fhir.Resource
	for i := range batch {
		if batch[i].Interaction != "" {
			resources = append(resources, batch[i].AuditEvents()...)
		}
	}
	ctx := context.Background()
	if len(resources) == 0 && !woken {
		if recs, err := t.st.FirstRecords(ctx, outboxKind, 1); err == nil && len(recs) == 0 {
			return // nothing to chain: no write transaction needed
		}
	}
	failures := 0
	for {
		var more bool
		err := t.st.InTx(ctx, func(tx store.Tx) error {
			var err error
			more, err = drain(ctx, tx, cloneAll(resources))
			return err
		})
		switch {
		case err == nil && more:
			resources = nil // more waiting in the outbox
			continue
		case err == nil:
			return
		case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrUnavailable), errors.Is(err, store.ErrOutcomeUnknown):
			// ErrOutcomeUnknown may repeat events that were chained; a
			// repeated event is better than a lost one.
			failures++
			if failures%10 == 1 {
				t.log.Warn("audit events not written yet: retrying", "events", len(resources), "attempt", failures, "error", err)
			}
			time.Sleep(min(time.Duration(failures)*100*time.Millisecond, 5*time.Second))
		default:
			failures++
			if failures < 5 {
				continue
			}
			t.log.Error("audit events not written", "events", len(resources), "error", err)
			return
		}
	}
}

// cloneAll copies the resources' top level: Append sets id, meta and the
// chain extension on what it is given, and a retry must start clean.
func cloneAll(rs []fhir.Resource) []fhir.Resource {
	out := make([]fhir.Resource, len(rs))
	for i, r := range rs {
		out[i] = maps.Clone(r)
	}
	return out
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
	// The canonical form is encoding/json.Marshal's (keys sorted, <, >
	// and & escaped); fhir.MarshalSorted writes the same bytes faster.
	body, err := fhir.MarshalSorted(map[string]any(res))
	if err != nil {
		return "", err
	}
	sum := sha256.New()
	sum.Write([]byte(orGenesis(prev)))
	sum.Write([]byte{'\n'})
	sum.Write(body)
	return hex.EncodeToString(sum.Sum(nil)), nil
}
