package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/httpapi"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// Booking through the API keeps Slots and Appointments in step: a booked
// Slot turns busy, a second booking of it is refused with 409 and writes
// nothing, cancelling frees it, a no-show keeps it, and moving an
// Appointment to another Slot frees the first.

func bookingWorld(t *testing.T, ts *testServer, n int) (slots []string) {
	t.Helper()
	ts.do("PUT", "/fhir/Patient/bp", map[string]any{"resourceType": "Patient", "id": "bp", "name": []any{map[string]any{"family": "Booker"}}}).expect2xx(t)
	ts.do("PUT", "/fhir/Schedule/bs", map[string]any{"resourceType": "Schedule", "id": "bs", "actor": []any{map[string]any{"reference": "Patient/bp"}}}).expect2xx(t)
	start := time.Now().Add(24 * time.Hour).Truncate(time.Hour)
	for i := 0; i < n; i++ {
		r := ts.do("POST", "/fhir/Slot", map[string]any{"resourceType": "Slot", "schedule": map[string]any{"reference": "Schedule/bs"}, "status": "free",
			"start": start.Add(time.Duration(i) * 10 * time.Minute).Format(time.RFC3339), "end": start.Add(time.Duration(i+1) * 10 * time.Minute).Format(time.RFC3339)}).expect(t, 201)
		slots = append(slots, r.str("id"))
	}
	return slots
}

func appointmentIn(slot, status string) map[string]any {
	// A booked appointment must have its times (R4's app-3); they need not
	// match the slot's for the booking rules here.
	return map[string]any{"resourceType": "Appointment", "status": status,
		"start": "2030-01-01T09:00:00Z", "end": "2030-01-01T09:10:00Z",
		"slot":        []any{map[string]any{"reference": "Slot/" + slot}},
		"participant": []any{map[string]any{"actor": map[string]any{"reference": "Patient/bp"}, "status": "accepted"}}}
}

func slotStatus(t *testing.T, ts *testServer, id string) string {
	t.Helper()
	return ts.do("GET", "/fhir/Slot/"+id, nil).expect(t, 200).str("status")
}

