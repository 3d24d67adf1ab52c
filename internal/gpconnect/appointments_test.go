package gpconnect

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/appointments"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

func (f *fixture) slotSearch(extra string) req {
	from := f.now.Format("2006-01-02")
	to := f.now.AddDate(0, 0, 7).Format("2006-01-02")
	return req{method: "GET", interaction: "fhir:rest:search:slot-1", scope: "organization/*.read",
		path: "/fhir/Slot?start=ge" + from + "&end=le" + to + "&status=free&_include=Slot:schedule" + extra}
}

// bookingBody is a consumer's STU3 Appointment for slot (as read from a
// free-slot search).
func bookingBody(patient string, slot fhir.Resource) map[string]any {
	return map[string]any{"resourceType": "Appointment", "status": "booked",
		"start": slot["start"], "end": slot["end"], "description": "Chest pain follow-up", "created": time.Now().UTC().Format(time.RFC3339),
		"slot":        []any{map[string]any{"reference": "Slot/" + slot.ID()}},
		"participant": []any{map[string]any{"actor": map[string]any{"reference": "Patient/" + patient}, "status": "accepted"}},
		"contained": []any{map[string]any{"resourceType": "Organization", "id": "1", "name": "NHS 111",
			"identifier": []any{map[string]any{"system": ODSSystem, "value": consumerODS}},
			"telecom":    []any{map[string]any{"system": "phone", "value": "0300 000 0000"}}}},
		"extension": []any{map[string]any{"url": bookingOrgExtURL, "valueReference": map[string]any{"reference": "#1"}}}}
}

var (
	bookReq = req{method: "POST", path: "/fhir/Appointment", interaction: "fhir:rest:create:appointment-1", scope: "patient/*.write"}
)

