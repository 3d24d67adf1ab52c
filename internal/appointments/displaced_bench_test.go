package appointments

import (
	"context"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// BenchmarkRebook moves a full day of one clinician off sick (42 booked
// patients, morning and afternoon) to another clinician's free slots in
// one action, and reads the week view of 42 slots a day: what the
// practice manager waits for.
//
//	go test ./internal/appointments/ -run '^$' -bench 'Rebook|WeekOf' -benchtime 5x
func BenchmarkRebook(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		svc, monday, shown := rebookFixture(b)
		b.StartTimer()
		res, err := Rebook(context.Background(), svc, "a", "b", shown, time.Now())
		if err != nil || len(res.Moved) != 42 {
			b.Fatalf("moved %d, failed %d: %v", len(res.Moved), len(res.Failed), err)
		}
		_ = monday
	}
}

func BenchmarkWeekOf(b *testing.B) {
	svc, monday, _ := rebookFixture(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := WeekOf(context.Background(), svc, "b", monday, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}

// rebookFixture is two clinicians with a weekday rota of 42 ten-minute
// slots a day for next week; all of a's Monday is booked, then a is off
// sick that Monday. It returns the worklist's appointments as shown.
func rebookFixture(b *testing.B) (*service.Service, time.Time, map[string]int64) {
	svc := service.New(storetest.OpenSQLite(b), service.Options{Booking: clinical.BookingRules{}})
	ctx := context.Background()
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	sessions := []clinical.Session{
		{Days: weekdays, Start: "08:30", End: "12:00", Minutes: 10, Category: clinical.NationalSlotCategories[0], Mode: "face-to-face"},
		{Days: weekdays, Start: "14:00", End: "17:30", Minutes: 10, Category: clinical.NationalSlotCategories[0], Mode: "face-to-face"}}
	y, m, d := time.Now().In(clinical.UKTime).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, clinical.UKTime)
	monday := today.AddDate(0, 0, (8-int(today.Weekday()))%7)
	if !monday.After(today) {
		monday = monday.AddDate(0, 0, 7)
	}
	scheds := map[string]fhir.Resource{}
	for _, id := range []string{"a", "b"} {
		s := fhir.Resource{"resourceType": "Schedule", "id": id, "active": true, "actor": []any{map[string]any{"reference": "Practitioner/" + id, "display": "Dr " + id}}}
		clinical.SetRota(s, sessions, nil)
		if _, err := svc.Update(ctx, "Schedule", id, s, service.Precondition{}); err != nil {
			b.Fatal(err)
		}
		scheds[id] = s
		if _, err := Generate(ctx, svc, id, monday, monday.AddDate(0, 0, 7)); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := svc.Update(ctx, "Patient", "p", fhir.Resource{"resourceType": "Patient", "id": "p"}, service.Precondition{}); err != nil {
		b.Fatal(err)
	}
	free, err := FreeSlots(ctx, svc, FreeQuery{Schedule: "a", From: monday, To: monday.AddDate(0, 0, 1), Limit: 100}, time.Now())
	if err != nil || len(free) != 42 {
		b.Fatalf("free: %d %v", len(free), err)
	}
	for _, f := range free {
		info, err := ReadSlot(ctx, svc, f.ID, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		bk := clinical.Booking{PatientID: "p", Slot: info.Slot, Clinician: info.Clinician, Method: "telephone"}
		if _, err := svc.Create(ctx, "Appointment", bk.Appointment(time.Now()), ""); err != nil {
			b.Fatal(err)
		}
	}
	clinical.SetRota(scheds["a"], sessions, []clinical.Exception{{From: monday, To: monday.AddDate(0, 0, 1), Reason: "Off sick"}})
	if _, err := svc.Update(ctx, "Schedule", "a", scheds["a"], service.Precondition{}); err != nil {
		b.Fatal(err)
	}
	if _, err := Generate(ctx, svc, "a", monday, monday.AddDate(0, 0, 1)); err != nil {
		b.Fatal(err)
	}
	wl, err := DisplacedOf(ctx, svc, "a", time.Now())
	if err != nil || len(wl.Items) != 42 {
		b.Fatalf("worklist %d %v", len(wl.Items), err)
	}
	shown := map[string]int64{}
	for _, it := range wl.Items {
		shown[it.Appointment] = it.Version
	}
	return svc, monday, shown
}

func BenchmarkDisplacedOf(b *testing.B) {
	svc, _, _ := rebookFixture(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if wl, err := DisplacedOf(context.Background(), svc, "", time.Now()); err != nil || len(wl.Items) != 42 {
			b.Fatal(err)
		}
	}
}
