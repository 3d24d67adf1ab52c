// Package changefeed reads the resources of a type changed since a
// checkpoint kept in the store, for the background jobs that turn
// changes into messages (appointment confirmations and reminders, notices
// of the practice's replies): whoever wrote a change (a page, the API,
// GP Connect), the job sees it.
//
// A job handles each changed resource and then moves the checkpoint; a
// crash in between reads the same versions again, so what a job does with
// one must be idempotent (the outbox ignores a key it has). The first scan
// starts from now: older changes are not announced.
package changefeed

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
)

const (
	checkpointID = "checkpoint"
	// overlap re-reads a few seconds before the checkpoint: versions
	// committed out of order by their lastUpdated are not missed.
	overlap = 5 * time.Second
	page    = 200
)

// Feed is the changes of one type (narrowed by Params), with its
// checkpoint under Kind in the store's records.
type Feed struct {
	Store   store.Store
	Service *service.Service
	// Kind names the checkpoint's record.
	Kind   string
	Type   string
	Params url.Values
}

// Scan passes each resource changed since the checkpoint to handle, in
// the order they changed, then moves the checkpoint past them; it returns
// the sum of what handle returned.
func (f Feed) Scan(ctx context.Context, now time.Time, handle func(fhir.Resource) (int, error)) (int, error) {
	since := now
	if rec, err := f.Store.GetRecord(ctx, f.Kind, checkpointID); err == nil {
		if t, err := time.Parse(time.RFC3339Nano, string(rec.Body)); err == nil {
			since = t
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return 0, err
	} else {
		return 0, f.checkpoint(ctx, now)
	}
	total, latest := 0, since
	params := url.Values{}
	for k, v := range f.Params {
		params[k] = v
	}
	params.Set("_lastUpdated", "ge"+since.Add(-overlap).UTC().Format(time.RFC3339Nano))
	params.Set("_sort", "_lastUpdated")
	params.Set("_count", fmt.Sprint(page))
	// One search, read a page at a time through its stored list (its next
	// links): searching again from the latest change seen would read the
	// same page again when more than a page changed within the overlap,
	// and never get past it.
	for {
		res, err := f.Service.Search(ctx, service.SearchRequest{Type: f.Type, Params: params})
		if err != nil {
			return total, err
		}
		for _, r := range service.Matches(res.Resource) {
			n, err := handle(r)
			if err != nil {
				return total, fmt.Errorf("%s/%s: %w", f.Type, r.ID(), err)
			}
			total += n
			if t, err := time.Parse(time.RFC3339Nano, lastUpdated(r)); err == nil && t.After(latest) {
				latest = t
			}
		}
		next := service.NextPage(res.Resource)
		if next == nil {
			break
		}
		params = next
	}
	return total, f.checkpoint(ctx, latest)
}

func (f Feed) checkpoint(ctx context.Context, t time.Time) error {
	return f.Store.InTx(ctx, func(tx store.Tx) error {
		return tx.PutRecord(ctx, store.Record{Kind: f.Kind, ID: checkpointID, Body: []byte(t.UTC().Format(time.RFC3339Nano))})
	})
}

func lastUpdated(r fhir.Resource) string {
	s, _ := r.Meta()["lastUpdated"].(string)
	return s
}
