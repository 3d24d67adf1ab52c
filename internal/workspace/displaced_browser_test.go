package workspace_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/gpcloud/gpcloud/internal/appointments"
	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/demo"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// TestBrowserDisplacedPatients: the first GP goes off sick for a day on
// which four patients are booked with them. The practice manager sees it
// on the book, opens the worklist from the keyboard, moves the patients
// to the second GP at once: three go to the same times, the one in a
// telephone slot the second GP has not released yet stays and is listed
// with the reason; they record ringing that patient. The FHIR records
// show each move, and the sick GP's freed slots are blocked again.
func TestBrowserDisplacedPatients(t *testing.T) {
	b := testbrowser.Start(t)
	s := testbrowser.NewStack(t)
	ctx := context.Background()
	practice, err := demo.Make(ctx, s.Service, demo.Options{Patients: 4, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	var gps []demo.Clinician
	for _, c := range practice.Clinicians {
		if c.Role == "gp" {
			gps = append(gps, c)
		}
	}
	sick, cover := "sch-"+gps[0].ID, "sch-"+gps[1].ID
	// The next weekday after today.
	day := time.Now().In(clinical.UKTime)
	day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, clinical.UKTime).AddDate(0, 0, 1)
	for day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
		day = day.AddDate(0, 0, 1)
	}
	at := func(hh, mm int) time.Time {
		return day.Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute)
	}
	var booked []string
	for i, when := range []time.Time{at(8, 30), at(8, 40), at(9, 0), at(11, 30)} {
		slotID := appointments.SlotID(clinical.SlotKey(sick, when))
		info, err := appointments.ReadSlot(ctx, s.Service, slotID, time.Now())
		if err != nil {
			t.Fatalf("%s: %v", when, err)
		}
		pat := readResource(t, s.Service, "Patient", practice.Patients[i])
		bk := clinical.Booking{PatientID: pat.ID(), PatientName: clinical.PatientName(pat), Slot: info.Slot, Clinician: info.Clinician, Method: "telephone"}
		out, err := s.Service.Create(ctx, "Appointment", bk.Appointment(time.Now()), "")
		if err != nil {
			t.Fatal(err)
		}
		booked = append(booked, out.Version.ID)
	}
	sched := readResource(t, s.Service, "Schedule", sick)
	sessions, _ := clinical.RotaOf(sched)
	clinical.SetRota(sched, sessions, []clinical.Exception{{From: day, To: day.AddDate(0, 0, 1), Reason: "Off sick"}})
	if _, err := s.Service.Update(ctx, "Schedule", sick, sched, service.Precondition{}); err != nil {
		t.Fatal(err)
	}
	if _, err := appointments.Generate(ctx, s.Service, sick, day, day.AddDate(0, 0, 1)); err != nil {
		t.Fatal(err)
	}

	manager := s.Staff(t, "manager@test", auth.RolePracticeAdmin, practice.OrganizationID, "")
	b.SignIn(s.URL, manager)
	b.Do(chromedp.Navigate(s.URL+"/workspace/appointments?date="+day.Format("2006-01-02")), chromedp.WaitVisible(chromedp.ID("displaced-warning")))
	if got := b.Text("#displaced-warning"); !strings.Contains(got, "4 patients") {
		t.Errorf("the book's warning: %q", got)
	}
	b.Axe("book with displaced patients")
	b.Shot("book-displaced")
	b.TabTo("#displaced-link")
	b.Eval(`window.gpOldPage = true; "ok"`)
	b.Do(chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("move-"+sick)))
	b.Axe("displaced patients")
	b.Shot("displaced")
	b.Narrow("displaced", 320)

	// From the keyboard: to the second GP (typing the name picks it in
	// the list), then the move button.
	b.TabTo("#target-" + sick)
	b.Do(chromedp.KeyEvent(gps[1].Name))
	if got := b.Eval(`document.getElementById("target-` + sick + `").value`); got != cover {
		t.Fatalf("the clinician chosen is %q, want %q", got, cover)
	}
	b.TabTo("#move-" + sick)
	b.Eval(`window.gpOldPage = true; "ok"`)
	b.Do(chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("result")))
	if got := b.Text("#result h2"); got != "3 moved, 1 not moved" {
		t.Errorf("result: %q", got)
	}
	if got := b.Text("#not-moved"); !strings.Contains(got, "11:30") || !strings.Contains(got, "no free slot") {
		t.Errorf("not moved: %q", got)
	}
	b.Axe("displaced patients after the move")
	b.Shot("displaced-moved")
	for i, when := range []time.Time{at(8, 30), at(8, 40), at(9, 0)} {
		a := readResource(t, s.Service, "Appointment", booked[i])
		want := appointments.SlotID(clinical.SlotKey(cover, when))
		if got := clinical.AppointmentSlot(a); got != want {
			t.Errorf("appointment %d in %s, want %s", i, got, want)
		}
		if old := readResource(t, s.Service, "Slot", appointments.SlotID(clinical.SlotKey(sick, when)))["status"]; old != "busy-unavailable" {
			t.Errorf("the sick GP's %s slot is %v", when.Format("15:04"), old)
		}
	}
	// The one left is rung: recorded, and still on the list.
	b.TabTo("#contacted-" + booked[3])
	b.Eval(`window.gpOldPage = true; "ok"`)
	b.Do(chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("flash")))
	if got := b.Text("#rung-" + booked[3]); !strings.Contains(got, "Rung "+time.Now().In(clinical.UKTime).Format("02-Jan-2006")) {
		t.Errorf("after ringing: %q", got)
	}
	if _, ok := clinical.ContactedAt(readResource(t, s.Service, "Appointment", booked[3])); !ok {
		t.Error("the appointment does not record the call")
	}
	b.Axe("displaced patients after a call")

	// The sick GP's week at a glance: that day's sessions blocked (the
	// one patient not moved still booked), a link to the day.
	b.Do(chromedp.Navigate(s.URL+"/workspace/appointments/week?clinician="+sick+"&date="+day.Format("2006-01-02")), chromedp.WaitVisible(chromedp.ID("week")))
	if got := b.Text("#week"); !strings.Contains(got, "08:30 to 11:30") || !strings.Contains(got, "No sessions") {
		t.Errorf("the week: %q", got)
	}
	if blocked := b.Eval(`String(document.querySelectorAll('#week .nhsuk-tag--grey').length)`); blocked == "0" {
		t.Error("the week shows no blocked slots on the day off")
	}
	b.Axe("week")
	b.Shot("week")
	b.Narrow("week", 320)
	b.TabTo(`#week a[href="/workspace/appointments?date=` + day.Format("2006-01-02") + `"]`)
	enterAndLoad(t, b)
	if got := b.Text("#book-day"); !strings.Contains(got, day.Format("2 January 2006")) {
		t.Errorf("the week's day link opened %q", got)
	}
}
