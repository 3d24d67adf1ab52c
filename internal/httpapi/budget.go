package httpapi

import (
	"context"
	"io"
	"net/http"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Defaults of the memory budget for large request bodies.
const (
	// DefaultMaxInflightBody is the total size of large bodies the API
	// works on at once. A transaction Bundle costs about 28 times its
	// size in memory while it is decoded, validated, resolved and written
	// (bench/burstbench: a 27 MB Bundle of 24,000 Observations raises the
	// peak RSS by ~770 MB), so 32 MiB, the default body limit, keeps
	// large bodies to about 900 MB: one of the largest Bundles at a time,
	// or eight Synthea patients of 4 MB. Working on two large Bundles at
	// once is no faster on SQLite (one writer) and costs twice the memory
	// (64 MiB measured 1.7 GB for four sent at once).
	DefaultMaxInflightBody = 32 << 20
	// DefaultBodyBudgetWait is how long a large body waits for budget
	// before it is answered 503: long enough to ride out a short burst,
	// short enough that a client is not left hanging behind a queue of
	// bundles that each take seconds.
	DefaultBodyBudgetWait = 5 * time.Second
	// largeBody is the size from which a body needs budget. Smaller
	// ones, nearly every request, never wait.
	largeBody = 1 << 20
	// retryAfter is the Retry-After of a 503 for want of budget, in
	// seconds: the wait again. A client that comes back then either finds
	// room or waits its turn once more; a pause as long as one of the
	// largest Bundles takes (10-20 s here) would leave the server idle
	// between them.
	retryAfter = "5"
)

// bodyBudget is a weighted semaphore over the bytes of large request
// bodies in flight: a body holds its size (its Content-Length, or what
// has been read of a chunked body) from its first read until its request
// is answered, because the memory it costs lives until then.
type bodyBudget struct {
	sem     *semaphore.Weighted
	total   int64
	maxBody int64 // a declared length beyond it is refused anyway (413)
	wait    time.Duration
}

// newBodyBudget returns a budget of total bytes, or nil (no budget) when
// total is negative.
func newBodyBudget(total, maxBody int64, wait time.Duration) *bodyBudget {
	if total < 0 {
		return nil
	}
	if total == 0 {
		total = DefaultMaxInflightBody
	}
	if wait <= 0 {
		wait = DefaultBodyBudgetWait
	}
	return &bodyBudget{sem: semaphore.NewWeighted(total), total: total, maxBody: maxBody, wait: wait}
}

// errBusy is what a body read answers when the budget stays spent: the
// handler's writeError turns it into a 503 OperationOutcome (the body
// sets Retry-After).
func errBusy() *fhir.Error {
	return fhir.Errorf(http.StatusServiceUnavailable, fhir.CodeThrottled,
		"the server is busy with other large requests: retry in a few seconds")
}

// budgetBody takes budget as its body is read. It is read on the
// handler's goroutine; release, after the answer, gives it all back.
type budgetBody struct {
	b        *bodyBudget
	src      io.ReadCloser
	ctx      context.Context
	header   http.Header // of the response, for Retry-After
	declared int64       // Content-Length, -1 when chunked
	read     int64       // of a chunked body
	held     int64
	err      error
}

func (b *bodyBudget) body(ctx context.Context, src io.ReadCloser, declared int64, header http.Header) *budgetBody {
	return &budgetBody{b: b, src: src, ctx: ctx, declared: declared, header: header}
}

func (bb *budgetBody) Read(p []byte) (int, error) {
	if bb.err != nil {
		return 0, bb.err
	}
	if bb.declared > largeBody && bb.held == 0 {
		if err := bb.take(bb.declared); err != nil {
			bb.err = err
			return 0, err
		}
	}
	if bb.declared >= 0 {
		return bb.src.Read(p)
	}
	// Chunked: the size is known only as it arrives. Past largeBody,
	// hold what has been read, rounded up to steps of largeBody so as
	// not to ask at every read; reads are kept to a step so that the
	// bytes read are never more than a step past what is held.
	if len(p) > largeBody {
		p = p[:largeBody]
	}
	n, err := bb.src.Read(p)
	bb.read += int64(n)
	if bb.read > largeBody && bb.read > bb.held {
		if terr := bb.take((bb.read + largeBody - 1) / largeBody * largeBody); terr != nil {
			bb.err = terr
			return 0, terr
		}
	}
	return n, err
}

// take raises what the body holds to need (at most the whole budget, so
// that a body larger than it runs alone rather than never), waiting up to
// the budget's wait.
func (bb *budgetBody) take(need int64) error {
	if bb.b.maxBody > 0 {
		need = min(need, bb.b.maxBody)
	}
	need = min(need, bb.b.total)
	if need <= bb.held {
		return nil
	}
	ctx, cancel := context.WithTimeout(bb.ctx, bb.b.wait)
	defer cancel()
	if err := bb.b.sem.Acquire(ctx, need-bb.held); err != nil {
		if bb.ctx.Err() != nil {
			return bb.ctx.Err() // the client went away
		}
		Logger(bb.ctx).Warn("large body refused: memory budget spent", "need_bytes", need-bb.held, "budget_bytes", bb.b.total)
		bb.header.Set("Retry-After", retryAfter)
		return errBusy()
	}
	bb.held = need
	return nil
}

func (bb *budgetBody) Close() error { return bb.src.Close() }

// release gives back what the body held.
func (bb *budgetBody) release() {
	if bb.held > 0 {
		bb.b.sem.Release(bb.held)
		bb.held = 0
	}
}
