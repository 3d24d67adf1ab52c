package httpapi_test

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gpcloud/gpcloud/internal/httpapi"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// TestConcurrentIfMatchWriters: 8 writers updating one resource with
// If-Match lose no update: the final version equals 1 + successful writes.
func TestConcurrentIfMatchWriters(t *testing.T) {
	for _, so := range benchStores() {
		t.Run(so.name, func(t *testing.T) {
			runConcurrentWriters(t, so.open(t))
		})
	}
}

// TestTwoServersOnOnePostgres runs two servers on one PostgreSQL schema, as
// two gpcloud serve processes would: both start at once (the migration
// lock), then the 8 writers alternate between them.
func TestTwoServersOnOnePostgres(t *testing.T) {
	stores := storetest.OpenPostgresConcurrently(t, 2)
	runConcurrentWriters(t, newTestServerOn(t, stores[0], httpapi.Options{}), newTestServerOn(t, stores[1], httpapi.Options{}))
}

// runConcurrentWriters has writer w use servers[w % len(servers)].
func runConcurrentWriters(t *testing.T, servers ...*testServer) {
	ts := servers[0]
	id := ts.do("POST", "/fhir/Patient", patient("Race")).expect(t, http.StatusCreated).str("id")
	const writers, attempts = 8, 10
	var ok, conflicts atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			ts := servers[w%len(servers)]
			for i := 0; i < attempts; i++ {
				cur := ts.do("GET", "/fhir/Patient/"+id, nil)
				if cur.status != http.StatusOK {
					t.Errorf("read: %d", cur.status)
					return
				}
				p := patient(fmt.Sprintf("W%d-%d", w, i))
				p["id"] = id
				r := ts.do("PUT", "/fhir/Patient/"+id, p, "If-Match", cur.header.Get("ETag"))
				switch r.status {
				case http.StatusOK:
					ok.Add(1)
				case http.StatusPreconditionFailed, http.StatusConflict:
					conflicts.Add(1)
				default:
					t.Errorf("PUT: %d %s", r.status, r.raw)
				}
			}
		}(w)
	}
	wg.Wait()
	final := ts.do("GET", "/fhir/Patient/"+id, nil).expect(t, http.StatusOK)
	want := fmt.Sprint(1 + ok.Load())
	if v := final.str("meta", "versionId"); v != want {
		t.Fatalf("final version %s, want %s (%d successful writes, %d conflicts)", v, want, ok.Load(), conflicts.Load())
	}
	hist := ts.do("GET", "/fhir/Patient/"+id+"/_history?_count=1", nil).expect(t, http.StatusOK)
	if total := fmt.Sprint(hist.body["total"]); total != want {
		t.Fatalf("history total %s, want %s", total, want)
	}
	if ok.Load() == 0 {
		t.Fatal("no write succeeded")
	}
}
