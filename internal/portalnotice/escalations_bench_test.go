package portalnotice

import (
	"context"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// BenchmarkEscalationScan is one minute's scan of a busy practice's 300
// open online requests, none due to escalate (the common case: a read
// and a rule per request, no write).
func BenchmarkEscalationScan(b *testing.B) {
	for _, open := range storetest.Openers() {
		b.Run(open.Name, func(b *testing.B) {
			st := open.Open(b)
			svc := service.New(st, service.Options{})
			ctx := context.Background()
			sent := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
			for i := 0; i < 300; i++ {
				if _, err := svc.Create(ctx, "Task", fhir.Resource{"resourceType": "Task", "status": clinical.TaskRequested, "intent": "order",
					"code":       map[string]any{"coding": []any{map[string]any{"system": clinical.PortalTaskSystem, "code": clinical.TaskOnlineRequest}}},
					"owner":      map[string]any{"reference": "Organization/riverside"},
					"authoredOn": sent.Add(time.Duration(i) * time.Second).Format(time.RFC3339)}, ""); err != nil {
					b.Fatal(err)
				}
			}
			e := &Escalations{Service: svc}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if n, err := e.Scan(ctx, sent.Add(time.Hour)); err != nil || n != 0 {
					b.Fatal(n, err)
				}
			}
		})
	}
}
