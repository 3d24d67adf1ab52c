package httpapi_test

import (
	"io"
	"net/http"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/httpapi"
)

// TestBinaryMemory measures the memory of a 50 MiB Binary sent raw, read
// back raw and read back as FHIR JSON (client and server in this process;
// the client neither holds the document nor keeps what it reads), on each
// store: the Go heap's peak above where it started must stay far below the
// document's size, which is what streaming to and from storage is for.
func TestBinaryMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the 50 MiB memory test is skipped")
	}
	const size = 50 << 20
	for _, so := range apiStores() {
		t.Run(so.name, func(t *testing.T) {
			ts := newTestServerOn(t, so.open(t), httpapi.Options{})
			var id string
			peak := heapPeak(t, func() {
				resp, _ := ts.raw("POST", "/fhir/Binary", &document{left: size}, "Content-Type", "application/pdf")
				if resp.StatusCode != http.StatusCreated {
					t.Fatalf("upload: %d", resp.StatusCode)
				}
				id = strings.Split(strings.TrimPrefix(resp.Header.Get("Location"), ts.base+"/Binary/"), "/")[0]
			})
			t.Logf("%s: 50 MiB raw upload: heap peak %.1f MiB above the start", so.name, mib(peak))
			check(t, "upload", peak)

			for _, accept := range []string{"", "application/fhir+json"} {
				var n int64
				peak = heapPeak(t, func() { n = ts.discard("/fhir/Binary/"+id, accept) })
				what := map[string]string{"": "raw read", "application/fhir+json": "FHIR JSON read"}[accept]
				t.Logf("%s: 50 MiB %s (%d bytes): heap peak %.1f MiB above the start", so.name, what, n, mib(peak))
				check(t, what, peak)
			}
		})
	}
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }

// check fails when a peak nears two thirds of the document: a document
// held whole (or as a base64 string) would be 50 to 67 MiB, and more with
// the copies made on the way. What is left is garbage the collector has
// not taken yet (it runs when the heap has doubled, later on a loaded
// machine: a streamed read once peaked at 24.0 MiB in CI, so the line is
// at 32 MiB, still far below a document held whole).
func check(t *testing.T, what string, peak uint64) {
	t.Helper()
	if peak > 32<<20 {
		t.Errorf("%s: heap peak %.1f MiB: the document is being held in memory", what, mib(peak))
	}
}

// heapPeak runs fn while sampling the heap's objects every millisecond,
// and returns the highest value seen above the value before fn (after a
// collection, so that the start is what is live).
func heapPeak(t *testing.T, fn func()) uint64 {
	t.Helper()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	runtime.GC()
	base := read()
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			if v := read(); v > peak {
				peak = v
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	fn()
	close(done)
	wg.Wait()
	if peak < base {
		return 0
	}
	return peak - base
}

// document yields left bytes of a PDF-like document without holding them.
type document struct {
	left int
	n    byte
}

func (d *document) Read(p []byte) (int, error) {
	if d.left == 0 {
		return 0, io.EOF
	}
	n := min(len(p), d.left)
	for i := range p[:n] {
		d.n = d.n*31 + 7
		p[i] = d.n
	}
	d.left -= n
	return n, nil
}

// discard reads a resource and throws the body away as it arrives.
func (ts *testServer) discard(path, accept string) int64 {
	ts.t.Helper()
	req, err := http.NewRequest("GET", ts.srv.URL+path, nil)
	if err != nil {
		ts.t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		ts.t.Fatalf("GET %s: %d, %v", path, resp.StatusCode, err)
	}
	return n
}
