package audit

import (
	"context"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/store"
)

// BenchmarkWriteBatch measures the trail's writer on its full batch: 500
// events of reads rendered, chained and stored in one transaction, as
// under a read load (bench/README.md, "Reads and their tail").
//
//	go test ./internal/audit -run '^$' -bench WriteBatch -count 5
func BenchmarkWriteBatch(b *testing.B) {
	st := openStore(b)
	ctx := context.Background()
	events := sampleEvents(500)
	n := 0
	for b.Loop() {
		var resources []fhir.Resource
		for i := range events {
			resources = append(resources, events[i].AuditEvents()...)
		}
		if err := st.InTx(ctx, func(tx store.Tx) error { return Append(ctx, tx, resources) }); err != nil {
			b.Fatal(err)
		}
		n += len(resources)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/event")
}
