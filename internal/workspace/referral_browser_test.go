package workspace_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// TestBrowserReferral: a GP makes an urgent suspected cancer referral
// from the record (an empty form first: the error summary); its letter,
// written from the record's summary, is shown; the page says e-RS is
// not connected; the GP records the UBRN; the referral heads the
// practice's open referrals. Every page passes axe and works at 320 px.
func TestBrowserReferral(t *testing.T) {
	b := testbrowser.Start(t)
	wp := newWorkflowPractice(t)
	s, patient := wp.s, wp.practice.Patients[0]
	b.SignIn(s.URL, wp.gp)
	b.Do(chromedp.Navigate(s.URL+"/workspace/patients/"+patient+"/referrals"), chromedp.WaitVisible(chromedp.ID("new-referral")))
	b.Axe("referrals")
	b.ClickAndLoad("#new-referral")
	if got := b.Text("#ers-not-connected"); !strings.Contains(got, "e-RS) is not connected") {
		t.Errorf("e-RS: %q", got)
	}
	b.Axe("new referral")
	rxSubmit(t, b, "#save-referral")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "Enter the service") || !strings.Contains(got, "Select how urgent") {
		t.Fatalf("errors: %q", got)
	}
	b.Axe("new referral with errors")
	b.Shot("referral-errors")
	b.Do(chromedp.SendKeys(chromedp.ID("service"), "Leeds Teaching Hospitals, breast clinic"),
		chromedp.Click(chromedp.ID("type")), chromedp.Click(chromedp.ID("urgency-usc")),
		chromedp.SendKeys(chromedp.ID("reason"), "Breast lump, left, 2 cm"),
		chromedp.SendKeys(chromedp.ID("supporting"), "Noticed three weeks ago. Hard, not tender."))
	rxSubmit(t, b, "#save-referral")
	letter := b.Text("#referral-letter")
	for _, want := range []string{"URGENT SUSPECTED CANCER", "Breast lump, left, 2 cm", "Active problems", "Allergies", "NHS number 999 000 0018"} {
		if !strings.Contains(letter, want) {
			t.Errorf("letter lacks %q: %s", want, letter)
		}
	}
	if got := b.Text("#referral-status"); got != "Waiting to be sent through e-RS" {
		t.Errorf("status %q", got)
	}
	b.Axe("referral")
	b.Shot("referral")
	b.Narrow("referral", 320)
	b.Do(chromedp.SendKeys(chromedp.ID("ubrn"), "0001 2345 6789"))
	rxSubmit(t, b, "#do-ubrn")
	if got := b.Text("#referral-ubrn"); got != "000123456789" {
		t.Errorf("UBRN %q", got)
	}
	b.Do(chromedp.Navigate(s.URL+"/workspace/referrals"), chromedp.WaitVisible(chromedp.ID("referral-list")))
	if got := b.Text("#referral-list tbody tr:first-child"); !strings.Contains(got, "Urgent suspected cancer") || !strings.Contains(got, "Sent, waiting") {
		t.Errorf("open referrals: %q", got)
	}
	b.Axe("open referrals")
	b.Shot("open-referrals")
}
