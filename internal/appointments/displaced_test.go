package appointments

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// TestRebook: Dr A goes off sick on a day with three patients booked;
// the worklist lists them; the bulk move puts two into Dr B's free slots
// nearest their times (the booking rules running for each), leaves the
// one changed meanwhile where it was and says so, blocks Dr A's freed
// slots again, and the worklist keeps only the one not moved.
func TestRebook(t *testing.T) {
	for _, open := range storetest.Openers() {
		t.Run(open.Name, func(t *testing.T) {
			svc := service.New(open.Open(t), service.Options{Booking: clinical.BookingRules{}})
			ctx := context.Background()
			y, m, d := time.Now().In(clinical.UKTime).Date()
			today := time.Date(y, m, d, 0, 0, 0, 0, clinical.UKTime)
			monday := today.AddDate(0, 0, (8-int(today.Weekday()))%7)
			if !monday.After(today) {
				monday = monday.AddDate(0, 0, 7)
			}
			session := clinical.Session{Days: []time.Weekday{time.Monday}, Start: "09:00", End: "10:00", Minutes: 10,
				Category: clinical.NationalSlotCategories[0], Mode: "face-to-face"}
			put := func(r fhir.Resource) {
				t.Helper()
				if _, err := svc.Update(ctx, r.Type(), r.ID(), r, service.Precondition{}); err != nil {
					t.Fatal(err)
				}
			}
			schedules := map[string]fhir.Resource{}
			for _, id := range []string{"dr-a", "dr-b"} {
				put(fhir.Resource{"resourceType": "Practitioner", "id": id, "name": []any{map[string]any{"family": id, "prefix": []any{"Dr"}}}})
				s := fhir.Resource{"resourceType": "Schedule", "id": id, "active": true, "actor": []any{map[string]any{"reference": "Practitioner/" + id}}}
				clinical.SetRota(s, []clinical.Session{session}, nil)
				put(s)
				schedules[id] = s
				if _, err := Generate(ctx, svc, id, monday, monday.AddDate(0, 0, 1)); err != nil {
					t.Fatal(err)
				}
			}
			put(fhir.Resource{"resourceType": "Patient", "id": "p1", "birthDate": "1970-01-01"})
			slotAt := func(sched string, hh, mm int) string {
				t.Helper()
				start := monday.Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute)
				return slotID(clinical.SlotKey(sched, start))
			}
			book := func(sched string, hh, mm int) string {
				t.Helper()
				info, err := ReadSlot(ctx, svc, slotAt(sched, hh, mm), time.Now())
				if err != nil {
					t.Fatal(err)
				}
				b := clinical.Booking{PatientID: "p1", PatientName: "Pat One", Slot: info.Slot, Clinician: info.Clinician, Method: "telephone"}
				out, err := svc.Create(ctx, "Appointment", b.Appointment(time.Now()), "")
				if err != nil {
					t.Fatal(err)
				}
				return out.Version.ID
			}
			a1, a2, a3 := book("dr-a", 9, 0), book("dr-a", 9, 10), book("dr-a", 9, 40)
			book("dr-b", 9, 0) // Dr B's 09:00 is taken: a1 goes to the nearest other
			// a2's patient has arrived: displaced all the same.
			arrived, _ := readAppt(t, svc, a2)
			arrived["status"] = "arrived"
			put(arrived)
			// Dr A goes off sick for the Monday.
			clinical.SetRota(schedules["dr-a"], []clinical.Session{session}, []clinical.Exception{{From: monday, To: monday.AddDate(0, 0, 1), Reason: "Off sick"}})
			put(schedules["dr-a"])
			if _, err := Generate(ctx, svc, "dr-a", monday, monday.AddDate(0, 0, 1)); err != nil {
				t.Fatal(err)
			}
			wl, err := DisplacedOf(ctx, svc, "", time.Now())
			if err != nil || len(wl.Items) != 3 || wl.Items[0].Appointment != a1 || wl.Items[0].Reason != "Off sick" {
				t.Fatalf("worklist: %+v %v", wl, err)
			}
			// a3 is changed meanwhile (someone records they rang the patient).
			shown := map[string]int64{}
			for _, it := range wl.Items {
				shown[it.Appointment] = it.Version
			}
			if err := MarkContacted(ctx, svc, a3, wl.Items[2].Version, time.Now()); err != nil {
				t.Fatal(err)
			}
			if _, err := Rebook(ctx, svc, "dr-a", "dr-a", shown, time.Now()); err == nil {
				t.Fatal("moved to the same clinician")
			}
			res, err := Rebook(ctx, svc, "dr-a", "dr-b", shown, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			// a1 (09:00) → 09:10 (the nearest free, later on a tie with none
			// earlier); a2 (09:10) → 09:20; a3 was read at the version the
			// worklist listed, then changed: refused by If-Match.
			if len(res.Moved) != 2 || len(res.Failed) != 1 || res.Failed[0].Appointment != a3 {
				t.Fatalf("moved %+v failed %+v", res.Moved, res.Failed)
			}
			for id, want := range map[string]string{a1: slotAt("dr-b", 9, 10), a2: slotAt("dr-b", 9, 20)} {
				a, _ := readAppt(t, svc, id)
				if got := clinical.AppointmentSlot(a); got != want {
					t.Errorf("Appointment/%s in %s, want %s", id, got, want)
				}
				if got := clinical.AppointmentSlot(a); readSlotStatus(t, svc, got) != "busy" {
					t.Errorf("Appointment/%s's new slot is not busy", id)
				}
			}
			// Dr A's freed slots are blocked again, not free to book.
			for _, hh := range [][2]int{{9, 0}, {9, 10}} {
				if got := readSlotStatus(t, svc, slotAt("dr-a", hh[0], hh[1])); got != "busy-unavailable" {
					t.Errorf("Dr A's %02d:%02d slot is %s", hh[0], hh[1], got)
				}
			}
			wl, err = DisplacedOf(ctx, svc, "", time.Now())
			if err != nil || len(wl.Items) != 1 || wl.Items[0].Appointment != a3 || wl.Items[0].Contacted == "" {
				t.Fatalf("worklist after the move: %+v %v", wl, err)
			}
			// a3 now at its current version: no free face-to-face slot
			// near enough left? Dr B has 09:30, 09:40, 09:50: it moves.
			res, err = Rebook(ctx, svc, "dr-a", "dr-b", map[string]int64{a3: wl.Items[0].Version}, time.Now())
			if err != nil || len(res.Moved) != 1 || res.Moved[0].To.In(clinical.UKTime).Format("15:04") != "09:40" {
				t.Fatalf("a3: %+v %v", res, err)
			}
			// A slot freed in Dr A's time another way (a cancellation) is
			// blocked again; one outside any exception is left free.
			freed := slotAt("dr-a", 9, 40)
			out, err := svc.Read(ctx, "Slot", freed)
			if err != nil {
				t.Fatal(err)
			}
			slot, _ := fhir.Unmarshal(out.Version.Body)
			slot["status"] = "free"
			delete(slot, "comment")
			put(slot)
			if err := Reblock(ctx, svc, freed); err != nil || readSlotStatus(t, svc, freed) != "busy-unavailable" {
				t.Errorf("a freed slot in the exception: %s %v", readSlotStatus(t, svc, freed), err)
			}
			if err := Reblock(ctx, svc, slotAt("dr-b", 9, 50)); err != nil || readSlotStatus(t, svc, slotAt("dr-b", 9, 50)) != "free" {
				t.Errorf("a free slot outside any exception: %s %v", readSlotStatus(t, svc, slotAt("dr-b", 9, 50)), err)
			}
		})
	}
}

