package workspace_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/terminology/dmdtest"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// TestBrowserMedicationGiven: a nurse records a B12 injection given in
// the practice: the form refuses it without the batch (the NHS.UK error
// summary), the warnings are answered with a reason, and the tab lists it
// under "Given in the practice"; the practice admin's claim page shows it
// for the month and says gpcloud does not submit the FP34D. axe on each
// page, and 320 px.
func TestBrowserMedicationGiven(t *testing.T) {
	b := testbrowser.Start(t)
	s := testbrowser.NewStack(t)
	dmdtest.Load(t, s.Store)
	practice, patient := medPractice(t, s)
	nurse := s.Staff(t, "nurse@given-b", auth.RoleNurse, practice.OrganizationID, "Practitioner/"+practice.Clinicians[2].ID)
	b.SignIn(s.URL, nurse)
	base := s.URL + "/workspace/patients/" + patient + "/medication"

	b.Do(chromedp.Navigate(base), chromedp.WaitVisible(chromedp.ID("record-given-link")))
	if got := b.Text("#given-none"); !strings.Contains(got, "Nothing given") {
		t.Errorf("before: %q", got)
	}
	b.Do(chromedp.Click(chromedp.ID("record-given-link")), chromedp.WaitVisible(chromedp.ID("record-given")))
	b.Do(chromedp.SendKeys(chromedp.ID("medicine"), "hydroxocobalamin"))
	rxFind(t, b, "medicine")
	b.Axe("record a medicine given")
	b.Shot("given-form")
	b.Narrow("given-form", 320)
	b.Do(chromedp.Click(chromedp.ID("site-LG")))
	rxSubmit(t, b, "#record-given")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "Enter the batch number") {
		t.Fatalf("no batch: %q", got)
	}
	b.Axe("no batch refused")
	b.Shot("given-error")
	b.Do(chromedp.SendKeys(chromedp.ID("batch"), "B12-7781"), chromedp.SendKeys(chromedp.ID("expiry-day"), "31"),
		chromedp.SendKeys(chromedp.ID("expiry-month"), "1"), chromedp.SendKeys(chromedp.ID("expiry-year"), "2030"))
	b.KeyAndLoad("#record-given") // from the expiry by keyboard alone
	if b.Eval(`String(!!document.getElementById('warnings'))`) == "true" {
		b.Axe("warnings before recording")
		b.Shot("given-warnings")
		b.Do(chromedp.SendKeys(chromedp.ID("reason"), "Adult dose checked with the GP"))
		rxSubmit(t, b, "#override")
	}
	if got := b.Text("#saved"); !strings.Contains(got, "Recorded as given") {
		t.Fatalf("saved: %q", got)
	}
	row := b.Text("#given-list")
	for _, want := range []string{"Hydroxocobalamin 1mg/1ml solution for injection ampoules", "1 ampoule, intramuscular, left buttock (gluteal)", "batch B12-7781", "Still acting", "Personally administered"} {
		if !strings.Contains(row, want) {
			t.Errorf("the list lacks %q: %q", want, row)
		}
	}
	b.Axe("given listed")
	b.Shot("given-listed")
	b.Narrow("given-listed", 320)

	// The practice admin's claim for the month.
	mb := testbrowser.Start(t)
	mb.SignIn(s.URL, s.Staff(t, "manager@given-b", auth.RolePracticeAdmin, practice.OrganizationID, ""))
	month := time.Now().In(clinical.London).Format("2006-01")
	mb.Do(chromedp.Navigate(s.URL+"/workspace/admin/pa-claims?month="+month), chromedp.WaitVisible(chromedp.ID("claim")))
	claim := mb.Text("#claim")
	if !strings.Contains(claim, "Hydroxocobalamin 1mg/1ml solution for injection ampoules") || !strings.Contains(claim, "1 ampoule") {
		t.Errorf("claim: %q", claim)
	}
	if got := mb.Text("#claim-notice"); !strings.Contains(got, "gpcloud does not send it") {
		t.Errorf("notice: %q", got)
	}
	mb.Axe("personally administered items")
	mb.Shot("pa-claims")
	mb.Narrow("pa-claims", 320)
	// A bad month: the error summary.
	mb.Do(chromedp.Navigate(s.URL+"/workspace/admin/pa-claims?month=May"), chromedp.WaitVisible(chromedp.CSS(".nhsuk-error-summary")))
	mb.Axe("a bad month")
}
