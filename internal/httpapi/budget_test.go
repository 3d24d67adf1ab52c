package httpapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

func TestBodyBudget(t *testing.T) {
	const MiB = 1 << 20
	for _, c := range []struct {
		name     string
		occupied int64         // held by other bodies
		freedIn  time.Duration // when they give it back (0: not in time)
		declared int64         // Content-Length, -1 chunked
		size     int64         // what the body holds
		maxBody  int64
		busy     bool
		held     [2]int64 // range the body holds once read (or refused)
	}{
		{"small body, budget spent", 4 * MiB, 0, 512 << 10, 512 << 10, 0, false, [2]int64{0, 0}},
		{"small chunked body, budget spent", 4 * MiB, 0, -1, MiB, 0, false, [2]int64{0, 0}},
		{"large body, budget free", 0, 0, 3 * MiB, 3 * MiB, 0, false, [2]int64{3 * MiB, 3 * MiB}},
		{"large body, budget short", 2 * MiB, 0, 3 * MiB, 3 * MiB, 0, true, [2]int64{0, 0}},
		{"large body, budget freed while it waits", 2 * MiB, 20 * time.Millisecond, 3 * MiB, 3 * MiB, 0, false, [2]int64{3 * MiB, 3 * MiB}},
		{"larger than the budget: runs alone", 0, 0, 10 * MiB, 10 * MiB, 0, false, [2]int64{4 * MiB, 4 * MiB}},
		{"declared past the body limit: holds the limit", 0, 0, 10 * MiB, 2 * MiB, 2 * MiB, false, [2]int64{2 * MiB, 2 * MiB}},
		{"large chunked body, budget free", 0, 0, -1, 3 * MiB, 0, false, [2]int64{3 * MiB, 4 * MiB}},
		{"large chunked body, budget short", 2 * MiB, 0, -1, 3 * MiB, 0, true, [2]int64{2 * MiB, 2 * MiB}}, // what it had till then
	} {
		t.Run(c.name, func(t *testing.T) {
			b := newBodyBudget(4*MiB, c.maxBody, 100*time.Millisecond)
			if err := b.sem.Acquire(context.Background(), c.occupied); err != nil {
				t.Fatal(err)
			}
			if c.freedIn > 0 {
				time.AfterFunc(c.freedIn, func() { b.sem.Release(c.occupied) })
			}
			header := http.Header{}
			body := b.body(context.Background(), io.NopCloser(bytes.NewReader(make([]byte, c.size))), c.declared, header)
			_, err := io.ReadAll(body)
			if busy := err != nil; busy != c.busy {
				t.Fatalf("read: %v, want busy %v", err, c.busy)
			}
			var fe *fhir.Error
			if c.busy && (!errors.As(err, &fe) || fe.Status != http.StatusServiceUnavailable || fe.Issues[0].Code != fhir.CodeThrottled) {
				t.Fatalf("refusal %v, want a 503 throttled OperationOutcome", err)
			}
			if c.busy != (header.Get("Retry-After") != "") {
				t.Errorf("Retry-After %q", header.Get("Retry-After"))
			}
			if body.held < c.held[0] || body.held > c.held[1] {
				t.Errorf("holds %d bytes, want %d to %d", body.held, c.held[0], c.held[1])
			}
			body.release()
			if c.freedIn > 0 {
				c.occupied = 0
			}
			if !b.sem.TryAcquire(4*MiB - c.occupied) {
				t.Error("the body did not give back all it held")
			}
		})
	}
}
