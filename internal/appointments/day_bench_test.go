package appointments

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// BenchmarkDay reads a day of the book of 20 clinicians with 42 slots
// each (the practice), in process: what the book page costs
// before its template.
//
//	go test ./internal/appointments/ -run '^$' -bench Day
func BenchmarkDay(b *testing.B) {
	svc := service.New(storetest.OpenSQLite(b), service.Options{})
	ctx := context.Background()
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	sessions := []clinical.Session{
		{Days: weekdays, Start: "08:30", End: "12:00", Minutes: 10, Category: clinical.NationalSlotCategories[0], Mode: "face-to-face"},
		{Days: weekdays, Start: "14:00", End: "17:30", Minutes: 10, Category: clinical.NationalSlotCategories[0], Mode: "telephone"}}
	now := time.Now()
	for i := 0; i < 20; i++ {
		id := fmt.Sprintf("s%d", i)
		sched := fhir.Resource{"resourceType": "Schedule", "id": id, "active": true, "actor": []any{map[string]any{"reference": "Practitioner/p" + id, "display": "Dr " + id}}}
		clinical.SetRota(sched, sessions, nil)
		if _, err := svc.Update(ctx, "Schedule", id, sched, service.Precondition{}); err != nil {
			b.Fatal(err)
		}
		if _, err := Generate(ctx, svc, id, now, now.AddDate(0, 0, 14)); err != nil {
			b.Fatal(err)
		}
	}
	day := now.AddDate(0, 0, 1)
	for day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
		day = day.AddDate(0, 0, 1)
	}
	b.ResetTimer()
	for b.Loop() {
		book, err := Day(ctx, svc, day, now)
		if err != nil || len(book.Columns) != 20 {
			b.Fatalf("%v %d columns", err, len(book.Columns))
		}
	}
}
