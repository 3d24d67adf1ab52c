package workspace_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// TestBrowserDoseAndReview: a GP changes the dose of a repeat issued
// once (the new dose is above the daily maximum: warned, overridden with
// a reason), sees the dose history, issues it again (the new issue has
// the new dose), then records a review of that repeat alone with a next
// review date, which the tab shows with the last review. axe-core on every
// page, 320 px wide.
func TestBrowserDoseAndReview(t *testing.T) {
	b := testbrowser.Start(t)
	s := testbrowser.NewStack(t)
	practice, patient := medPractice(t, s)
	ctx := auth.WithPrincipal(context.Background(), &auth.Principal{Subject: "test", Role: auth.RoleGP, Practice: practice.OrganizationID, Scopes: auth.ScopesOf(auth.RoleGP)})
	gpRef := "Practitioner/" + practice.Clinicians[0].ID
	api := staffSession(t, s, "gp-api@rxdose", auth.RoleGP, practice.OrganizationID, gpRef)
	a := authoriseRepeat(t, s, api, ctx, patient, "321949006|Sertraline 50mg tablets", "One tablet once a day")
	path := "/workspace/patients/" + patient + "/medication"
	if status, _, _ := api.do(t, path+"/issue", url.Values{"patient": {patient}, "issue": {a.ID()}, "version-" + a.ID(): {versionID(a)}}); status != 303 {
		t.Fatalf("issue: %d", status)
	}
	gp := s.Staff(t, "gp@rxdose", auth.RoleGP, practice.OrganizationID, gpRef)
	b.SignIn(s.URL, gp)
	base := s.URL + path

	// Change the dose from the tab.
	b.Do(chromedp.Navigate(base), chromedp.WaitVisible(chromedp.ID("record-review")))
	b.ClickAndLoad(`a[href$="/` + a.ID() + `/dose"]`)
	b.Do(chromedp.WaitVisible(chromedp.ID("change-dose")))
	b.Axe("change dose")
	b.Shot("dose-form")
	b.Narrow("dose form", 320)
	b.Do(chromedp.SendKeys(chromedp.ID("dose"), "One tablet BD"), chromedp.SendKeys(chromedp.ID("reason"), "No response at 8 weeks"))
	rxSubmit(t, b, "#change-dose")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "abbreviations such as BD") {
		t.Fatalf("Latin dose: %q", got)
	}
	b.Axe("dose refused")
	b.Eval(`document.getElementById('dose').value = ''; "ok"`)
	b.Do(chromedp.SendKeys(chromedp.ID("dose"), "Six tablets once a day"))
	rxSubmit(t, b, "#change-dose")
	if got := b.Text("#warning-list"); !strings.Contains(got, "more than the usual adult maximum of 4") {
		t.Fatalf("warnings: %q", got)
	}
	b.Axe("dose warnings")
	b.Shot("dose-warnings")
	b.Narrow("dose warnings", 320)
	// Thought better of it: a dose within the maximum, checked again.
	b.Eval(`document.getElementById('dose').value = ''; "ok"`)
	b.Do(chromedp.SendKeys(chromedp.ID("dose"), "Four tablets once a day"),
		chromedp.SendKeys(chromedp.ID("override"), "Specialist advice: 200 mg"))
	rxSubmit(t, b, "#change-dose")
	if got := b.Text(".nhsuk-notification-banner, .nhsuk-inset-text, main"); !strings.Contains(got, "Dose changed") || !strings.Contains(b.Text("#med-"+a.ID()), "Four tablets once a day") {
		t.Fatalf("after the change: %q", b.Text("#med-"+a.ID()))
	}
	b.Axe("dose changed")
	b.Shot("dose-changed")
	// The history.
	b.ClickAndLoad(`a[href$="/` + a.ID() + `/dose"]`)
	b.Do(chromedp.WaitVisible(chromedp.ID("dose-history")))
	if got := b.Text("#dose-history"); !strings.Contains(got, "One tablet once a day") || !strings.Contains(got, "Four tablets once a day") || !strings.Contains(got, "No response at 8 weeks") {
		t.Errorf("dose history: %q", got)
	}
	b.Axe("dose history")
	b.Shot("dose-history")
	b.Narrow("dose history", 320)

	// Issue it again: the new issue has the new dose.
	b.Do(chromedp.Navigate(base), chromedp.WaitVisible(chromedp.ID("record-review")), chromedp.Click(chromedp.ID("issue")))
	rxSubmit(t, b, "#issue-selected")
	if b.Eval(`String(!!document.getElementById('reason'))`) == "true" { // issued early
		b.Do(chromedp.SendKeys(chromedp.ID("reason"), "Dose increased"))
		rxSubmit(t, b, "#override")
	}
	var doses []string
	for _, m := range searchMatchesOf(mustSearch(t, s, ctx, "MedicationRequest", url.Values{"patient": {patient}, "intent": {"order"}, "_sort": {"authoredon"}})) {
		doses = append(doses, fmt.Sprint(m["dosageInstruction"].([]any)[0].(map[string]any)["text"]))
	}
	if strings.Join(doses, "; ") != "One tablet once a day; Four tablets once a day" {
		t.Errorf("issues' doses: %v", doses)
	}

	// A review of the sertraline alone, moving its review date.
	b.Do(chromedp.Navigate(base), chromedp.WaitVisible(chromedp.ID("record-review")))
	b.ClickAndLoad("#record-review")
	b.Do(chromedp.WaitVisible(chromedp.ID("save-review")))
	b.Axe("review")
	b.Shot("review-form")
	rxSubmit(t, b, "#save-review")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "Enter the outcome") || !strings.Contains(got, "Enter the date of the next review") {
		t.Errorf("empty review: %q", got)
	}
	b.Axe("review refused")
	next := time.Now().In(clinical.London).AddDate(0, 5, 0)
	b.Do(chromedp.Click(chromedp.ID("scope-chosen")), chromedp.WaitVisible(chromedp.ID("med")), chromedp.Click(chromedp.ID("med")),
		chromedp.SendKeys(chromedp.ID("outcome"), "Continue at 200 mg; review mood in 5 months"),
		chromedp.SendKeys(chromedp.ID("next-day"), fmt.Sprint(next.Day())), chromedp.SendKeys(chromedp.ID("next-month"), fmt.Sprint(int(next.Month()))),
		chromedp.SendKeys(chromedp.ID("next-year"), fmt.Sprint(next.Year())))
	b.Axe("review filled")
	b.Narrow("review form", 320)
	rxSubmit(t, b, "#save-review")
	today := time.Now().In(clinical.London).Format("02-Jan-2006")
	if got := b.Text("#last-review"); !strings.Contains(got, "Last medication review: "+today) || !strings.Contains(got, "by ") {
		t.Errorf("last review: %q", got)
	}
	if got := b.Text("#med-" + a.ID()); !strings.Contains(got, "Review: "+next.In(clinical.London).Format("02-Jan-2006")) {
		t.Errorf("review date not moved: %q", got)
	}
	b.Axe("reviewed")
	b.Shot("reviewed")
	b.Narrow("reviewed", 320)
}