// The whole of Appointment Management as a consumer uses it: search free
// slots (only those offered to GP Connect), book one, fail to book it
// twice, read it, list the patient's appointments, amend, cancel, and
// see the slot free again; the booking rules are the practice's own.
func TestAppointmentManagement(t *testing.T) {
	for _, o := range storetest.Openers() {
		t.Run(o.Name, func(t *testing.T) {
			f := newFixture(t, o.Open)
			code, b, _ := f.do(f.slotSearch("&_include:recurse=Schedule:actor:Practitioner&_include:recurse=Schedule:actor:Location&_include:recurse=Location:managingOrganization&searchFilter=" +
				url.QueryEscape(ODSSystem+"|"+consumerODS)))
			if code != 200 {
				t.Fatalf("slot search: %d %v", code, b)
			}
			slots := entriesOf(b, "Slot")
			var ids []string
			for _, s := range slots {
				ids = append(ids, s.ID())
			}
			if strings.Join(ids, ",") != "slot-gpc,slot-gpc2" {
				t.Fatalf("free slots %v, want only the two offered to GP Connect and released", ids)
			}
			if len(entriesOf(b, "Schedule")) != 1 || len(entriesOf(b, "Practitioner")) != 1 || len(entriesOf(b, "Location")) != 1 || len(entriesOf(b, "Organization")) != 1 {
				t.Errorf("includes: %d schedules, %d practitioners, %d locations", len(entriesOf(b, "Schedule")), len(entriesOf(b, "Practitioner")), len(entriesOf(b, "Location")))
			}
			for _, bad := range []string{"", "&_include=Slot:schedule&status=busy"} {
				r := f.slotSearch("")
				if bad == "" {
					r.path = strings.Replace(r.path, "&_include=Slot:schedule", "", 1)
				} else {
					r.path = strings.Replace(r.path, "status=free", "status=busy", 1)
				}
				if code, b, _ := f.do(r); code != 422 || spineCode(b) != InvalidParameter {
					t.Errorf("bad slot search %q: %d %v", r.path, code, b)
				}
			}
			long := f.slotSearch("")
			long.path = strings.Replace(long.path, "end=le"+f.now.AddDate(0, 0, 7).Format("2006-01-02"), "end=le"+f.now.AddDate(0, 0, 30).Format("2006-01-02"), 1)
			if code, _, _ := f.do(long); code != 422 {
				t.Errorf("a 30-day search: %d, want 422", code)
			}

			// Book.
			r := bookReq
			r.body = bookingBody("rich", slots[0])
			code, appt, h := f.do(r)
			if code != 201 || appt["status"] != "booked" || h.Get("Location") == "" {
				t.Fatalf("book: %d %v", code, appt)
			}
			apptID := appt.ID()
			stored, err := f.svc.Read(context.Background(), "Appointment", apptID)
			if err != nil {
				t.Fatal(err)
			}
			body := string(stored.Version.Body)
			for _, want := range []string{`"valueCode":"gp-connect"`, "Dr Claire Jones, NHS 111 (RYA)", `"reference":"Practitioner/gp1"`, bookingOrgExtURL} {
				if !strings.Contains(body, want) {
					t.Errorf("the R4 booking lacks %s: %s", want, body)
				}
			}
			if s := f.slotStatus(slots[0].ID()); s != "busy" {
				t.Errorf("the slot is %s after booking", s)
			}
			// The same slot again: DUPLICATE_REJECTED, nothing written.
			if code, b, _ := f.do(r); code != 409 || spineCode(b) != DuplicateRejected {
				t.Errorf("double booking: %d %v", code, b)
			}
			// Slots the practice keeps for itself are refused by its rules.
			practiceSlot, _ := f.svc.Read(context.Background(), "Slot", f.slots["practice"])
			ps, _ := fhir.Unmarshal(practiceSlot.Version.Body)
			r2 := bookReq
			r2.body = bookingBody("rich", ps)
			if code, b, _ := f.do(r2); code != 422 || spineCode(b) != InvalidResource || !strings.Contains(str(obj(list(b["issue"])[0])["diagnostics"]), "not offered") {
				t.Errorf("a practice-only slot: %d %v", code, b)
			}
			// A patient the practice does not share cannot be booked.
			r3 := bookReq
			r3.body = bookingBody("sensitive", slots[1])
			if code, b, _ := f.do(r3); code != 404 || spineCode(b) != PatientNotFound {
				t.Errorf("a sensitive patient: %d %v", code, b)
			}
			// Start and end must be the slot's.
			r4 := bookReq
			body4 := bookingBody("rich", slots[1])
			body4["end"] = "2030-01-01T00:00:00Z"
			r4.body = body4
			if code, b, _ := f.do(r4); code != 422 || spineCode(b) != InvalidResource {
				t.Errorf("wrong end: %d %v", code, b)
			}
			// Without the booking organisation.
			r5 := bookReq
			body5 := bookingBody("rich", slots[1])
			delete(body5, "extension")
			r5.body = body5
			if code, b, _ := f.do(r5); code != 422 || spineCode(b) != InvalidResource {
				t.Errorf("no booking organisation: %d %v", code, b)
			}
			// An R4 element STU3 does not have: refused with what is
			// wrong, nothing written.
			r7 := bookReq
			body7 := bookingBody("rich", slots[1])
			body7["cancelationReason"] = map[string]any{"text": "r4"}
			r7.body = body7
			if code, b, _ := f.do(r7); code != 422 || spineCode(b) != InvalidResource ||
				!strings.Contains(str(obj(list(b["issue"])[0])["diagnostics"]), "Appointment.cancelationReason: unknown element") {
				t.Errorf("an R4 element: %d %v", code, b)
			}
			if s := f.slotStatus(slots[1].ID()); s != "free" {
				t.Errorf("slot %s after refused bookings", s)
			}
			// A write with a read scope is refused.
			r6 := bookReq
			r6.body, r6.scope = bookingBody("rich", slots[1]), "patient/*.read"
			if code, _, _ := f.do(r6); code != 400 {
				t.Errorf("booking with a read scope: %d", code)
			}

			// Read, and the patient's appointments.
			read := req{method: "GET", path: "/fhir/Appointment/" + apptID, interaction: "fhir:rest:read:appointment-1", scope: "patient/*.read"}
			code, got, h := f.do(read)
			if code != 200 || got.ID() != apptID || h.Get("ETag") != `W/"1"` {
				t.Fatalf("read: %d %v %s", code, got, h.Get("ETag"))
			}
			from := f.now.Format("2006-01-02")
			listReq := req{method: "GET", path: "/fhir/Patient/rich/Appointment?start=ge" + from + "&start=le" + f.now.AddDate(0, 0, 14).Format("2006-01-02"),
				interaction: "fhir:rest:search:patient_appointments-1", scope: "patient/*.read"}
			if code, b, _ := f.do(listReq); code != 200 || len(entriesOf(b, "Appointment")) != 1 {
				t.Errorf("the patient's appointments: %d %v", code, b)
			}
			if code, b, _ := f.do(req{method: "GET", path: "/fhir/Patient/sensitive/Appointment", interaction: "fhir:rest:search:patient_appointments-1", scope: "patient/*.read"}); code != 404 || spineCode(b) != PatientNotFound {
				t.Errorf("a sensitive patient's appointments: %d %v", code, b)
			}

			// Amend the comment.
			amend := req{method: "PUT", path: "/fhir/Appointment/" + apptID, interaction: "fhir:rest:update:appointment-1", scope: "patient/*.write",
				header: map[string]string{"If-Match": `W/"1"`}}
			got["comment"] = "Patient prefers a female clinician"
			amend.body = got
			code, amended, _ := f.do(amend)
			if code != 200 || amended["comment"] != "Patient prefers a female clinician" {
				t.Fatalf("amend: %d %v", code, amended)
			}
			// A stale version is a conflict.
			if code, _, _ := f.do(amend); code != 409 {
				t.Errorf("amend with a stale If-Match: %d", code)
			}
			// Moving it is not an amendment.
			moved := fhir.Resource{}
			for k, v := range amended {
				moved[k] = v
			}
			moved["start"] = "2031-01-01T09:00:00Z"
			amend.body, amend.header = moved, nil
			if code, b, _ := f.do(amend); code != 422 || spineCode(b) != InvalidResource {
				t.Errorf("moving by amendment: %d %v", code, b)
			}

			// Cancel.
			cancel := req{method: "PUT", path: "/fhir/Appointment/" + apptID, interaction: "fhir:rest:cancel:appointment-1", scope: "patient/*.write"}
			cb := fhir.Resource{}
			for k, v := range amended {
				cb[k] = v
			}
			cb["status"] = "cancelled"
			cancel.body = cb
			if code, b, _ := f.do(cancel); code != 422 {
				t.Errorf("cancel without a reason: %d %v", code, b)
			}
			cb["extension"] = append(list(cb["extension"]), map[string]any{"url": cancelReasonExtURL, "valueString": "Feeling better"})
			code, cancelled, _ := f.do(cancel)
			if code != 200 || cancelled["status"] != "cancelled" || str(extValue(cancelled, cancelReasonExtURL, "valueString")) == "" {
				t.Fatalf("cancel: %d %v", code, cancelled)
			}
			if s := f.slotStatus(slots[0].ID()); s != "free" {
				t.Errorf("the slot is %s after cancelling", s)
			}
			// The freed slot is offered again.
			if _, b, _ := f.do(f.slotSearch("")); len(entriesOf(b, "Slot")) != 2 {
				t.Errorf("after cancelling, %d free slots", len(entriesOf(b, "Slot")))
			}
		})
	}
}

