package workspace_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/demo"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// TestBrowserSharing: a receptionist opens the patient's GP Connect
// sharing from the registration page, saves without an answer (the
// error summary, nothing written), records the patient's dissent (shown
// with who and when; the Consent GPConnectSharing reads is there through
// the API), then a GP withdraws it. Every page passes axe-core, works at
// 320 px and by keyboard.
func TestBrowserSharing(t *testing.T) {
	b := testbrowser.Start(t)
	offline(t, b)
	s := testbrowser.NewStack(t)
	practice, err := demo.Make(context.Background(), s.Service, demo.Options{Patients: 1, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	patientID := practice.Patients[0]
	api := apiClient(t, s, &auth.Principal{Subject: "other-client", Role: auth.RoleGP, Practice: practice.OrganizationID,
		FHIRUser: "Practitioner/" + practice.Clinicians[0].ID})
	consents := func() []fhir.Resource {
		var out []fhir.Resource
		for _, c := range api.search(t, "Consent?patient="+patientID) {
			out = append(out, fhir.Resource(c))
		}
		return out
	}

	desk := s.Staff(t, "reception@test", auth.RoleReceptionist, practice.OrganizationID, "")
	b.SignIn(s.URL, desk)
	b.Do(chromedp.Navigate(s.URL + "/workspace/patients/" + patientID + "/registration"))
	if got := b.Text("#registration-sharing"); !strings.HasPrefix(got, "Shared") {
		t.Errorf("registration page sharing %q", got)
	}
	b.TabTo("#change-sharing")
	b.ClickAndLoad("#change-sharing")
	if got := b.Text("h1"); got != "GP Connect sharing" {
		t.Fatalf("sharing page heading %q", got)
	}
	if got := b.Text("#sharing-status"); got != "Shared: no objection recorded" {
		t.Errorf("status %q", got)
	}
	b.Axe("sharing form")
	b.Narrow("sharing-form", 320)

	// No answer: the error summary, nothing written.
	b.ClickAndLoad("#save-sharing")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "Select whether the patient wants their record shared") {
		t.Errorf("error summary %q", got)
	}
	b.Axe("sharing form with an error")
	b.Shot("sharing-error")
	if n := len(consents()); n != 0 {
		t.Errorf("%d Consents written by a form in error", n)
	}

	// By keyboard: Tab to the radios, the arrow to the dissent, a note, save.
	b.TabTo("#choice")
	b.Do(chromedp.KeyEvent(kb.ArrowDown))
	if got := b.Eval(`document.getElementById('choice-dissent').checked ? "yes" : "no"`); got != "yes" {
		t.Errorf("the arrow key did not choose the dissent: %s", got)
	}
	b.Do(chromedp.SendKeys(chromedp.ID("note"), "Told the receptionist in person"))
	b.ClickAndLoad("#save-sharing")
	if got := b.Text("#done"); !strings.Contains(got, "Sharing choice saved") {
		t.Errorf("confirmation %q", got)
	}
	if got := b.Text("#registration-sharing"); !strings.Contains(got, "Not shared: the patient dissents") || !strings.Contains(got, "reception@test") {
		t.Errorf("registration page after the dissent %q", got)
	}
	b.Axe("registration with a dissent")
	b.Shot("registration-dissent")
	b.Narrow("registration-dissent", 320)
	cs := consents()
	choice := clinical.SharingChoiceOf(cs, time.Now())
	if len(cs) != 1 || !choice.Dissent || choice.Note != "Told the receptionist in person" {
		t.Fatalf("through the API: %d Consents, %+v", len(cs), choice)
	}
	if shared, _ := clinical.GPConnectSharing(clinical.SharingInput{Patient: fhir.Resource{"resourceType": "Patient", "id": patientID}, Consents: cs}, time.Now()); shared == clinical.Share {
		t.Error("GP Connect would still share the record")
	}

	// A GP withdraws it.
	gp := s.Staff(t, "gp@test", auth.RoleGP, practice.OrganizationID, "Practitioner/"+practice.Clinicians[0].ID)
	b.SignIn(s.URL, gp)
	b.Do(chromedp.Navigate(s.URL + "/workspace/patients/" + patientID + "/registration/sharing"))
	if got := b.Text("#sharing-recorded"); !strings.Contains(got, "by reception@test") {
		t.Errorf("who recorded it %q", got)
	}
	b.Shot("sharing-dissent")
	// Someone else changes the choice while the form is open: the save is
	// refused with the error summary and nothing is overwritten.
	sys := auth.WithPrincipal(context.Background(), &auth.Principal{Subject: "test", Role: auth.RoleSystem, Scopes: auth.ScopesOf(auth.RoleSystem)})
	meanwhile := cs[0]
	delete(meanwhile, "meta")
	meanwhile["extension"] = append(meanwhile["extension"].([]any), map[string]any{"url": clinical.SharingNoteURL, "valueString": "Confirmed by letter"})
	if _, err := s.Service.Update(sys, "Consent", meanwhile.ID(), meanwhile, service.Precondition{}); err != nil {
		t.Fatal(err)
	}
	b.Do(chromedp.Click(chromedp.ID("choice")))
	b.ClickAndLoad("#save-sharing")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "Someone else changed this patient's sharing choice") {
		t.Errorf("a stale save: %q", got)
	}
	if choice := clinical.SharingChoiceOf(consents(), time.Now()); !choice.Dissent {
		t.Errorf("a stale save overwrote the dissent: %+v", choice)
	}
	b.Do(chromedp.Click(chromedp.ID("choice")))
	b.ClickAndLoad("#save-sharing")
	if got := b.Text("#registration-sharing"); !strings.HasPrefix(got, "Shared") || !strings.Contains(got, "gp@test") {
		t.Errorf("registration page after withdrawing %q", got)
	}
	cs = consents()
	if choice := clinical.SharingChoiceOf(cs, time.Now()); len(cs) != 1 || choice.Dissent || !choice.Recorded {
		t.Errorf("withdrawn through the API: %d Consents, %+v", len(cs), choice)
	}
}
