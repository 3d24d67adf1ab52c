package httplimit

import (
	"errors"
	"io"
	"net/http"
	"os"
	"time"
)

// BodyRate bounds how slowly a request body may arrive: a body may take
// Grace, plus one second for every MinRate bytes it has delivered. A
// client that falls behind has its connection closed.
type BodyRate struct {
	Grace   time.Duration
	MinRate int64 // bytes per second
}

// DefaultBodyRate is what gpcloud serve applies.
//
// 30 seconds is enough for any small body (a form, a resource, a
// 480 KiB bundle) over the worst link still in use, and long enough to
// sit out a brief stall; a client that sends one byte every few seconds
// (a slowloris) is cut off after it, whatever Content-Length it
// announced. 16 KiB/s (128 kbit/s) is well under the upload speed of
// the slowest line a practice or a supplier uses (ADSL uplinks start at
// about 450 kbit/s), so a 32 MiB bundle, the largest body the API takes,
// needs about 35 minutes at the least to be refused; a client that keeps
// the minimum up pays for every second it holds a connection with
// bandwidth.
var DefaultBodyRate = BodyRate{Grace: 30 * time.Second, MinRate: 16 << 10}

// ErrBodyTooSlow is the error a handler's body read returns once the
// body has fallen behind its BodyRate.
var ErrBodyTooSlow = errors.New("request body arrived too slowly")

// deadline is when reading a body begun at start must have delivered
// more than received bytes.
func (b BodyRate) deadline(start time.Time, received int64) time.Time {
	d := start.Add(b.Grace)
	if b.MinRate > 0 {
		// In float: received * time.Second overflows an int64 past
		// 9 GB.
		d = d.Add(time.Duration(float64(received) / float64(b.MinRate) * float64(time.Second)))
	}
	return d
}

// MinBodyRate enforces rate on the bodies of the requests next serves. It
// sets the connection's read deadline before each read of the body
// (http.ResponseController), so a body that falls behind fails its read
// with ErrBodyTooSlow. The answer is then a 408 with Connection: close:
// the handler's own, when it answers 408 itself (the FHIR API does, with
// an OperationOutcome), otherwise a plain one in place of whatever it
// wrote. It must wrap the server's own ResponseWriter (or one that
// unwraps to it), so it belongs outermost; a zero Grace turns it off.
func MinBodyRate(rate BodyRate, next http.Handler) http.Handler {
	if rate.Grace <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		body := &rateBody{rate: rate, rc: http.NewResponseController(w), src: r.Body, header: w.Header(), start: time.Now()}
		// The deadline is set now, not at the handler's first read: a
		// handler that answers without reading (a 401, a 404) leaves the
		// server to read and discard the body before it answers, and
		// that read must not wait for ever either.
		body.off = body.rc.SetReadDeadline(rate.deadline(body.start, 0)) != nil
		rw := &rateWriter{ResponseWriter: w, body: body}
		r.Body = body
		next.ServeHTTP(rw, r)
		switch {
		case !body.tooSlow || rw.passed:
		case rw.wrote:
			// The answer was under way before the body fell behind:
			// abort it, which closes the connection.
			panic(http.ErrAbortHandler)
		default:
			h := w.Header()
			clear(h)
			h.Set("Content-Type", "text/plain; charset=utf-8")
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Connection", "close")
			w.WriteHeader(http.StatusRequestTimeout)
			_, _ = io.WriteString(w, ErrBodyTooSlow.Error()+"\n")
		}
	})
}

// rateBody moves the connection's read deadline along as the body
// arrives. Like the ResponseWriter, it is read on the handler's
// goroutine.
type rateBody struct {
	rate     BodyRate
	rc       *http.ResponseController
	src      io.ReadCloser
	header   http.Header
	start    time.Time // the request's headers had arrived
	received int64
	// off: the connection takes no deadlines (a test's recorder), or
	// the body is done.
	off     bool
	tooSlow bool
}

func (b *rateBody) Read(p []byte) (int, error) {
	if b.tooSlow {
		return 0, ErrBodyTooSlow
	}
	if !b.off && b.rc.SetReadDeadline(b.rate.deadline(b.start, b.received)) != nil {
		b.off = true
	}
	n, err := b.src.Read(p)
	b.received += int64(n)
	switch {
	case err == io.EOF:
		// The deadline is not ours to set any more: once the body is
		// read the server lifts it and watches the connection for the
		// client going away, and a deadline passing then would cancel
		// the request's context while it is still being worked on.
		b.off = true
	case err != nil && errors.Is(err, os.ErrDeadlineExceeded):
		b.tooSlow = true
		// Whatever is left of the body is still on the wire: the
		// connection cannot carry another request.
		b.header.Set("Connection", "close")
		return n, ErrBodyTooSlow
	}
	return n, err
}

func (b *rateBody) Close() error { return b.src.Close() }

// rateWriter drops the handler's answer once its body has been found too
// slow, unless that answer is itself a 408.
type rateWriter struct {
	http.ResponseWriter
	body *rateBody
	// wrote: the handler's answer began before the body fell behind;
	// passed: a 408 of its own went out after; dropped: anything else.
	wrote, passed, dropped bool
}

func (w *rateWriter) WriteHeader(code int) {
	switch {
	case w.dropped:
		return
	case w.wrote || w.passed:
		w.ResponseWriter.WriteHeader(code) // the server reports the superfluous call
		return
	case w.body.tooSlow && code == http.StatusRequestTimeout:
		w.passed = true
	case w.body.tooSlow:
		w.dropped = code >= 200
		return
	case code >= 200:
		w.wrote = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *rateWriter) Write(p []byte) (int, error) {
	if !w.wrote && !w.passed {
		w.WriteHeader(http.StatusOK)
	}
	if w.dropped {
		return 0, ErrBodyTooSlow
	}
	return w.ResponseWriter.Write(p)
}

// Flush passes through, for handlers that stream; like the server's, it
// sends a 200 header when none was written.
func (w *rateWriter) Flush() {
	if !w.wrote && !w.passed {
		w.WriteHeader(http.StatusOK)
	}
	if !w.dropped {
		_ = http.NewResponseController(w.ResponseWriter).Flush()
	}
}

// Unwrap lets http.ResponseController reach the server's writer.
func (w *rateWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