func TestBookingKeepsSlots(t *testing.T) {
	for _, so := range apiStores() {
		t.Run(so.name, func(t *testing.T) {
			ts := newTestServerOn(t, so.open(t), httpapi.Options{})
			slots := bookingWorld(t, ts, 3)
			a := ts.do("POST", "/fhir/Appointment", appointmentIn(slots[0], "booked")).expect(t, 201)
			if got := slotStatus(t, ts, slots[0]); got != "busy" {
				t.Fatalf("booked slot is %s", got)
			}
			// A double booking: 409, and no Appointment written.
			before := ts.do("GET", "/fhir/Appointment?_summary=count", nil).expect(t, 200).str("total")
			r := ts.do("POST", "/fhir/Appointment", appointmentIn(slots[0], "booked"))
			if r.status != http.StatusConflict || r.str("resourceType") != "OperationOutcome" {
				t.Fatalf("double booking: %d %s", r.status, r.raw)
			}
			if after := ts.do("GET", "/fhir/Appointment?_summary=count", nil).expect(t, 200).str("total"); after != before {
				t.Fatalf("the refused booking wrote an Appointment: %s -> %s", before, after)
			}
			// The same in a transaction Bundle: the whole Bundle is refused.
			r = ts.do("POST", "/fhir", map[string]any{"resourceType": "Bundle", "type": "transaction", "entry": []any{
				map[string]any{"resource": appointmentIn(slots[1], "booked"), "request": map[string]any{"method": "POST", "url": "Appointment"}},
				map[string]any{"resource": appointmentIn(slots[0], "booked"), "request": map[string]any{"method": "POST", "url": "Appointment"}}}})
			if r.status != http.StatusConflict {
				t.Fatalf("bundle with a double booking: %d %s", r.status, r.raw)
			}
			if got := slotStatus(t, ts, slots[1]); got != "free" {
				t.Fatalf("a refused Bundle left its other slot %s", got)
			}
			// Moving the appointment to another slot frees the first.
			id := a.str("id")
			moved := appointmentIn(slots[1], "booked")
			moved["id"] = id
			ts.do("PUT", "/fhir/Appointment/"+id, moved).expect(t, 200)
			if s0, s1 := slotStatus(t, ts, slots[0]), slotStatus(t, ts, slots[1]); s0 != "free" || s1 != "busy" {
				t.Fatalf("after the move: first %s, second %s", s0, s1)
			}
			// A no-show keeps the slot; a cancellation frees it.
			moved["status"] = "noshow"
			ts.do("PUT", "/fhir/Appointment/"+id, moved).expect(t, 200)
			if got := slotStatus(t, ts, slots[1]); got != "busy" {
				t.Fatalf("no-show freed the slot: %s", got)
			}
			moved["status"] = "cancelled"
			ts.do("PUT", "/fhir/Appointment/"+id, moved).expect(t, 200)
			if got := slotStatus(t, ts, slots[1]); got != "free" {
				t.Fatalf("cancelled appointment kept the slot %s", got)
			}
			// Deleting a booked appointment frees its slot.
			b := ts.do("POST", "/fhir/Appointment", appointmentIn(slots[2], "booked")).expect(t, 201)
			ts.do("DELETE", "/fhir/Appointment/"+b.str("id"), nil).expect2xx(t)
			if got := slotStatus(t, ts, slots[2]); got != "free" {
				t.Fatalf("deleted appointment kept the slot %s", got)
			}
			// A Slot that does not exist, or one of another server: 422
			// naming why.
			if r := ts.do("POST", "/fhir/Appointment", appointmentIn("no-such-slot", "booked")); r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.raw), "does not exist") {
				t.Errorf("booking a Slot that does not exist: %d %s", r.status, r.raw)
			}
			elsewhere := appointmentIn("x", "booked")
			elsewhere["slot"] = []any{map[string]any{"reference": "https://elsewhere.example/fhir/Slot/1"}}
			if r := ts.do("POST", "/fhir/Appointment", elsewhere); r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.raw), "of this server") {
				t.Errorf("booking another server's Slot: %d %s", r.status, r.raw)
			}
		})
	}
}

// TestBookingRace: sixteen callers booking one Slot at once make exactly
// one Appointment, on every store and across two servers on one
// PostgreSQL database.
func TestBookingRace(t *testing.T) {
	for _, so := range benchStores() {
		t.Run(so.name, func(t *testing.T) { raceBookings(t, so.open(t)) })
	}
	t.Run("two servers", func(t *testing.T) {
		stores := storetest.OpenPostgresConcurrently(t, 2)
		raceBookings(t, newTestServerOn(t, stores[0], httpapi.Options{}), newTestServerOn(t, stores[1], httpapi.Options{}))
	})
}

func raceBookings(t *testing.T, servers ...*testServer) {
	slots := bookingWorld(t, servers[0], raceRounds)
	for round, slot := range slots {
		var wg sync.WaitGroup
		statuses := make([]int, racers)
		for c := 0; c < racers; c++ {
			wg.Add(1)
			go func(c int) {
				defer wg.Done()
				r := servers[c%len(servers)].do("POST", "/fhir/Appointment", appointmentIn(slot, "booked"))
				statuses[c] = r.status
				if r.status != http.StatusCreated && r.status != http.StatusConflict {
					t.Errorf("round %d client %d: %d %s", round, c, r.status, r.raw)
				}
			}(c)
		}
		wg.Wait()
		created := 0
		for _, s := range statuses {
			if s == http.StatusCreated {
				created++
			}
		}
		r := servers[0].do("GET", "/fhir/Appointment?_summary=count&slot=Slot/"+slot, nil).expect(t, 200)
		if n := fmt.Sprint(r.body["total"]); n != "1" || created != 1 {
			t.Fatalf("round %d: %s Appointments in one Slot, %d answered 201 (statuses %v)", round, n, created, statuses)
		}
	}
}
