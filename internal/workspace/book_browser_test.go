package workspace_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/demo"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// TestBrowserAppointmentBook: a receptionist opens the appointment book,
// goes to the first day with free slots, books a patient found by NHS
// number from the keyboard, marks them arrived (they appear as waiting),
// books a second patient who does not attend (the record gains the DNA
// entry), cancels a third booking (the slot is free again), and is told,
// not double-booked, when another booking took the slot first. Every page
// passes axe-core and works at 320 px; the FHIR API shows the same.
func TestBrowserAppointmentBook(t *testing.T) {
	b := testbrowser.Start(t)
	s := testbrowser.NewStack(t)
	ctx := context.Background()
	practice, err := demo.Make(ctx, s.Service, demo.Options{Patients: 4, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	rec := s.Staff(t, "reception@test", auth.RoleReceptionist, practice.OrganizationID, "")
	b.SignIn(s.URL, rec)
	b.Do(chromedp.Navigate(s.URL+"/workspace/appointments"), chromedp.WaitVisible(chromedp.ID("book-day")))
	b.Axe("appointment book")
	// The first day ahead with a free slot (weekends have none).
	for i := 0; i < 7 && b.Eval(`document.querySelector('.gp-slot--free a') ? "yes" : "no"`) == "no"; i++ {
		b.ClickAndLoad("#next-day")
	}
	b.Shot("book")
	b.Narrow("book", 320)

	book := func(nhs string) string {
		t.Helper()
		// By keyboard alone: Tab to the first free slot, Enter; Tab to
		// the patient box, type, Enter (finds); Tab to Book, Enter.
		b.TabTo(".gp-slot--free a")
		b.Do(chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("slot-summary")))
		b.TabTo("#q")
		b.Eval(`window.gpOldPage = true; "ok"`)
		b.Do(chromedp.KeyEvent(nhs + kb.Enter))
		b.Text("#chosen-patient")
		b.Axe("book a slot")
		b.Shot("book-slot")
		b.TabTo("#book")
		b.Eval(`window.gpOldPage = true; "ok"`)
		b.Do(chromedp.KeyEvent(kb.Enter))
		if got := b.Text("#flash"); !strings.Contains(got, "booked") {
			t.Fatalf("after booking: %q", got)
		}
		return strings.TrimPrefix(b.Eval(`location.pathname`), "/workspace/appointments/")
	}
	first := book(demo.NHSNumber(1))
	b.Axe("appointment")
	b.Shot("appointment")
	b.Narrow("appointment", 320)
	appt := readResource(t, s.Service, "Appointment", first)
	slot := clinical.AppointmentSlot(appt)
	if got := readResource(t, s.Service, "Slot", slot)["status"]; got != "busy" {
		t.Errorf("the booked slot is %v", got)
	}
	if m := appt["extension"].([]any)[0].(map[string]any)["valueCode"]; m != "telephone" {
		t.Errorf("booking method %v", m)
	}
	if got := b.Text("#appointment"); !strings.Contains(got, "Telephone by reception@test") {
		t.Errorf("who booked and how: %q", got)
	}

	// Move it to the same clinician's next free slot: the old slot is
	// freed, the new one taken.
	b.ClickAndLoad("#move-link")
	b.Axe("move an appointment")
	b.Shot("appointment-move")
	b.Do(chromedp.Click(chromedp.ID("slot-0")))
	b.ClickAndLoad("#move")
	if got := b.Text("#flash"); !strings.Contains(got, "moved") {
		t.Fatalf("after moving: %q", got)
	}
	moved := readResource(t, s.Service, "Appointment", first)
	if newSlot := clinical.AppointmentSlot(moved); newSlot == slot {
		t.Error("the appointment did not move")
	} else if a, b := readResource(t, s.Service, "Slot", slot)["status"], readResource(t, s.Service, "Slot", newSlot)["status"]; a != "free" || b != "busy" {
		t.Errorf("after the move: old slot %v, new slot %v", a, b)
	}
	b.ClickAndLoad("#mark-arrived")
	if got := b.Text("#status"); got != "Arrived" {
		t.Errorf("status after arrived: %q", got)
	}
	b.ClickAndLoad("#to-book")
	if got := b.Text("#waiting"); !strings.Contains(got, "Arrived") {
		t.Errorf("waiting list %q", got)
	}

	// A second patient does not attend: the record gains the coded entry.
	second := book(demo.NHSNumber(2))
	b.ClickAndLoad("#mark-noshow")
	if got := b.Text("#status"); got != "Did not attend" {
		t.Errorf("status after DNA: %q", got)
	}
	patient := strings.TrimPrefix(clinical.AppointmentPatient(readResource(t, s.Service, "Appointment", second)).Reference, "Patient/")
	dna, err := s.Service.Search(ctx, service.SearchRequest{Type: "Observation", Params: url.Values{"patient": {patient}, "code": {clinical.SNOMED + "|" + clinical.DNACode}}})
	if err != nil {
		t.Fatal(err)
	}
	if entries, _ := dna.Resource["entry"].([]any); len(entries) != 1 {
		t.Errorf("%d DNA entries in the record", len(entries))
	}

	// The patient's record lists it, with the missed appointment counted.
	b.Do(chromedp.Navigate(s.URL+"/workspace/patients/"+patient+"/appointments"), chromedp.WaitVisible(chromedp.ID("dna-count")))
	if got := b.Text("#dna-count"); !strings.Contains(got, "1 missed") {
		t.Errorf("missed appointments on the record: %q", got)
	}
	if got := b.Text("#past"); !strings.Contains(got, "Did not attend") {
		t.Errorf("past appointments: %q", got)
	}
	b.Axe("patient's appointments")
	b.Shot("patient-appointments")
	b.Narrow("patient-appointments", 320)

	// A third is cancelled by the patient: the slot is free again.
	b.Do(chromedp.Navigate(s.URL+"/workspace/appointments/"+second), chromedp.WaitVisible(chromedp.ID("to-book")))
	b.ClickAndLoad("#to-book")
	third := book(demo.NHSNumber(3))
	b.Do(chromedp.Click(chromedp.CSS("#cancel-details summary")))
	b.ClickAndLoad("#cancel")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "Choose who cancelled") {
		t.Errorf("cancel without saying who: %q", got)
	}
	b.Axe("appointment with an error")
	b.Do(chromedp.Click(chromedp.ID("by-pat")), chromedp.SendKeys(chromedp.ID("cancel-reason"), "Feeling better"))
	b.ClickAndLoad("#cancel")
	if got := b.Text("#status"); got != "Cancelled" {
		t.Errorf("status after cancel: %q", got)
	}
	thirdSlot := clinical.AppointmentSlot(readResource(t, s.Service, "Appointment", third))
	if got := readResource(t, s.Service, "Slot", thirdSlot)["status"]; got != "free" {
		t.Errorf("the cancelled appointment's slot is %v", got)
	}
	// The next free slots, for any clinician, in the afternoon.
	b.Do(chromedp.Navigate(s.URL+"/workspace/free-slots?time=afternoon"), chromedp.WaitVisible(chromedp.ID("filter")))
	b.Axe("find a free slot")
	b.Shot("free-slots")
	b.Narrow("free-slots", 320)
	// A seen appointment cannot be cancelled: no button offers it.
	b.Do(chromedp.Navigate(s.URL+"/workspace/appointments/"+first), chromedp.WaitVisible(chromedp.ID("status")))
	b.ClickAndLoad("#mark-fulfilled")
	if n := b.Eval(`String(document.querySelectorAll('#cancel').length)`); n != "0" {
		t.Errorf("a seen appointment offers cancelling")
	}

	// Someone else books the slot while the form is open: told, not
	// double-booked.
	b.ClickAndLoad("#to-book")
	b.Eval(`document.querySelector('.gp-slot--free a').focus(); "ok"`)
	b.Do(chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("slot-summary")))
	taken := strings.TrimPrefix(b.Eval(`location.pathname`), "/workspace/slots/")
	if _, err := s.Service.Create(ctx, "Appointment", fhir.Resource{"resourceType": "Appointment", "status": "booked", "start": "2030-01-01T09:00:00Z", "end": "2030-01-01T09:10:00Z",
		"slot":        []any{map[string]any{"reference": "Slot/" + taken}},
		"participant": []any{map[string]any{"actor": map[string]any{"reference": "Patient/" + practice.Patients[0]}, "status": "accepted"}}}, ""); err != nil {
		t.Fatal(err)
	}
	b.Do(chromedp.SendKeys(chromedp.ID("q"), demo.NHSNumber(1)))
	b.ClickAndLoad("#find")
	if got := b.Text("main"); !strings.Contains(got, "no longer free") {
		t.Errorf("a slot booked meanwhile: %q", got)
	}
	n, err := s.Service.Search(ctx, service.SearchRequest{Type: "Appointment", Params: url.Values{"slot": {"Slot/" + taken}, "status": {"booked"}, "_summary": {"count"}}})
	if err != nil || n.Resource["total"] != 1 {
		t.Errorf("booked appointments in the slot taken meanwhile: %v %v", n.Resource["total"], err)
	}
}

func readResource(t *testing.T, svc *service.Service, typ, id string) fhir.Resource {
	t.Helper()
	out, err := svc.Read(context.Background(), typ, id)
	if err != nil {
		t.Fatal(err)
	}
	r, err := fhir.Unmarshal(out.Version.Body)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