func readAppt(t *testing.T, svc *service.Service, id string) (fhir.Resource, int64) {
	t.Helper()
	out, err := svc.Read(context.Background(), "Appointment", id)
	if err != nil {
		t.Fatal(err)
	}
	a, err := fhir.Unmarshal(out.Version.Body)
	if err != nil {
		t.Fatal(err)
	}
	return a, out.Version.VersionID
}

func readSlotStatus(t *testing.T, svc *service.Service, id string) string {
	t.Helper()
	out, err := svc.Read(context.Background(), "Slot", id)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := fhir.Unmarshal(out.Version.Body)
	return str(s["status"])
}

// TestRebookTellsThePatient: a patient moved by the bulk move is sent the
// new time: the appointment messages queue a confirmation of the moved
// version (and withdraw the old reminder).
func TestRebookTellsThePatient(t *testing.T) {
	for _, open := range storetest.Openers() {
		t.Run(open.Name, func(t *testing.T) {
			st := open.Open(t)
			svc := service.New(st, service.Options{Booking: clinical.BookingRules{}})
			ctx := context.Background()
			consent := []any{map[string]any{"url": clinical.ContactConsentURL, "valueBoolean": true}}
			if _, err := svc.Update(ctx, "Patient", "jo", fhir.Resource{"resourceType": "Patient", "id": "jo", "birthDate": "1980-05-01",
				"telecom": []any{map[string]any{"system": "email", "value": "jo@example.org", "extension": consent}}}, service.Precondition{}); err != nil {
				t.Fatal(err)
			}
			y, m, d := time.Now().In(clinical.UKTime).Date()
			today := time.Date(y, m, d, 0, 0, 0, 0, clinical.UKTime)
			monday := today.AddDate(0, 0, (8-int(today.Weekday()))%7)
			if !monday.After(today) {
				monday = monday.AddDate(0, 0, 7)
			}
			session := clinical.Session{Days: []time.Weekday{time.Monday}, Start: "09:00", End: "10:00", Minutes: 10,
				Category: clinical.NationalSlotCategories[0], Mode: "face-to-face"}
			scheds := map[string]fhir.Resource{}
			for _, id := range []string{"dr-a", "dr-b"} {
				s := fhir.Resource{"resourceType": "Schedule", "id": id, "active": true, "actor": []any{map[string]any{"reference": "Practitioner/" + id, "display": "Dr " + id}}}
				clinical.SetRota(s, []clinical.Session{session}, nil)
				if _, err := svc.Update(ctx, "Schedule", id, s, service.Precondition{}); err != nil {
					t.Fatal(err)
				}
				scheds[id] = s
				if _, err := Generate(ctx, svc, id, monday, monday.AddDate(0, 0, 1)); err != nil {
					t.Fatal(err)
				}
			}
			msgs := &Messages{Store: st, Service: svc, Practice: "Riverside"}
			if _, err := msgs.Scan(ctx, time.Now()); err != nil { // the first scan starts from now
				t.Fatal(err)
			}
			info, err := ReadSlot(ctx, svc, slotID(clinical.SlotKey("dr-a", monday.Add(9*time.Hour))), time.Now())
			if err != nil {
				t.Fatal(err)
			}
			out, err := svc.Create(ctx, "Appointment", clinical.Booking{PatientID: "jo", PatientName: "Jo", Slot: info.Slot, Clinician: info.Clinician, Method: "telephone"}.Appointment(time.Now()), "")
			if err != nil {
				t.Fatal(err)
			}
			id := out.Version.ID
			time.Sleep(10 * time.Millisecond)
			if n, err := msgs.Scan(ctx, time.Now()); err != nil || n != 2 {
				t.Fatalf("after booking: %d %v, want a confirmation and a reminder", n, err)
			}
			clinical.SetRota(scheds["dr-a"], []clinical.Session{session}, []clinical.Exception{{From: monday, To: monday.AddDate(0, 0, 1), Reason: "Off sick"}})
			if _, err := svc.Update(ctx, "Schedule", "dr-a", scheds["dr-a"], service.Precondition{}); err != nil {
				t.Fatal(err)
			}
			if _, err := Generate(ctx, svc, "dr-a", monday, monday.AddDate(0, 0, 1)); err != nil {
				t.Fatal(err)
			}
			res, err := Rebook(ctx, svc, "dr-a", "dr-b", map[string]int64{id: 1}, time.Now())
			if err != nil || len(res.Moved) != 1 {
				t.Fatalf("rebook: %+v %v", res, err)
			}
			time.Sleep(10 * time.Millisecond)
			if n, err := msgs.Scan(ctx, time.Now()); err != nil || n != 2 {
				t.Fatalf("after the move: %d %v, want the new time's confirmation and reminder", n, err)
			}
			if got := strings.Join(waiting(t, st), " "); got != "confirmation:email confirmation:email reminder:email" {
				t.Errorf("the outbox after the move: %s (the old reminder withdrawn)", got)
			}
		})
	}
}