// Eight consumers booking one slot at once make one booking; the others
// are told DUPLICATE_REJECTED (the service's slot lock, not a check here).
func TestConcurrentBookings(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite)
	_, b, _ := f.do(f.slotSearch(""))
	slot := entriesOf(b, "Slot")[0]
	var wg sync.WaitGroup
	codes := make([]int, 8)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := bookReq
			r.body = bookingBody("rich", slot)
			codes[i], _, _ = f.do(r)
		}()
	}
	wg.Wait()
	created, rejected := 0, 0
	for _, c := range codes {
		switch c {
		case 201:
			created++
		case 409:
			rejected++
		}
	}
	if created != 1 || rejected != len(codes)-1 {
		t.Errorf("codes %v: want one 201 and the rest 409", codes)
	}
	out, err := f.svc.Search(context.Background(), service.SearchRequest{Type: "Appointment", Params: url.Values{"slot": {"Slot/" + slot.ID()}}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(matches(out.Resource)); n != 1 {
		t.Errorf("%d appointments hold the slot", n)
	}
}

func (f *fixture) slotStatus(id string) string {
	f.t.Helper()
	out, err := f.svc.Read(context.Background(), "Slot", id)
	if err != nil {
		f.t.Fatal(err)
	}
	s, _ := fhir.Unmarshal(out.Version.Body)
	return str(s["status"])
}

// End to end, as NHS 111 uses it: find the patient, search free slots,
// book, see the booking in the practice's own appointment book (the
// workspace's view), read the structured record, cancel, and find every
// step in the audit trail under the consumer's organisation.
func TestEndToEnd(t *testing.T) {
	for _, o := range storetest.Openers() {
		t.Run(o.Name, func(t *testing.T) {
			f := newFixture(t, o.Open)
			_, found, _ := f.do(patientSearch(nhsRich))
			pid := entriesOf(found, "Patient")[0].ID()
			_, b, _ := f.do(f.slotSearch(""))
			slot := entriesOf(b, "Slot")[0]
			r := bookReq
			r.body = bookingBody(pid, slot)
			code, appt, _ := f.do(r)
			if code != 201 {
				t.Fatalf("book: %d %v", code, appt)
			}
			start, _ := time.Parse(time.RFC3339, str(slot["start"]))
			book, err := appointments.Day(context.Background(), f.svc, start, f.now)
			if err != nil {
				t.Fatal(err)
			}
			var seen bool
			for _, col := range book.Columns {
				for _, s := range col.Slots {
					if s.ID == slot.ID() && s.Appointment == appt.ID() && s.Patient.Reference == "Patient/"+pid {
						seen = true
					}
				}
			}
			if !seen {
				t.Errorf("the practice's book does not show the GP Connect booking")
			}
			code, rec, _ := f.do(structuredReq(nhsRich, param("includeAllergies"), param("includeMedication")))
			if code != 200 || listItems(rec, "886921000000105") == nil || listItems(rec, "933361000000108") == nil {
				t.Fatalf("structured record: %d", code)
			}
			cancel := req{method: "PUT", path: "/fhir/Appointment/" + appt.ID(), interaction: "fhir:rest:cancel:appointment-1", scope: "patient/*.write"}
			appt["status"] = "cancelled"
			appt["extension"] = append(list(appt["extension"]), map[string]any{"url": cancelReasonExtURL, "valueString": "Seen at the urgent treatment centre"})
			cancel.body = appt
			if code, b, _ := f.do(cancel); code != 200 || b["status"] != "cancelled" {
				t.Fatalf("cancel: %d %v", code, b)
			}
			if s := f.slotStatus(slot.ID()); s != "free" {
				t.Errorf("slot %s after cancelling", s)
			}
			f.trail.Flush()
			out, err := f.svc.Search(context.Background(), service.SearchRequest{Type: "AuditEvent", Params: url.Values{"_count": {"200"}}})
			if err != nil {
				t.Fatal(err)
			}
			var create, update, read int
			for _, ae := range matches(out.Resource) {
				b, _ := fhir.Marshal(ae)
				if !strings.Contains(string(b), `"value":"RYA"`) {
					continue
				}
				switch str(ae["action"]) {
				case "C":
					create++
				case "U":
					update++
				case "R", "E":
					read++
				}
			}
			if create == 0 || update == 0 || read == 0 {
				t.Errorf("audit under the consumer's organisation: %d creates, %d updates, %d reads", create, update, read)
			}
		})
	}
}
