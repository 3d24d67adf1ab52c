package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/gpcloud/gpcloud/internal/store"
)

// Channel is how a message travels.
type Channel string

// The channels.
const (
	Email Channel = "email"
	SMS   Channel = "sms"
)

// Message is one message to one person.
type Message struct {
	// Key identifies the message: enqueueing the same key twice sends it
	// once ("appointment-reminder:<appointment id>:<version>").
	Key     string  `json:"key"`
	Channel Channel `json:"channel"`
	To      string  `json:"to"` // an email address or a phone number
	// Template names what is said (an SMS provider's template id, or the
	// practice's own); Personalisation fills it in.
	Template        string            `json:"template"`
	Personalisation map[string]string `json:"personalisation,omitempty"`
	// Subject and Body are an email's text, rendered by the caller.
	Subject string `json:"subject,omitempty"`
	Body    string `json:"body,omitempty"`
	// NotBefore delays a message (a reminder the day before).
	NotBefore time.Time `json:"notBefore,omitzero"`
	// About names what the message is about (Appointment/123), for the
	// record of what was sent.
	About string `json:"about,omitempty"`
}

// Validate refuses a message that cannot be sent.
func (m Message) Validate() error {
	switch {
	case m.Key == "":
		return errors.New("notify: a message needs a key")
	case m.Channel != Email && m.Channel != SMS:
		return fmt.Errorf("notify: unknown channel %q", m.Channel)
	case m.To == "":
		return errors.New("notify: a message needs a recipient")
	case m.Channel == Email && m.Subject == "":
		return errors.New("notify: an email needs a subject")
	}
	return nil
}

// Record kinds: messages waiting, and those sent (kept for the record).
const (
	outboxKind = "notify-outbox"
	sentKind   = "notify-sent"
)

// queued is a message in the outbox, with its sending state.
type queued struct {
	Message
	Enqueued time.Time `json:"enqueued"`
	// Lease is until when a dispatcher has it (a crashed one's lease runs
	// out, and another sends it again).
	Lease    time.Time `json:"lease,omitzero"`
	Attempts int       `json:"attempts,omitempty"`
	LastErr  string    `json:"lastError,omitempty"`
	// Sent is when it went (records of kind notify-sent).
	Sent time.Time `json:"sent,omitzero"`
}

// Enqueue adds a message to the outbox within tx, so that it commits
// with what it is about. A key already enqueued or sent is not enqueued
// again (nil error).
func Enqueue(ctx context.Context, tx store.Tx, m Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	if _, err := tx.GetRecord(ctx, sentKind, m.Key); err == nil {
		return nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	body, err := json.Marshal(queued{Message: m, Enqueued: time.Now().UTC()})
	if err != nil {
		return err
	}
	err = tx.InsertRecord(ctx, store.Record{Kind: outboxKind, ID: m.Key, Body: body})
	if errors.Is(err, store.ErrConflict) {
		return nil // enqueued already
	}
	return err
}

// Cancel removes a message not sent yet (a reminder of a cancelled
// appointment); removing none is not an error.
func Cancel(ctx context.Context, tx store.Tx, key string) error {
	return tx.DeleteRecord(ctx, outboxKind, key)
}

// Status is what became of a message.
type Status struct {
	Key      string
	Channel  Channel
	To       string
	About    string
	Sent     time.Time // zero while waiting
	Attempts int
	LastErr  string
}

// Statuses lists the messages waiting and sent, newest first.
func Statuses(ctx context.Context, r store.Reader) ([]Status, error) {
	var out []Status
	for _, kind := range []string{outboxKind, sentKind} {
		recs, err := r.ListRecords(ctx, kind)
		if err != nil {
			return nil, err
		}
		for _, rec := range recs {
			var q queued
			if err := json.Unmarshal(rec.Body, &q); err != nil {
				return nil, fmt.Errorf("notify record %s: %w", rec.ID, err)
			}
			out = append(out, Status{Key: q.Key, Channel: q.Channel, To: q.To, About: q.About, Sent: q.Sent, Attempts: q.Attempts, LastErr: q.LastErr})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key > out[j].Key })
	return out, nil
}
