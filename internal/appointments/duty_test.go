package appointments

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// TestDutyList: two patients put on today's duty list are listed in the
// order they were added; the first is called and done (its start and end
// are the call's), a change from a stale list is refused, and the GPAD
// report counts both as appointments outside slots.
func TestDutyList(t *testing.T) {
	for _, open := range storetest.Openers() {
		t.Run(open.Name, func(t *testing.T) {
			svc := service.New(open.Open(t), service.Options{Booking: clinical.BookingRules{}})
			ctx := context.Background()
			for _, id := range []string{"p1", "p2"} {
				if _, err := svc.Update(ctx, "Patient", id, fhir.Resource{"resourceType": "Patient", "id": id, "birthDate": "1970-01-01"}, service.Precondition{}); err != nil {
					t.Fatal(err)
				}
			}
			now := time.Now().Truncate(time.Second)
			if h := now.In(clinical.UKTime).Hour(); h >= 22 || h < 1 {
				t.Skip("near midnight the list's day is ambiguous; run it in the day")
			}
			add := func(patient string, at time.Time) string {
				t.Helper()
				id, err := AddToDuty(ctx, svc, clinical.DutyRequest{PatientID: patient, PatientName: patient, Reason: "Rash spreading",
					Callback: "07700 900123", Method: "telephone", Clinician: clinical.Ref{Reference: "Practitioner/duty", Display: "Dr Duty"}}, at)
				if err != nil {
					t.Fatal(err)
				}
				return id
			}
			first := add("p1", now.Add(-20*time.Minute))
			second := add("p2", now.Add(-10*time.Minute))
			// Yesterday's entries: one never called is carried onto
			// today's list, one done is not.
			waiting := add("p1", now.AddDate(0, 0, -1))
			done := add("p2", now.AddDate(0, 0, -1).Add(time.Minute))
			if err := WorkDuty(ctx, svc, done, 1, "fulfilled", now.AddDate(0, 0, -1).Add(5*time.Minute)); err != nil {
				t.Fatal(err)
			}
			list, err := DutyList(ctx, svc, now)
			if err != nil || len(list) != 3 || list[0].Appointment != waiting || !list[0].Earlier {
				t.Fatalf("the list with yesterday's: %+v %v", list, err)
			}
			list = list[1:]
			if err != nil || len(list) != 2 || list[0].Appointment != first || list[1].Callback != "07700 900123" || list[0].Clinician != "Dr Duty" {
				t.Fatalf("the list: %+v %v", list, err)
			}
			if err := WorkDuty(ctx, svc, first, list[0].Version, "checked-in", now); err != nil {
				t.Fatal(err)
			}
			var fe *fhir.Error
			if err := WorkDuty(ctx, svc, first, list[0].Version, "fulfilled", now.Add(5*time.Minute)); !errors.As(err, &fe) || fe.Status != http.StatusPreconditionFailed {
				t.Fatalf("a stale change: %v", err)
			}
			list, _ = DutyList(ctx, svc, now)
			list = list[1:]                                                      // yesterday's, still waiting, first
			if list[0].Appointment != second || list[1].Status != "checked-in" { // waiting first, then being called
				t.Fatalf("order after calling: %+v", list)
			}
			if err := WorkDuty(ctx, svc, first, list[1].Version, "fulfilled", now.Add(6*time.Minute)); err != nil {
				t.Fatal(err)
			}
			a, _ := readAppt(t, svc, first)
			if a["start"] != now.UTC().Format(time.RFC3339) || a["end"] != now.Add(6*time.Minute).UTC().Format(time.RFC3339) {
				t.Errorf("the call's times: %v to %v", a["start"], a["end"])
			}
			y, m, d := now.In(clinical.UKTime).Date()
			day := time.Date(y, m, d, 0, 0, 0, 0, clinical.UKTime)
			rows, err := Report(ctx, svc, day, day.AddDate(0, 0, 1))
			if err != nil || len(rows) != 2 { // today's two
				t.Fatalf("GPAD rows: %+v %v", rows, err)
			}
			for _, r := range rows {
				if !r.Slotless || r.SlotCategory != "Clinical Triage" || r.Mode != "Telephone/Audio" {
					t.Errorf("GPAD row %+v", r)
				}
			}
		})
	}
}
