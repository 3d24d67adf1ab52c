package bulk_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gpcloud/gpcloud/internal/bulk"
)

// TestImportThroughServerStops: a failure every later write would meet
// too (no server there, the token refused, not a FHIR server) stops the
// import at the first request with one clear error, instead of one
// failure per line; Check finds a wrong base before anything is sent.
func TestImportThroughServerStops(t *testing.T) {
	const outcome = `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"login","diagnostics":"token expired"}]}`
	answer := func(status int, contentType, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/fhir/metadata" {
				w.Header().Set("Content-Type", "application/fhir+json")
				_, _ = w.Write([]byte(`{"resourceType":"CapabilityStatement"}`))
				return
			}
			w.Header().Set("Content-Type", contentType)
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		}
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	tests := []struct {
		name     string
		handler  http.HandlerFunc // nil: nothing listens
		token    string
		want     string // in Import's error
		check    string // in Check's error ("" passes)
		requests int32
	}{
		{name: "nothing listens", want: "cannot reach the FHIR server at", check: "cannot reach the FHIR server at"},
		{name: "no token", handler: answer(401, "application/fhir+json", outcome), want: "wants an access token (HTTP 401: token expired): give one with --token or GPCLOUD_TOKEN", requests: 1},
		{name: "token refused", handler: answer(401, "application/fhir+json", outcome), token: "t", want: "refused the access token (HTTP 401: token expired)", requests: 1},
		{name: "scopes refused", handler: answer(403, "application/fhir+json", outcome), token: "t", want: "refused the request (HTTP 403: token expired): the access token's scopes", requests: 1},
		{name: "not the FHIR base", handler: answer(404, "text/html", "<h1>Not Found</h1>"), want: "answered HTTP 404 with text/html, not an OperationOutcome: is --server the FHIR base URL", requests: 1},
		{name: "a web page took the POST", handler: answer(200, "text/html", "<p>thanks</p>"), want: "answered HTTP 200 with text/html, not a Bundle", requests: 1},
		{name: "no metadata", handler: func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) },
			want: "not an OperationOutcome", check: "GET %BASE%/metadata answered HTTP 404 with text/plain; charset=utf-8, not a CapabilityStatement", requests: 1},
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "Patient.ndjson")
	if err := os.WriteFile(in, []byte(strings.Repeat(`{"resourceType":"Patient"}`+"\n", 5)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := closed.URL + "/fhir"
			var requests atomic.Int32
			if tt.handler != nil {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path != "/fhir/metadata" {
						requests.Add(1)
					}
					tt.handler(w, r)
				}))
				defer srv.Close()
				base = srv.URL + "/fhir"
			}
			sink := bulk.ServerSink{Base: base, Client: http.DefaultClient, Token: tt.token}
			err := sink.Check(context.Background())
			check := strings.ReplaceAll(tt.check, "%BASE%", base)
			if check == "" && err != nil || check != "" && (err == nil || !strings.Contains(err.Error(), check)) {
				t.Errorf("Check: %v, want %q", err, check)
			}
			res, err := bulk.Import(context.Background(), sink, []string{in}, bulk.ImportOptions{BatchSize: 1})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Import: %v, want %q", err, tt.want)
			}
			if len(res.Problems) > 0 || requests.Load() != tt.requests {
				t.Errorf("%d requests (want %d), problems %v", requests.Load(), tt.requests, res.Problems)
			}
		})
	}
}
