package workspace_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// TestBrowserPrescriptionsQueue: two patients' clean repeat requests
// (made as the portal makes them) are ticked and approved together from
// the keyboard; the one whose ibuprofen meets an allergy has no tick box
// and is rejected with a message. The issues are in the FHIR API, and
// the patient's portal shows the request issued, and the other patient's
// the rejection with its message. Every page passes axe-core and fits
// 320 px.
func TestBrowserPrescriptionsQueue(t *testing.T) {
	b := testbrowser.Start(t)
	s := testbrowser.NewStack(t)
	f := newRxFixture(t, s)
	gp := s.Staff(t, "gp-browser@rxqueue", auth.RoleGP, f.practice.OrganizationID, "Practitioner/"+f.practice.Clinicians[0].ID)
	b.SignIn(s.URL, gp)

	b.Do(chromedp.Navigate(s.URL+"/workspace/prescriptions"), chromedp.WaitVisible(chromedp.ID("rx-queue")))
	b.Axe("prescriptions queue")
	b.Shot("rx-queue")
	b.Narrow("rx-queue", 320)
	if b.Eval(`String(!!document.getElementById('request-`+f.warned+`'))`) != "false" {
		t.Fatal("the request with an allergy warning has a tick box")
	}
	if got := b.Text("#why-" + f.warned); !strings.Contains(got, "aspirin") {
		t.Errorf("the warned request does not say why: %q", got)
	}

	// From the keyboard: tick the two clean requests and approve them.
	for _, id := range []string{f.clean0, f.clean1} {
		b.TabTo("#request-" + id)
		b.Do(chromedp.KeyEvent(" "))
	}
	b.TabTo("#approve")
	b.Do(chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("approved")))
	if got := b.Text("#approved"); !strings.Contains(got, "2 requests approved and issued") {
		t.Errorf("after approving: %q", got)
	}
	b.Axe("prescriptions queue, approved")
	b.Shot("rx-queue-approved")

	// The issues are in the FHIR API, based on the repeats.
	app := apiClient(t, s, &auth.Principal{Subject: "gp-app", Role: auth.RoleGP, Practice: f.practice.OrganizationID, FHIRUser: "Practitioner/" + f.practice.Clinicians[0].ID})
	issues := app.search(t, "MedicationRequest?patient="+f.p0+"&intent=order")
	if len(issues) != 1 || !strings.Contains(fmt.Sprint(issues[0]["basedOn"]), "MedicationRequest/"+f.omep0) || !strings.Contains(fmt.Sprint(issues[0]["groupIdentifier"]), "prescription-order-number") {
		t.Errorf("the FHIR API's issues: %d %v", len(issues), issues)
	}

	// The warned request: opened, rejected without a message (the error
	// summary), then with one.
	b.ClickAndLoad(`#rx-` + f.warned + ` a`)
	b.Do(chromedp.WaitVisible(chromedp.ID("warning-list")))
	b.Axe("repeat request with a warning")
	b.Shot("rx-request-warned")
	b.Narrow("rx-request-warned", 320)
	b.ClickAndLoad("#reject")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "Enter a message to the patient") {
		t.Errorf("rejecting without a message: %q", got)
	}
	b.Axe("repeat request, rejection error")
	b.Shot("rx-request-reject-error")
	b.Do(chromedp.SendKeys(chromedp.ID("message"), "Ibuprofen is not safe with your aspirin allergy: please book an appointment"))
	b.ClickAndLoad("#reject")
	if got := b.Text("#rejected"); !strings.Contains(got, "Request rejected") {
		t.Errorf("after rejecting: %q", got)
	}
	if b.Eval(`String(!!document.getElementById('rx-`+f.warned+`'))`) != "false" {
		t.Error("the rejected request is still in the queue")
	}

	// Each patient's portal shows their request's status.
	for _, c := range []struct{ patient, want string }{
		{f.p0, "Done: prescription issued"},
		{f.p1, "Turned down: Ibuprofen is not safe with your aspirin allergy"},
	} {
		b.ClickAndLoad(`form[action="/auth/logout"] button`) // sign out
		pat := s.User(t, &identity.User{ID: "pat-" + c.patient, Name: "Patient", Role: auth.RolePatient, Patients: []string{c.patient}, IdentityProof: "P9"})
		b.SignIn(s.URL, pat)
		b.Do(chromedp.Navigate(s.URL+"/patient/prescriptions"), chromedp.WaitVisible(chromedp.ID("requests")))
		if got := b.Text("#requests"); !strings.Contains(got, c.want) {
			t.Errorf("the portal of %s says %q, want %q", c.patient, got, c.want)
		}
		b.Axe("portal prescriptions")
		b.Shot("rx-portal-" + c.patient)
	}

	// Reception records a phone request from the Medication tab.
	b.ClickAndLoad(`form[action="/auth/logout"] button`)
	desk := s.Staff(t, "desk-browser@rxqueue", auth.RoleReceptionist, f.practice.OrganizationID, "")
	b.SignIn(s.URL, desk)
	b.Do(chromedp.Navigate(s.URL+"/workspace/patients/"+f.p1+"/medication"), chromedp.WaitVisible(chromedp.ID("record-request-link")))
	b.ClickAndLoad("#record-request-link")
	b.Do(chromedp.WaitVisible(chromedp.ID("request-form")))
	b.Axe("record a repeat request")
	b.Narrow("rx-record-request", 320)
	b.ClickAndLoad("#record-request")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "Select") || !strings.Contains(got, "how the patient asked") {
		t.Errorf("recording nothing: %q", got)
	}
	b.Axe("record a repeat request, errors")
	b.Shot("rx-record-request-error")
	b.TabTo("#medicine-" + f.nsaid1)
	b.Do(chromedp.KeyEvent(" "))
	b.TabTo("#channel") // the radios: Tab reaches the group, an arrow picks "By phone"
	b.Do(chromedp.KeyEvent(kb.ArrowDown))
	if b.Eval(`String(document.getElementById('channel-phone').checked)`) != "true" {
		t.Error("the arrow key did not pick By phone")
	}
	b.TabTo("#record-request")
	b.Do(chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("saved")))
	if got := b.Text("#saved"); !strings.Contains(got, "prescriptions queue") {
		t.Errorf("after recording: %q", got)
	}
}
