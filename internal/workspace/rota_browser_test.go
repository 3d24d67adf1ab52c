package workspace_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/demo"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// TestBrowserRota: a practice admin gives a new locum a rota: a session
// that does not divide into its slots is refused with the error summary,
// then a Monday and Tuesday morning session is added, leave on the next
// Monday, and the slots are made; the book shows the locum's column on
// the next Tuesday. Every page passes axe-core and works at 320 px.
func TestBrowserRota(t *testing.T) {
	b := testbrowser.Start(t)
	s := testbrowser.NewStack(t)
	ctx := context.Background()
	practice, err := demo.Make(ctx, s.Service, demo.Options{Patients: 1, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Service.Update(ctx, "Practitioner", "locum", fhir.Resource{"resourceType": "Practitioner", "id": "locum", "active": true,
		"name": []any{map[string]any{"family": "Locum", "given": []any{"Lee"}, "prefix": []any{"Dr"}}}}, service.Precondition{}); err != nil {
		t.Fatal(err)
	}
	admin := s.Staff(t, "manager@test", auth.RolePracticeAdmin, practice.OrganizationID, "")
	b.SignIn(s.URL, admin)
	b.Do(chromedp.Navigate(s.URL+"/workspace/admin/rotas"), chromedp.WaitVisible(chromedp.ID("rotas")))
	if got := b.Text("#gpad-status"); !strings.Contains(got, "not connected") {
		t.Errorf("the GPAD submission's status: %q", got)
	}
	b.Axe("rotas")
	b.Shot("rotas")
	b.Narrow("rotas", 320)
	b.Do(chromedp.SetValue(chromedp.ID("practitioner"), "locum"))
	b.ClickAndLoad("#add-rota")
	if got := b.Text("h1"); !strings.Contains(got, "Dr Lee Locum") {
		t.Fatalf("rota page: %q", got)
	}
	b.Do(chromedp.Click(chromedp.CSS("#add-session-details summary")),
		chromedp.Click(chromedp.ID("day-mon")), chromedp.Click(chromedp.ID("day-tue")),
		chromedp.SendKeys(chromedp.ID("start"), "09:00"), chromedp.SendKeys(chromedp.ID("end"), "10:05"),
		chromedp.SetValue(chromedp.ID("category"), clinical.NationalSlotCategories[0].Code))
	b.ClickAndLoad("#add-session")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "does not divide") {
		t.Fatalf("a session that does not divide: %q", got)
	}
	b.Axe("rota with an error")
	b.Do(chromedp.Clear(chromedp.ID("end")), chromedp.SendKeys(chromedp.ID("end"), "10:00"),
		chromedp.SetValue(chromedp.ID("service-setting"), "pcn"))
	b.ClickAndLoad("#add-session")
	if got := b.Text("#sessions"); !strings.Contains(got, "Mon, Tue 09:00 to 10:00, 10-minute face to face slots") || !strings.Contains(got, "Primary Care Network") {
		t.Fatalf("sessions: %q", got)
	}
	// Leave on the next Monday.
	now := time.Now().In(clinical.UKTime)
	monday := now.AddDate(0, 0, (8-int(now.Weekday()))%7)
	if !monday.After(now) {
		monday = monday.AddDate(0, 0, 7)
	}
	b.Do(chromedp.Click(chromedp.CSS("#add-exception-details summary")),
		chromedp.SendKeys(chromedp.ID("from"), monday.Format("02/01/2006")), chromedp.SendKeys(chromedp.ID("to"), monday.Format("02/01/2006")),
		chromedp.SendKeys(chromedp.ID("reason"), "Annual leave"))
	b.ClickAndLoad("#add-exception")
	if got := b.Text("#exceptions"); !strings.Contains(got, "Annual leave") {
		t.Fatalf("exceptions: %q", got)
	}
	b.Do(chromedp.Clear(chromedp.ID("weeks")), chromedp.SendKeys(chromedp.ID("weeks"), "2"))
	b.ClickAndLoad("#generate")
	if got := b.Text("#generated"); !strings.Contains(got, "slots made") || strings.HasPrefix(got, "0 slots made") {
		t.Fatalf("generated: %q", got)
	}
	b.Axe("rota")
	b.Shot("rota")
	b.Narrow("rota", 320)

	// The book on the Tuesday after shows the locum; the Monday of leave
	// shows their slots blocked.
	tuesday := monday.AddDate(0, 0, 1)
	b.Do(chromedp.Navigate(s.URL+"/workspace/appointments?date="+tuesday.Format("2006-01-02")), chromedp.WaitVisible(chromedp.ID("book-day")))
	if got := b.Text("#book"); !strings.Contains(got, "Dr Lee Locum") {
		t.Errorf("the Tuesday's book has no locum column")
	}
	b.Do(chromedp.Navigate(s.URL+"/workspace/appointments?date="+monday.Format("2006-01-02")), chromedp.WaitVisible(chromedp.ID("book-day")))
	if got := b.Text("#book"); !strings.Contains(got, "Annual leave") {
		t.Errorf("the Monday of leave shows no blocked slots: %q", got)
	}
}
