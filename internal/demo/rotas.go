package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/gpcloud/gpcloud/internal/appointments"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// makeRotas gives each clinician a Schedule with a weekday rota (GPs:
// ten-minute routine slots morning and afternoon, some bookable online;
// the nurse: fifteen-minute clinics) and generates two weeks of Slots.
func makeRotas(ctx context.Context, svc *service.Service, p *Practice, now time.Time) error {
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	for _, c := range p.Clinicians {
		var sessions []clinical.Session
		if c.Role == "nurse" {
			sessions = []clinical.Session{{Days: weekdays, Start: "09:00", End: "12:00", Minutes: 15,
				Category: clinical.NationalSlotCategories[3], Mode: "face-to-face", BookableBy: []string{clinical.BookedByPractice, clinical.BookedOnline}}}
		} else {
			sessions = []clinical.Session{
				{Days: weekdays, Start: "08:30", End: "11:30", Minutes: 10, Category: clinical.NationalSlotCategories[0], Mode: "face-to-face",
					BookableBy: []string{clinical.BookedByPractice, clinical.BookedOnline}},
				{Days: weekdays, Start: "11:30", End: "12:00", Minutes: 10, Category: clinical.NationalSlotCategories[1], Mode: "telephone",
					BookableBy: []string{clinical.BookedByPractice}, Release: "08:00"},
				{Days: weekdays, Start: "14:00", End: "16:00", Minutes: 10, Category: clinical.NationalSlotCategories[0], Mode: "face-to-face",
					BookableBy: []string{clinical.BookedByPractice, clinical.BookedByGPConnect}},
			}
		}
		id := "sch-" + c.ID
		sched := fhir.Resource{"resourceType": "Schedule", "id": id, "active": true,
			"actor": []any{map[string]any{"reference": "Practitioner/" + c.ID, "display": c.Name}}}
		clinical.SetRota(sched, sessions, nil)
		if _, err := svc.Update(ctx, "Schedule", id, sched, service.Precondition{}); err != nil {
			return fmt.Errorf("a schedule: %w", err)
		}
		if _, err := appointments.Generate(ctx, svc, id, now, now.AddDate(0, 0, 14)); err != nil {
			return fmt.Errorf("slots: %w", err)
		}
	}
	return nil
}
