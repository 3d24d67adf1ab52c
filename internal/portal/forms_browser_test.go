package portal_test

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
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// TestBrowserPracticeForm: a practice admin adds a question to the
// online request form from the keyboard (a missing question shown in
// the error summary first), previews it and cannot sign it off; a GP
// signs it off; the patient then sees it on a phone. Every page passes
// axe-core and fits 320 px.
func TestBrowserPracticeForm(t *testing.T) {
	b := testbrowser.Start(t)
	s := testbrowser.NewStack(t)
	practice, err := demo.Make(context.Background(), s.Service, demo.Options{Patients: 2, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	org, me := practice.OrganizationID, practice.Patients[0]
	admin := s.Staff(t, "ann@forms", auth.RolePracticeAdmin, org, "")
	gp := s.Staff(t, "dr.gill@forms", auth.RoleGP, org, "Practitioner/"+practice.Clinicians[0].ID)
	pat := s.User(t, &identity.User{ID: "pat@forms", Name: "Pat Example", Role: auth.RolePatient, Patients: []string{me}})
	look := func(name string, width int64) {
		t.Helper()
		b.Do(chromedp.EmulateViewport(width, 900))
		b.Axe(name)
		b.Narrow(name, 320)
		b.Do(chromedp.EmulateViewport(width, 900))
		b.Shot(name)
	}
	focus := func(id string) { b.Eval(`document.getElementById('` + id + `').focus(); "ok"`) }

	b.SignIn(s.URL, admin)
	b.Do(chromedp.Navigate(s.URL + "/workspace/admin/forms"))
	b.Text("#form-active")
	look("forms", 1280)
	// Nothing typed: the error summary, by keyboard.
	b.TabTo("#add")
	b.Do(chromedp.KeyEvent(kb.Enter))
	b.Do(chromedp.WaitVisible(chromedp.CSS(".nhsuk-error-summary")))
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "Enter the question") || !strings.Contains(got, "Select which kind of request") {
		t.Fatalf("errors: %s", got)
	}
	look("forms-error", 1280)
	// The question, from the keyboard: Space picks a radio, typing fills
	// a field, Enter sends.
	focus("kind")
	b.Do(chromedp.KeyEvent(" "))
	focus("text")
	b.Do(chromedp.KeyEvent("Are you pregnant or breastfeeding?"))
	focus("type")
	b.Do(chromedp.KeyEvent(" "), chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.ArrowDown)) // yes or no
	focus("required")
	b.Do(chromedp.KeyEvent(" "))
	if got := b.Eval(`document.querySelector('input[name=type]:checked').value + "/" + document.querySelector('input[name=kind]:checked').value`); got != "boolean/medical" {
		t.Fatalf("keyboard chose %s", got)
	}
	focus("add")
	b.Do(chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("done")))
	if got := b.Text("#questions-medical"); !strings.Contains(got, "Are you pregnant or breastfeeding?") {
		t.Fatalf("question not listed: %s", got)
	}
	if !strings.Contains(b.Text("#signoff-needed"), "Only a GP") {
		t.Fatal("the admin was offered sign-off")
	}
	look("forms-draft", 1280)
	b.ClickAndLoad("#preview-medical")
	b.Text("#preview")
	look("forms-preview", 1280)
	b.ClickAndLoad("#sign-out")

	// The GP finds the form from the online requests queue and signs
	// the draft off from the keyboard.
	b.SignIn(s.URL, gp)
	b.Do(chromedp.Navigate(s.URL + "/workspace/requests"))
	b.ClickAndLoad("#form-link a")
	b.Text("#publish-form")
	look("forms-signoff", 1280)
	focus("confirm")
	b.Do(chromedp.KeyEvent(" "))
	focus("publish")
	b.Do(chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("done")))
	if got := b.Text("#form-active"); !strings.Contains(got, "Version 1") || !strings.Contains(got, "signed off by") {
		t.Fatalf("not published: %s", got)
	}
	look("forms-published", 1280)
	b.ClickAndLoad("#sign-out")

	// The patient, on a phone, sees the question after the red flags.
	b.SignIn(s.URL, pat)
	b.Do(chromedp.EmulateViewport(375, 812))
	b.Do(chromedp.Navigate(s.URL+"/patient/help"), chromedp.WaitVisible(chromedp.ID("kind-existing")))
	look("portal-form-kind", 375)
	b.Eval(`document.getElementById('kind-medical').click(); "ok"`)
	b.ClickAndLoad("#continue")
	for _, f := range clinical.RedFlags {
		b.Eval(`document.getElementById('` + f.ID + `-no').click(); "ok"`)
	}
	b.ClickAndLoad("#continue")
	if got := b.Text("main"); !strings.Contains(got, "Are you pregnant or breastfeeding?") {
		t.Fatalf("the practice question is not asked: %s", got)
	}
	b.Do(chromedp.SendKeys(chromedp.ID("details"), "A rash on my arm"))
	b.Eval(`document.getElementById('how-long-days').click(); "ok"`)
	b.ClickAndLoad("#send") // the practice's required question left blank
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "Are you pregnant or breastfeeding?") {
		t.Fatalf("no error for the practice question: %s", got)
	}
	look("portal-form-details-error", 375)
	b.Eval(`document.querySelector('input[value=no][name^="q-"]').click(); "ok"`)
	b.ClickAndLoad("#send")
	b.Text("#reference")
	tasks := search(t, s, "Task", url.Values{"patient": {"Patient/" + me}})
	if len(tasks) != 1 {
		t.Fatalf("%d tasks", len(tasks))
	}
}
