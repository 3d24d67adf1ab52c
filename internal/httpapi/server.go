package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/gpcloud/gpcloud/internal/audit"
	"github.com/gpcloud/gpcloud/internal/auth/tokens"

	"github.com/gpcloud/gpcloud/internal/bulk"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/fhirjson"
	"github.com/gpcloud/gpcloud/internal/service"
)

// Options configure the HTTP API.
type Options struct {
	// MaxBodyBytes caps request bodies (413 beyond). Default 32 MiB.
	MaxBodyBytes int64
	// MaxInflightBody is the memory budget of large request bodies
	// (over 1 MiB): the total size of those the API works on at once.
	// A large body that cannot get its share within BodyBudgetWait is
	// answered 503 with Retry-After. Default DefaultMaxInflightBody;
	// negative for no budget.
	MaxInflightBody int64
	// BodyBudgetWait defaults to DefaultBodyBudgetWait.
	BodyBudgetWait time.Duration
	// MaxBinaryBytes caps raw Binary uploads (a document sent in its own
	// format, streamed to storage) instead. Default 100 MiB.
	MaxBinaryBytes int64
	// JSONLimits bound nesting depth and string sizes of request bodies.
	JSONLimits fhirjson.Limits
	// Logger receives access and error logs. Default slog.Default().
	Logger *slog.Logger
	// Ready reports whether the store is reachable and migrated (/readyz).
	Ready func(ctx context.Context) error
	// Software names the server in the CapabilityStatement.
	SoftwareVersion string
	// Exports runs Bulk Data $export jobs; nil leaves $export unserved.
	Exports *bulk.Jobs
	// Tokens verifies access tokens. Nil serves without authentication:
	// tests of other concerns, and serve --insecure-no-auth for local
	// development only.
	Tokens *tokens.Authority
	// Audit receives an AuditEvent for every FHIR request; nil records
	// none.
	Audit *audit.Trail
}

// DefaultMaxBodyBytes is the default request body limit.
const DefaultMaxBodyBytes = 32 << 20

// API serves the FHIR REST API and health endpoints.
type API struct {
	svc     *service.Service
	opts    Options
	handler http.Handler
	started time.Time
}

// New returns the HTTP API over svc.
func New(svc *service.Service, opts Options) *API {
	if opts.MaxBodyBytes == 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.MaxBinaryBytes == 0 {
		opts.MaxBinaryBytes = DefaultMaxBinaryBytes
	}
	if opts.JSONLimits == (fhirjson.Limits{}) {
		opts.JSONLimits = fhirjson.DefaultLimits
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	a := &API{svc: svc, opts: opts, started: time.Now()}
	mux := http.NewServeMux()
	for _, rt := range a.routes() {
		h := rt.handler
		if rt.pattern != "GET /fhir/metadata" { // the CapabilityStatement is public
			h = a.guarded(auditInteraction(rt), h)
		}
		mux.HandleFunc(rt.pattern, negotiated(h))
	}
	mux.HandleFunc("GET /healthz", a.healthz)
	// Bulk Data job status and files live outside /fhir (their URLs are
	// given by the server, not defined by the FHIR REST API).
	mux.HandleFunc("GET /bulk-status/{job}", a.guarded("operation", a.exportStatus))
	mux.HandleFunc("DELETE /bulk-status/{job}", a.guarded("operation", a.exportDelete))
	mux.HandleFunc("GET /bulk-files/{job}/{name}", a.guarded("operation", a.exportFile))
	mux.HandleFunc("GET /.well-known/jwks.json", a.jwks)
	mux.HandleFunc("GET /readyz", a.readyz)
	mux.HandleFunc("/fhir/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, fhir.Errorf(http.StatusNotFound, fhir.CodeNotSupported, "%s %s is not a supported FHIR interaction", r.Method, r.URL.Path))
	})
	a.handler = withRequestContext(opts.Logger, a.bodyLimit, newBodyBudget(opts.MaxInflightBody, opts.MaxBodyBytes, opts.BodyBudgetWait), mux)
	return a
}

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.handler.ServeHTTP(w, r) }

func (a *API) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ok\n")
}

func (a *API) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if a.opts.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		if err := a.opts.Ready(ctx); err != nil {
			Logger(r.Context()).Warn("not ready", "error", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, "not ready: store unreachable or not migrated\n")
			return
		}
	}
	_, _ = io.WriteString(w, "ready\n")
}

// readResource reads and decodes a resource body with the configured limits.
func (a *API) readResource(r *http.Request) (fhir.Resource, error) {
	if err := checkBodyType(r, false); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	if len(data) == 0 {
		return nil, fhir.Errorf(http.StatusBadRequest, fhir.CodeRequired, "the request has no body: a FHIR resource is expected")
	}
	return fhirjson.DecodeResource(data, a.opts.JSONLimits)
}
