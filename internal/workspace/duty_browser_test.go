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
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// TestBrowserDutyList: from the book, a receptionist opens the duty list
// and, by keyboard alone, adds a patient found by NHS number with the
// reason and the number to ring; leaving out the reason is refused with
// the error summary and nothing is written. The entry is worked through
// (calling, no answer, calling again, done) and the FHIR record is an Appointment without a Slot,
// seen, with the call's times, counted by GPAD. axe-core on each page, 320 px.
func TestBrowserDutyList(t *testing.T) {
	b := testbrowser.Start(t)
	s := testbrowser.NewStack(t)
	ctx := context.Background()
	practice, err := demo.Make(ctx, s.Service, demo.Options{Patients: 2, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	rec := s.Staff(t, "reception@test", auth.RoleReceptionist, practice.OrganizationID, "")
	b.SignIn(s.URL, rec)
	b.Do(chromedp.Navigate(s.URL+"/workspace/appointments"), chromedp.WaitVisible(chromedp.ID("book-day")))
	b.TabTo("#duty-link")
	b.Eval(`window.gpOldPage = true; "ok"`)
	b.Do(chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("duty-day")))
	if got := b.Text("#duty-count"); !strings.Contains(got, "Nobody waiting") {
		t.Errorf("an empty list says %q", got)
	}
	b.Axe("empty duty list")

	b.TabTo("#q")
	b.Eval(`window.gpOldPage = true; "ok"`)
	b.Do(chromedp.KeyEvent(demo.NHSNumber(1) + kb.Enter))
	b.Text("#chosen-patient")
	// No reason: refused, nothing written.
	b.TabTo("#callback")
	b.Do(chromedp.KeyEvent("07700 900123"))
	b.TabTo("#add")
	b.Eval(`window.gpOldPage = true; "ok"`)
	b.Do(chromedp.KeyEvent(kb.Enter))
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "Enter why the patient needs the duty clinician") {
		t.Fatalf("no reason: %q", got)
	}
	b.Axe("duty list with an error")
	if list, err := appointments.DutyList(ctx, s.Service, time.Now()); err != nil || len(list) != 0 {
		t.Fatalf("a refused entry was written: %d %v", len(list), err)
	}
	b.TabTo("#reason")
	b.Do(chromedp.KeyEvent("Rash spreading since yesterday, feels unwell"))
	b.Shot("duty-add")
	b.TabTo("#add")
	b.Eval(`window.gpOldPage = true; "ok"`)
	b.Do(chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("flash")))
	if got := b.Text("#duty-list"); !strings.Contains(got, "Rash spreading") || !strings.Contains(got, "07700 900123") || !strings.Contains(got, "To call") {
		t.Errorf("the list: %q", got)
	}
	if got := b.Text("#duty-count"); !strings.HasPrefix(got, "1 to call back") {
		t.Errorf("count: %q", got)
	}
	b.Axe("duty list")
	b.Shot("duty")
	b.Narrow("duty", 320)

	list, err := appointments.DutyList(ctx, s.Service, time.Now())
	if err != nil || len(list) != 1 {
		t.Fatalf("list: %v %v", list, err)
	}
	id := list[0].Appointment
	b.TabTo("#checked-in-" + id)
	enterAndLoad(t, b)
	if got := b.Text("#entry-" + id); !strings.Contains(got, "Calling") {
		t.Errorf("after calling: %q", got)
	}
	// Nobody answers: back to waiting with the attempt shown; call again.
	b.TabTo("#" + clinical.NoAnswer + "-" + id)
	enterAndLoad(t, b)
	if got := b.Text("#attempts-" + id); !strings.HasPrefix(got, "1 unanswered") {
		t.Errorf("after no answer: %q", got)
	}
	b.Axe("duty list with an unanswered call")
	b.TabTo("#checked-in-" + id)
	enterAndLoad(t, b)
	b.TabTo("#fulfilled-" + id)
	enterAndLoad(t, b)
	if got := b.Text("#entry-" + id); !strings.Contains(got, "Done") {
		t.Errorf("after done: %q", got)
	}
	b.Shot("duty-done")
	a := readResource(t, s.Service, "Appointment", id)
	if a["status"] != "fulfilled" || clinical.AppointmentSlot(a) != "" || !clinical.IsDutyList(a) {
		t.Errorf("the entry in FHIR: %v", a)
	}
	y, m, d := time.Now().In(clinical.UKTime).Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, clinical.UKTime)
	rows, err := appointments.Report(ctx, s.Service, day, day.AddDate(0, 0, 1))
	if err != nil || len(rows) != 1 || rows[0].Status != "Attended" || !rows[0].Slotless {
		t.Errorf("GPAD: %+v %v", rows, err)
	}
}

// enterAndLoad presses Enter on what has the focus and waits for the page
// it leads to (not the old page, which may have the same elements).
func enterAndLoad(t *testing.T, b *testbrowser.Browser) {
	t.Helper()
	b.Eval(`window.gpOldPage = true; "ok"`)
	b.Do(chromedp.KeyEvent(kb.Enter))
	for deadline := time.Now().Add(10 * time.Second); b.Eval(`window.gpOldPage ? "old" : document.readyState`) != "complete"; {
		if time.Now().After(deadline) {
			t.Fatal("pressing Enter loaded no new page")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
