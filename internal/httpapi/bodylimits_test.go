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
	// On a loaded machine that can take a while: wait by the clock.
	var busy response
	for deadline := time.Now().Add(20 * time.Second); busy.status != http.StatusServiceUnavailable; {
		if time.Now().After(deadline) {
			t.Fatalf("a second large body was never refused: %d %.200s", busy.status, busy.raw)
		}
		if busy.status != 0 {
			time.Sleep(20 * time.Millisecond)
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
