package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/httpapi"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/sqlite"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// testServer is a gpcloud API over a fresh SQLite store.
type testServer struct {
	t     testing.TB
	srv   *httptest.Server
	base  string
	store store.Store
}

// APIStoreEnv set to "postgres" runs the API tests on PostgreSQL instead of
// SQLite (.ci/run does both).
const APIStoreEnv = "GPCLOUD_TEST_API_STORE"

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	if os.Getenv(APIStoreEnv) == "postgres" {
		if os.Getenv("GPCLOUD_TEST_POSTGRES") == "" {
			t.Fatalf("%s=postgres needs GPCLOUD_TEST_POSTGRES", APIStoreEnv)
		}
		return newTestServerOn(t, storetest.OpenPostgres(t), httpapi.Options{})
	}
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	return newTestServerOn(t, st, httpapi.Options{})
}

func newTestServerOn(t testing.TB, st store.Store, opts httpapi.Options) *testServer {
	t.Helper()
	ts := &testServer{t: t, store: st}
	mux := http.NewServeMux()
	ts.srv = httptest.NewServer(mux)
	ts.base = ts.srv.URL + "/fhir"
	svc := service.New(st, service.Options{BaseURL: ts.base})
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	opts.Ready = st.Ping
	mux.Handle("/", httpapi.New(svc, opts))
	t.Cleanup(func() { ts.srv.Close(); st.Close() })
	return ts
}

// response is a decoded HTTP response.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

// do sends a request; body may be nil, a string, bytes, a reader or a value
// to encode.
func (ts *testServer) do(method, path string, body any, headers ...string) response {
	ts.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	case io.Reader:
		rd = b
	default:
		data, err := json.Marshal(b)
		if err != nil {
			ts.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	if body != nil {
		headers = append([]string{"Content-Type", "application/fhir+json"}, headers...)
	}
	resp, raw := ts.raw(method, path, rd, headers...)
	r := response{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		_ = dec.Decode(&r.body)
	}
	return r
}

// expect fails the test unless the status is want.
func (r response) expect(t *testing.T, want int) response {
	t.Helper()
	if r.status != want {
		t.Fatalf("status %d, want %d; body: %s", r.status, want, r.raw)
	}
	return r
}

func (r response) str(path ...string) string {
	var v any = r.body
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	s, _ := v.(string)
	return s
}

// issueExpressions collects every issue expression of an OperationOutcome.
func (r response) issueExpressions() []string {
	var out []string
	issues, _ := r.body["issue"].([]any)
	for _, x := range issues {
		m, _ := x.(map[string]any)
		exprs, _ := m["expression"].([]any)
		for _, e := range exprs {
			out = append(out, e.(string))
		}
	}
	return out
}

func patient(family string) map[string]any {
	return map[string]any{
		"resourceType": "Patient",
		"identifier": []any{map[string]any{
			"system": "https://fhir.nhs.uk/Id/nhs-number",
			"value":  "9000000009",
		}},
		"name":      []any{map[string]any{"family": family, "given": []any{"Jane"}}},
		"gender":    "female",
		"birthDate": "1980-02-29",
	}
}

// storeOpener opens a fresh, empty store for a test or benchmark.
type storeOpener struct {
	name string
	open func(tb testing.TB) *testServer
}

// benchStores returns SQLite and, when GPCLOUD_TEST_POSTGRES is set,
// PostgreSQL.
func benchStores() []storeOpener {
	out := []storeOpener{{"sqlite", func(tb testing.TB) *testServer {
		st, err := sqlite.Open(context.Background(), tb.TempDir())
		if err != nil {
			tb.Fatal(err)
		}
		return newTestServerOn(tb, st, httpapi.Options{})
	}}}
	if os.Getenv("GPCLOUD_TEST_POSTGRES") != "" {
		out = append(out, storeOpener{"postgres", func(tb testing.TB) *testServer {
			return newTestServerOn(tb, storetest.OpenPostgres(tb), httpapi.Options{})
		}})
	}
	return out
}

// expect2xx fails the benchmark or test unless the status is 2xx.
func (r response) expect2xx(tb testing.TB) {
	tb.Helper()
	if r.status < 200 || r.status > 299 {
		tb.Fatalf("status %d: %s", r.status, r.raw)
	}
}
