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

// TestWeekOf: a rota of two sessions a day (the second released on the
// day) is read back as sessions per day with their free, booked,
// embargoed and blocked counts, the day taken off blocked.
func TestWeekOf(t *testing.T) {
	for _, open := range storetest.Openers() {
		t.Run(open.Name, func(t *testing.T) {
			svc := service.New(open.Open(t), service.Options{})
			ctx := context.Background()
			y, m, d := time.Now().In(clinical.UKTime).Date()
			today := time.Date(y, m, d, 0, 0, 0, 0, clinical.UKTime)
			monday := today.AddDate(0, 0, (8-int(today.Weekday()))%7)
			if !monday.After(today) {
				monday = monday.AddDate(0, 0, 7)
			}
			weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday}
			sessions := []clinical.Session{
				{Days: weekdays, Start: "09:00", End: "10:00", Minutes: 15, Category: clinical.NationalSlotCategories[0], Mode: "face-to-face"},
				{Days: weekdays, Start: "14:00", End: "14:30", Minutes: 10, Category: clinical.NationalSlotCategories[1], Mode: "telephone", Release: "08:00"},
			}
			sched := fhir.Resource{"resourceType": "Schedule", "id": "dr", "active": true, "actor": []any{map[string]any{"reference": "Practitioner/dr"}}}
			clinical.SetRota(sched, sessions, []clinical.Exception{{From: monday.AddDate(0, 0, 2), To: monday.AddDate(0, 0, 3), Reason: "Training"}})
			if _, err := svc.Update(ctx, "Schedule", "dr", sched, service.Precondition{}); err != nil {
				t.Fatal(err)
			}
			if _, err := Generate(ctx, svc, "dr", monday, monday.AddDate(0, 0, 7)); err != nil {
				t.Fatal(err)
			}
			first := slotID(clinical.SlotKey("dr", monday.Add(9*time.Hour)))
			if _, err := svc.Create(ctx, "Appointment", fhir.Resource{"resourceType": "Appointment", "status": "booked",
				"start": monday.Add(9 * time.Hour).Format(time.RFC3339), "end": monday.Add(9*time.Hour + 15*time.Minute).Format(time.RFC3339),
				"slot":        []any{map[string]any{"reference": "Slot/" + first}},
				"participant": []any{map[string]any{"actor": map[string]any{"reference": "Practitioner/dr"}, "status": "accepted"}}}, ""); err != nil {
				t.Fatal(err)
			}
			w, err := WeekOf(ctx, svc, "dr", monday.AddDate(0, 0, 3), time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if len(w.Days) != 7 || !w.Monday.Equal(monday) {
				t.Fatalf("week from %v, %d days", w.Monday, len(w.Days))
			}
			mon, wed, thu := w.Days[0], w.Days[2], w.Days[3]
			if len(mon.Sessions) != 2 || mon.Sessions[0].Booked != 1 || mon.Sessions[0].Free != 3 || mon.Sessions[1].Embargoed != 3 {
				t.Errorf("Monday: %+v", mon.Sessions)
			}
			if len(wed.Sessions) != 2 || wed.Sessions[0].Blocked != 4 || wed.Sessions[1].Blocked != 3 || wed.Sessions[0].Note != "Training" {
				t.Errorf("Wednesday (training): %+v", wed.Sessions)
			}
			if len(thu.Sessions) != 0 {
				t.Errorf("Thursday has no sessions: %+v", thu.Sessions)
			}
			if got := mon.Sessions[1].Start.In(clinical.UKTime).Format("15:04") + "-" + mon.Sessions[1].End.In(clinical.UKTime).Format("15:04"); got != "14:00-14:30" {
				t.Errorf("afternoon session %s", got)
			}
		})
	}
}
