package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

type loggerKey struct{}

// Logger returns the request-scoped logger (with request_id) stored in ctx,
// or slog.Default().
func Logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

// safeRequestID accepts a caller's X-Request-Id only when it cannot inject
// anything into logs.
var safeRequestID = regexp.MustCompile(`^[A-Za-z0-9._\-]{1,64}$`)

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// statusRecorder remembers the status and size written, for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

// withRequestContext gives every request an id (echoed in X-Request-Id), a
// logger carrying it, an access log line, a body size limit (maxBody's
// for the request), a share of the memory budget for a large body (taken
// when the handler reads it, so only after authentication; not for a raw
// Binary upload, which is streamed to storage) and recovery from panics
// (answered with a 500 OperationOutcome).
func withRequestContext(base *slog.Logger, maxBody func(*http.Request) int64, budget *bodyBudget, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !safeRequestID.MatchString(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		log := base.With("request_id", id)
		ctx := context.WithValue(r.Context(), loggerKey{}, log)
		r = r.WithContext(ctx)
		if limit := maxBody(r); r.Body != nil && limit > 0 {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		if r.Body != nil && r.Body != http.NoBody && budget != nil && !rawBinaryWrite(r) {
			body := budget.body(ctx, r.Body, r.ContentLength, w.Header())
			r.Body = body
			defer body.release()
		}
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				log.Error("panic", "panic", p, "stack", string(debug.Stack()))
				if rec.status == 0 {
					writeError(rec, r, fhir.Errorf(http.StatusInternalServerError, fhir.CodeException, "internal error (request %s)", id))
				}
			}
			log.Info("request", "method", r.Method, "path", r.URL.Path, "status", rec.status,
				"bytes", rec.bytes, "duration_ms", float64(time.Since(start).Microseconds())/1000)
		}()
		next.ServeHTTP(rec, r)
	})
}