// TestCancelInAbsenceKeepsSlotBlocked: a displaced appointment cancelled
// through the FHIR service by anyone (the API, the portal, GP Connect)
// leaves its slot blocked with the absence's reason, not free to book
// with a clinician who is off; lifting the absence frees it.
func TestCancelInAbsenceKeepsSlotBlocked(t *testing.T) {
	for _, open := range storetest.Openers() {
		t.Run(open.Name, func(t *testing.T) {
			svc := service.New(open.Open(t), service.Options{Booking: clinical.BookingRules{}})
			ctx := context.Background()
			y, m, d := time.Now().In(clinical.UKTime).Date()
			today := time.Date(y, m, d, 0, 0, 0, 0, clinical.UKTime)
			monday := today.AddDate(0, 0, (8-int(today.Weekday()))%7)
			if !monday.After(today) {
				monday = monday.AddDate(0, 0, 7)
			}
			session := clinical.Session{Days: []time.Weekday{time.Monday}, Start: "09:00", End: "09:30", Minutes: 10,
				Category: clinical.NationalSlotCategories[0], Mode: "face-to-face"}
			sched := fhir.Resource{"resourceType": "Schedule", "id": "dr", "active": true, "actor": []any{map[string]any{"reference": "Practitioner/dr"}}}
			write := func(exceptions []clinical.Exception) {
				t.Helper()
				clinical.SetRota(sched, []clinical.Session{session}, exceptions)
				if _, err := svc.Update(ctx, "Schedule", "dr", sched, service.Precondition{}); err != nil {
					t.Fatal(err)
				}
				if _, err := Generate(ctx, svc, "dr", monday, monday.AddDate(0, 0, 1)); err != nil {
					t.Fatal(err)
				}
			}
			write(nil)
			slot := slotID(clinical.SlotKey("dr", monday.Add(9*time.Hour)))
			info, err := ReadSlot(ctx, svc, slot, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			out, err := svc.Create(ctx, "Appointment", clinical.Booking{PatientID: "p", Slot: info.Slot, Method: "telephone"}.Appointment(time.Now()), "")
			if err != nil {
				t.Fatal(err)
			}
			write([]clinical.Exception{{From: monday, To: monday.AddDate(0, 0, 1), Reason: "Off sick"}})
			a, _ := readAppt(t, svc, out.Version.ID)
			if err := clinical.Cancel(a, "prov", "Clinician off sick"); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Update(ctx, "Appointment", a.ID(), a, service.Precondition{}); err != nil {
				t.Fatal(err)
			}
			if got := readSlotStatus(t, svc, slot); got != "busy-unavailable" {
				t.Fatalf("the cancelled appointment's slot in the absence is %s", got)
			}
			write(nil)
			if got := readSlotStatus(t, svc, slot); got != "free" {
				t.Errorf("after the absence is lifted the slot is %s", got)
			}
		})
	}
}
