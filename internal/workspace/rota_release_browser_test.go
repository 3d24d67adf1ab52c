package workspace_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gpcloud/gpcloud/internal/appointments"
	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/demo"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// TestBrowserRotaGPConnectRelease: a practice admin releases a session's
// slots to NHS 111 (by ODS code) and urgent care only. "Only those
// listed" with nothing listed, and a code that is not an ODS code, are
// refused with the error summary and nothing saved; then the session is
// saved, its words say the release, and the slots made carry it. Every
// page passes axe-core and works at 320 px.
func TestBrowserRotaGPConnectRelease(t *testing.T) {
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
	b.Do(chromedp.Navigate(s.URL+"/workspace/admin/rotas"), chromedp.WaitVisible(chromedp.ID("rotas")),
		chromedp.SetValue(chromedp.ID("practitioner"), "locum"))
	b.ClickAndLoad("#add-rota")
	b.Do(chromedp.Click(chromedp.CSS("#add-session-details summary")),
		chromedp.Click(chromedp.ID("day-wed")),
		chromedp.SendKeys(chromedp.ID("start"), "14:00"), chromedp.SendKeys(chromedp.ID("end"), "14:30"),
		chromedp.SetValue(chromedp.ID("category"), clinical.NationalSlotCategories[1].Code),
		chromedp.Click(chromedp.ID("bookable-by-gp-connect")), chromedp.Click(chromedp.ID("gpc-release-listed")))
	b.ClickAndLoad("#add-session")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "Enter the ODS codes") {
		t.Fatalf("listed with nothing listed: %q", got)
	}
	b.Do(chromedp.SendKeys(chromedp.ID("gpc-organisations"), "rya, A8-1001"), chromedp.Click(chromedp.ID("gpc-type-urgent-care")))
	b.ClickAndLoad("#add-session")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "is not an ODS code") {
		t.Fatalf("a bad ODS code: %q", got)
	}
	if got := b.Text("#no-sessions"); got == "" {
		t.Errorf("a session was saved despite the errors")
	}
	b.Axe("rota release with an error")
	b.Shot("rota-release-error")
	b.Narrow("rota release with an error", 320)
	b.Do(chromedp.Clear(chromedp.ID("gpc-organisations")), chromedp.SendKeys(chromedp.ID("gpc-organisations"), "rya, A81001"))
	b.ClickAndLoad("#add-session")
	if got := b.Text("#sessions"); !strings.Contains(got, "GP Connect only for RYA, A81001, Urgent Care") {
		t.Fatalf("sessions: %q", got)
	}
	b.Do(chromedp.Clear(chromedp.ID("weeks")), chromedp.SendKeys(chromedp.ID("weeks"), "2"))
	b.ClickAndLoad("#generate")
	if got := b.Text("#generated"); strings.HasPrefix(got, "0 slots made") {
		t.Fatalf("generated: %q", got)
	}
	b.Axe("rota with a GP Connect release")
	b.Shot("rota-release")
	b.Narrow("rota with a GP Connect release", 320)

	// The slots made carry the release.
	scheds, err := s.Service.Search(ctx, service.SearchRequest{Type: "Schedule", Params: url.Values{"actor": {"Practitioner/locum"}}})
	if err != nil || len(appointments.Matches(scheds.Resource)) != 1 {
		t.Fatalf("the locum's schedule: %v", err)
	}
	schedID := appointments.Matches(scheds.Resource)[0].ID()
	out, err := s.Service.Search(ctx, service.SearchRequest{Type: "Slot", Params: url.Values{"schedule": {"Schedule/" + schedID}, "_count": {"100"}}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, slot := range appointments.Matches(out.Resource) {
		r := clinical.GPConnectReleaseOf(slot)
		if strings.Join(r.Organisations, ",") != "RYA,A81001" || strings.Join(r.Types, ",") != "urgent-care" {
			t.Errorf("Slot/%s release %+v", slot.ID(), r)
		}
		n++
	}
	if n < 6 {
		t.Errorf("%d slots made for two Wednesday afternoons", n)
	}
}
