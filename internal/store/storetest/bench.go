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
	ctx := context.Background()
	n := 0
	b.SetBytes(int64(len(benchBody) * batch))
	b.ReportAllocs()
	for b.Loop() {
		err := s.InTx(ctx, func(tx store.Tx) error {
			for range batch {
				n++
				w := write("Observation", fmt.Sprintf("bench-%d", n), 1, n, search.TokenValue{Param: "identifier", System: "urn:bench", Code: fmt.Sprint(n)})
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
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/resource")
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
