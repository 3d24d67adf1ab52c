package postgres_test

import (
	"context"
	"sync"
	"testing"

	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/postgres"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return storetest.OpenPostgres(t) })
}

// TestTwoProcesses opens two stores on one schema at the same moment, as
// two gpcloud serve processes starting together would (the advisory lock
// serialises their migrations), then has the 8 writers use both.
func TestTwoProcesses(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	stores := make([]store.Store, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = postgres.Open(context.Background(), dsn)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		t.Cleanup(func() { stores[i].Close() })
	}
	storetest.ConcurrentWriters(t, stores...)
}

func BenchmarkPut1(b *testing.B)   { storetest.BenchmarkPut(b, storetest.OpenPostgres(b), 1) }
func BenchmarkPut100(b *testing.B) { storetest.BenchmarkPut(b, storetest.OpenPostgres(b), 100) }
func BenchmarkRead(b *testing.B)   { storetest.BenchmarkRead(b, storetest.OpenPostgres(b)) }
