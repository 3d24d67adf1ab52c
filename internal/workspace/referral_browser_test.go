package workspace_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// TestBrowserReferral: a GP makes an urgent suspected cancer referral
// from the record (an empty form first: the error summary); its letter,
// written from the record's summary, is previewed, edited and saved; the page says e-RS is
// not connected; the GP records the UBRN; the referral heads the
// practice's open referrals. A recall set on the record is on the
// practice's list of recalls due, and is marked done. Every page passes
// axe and works at 320 px.
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
	// Preview the letter, edit it, then save.
	rxSubmit(t, b, "#preview-letter")
	if got := b.Eval(`document.getElementById('letter').value`); !strings.Contains(got, "Breast lump, left, 2 cm") {
		t.Fatalf("preview: %q", got)
	}
	b.Axe("referral letter preview")
	b.Shot("referral-preview")
	b.Do(chromedp.SendKeys(chromedp.ID("letter"), "\nPS: she is anxious; please call her on the mobile number."))
	rxSubmit(t, b, "#save-referral")
	letter := b.Text("#referral-letter")
	if !strings.Contains(letter, "PS: she is anxious") {
		t.Errorf("the edit was not saved: %s", letter)
	}
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

	// A recall, set on the record and on the practice's list of recalls due.
	b.Do(chromedp.Navigate(s.URL+"/workspace/patients/"+patient+"/recalls"), chromedp.WaitVisible(chromedp.ID("add-recall")))
	b.Axe("recalls")
	rxSubmit(t, b, "#add-recall")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "Select the kind of recall") || !strings.Contains(got, "Enter the date it is due") {
		t.Fatalf("recall errors: %q", got)
	}
	b.Axe("recalls with errors")
	soon := time.Now().AddDate(0, 0, 7)
	b.Do(chromedp.Click(chromedp.ID("kind")), chromedp.SendKeys(chromedp.ID("what"), "Asthma review"),
		chromedp.SendKeys(chromedp.ID("due-day"), soon.Format("2")), chromedp.SendKeys(chromedp.ID("due-month"), soon.Format("1")),
		chromedp.SendKeys(chromedp.ID("due-year"), soon.Format("2006")))
	rxSubmit(t, b, "#add-recall")
	if got := b.Text("#recall-list"); !strings.Contains(got, "Asthma review") || !strings.Contains(got, "Due") {
		t.Fatalf("recalls: %q", got)
	}
	b.Axe("recall set")
	b.Shot("recalls")
	b.Narrow("recalls", 320)
	b.Do(chromedp.Navigate(s.URL+"/workspace/recalls"), chromedp.WaitVisible(chromedp.ID("recall-list")))
	if got := b.Text("#recall-list"); !strings.Contains(got, "Asthma review") {
		t.Errorf("recalls due: %q", got)
	}
	b.Axe("recalls due")
	b.Do(chromedp.Navigate(s.URL+"/workspace/patients/"+patient+"/recalls"), chromedp.WaitVisible(chromedp.ID("recall-list")))
	rxSubmit(t, b, "#recall-list button[value=done]")
	if got := b.Text("#recall-list"); !strings.Contains(got, "Done") {
		t.Errorf("after done: %q", got)
	}
}
