package httpapi_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/httpapi"
	"github.com/gpcloud/gpcloud/internal/store/postgres"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// TestTerminatedBackends: PostgreSQL backends terminated under load (a
// failover, an operator, a restart) cost no 500s: idempotent work is
// retried on a fresh connection, the rest answers 503 with Retry-After,
// and nothing half-done is left.
func TestTerminatedBackends(t *testing.T) {
	dsn := storetest.PostgresDSN(t) + "&application_name=gpcloud_terminated_test"
	st, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServerOn(t, st, httpapi.Options{})
	admin, err := sql.Open("pgx", os.Getenv(storetest.PostgresEnv))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	id := ts.do("POST", "/fhir/Patient", patient("Seed")).expect(t, 201).str("id")

	stop := make(chan struct{})
	var killed atomic.Int64
	var killers sync.WaitGroup
	killers.Add(1)
	go func() {
		defer killers.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(150 * time.Millisecond):
			}
			var n int64
			_ = admin.QueryRow(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'gpcloud_terminated_test'`).Scan(&n)
			killed.Add(n)
		}
	}()
	var mu sync.Mutex
	statuses := map[int]int{}
	var clients sync.WaitGroup
	deadline := time.Now().Add(3 * time.Second)
	for c := 0; c < 8; c++ {
		clients.Add(1)
		go func(c int) {
			defer clients.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				var r response
				switch i % 4 {
				case 0:
					r = ts.do("GET", "/fhir/Patient/"+id, nil)
				case 1:
					r = ts.do("GET", "/fhir/Patient?name=Seed", nil)
				case 2:
					r = ts.do("POST", "/fhir/Patient", patient(fmt.Sprintf("C%d-%d", c, i)))
				case 3:
					r = ts.do("POST", "/fhir", map[string]any{"resourceType": "Bundle", "type": "transaction", "entry": []any{
						map[string]any{"fullUrl": "urn:uuid:6a0f0a4e-2b6e-4c55-9d42-6f1c1b2f3a4d", "resource": patient("Tx"),
							"request": map[string]any{"method": "POST", "url": "Patient"}}}})
				}
				mu.Lock()
				statuses[r.status]++
				mu.Unlock()
				if r.status == http.StatusServiceUnavailable && r.header.Get("Retry-After") == "" {
					t.Errorf("503 without Retry-After: %s", r.raw)
				}
				if r.status >= 500 && r.status != http.StatusServiceUnavailable {
					t.Errorf("status %d: %s", r.status, r.raw)
				}
			}
		}(c)
	}
	clients.Wait()
	close(stop)
	killers.Wait()
	t.Logf("%d backends terminated; statuses %v", killed.Load(), statuses)
	if killed.Load() == 0 {
		t.Fatal("no backend was terminated: the test proved nothing")
	}
	// The server is well afterwards.
	ts.do("GET", "/fhir/Patient/"+id, nil).expect(t, 200)
}
