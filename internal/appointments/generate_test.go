package appointments

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

func TestGenerate(t *testing.T) {
	for _, open := range storetest.Openers() {
		t.Run(open.Name, func(t *testing.T) {
			svc := service.New(open.Open(t), service.Options{})
			ctx := context.Background()
			weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
			session := clinical.Session{Days: weekdays, Start: "09:00", End: "10:00", Minutes: 15,
				Category: clinical.NationalSlotCategories[0], Mode: "face-to-face"}
			sched := fhir.Resource{"resourceType": "Schedule", "id": "dr-patel", "actor": []any{map[string]any{"reference": "Practitioner/dr"}}}
			clinical.SetRota(sched, []clinical.Session{session}, nil)
			write := func() {
				if _, err := svc.Update(ctx, "Schedule", "dr-patel", sched, service.Precondition{}); err != nil {
					t.Fatal(err)
				}
			}
			write()
			// Two whole weeks from next Monday: 10 days of 4 slots.
			y, m, d := time.Now().In(clinical.UKTime).Date()
			today := time.Date(y, m, d, 0, 0, 0, 0, clinical.UKTime)
			monday := today.AddDate(0, 0, (8-int(today.Weekday()))%7)
			if !monday.After(today) {
				monday = monday.AddDate(0, 0, 7)
			}
			from, to := monday, monday.AddDate(0, 0, 14)
			g, err := Generate(ctx, svc, "dr-patel", from, to)
			if err != nil || g.Created != 40 {
				t.Fatalf("first run: %+v %v", g, err)
			}
			if g, err := Generate(ctx, svc, "dr-patel", from, to); err != nil || g.Created+g.Removed+g.Blocked != 0 || g.Kept != 40 {
				t.Fatalf("second run changed something: %+v %v", g, err)
			}
			// Book Monday's first slot, then take Monday off.
			slots, err := slotsOf(ctx, svc, "dr-patel", from, from.AddDate(0, 0, 1))
			if err != nil || len(slots) != 4 {
				t.Fatalf("Monday: %d slots %v", len(slots), err)
			}
			first := slots[0]
			for _, s := range slots {
				if s["start"].(string) < first["start"].(string) {
					first = s
				}
			}
			if _, err := svc.Create(ctx, "Appointment", fhir.Resource{"resourceType": "Appointment", "status": "booked", "start": "2030-01-01T09:00:00Z", "end": "2030-01-01T09:10:00Z",
				"slot":        []any{map[string]any{"reference": "Slot/" + first.ID()}},
				"participant": []any{map[string]any{"actor": map[string]any{"reference": "Practitioner/dr"}, "status": "accepted"}}}, ""); err != nil {
				t.Fatal(err)
			}
			clinical.SetRota(sched, []clinical.Session{session}, []clinical.Exception{{From: monday, To: monday.AddDate(0, 0, 1), Reason: "Sick leave"}})
			write()
			g, err = Generate(ctx, svc, "dr-patel", from, to)
			if err != nil || g.Blocked != 3 || len(g.Displaced) != 1 || g.Displaced[0].Slot != first.ID() || g.Displaced[0].Reason != "Sick leave" {
				t.Fatalf("after the exception: %+v %v", g, err)
			}
			free, err := svc.Search(ctx, service.SearchRequest{Type: "Slot", Params: url.Values{"status": {"free"}, "_summary": {"count"}}})
			if err != nil || free.Resource["total"] != 36 {
				t.Fatalf("free slots after the exception: %v %v", free.Resource["total"], err)
			}
			// The exception lifted: Monday's slots are free again, the
			// booking is kept.
			clinical.SetRota(sched, []clinical.Session{session}, nil)
			write()
			if g, err = Generate(ctx, svc, "dr-patel", from, to); err != nil || g.Created != 3 || len(g.Displaced) != 0 {
				t.Fatalf("after lifting it: %+v %v", g, err)
			}
			// A shorter session: the free slots it no longer has go, the
			// booked one (at 09:00) stays.
			session.End = "09:30"
			clinical.SetRota(sched, []clinical.Session{session}, nil)
			write()
			if g, err = Generate(ctx, svc, "dr-patel", from, to); err != nil || g.Removed != 20 {
				t.Fatalf("shorter session: %+v %v", g, err)
			}
			// Released to urgent care only: the 19 free slots already made
			// take the new release (the booked one keeps its own), and
			// generating again changes nothing.
			session.BookableBy = []string{clinical.BookedByGPConnect}
			session.GPConnect = clinical.GPConnectRelease{Types: []string{"urgent-care"}}
			clinical.SetRota(sched, []clinical.Session{session}, nil)
			write()
			if g, err = Generate(ctx, svc, "dr-patel", from, to); err != nil || g.Rereleased != 19 {
				t.Fatalf("narrowed release: %+v %v", g, err)
			}
			if g, err = Generate(ctx, svc, "dr-patel", from, to); err != nil || g.Rereleased != 0 {
				t.Fatalf("narrowed release, again: %+v %v", g, err)
			}
			again, err := slotsOf(ctx, svc, "dr-patel", from, to)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range again {
				if r := clinical.GPConnectReleaseOf(s); s["status"] == "free" && (len(r.Types) != 1 || r.Types[0] != "urgent-care") {
					t.Errorf("Slot/%s release %+v", s.ID(), r)
				}
			}
		})
	}
}
