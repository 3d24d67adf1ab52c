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
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// TestBrowserMissedAndBookedAhead: a child not brought to two
// appointments this year raises the safeguarding prompt on their
// Appointments tab, when booking them and on the appointment's page; booking them more
// than two weeks ahead asks why (refused without, nothing written), and
// the reason is on the appointment. By keyboard; axe-core; 320 px.
func TestBrowserMissedAndBookedAhead(t *testing.T) {
	b := testbrowser.Start(t)
	s := testbrowser.NewStack(t)
	ctx := context.Background()
	now := time.Now()
	practice, err := demo.Make(ctx, s.Service, demo.Options{Patients: 2, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	child := readResource(t, s.Service, "Patient", practice.Patients[0])
	child["birthDate"] = now.AddDate(-7, 0, 0).Format("2006-01-02")
	if _, err := s.Service.Update(ctx, "Patient", child.ID(), child, service.Precondition{}); err != nil {
		t.Fatal(err)
	}
	for _, monthsAgo := range []int{2, 5} {
		start := now.AddDate(0, -monthsAgo, 0).UTC().Truncate(time.Minute)
		if _, err := s.Service.Create(ctx, "Appointment", fhir.Resource{"resourceType": "Appointment", "status": "noshow",
			"start": start.Format(time.RFC3339), "end": start.Add(10 * time.Minute).Format(time.RFC3339),
			"participant": []any{map[string]any{"actor": map[string]any{"reference": "Patient/" + child.ID()}, "status": "accepted"}}}, ""); err != nil {
			t.Fatal(err)
		}
	}
	// Three weeks of the first GP's slots, for a booking 16 days ahead.
	sched := "sch-" + practice.Clinicians[0].ID
	if _, err := appointments.Generate(ctx, s.Service, sched, now, now.AddDate(0, 0, 22)); err != nil {
		t.Fatal(err)
	}
	free, err := appointments.FreeSlots(ctx, s.Service, appointments.FreeQuery{Schedule: sched, From: now.AddDate(0, 0, 16), Limit: 1}, now)
	if err != nil || len(free) != 1 {
		t.Fatalf("a slot 16 days ahead: %v %v", free, err)
	}

	rec := s.Staff(t, "reception@test", auth.RoleReceptionist, practice.OrganizationID, "")
	b.SignIn(s.URL, rec)
	b.Do(chromedp.Navigate(s.URL+"/workspace/patients/"+child.ID()+"/appointments"), chromedp.WaitVisible(chromedp.ID("missed-prompt")))
	if got := b.Text("#missed-prompt"); !strings.Contains(got, "not brought to 2 appointments") || !strings.Contains(got, "safeguarding") {
		t.Errorf("the prompt: %q", got)
	}
	if got := b.Text("#dna-count"); !strings.Contains(got, "2 missed") {
		t.Errorf("missed count: %q", got)
	}
	b.Axe("appointments tab with the safeguarding prompt")
	b.Shot("missed-prompt")
	b.Narrow("missed-prompt", 320)

	b.Do(chromedp.Navigate(s.URL+"/workspace/slots/"+free[0].ID+"?patient="+child.ID()), chromedp.WaitVisible(chromedp.ID("ahead-reason")))
	if got := b.Text("#missed-prompt"); !strings.Contains(got, "safeguarding") {
		t.Errorf("the booking page's prompt: %q", got)
	}
	b.TabTo("#book")
	enterAndLoad(t, b)
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "Choose why it is booked more than two weeks ahead") {
		t.Fatalf("no reason: %q", got)
	}
	n, err := s.Service.Search(ctx, service.SearchRequest{Type: "Appointment", Params: map[string][]string{"patient": {child.ID()}, "status": {"booked"}, "_summary": {"count"}}})
	if err != nil || n.Resource["total"] != 0 {
		t.Fatalf("a refused booking wrote something: %v %v", n.Resource["total"], err)
	}
	b.Axe("booking ahead with an error")
	b.Shot("book-ahead-error")
	// A radio group is one Tab stop: the arrow keys choose within it.
	b.TabTo("#ahead-reason-patient-choice")
	b.Do(chromedp.KeyEvent(kb.ArrowDown))
	if got := b.Eval(`document.getElementById("ahead-reason-clinical-review").checked ? "yes" : "no"`); got != "yes" {
		t.Fatal("the arrow key did not choose the second reason")
	}
	b.TabTo("#book")
	enterAndLoad(t, b)
	if got := b.Text("#ahead-reason"); got != "A planned clinical review or follow-up" {
		t.Errorf("the appointment's reason for booking ahead: %q", got)
	}
	if got := b.Text("#missed-prompt"); !strings.Contains(got, "safeguarding") {
		t.Errorf("the appointment page's prompt: %q", got)
	}
	b.Axe("appointment booked ahead")
	b.Shot("appointment-ahead")
	id := strings.TrimPrefix(b.Eval(`location.pathname`), "/workspace/appointments/")
	a := readResource(t, s.Service, "Appointment", id)
	found := false
	for _, e := range a["extension"].([]any) {
		m := e.(map[string]any)
		found = found || m["url"] == clinical.AheadReasonURL && m["valueCode"] == "clinical-review"
	}
	if !found {
		t.Errorf("the Appointment's extensions: %v", a["extension"])
	}
}
