package notify

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sort"
	"time"

	"github.com/gpcloud/gpcloud/internal/store"
)

// Sender sends a message on one channel; an error leaves it in the
// outbox for another attempt.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Dispatcher sends the outbox's due messages. Several may run on one
// store (replicas): each message is leased to one at a time.
type Dispatcher struct {
	st      store.Store
	senders map[Channel]Sender
	log     *slog.Logger
	now     func() time.Time
	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
}

// lease is how long a dispatcher holds a message it is sending: past it,
// a message whose dispatcher died is sent again.
const lease = time.Minute

// pollInterval is how often the outbox is looked at when nothing woke
// the dispatcher (messages due later, other replicas' messages).
const pollInterval = 5 * time.Second

// Start runs a dispatcher with the senders configured (a channel without
// one keeps its messages waiting).
func Start(st store.Store, senders map[Channel]Sender, log *slog.Logger) *Dispatcher {
	if log == nil {
		log = slog.Default()
	}
	d := &Dispatcher{st: st, senders: senders, log: log, now: time.Now,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go d.run()
	return d
}

// Connected reports whether a channel can send (screens say "not
// connected" when it cannot).
func (d *Dispatcher) Connected(c Channel) bool { return d != nil && d.senders[c] != nil }

// Wake asks the dispatcher to look at the outbox now.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Close stops the dispatcher after the message it is sending.
func (d *Dispatcher) Close() {
	close(d.stop)
	<-d.done
}

func (d *Dispatcher) run() {
	defer close(d.done)
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		d.SendDue(context.Background())
		select {
		case <-d.stop:
			return
		case <-d.wake:
		case <-t.C:
		}
	}
}

// SendDue sends every message that is due and not leased, one at a
// time, and returns how many went.
func (d *Dispatcher) SendDue(ctx context.Context) int {
	recs, err := d.st.ListRecords(ctx, outboxKind)
	if err != nil {
		d.log.Warn("notify: outbox unreadable", "error", err)
		return 0
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].ID < recs[j].ID })
	sent := 0
	for _, rec := range recs {
		select {
		case <-d.stop:
			return sent
		default:
		}
		var q queued
		if json.Unmarshal(rec.Body, &q) != nil || d.senders[q.Channel] == nil || !d.due(q) {
			continue
		}
		if d.sendOne(ctx, rec.ID) {
			sent++
		}
	}
	return sent
}

func (d *Dispatcher) due(q queued) bool {
	now := d.now()
	return !now.Before(q.NotBefore) && !now.Before(q.Lease)
}

// sendOne leases a message, sends it and records it sent; on failure
// it stays in the outbox, leased until its next attempt (backing off).
func (d *Dispatcher) sendOne(ctx context.Context, key string) bool {
	var q queued
	claimed := false
	err := d.st.InTx(ctx, func(tx store.Tx) error {
		claimed = false
		rec, err := tx.GetRecord(ctx, outboxKind, key) // locks it where the store can
		if err != nil {
			return err
		}
		if err := json.Unmarshal(rec.Body, &q); err != nil {
			return err
		}
		if !d.due(q) {
			return nil // another dispatcher has it
		}
		q.Lease = d.now().Add(lease)
		q.Attempts++
		claimed = true
		return putQueued(ctx, tx, outboxKind, q)
	})
	if err != nil || !claimed {
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			d.log.Warn("notify: cannot lease a message", "key", key, "error", err)
		}
		return false
	}
	sendErr := d.senders[q.Channel].Send(ctx, q.Message)
	err = d.st.InTx(ctx, func(tx store.Tx) error {
		if sendErr != nil {
			q.LastErr = sendErr.Error()
			q.Lease = d.now().Add(backoff(q.Attempts))
			return putQueued(ctx, tx, outboxKind, q)
		}
		q.Sent, q.LastErr, q.Lease = d.now().UTC(), "", time.Time{}
		if err := tx.DeleteRecord(ctx, outboxKind, key); err != nil {
			return err
		}
		return putQueued(ctx, tx, sentKind, q)
	})
	if err != nil {
		// Sent but not recorded: the lease runs out and it goes once more.
		d.log.Error("notify: a message's outcome was not recorded", "key", key, "error", err)
	}
	if sendErr != nil {
		d.log.Warn("notify: sending failed; will try again", "key", key, "channel", q.Channel, "attempt", q.Attempts, "error", sendErr)
		return false
	}
	return true
}

// backoff is the wait before attempt n+1: 30 s doubling, at most an hour.
func backoff(attempts int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < attempts && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

func putQueued(ctx context.Context, tx store.Tx, kind string, q queued) error {
	body, err := json.Marshal(q)
	if err != nil {
		return err
	}
	return tx.PutRecord(ctx, store.Record{Kind: kind, ID: q.Key, Body: body})
}
