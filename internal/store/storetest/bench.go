package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/store"
)

// benchBody is a realistic ~1.5 KB resource body.
var benchBody = []byte(`{"resourceType":"Observation","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs","display":"vital-signs"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"8302-2","display":"Body Height"}],"text":"Body Height"},"subject":{"reference":"Patient/6f1a2b3c-0000-4000-8000-000000000001"},"encounter":{"reference":"Encounter/6f1a2b3c-0000-4000-8000-000000000002"},"effectiveDateTime":"2012-01-23T17:45:49+00:00","issued":"2012-01-23T17:45:49.403+00:00","valueQuantity":{"value":175.2,"unit":"cm","system":"http://unitsofmeasure.org","code":"cm"}` +
	strings.Repeat(` `, 900) + `}`)

// BenchmarkPut measures transactions of batch Puts of new resources.
func BenchmarkPut(b *testing.B, s store.Store, batch int) {
	n := 0
	b.SetBytes(int64(len(benchBody) * batch))
	b.ReportAllocs()
	for b.Loop() {
		putBatch(b, s, batch, func(int) store.Write {
			n++
			return write("Observation", fmt.Sprintf("bench-%d", n), 1, n, search.TokenValue{Param: "identifier", System: "urn:bench", Code: fmt.Sprint(n)})
		})
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/resource")
}

// putBatch puts the batch writes of write(0..batch-1), each with
// benchBody, in one transaction.
func putBatch(b *testing.B, s store.Store, batch int, write func(i int) store.Write) {
	ctx := context.Background()
	err := s.InTx(ctx, func(tx store.Tx) error {
		for i := range batch {
			w := write(i)
			w.Body = benchBody
			if _, err := tx.Put(ctx, w); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRead measures reads of the current version.
func BenchmarkRead(b *testing.B, s store.Store) {
	ctx := context.Background()
	w := write("Observation", "read-me", 1, 1)
	w.Body = benchBody
	if err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.Put(ctx, w); return err }); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Read(ctx, "Observation", "read-me"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPutNamedPatients measures transactions of batch Puts of new
// Observations, each naming its own patient, as the audit trail's batch
// of read events does. The patients are, by mode:
//   - "new": named by no write before, so the write numbers them;
//   - "elsewhere": numbered by another server on the same database
//     (numberer), so the writer's copy of the patients' numbers lacks
//     them and the write looks them up in the store, as a server of a
//     practice larger than its copy does, or one just started
//     (dictionary.go, maxCachedNames);
//   - "known": met by the writer before (its copy holds them).
func BenchmarkPutNamedPatients(b *testing.B, numberer, writer store.Store, batch int, mode string) {
	n := 0
	observations := func(prefix string, s store.Store) {
		putBatch(b, s, batch, func(i int) store.Write {
			return keyedObservation(fmt.Sprintf("%s-%d-%d", prefix, n, i), "a", fmt.Sprintf("bench-patient-%d-%d", n, i))
		})
	}
	b.ReportAllocs()
	b.ResetTimer() // opening the stores (their migrations) is not the write
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		n++
		switch mode {
		case "elsewhere":
			observations("numbered", numberer)
		case "known":
			observations("numbered", numberer)
			observations("met", writer)
		}
		b.StartTimer()
		observations("bench", writer)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*batch), "ns/resource")
}
