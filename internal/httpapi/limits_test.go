package httpapi_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/httpapi"
	"github.com/gpcloud/gpcloud/internal/httplimit"
	"github.com/gpcloud/gpcloud/internal/store/sqlite"
)

func TestBadInput(t *testing.T) {
	ts := newTestServer(t)
	malformed := ts.do("POST", "/fhir/Patient", `{"resourceType":"Patient",}`).expect(t, http.StatusBadRequest)
	if !strings.Contains(string(malformed.raw), "offset") {
		t.Errorf("malformed JSON error does not give the offset: %s", malformed.raw)
	}
	deep := `{"resourceType":"Patient","extension":` + strings.Repeat(`[{"extension":`, 5000) + `[]` + strings.Repeat(`}]`, 5000) + `}`
	ts.do("POST", "/fhir/Patient", deep).expect(t, http.StatusBadRequest)

	unknown := ts.do("POST", "/fhir/Patient", map[string]any{"resourceType": "Patient", "nmae": []any{}}).expect(t, http.StatusBadRequest)
	if exprs := unknown.issueExpressions(); len(exprs) == 0 || !strings.Contains(exprs[0], "Patient.nmae") {
		t.Errorf("unknown element: %s", unknown.raw)
	}
	badDate := ts.do("POST", "/fhir/Patient", map[string]any{"resourceType": "Patient", "birthDate": "1980-13-01"}).expect(t, http.StatusBadRequest)
	if exprs := badDate.issueExpressions(); len(exprs) == 0 || exprs[0] != "Patient.birthDate" {
		t.Errorf("bad date: %s", badDate.raw)
	}
	missing := ts.do("POST", "/fhir/Observation", map[string]any{"resourceType": "Observation", "status": "final"}).expect(t, http.StatusUnprocessableEntity)
	if exprs := strings.Join(missing.issueExpressions(), " "); !strings.Contains(exprs, "Observation.code") {
		t.Errorf("missing code: %s", missing.raw)
	}
	ts.do("POST", "/fhir/Patient", "").expect(t, http.StatusBadRequest)
	ts.do("POST", "/fhir/Patient", `<Patient xmlns="http://hl7.org/fhir"/>`, "Content-Type", "application/fhir+xml").expect(t, http.StatusUnsupportedMediaType)
	ts.do("GET", "/fhir/metadata", nil, "Accept", "application/fhir+xml").expect(t, http.StatusNotAcceptable)
	ts.do("GET", "/fhir/metadata?_format=xml", nil).expect(t, http.StatusNotAcceptable)
	ts.do("GET", "/fhir/metadata", nil, "Accept", "application/json").expect(t, http.StatusOK)
}

func TestBodyLimit(t *testing.T) {
	st, err := sqlite.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServerOn(t, st, httpapi.Options{MaxBodyBytes: 1024})
	big := map[string]any{"resourceType": "Patient", "name": []any{map[string]any{"family": strings.Repeat("x", 2000)}}}
	resp := ts.do("POST", "/fhir/Patient", big).expect(t, http.StatusRequestEntityTooLarge)
	if resp.str("resourceType") != "OperationOutcome" {
		t.Errorf("413 body: %s", resp.raw)
	}
}

// TestSlowBodyTimeout: behind the serve command's body-rate limit, a
// FHIR body that stalls is answered 408 with an OperationOutcome.
func TestSlowBodyTimeout(t *testing.T) {
	ts := newTestServer(t)
	slow := httptest.NewServer(httplimit.MinBodyRate(httplimit.BodyRate{Grace: 200 * time.Millisecond, MinRate: 1 << 10}, ts.srv.Config.Handler))
	defer slow.Close()
	body, w := io.Pipe()
	defer w.Close()
	go io.WriteString(w, `{"resourceType":"Patient",`)
	resp := ts.do("POST", slow.URL+"/fhir/Patient", body).expect(t, http.StatusRequestTimeout)
	if resp.str("resourceType") != "OperationOutcome" || !strings.Contains(string(resp.raw), `"code":"timeout"`) {
		t.Errorf("408 body: %s", resp.raw)
	}
}

