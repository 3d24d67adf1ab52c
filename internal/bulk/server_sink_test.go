package bulk_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/bulk"
	"github.com/gpcloud/gpcloud/internal/httpapi"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store/sqlite"
)

// Import through a FHIR server's REST API (gpcloud import --server): the
// same deferral of conditional references and the same error reports.
func TestImportThroughServer(t *testing.T) {
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	mux.Handle("/", httpapi.New(service.New(st, service.Options{BaseURL: srv.URL + "/fhir"}), httpapi.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))

	dir := t.TempDir()
	files := map[string]string{
		"1-Encounter.ndjson": `{"resourceType":"Encounter","id":"e1","status":"finished","class":{"code":"AMB"},"serviceProvider":{"reference":"Organization?identifier=urn:ods|X1"}}` + "\n" +
			`{"resourceType":"Encounter","id":"bad","status":"nonsense","class":{"code":"AMB"}}` + "\n",
		"2-Organization.ndjson": `{"resourceType":"Organization","id":"x1","identifier":[{"system":"urn:ods","value":"X1"}]}` + "\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sink := bulk.ServerSink{Base: srv.URL + "/fhir", Client: srv.Client()}
	res, err := bulk.Import(context.Background(), sink, []string{dir}, bulk.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.ByType["Encounter"] != 1 || res.ByType["Organization"] != 1 || len(res.Problems) != 1 || !strings.Contains(res.Problems[0].String(), "1-Encounter.ndjson:2:") {
		t.Fatalf("result %+v, problems %v", res.ByType, res.Problems)
	}
	v, err := st.Read(context.Background(), "Encounter", "e1")
	if err != nil || !strings.Contains(string(v.Body), `"reference":"Organization/x1"`) {
		t.Errorf("e1 = %s, %v", v.Body, err)
	}
}