// TestLargeBodyBudget: with a memory budget of 2 MiB for large bodies,
// a second 1.5 MiB body that arrives while the first is in flight is
// answered 503 with Retry-After; once the first is answered there is
// room again.
func TestLargeBodyBudget(t *testing.T) {
	st, err := sqlite.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// The wait is long enough for the first body to get its share
	// should a second one reach the server before it.
	ts := newTestServerOn(t, st, httpapi.Options{MaxInflightBody: 2 << 20, BodyBudgetWait: time.Second})
	big, _ := json.Marshal(map[string]any{"resourceType": "Binary", "contentType": "application/octet-stream",
		"data": base64.StdEncoding.EncodeToString(make([]byte, 1100<<10))})

	// The first body arrives all but its last bytes, and waits.
	body, w := io.Pipe()
	defer w.Close() // on failure, lets the server's Close finish
	first := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, ts.srv.URL+"/fhir/Binary", body)
		req.ContentLength = int64(len(big))
		req.Header.Set("Content-Type", "application/fhir+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			first <- 0
			return
		}
		resp.Body.Close()
		first <- resp.StatusCode
	}()
	w.Write(big[:len(big)-10])
	// Until the server has begun reading the first body, a second may
	// still find room.
	var busy response
	for i := 0; busy.status != http.StatusServiceUnavailable; i++ {
		if i == 50 {
			t.Fatalf("a second large body was never refused: %d %s", busy.status, busy.raw)
		}
		busy = ts.do("POST", "/fhir/Binary", big)
	}
	if busy.header.Get("Retry-After") == "" || busy.str("resourceType") != "OperationOutcome" ||
		!strings.Contains(string(busy.raw), `"code":"throttled"`) {
		t.Errorf("503 without Retry-After or a throttled OperationOutcome: %v %s", busy.header, busy.raw)
	}
	// Small bodies go through meanwhile.
	ts.do("POST", "/fhir/Patient", patient("Small")).expect(t, http.StatusCreated)
	w.Write(big[len(big)-10:])
	w.Close()
	if status := <-first; status != http.StatusCreated {
		t.Fatalf("the first large body: %d", status)
	}
	ts.do("POST", "/fhir/Binary", big).expect(t, http.StatusCreated)
}

func TestValidateOperation(t *testing.T) {
	ts := newTestServer(t)
	ok := ts.do("POST", "/fhir/Patient/$validate", patient("V")).expect(t, http.StatusOK)
	if ok.str("resourceType") != "OperationOutcome" {
		t.Fatal(string(ok.raw))
	}
	bad := ts.do("POST", "/fhir/Patient/$validate", map[string]any{"resourceType": "Patient", "gender": 3}).expect(t, http.StatusOK)
	if !strings.Contains(string(bad.raw), `"severity":"error"`) {
		t.Errorf("$validate of an invalid resource: %s", bad.raw)
	}
	params := map[string]any{"resourceType": "Parameters", "parameter": []any{map[string]any{"name": "resource", "resource": patient("P")}}}
	ts.do("POST", "/fhir/Patient/$validate", params).expect(t, http.StatusOK)
	if h := ts.do("GET", "/fhir/_history", nil).body["entry"].([]any); len(h) != 0 {
		t.Error("$validate stored something")
	}
}

func TestHealthAndMetadata(t *testing.T) {
	ts := newTestServer(t)
	ts.do("GET", "/healthz", nil).expect(t, http.StatusOK)
	ts.do("GET", "/readyz", nil).expect(t, http.StatusOK)
	cs := ts.do("GET", "/fhir/metadata", nil).expect(t, http.StatusOK)
	if cs.str("fhirVersion") != "4.0.1" || cs.str("resourceType") != "CapabilityStatement" {
		t.Fatalf("metadata: %.300s", cs.raw)
	}
	rest := cs.body["rest"].([]any)[0].(map[string]any)
	resources := rest["resource"].([]any)
	if len(resources) != 146 {
		t.Errorf("%d resource types, want 146 (R4)", len(resources))
	}
	formats := cs.body["format"].([]any)
	for _, f := range formats {
		if strings.Contains(f.(string), "xml") {
			t.Errorf("CapabilityStatement claims XML: %v", formats)
		}
	}
	var patientEntry map[string]any
	for _, r := range resources {
		if r.(map[string]any)["type"] == "Patient" {
			patientEntry = r.(map[string]any)
		}
	}
	got := map[string]bool{}
	for _, i := range patientEntry["interaction"].([]any) {
		got[i.(map[string]any)["code"].(string)] = true
	}
	for _, want := range []string{"read", "vread", "update", "patch", "delete", "history-instance", "history-type", "create", "search-type"} {
		if !got[want] {
			t.Errorf("Patient interaction %s missing", want)
		}
	}
	if len(rest["interaction"].([]any)) != 4 { // transaction, batch, history-system, search-system
		t.Errorf("system interactions: %v", rest["interaction"])
	}
}
