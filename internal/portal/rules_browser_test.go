package portal_test

import (
	"context"
	"math"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/demo"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// TestBrowserPortalRules: on a 375 px screen, by keyboard where it
// matters, a practice admin sets the online services rules; a patient
// sees each repeat's details with one not yet orderable and why, an
// appointment inside the cut-off without a cancel button and told to
// phone, and changes their mobile (applied at once) with a bad one first
// refused; a GP files the patient's message to the record. Every page
// passes axe-core and fits 320 px.
func TestBrowserPortalRules(t *testing.T) {
	b := testbrowser.Start(t)
	s := testbrowser.NewStack(t)
	ctx := context.Background()
	practice, err := demo.Make(ctx, s.Service, demo.Options{Patients: 8, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	me := withRepeat(t, s, practice)
	phone := func() { b.Do(chromedp.EmulateViewport(375, 812)) }
	check := func(name string) {
		t.Helper()
		b.Axe(name)
		b.Narrow(name, 320)
		phone()
		b.Shot(name)
	}
	phone()

	// The practice admin's Online services page: a bad value refused, then saved.
	admin := s.User(t, &identity.User{ID: "admin@rules", Name: "Ada Admin", Role: auth.RolePracticeAdmin, Practice: practice.OrganizationID})
	b.SignIn(s.URL, admin)
	b.Do(chromedp.Navigate(s.URL + "/workspace/admin/portal"))
	b.Text("#save-portal")
	check("admin-portal")
	b.Do(chromedp.SetValue(chromedp.ID("order-window"), "40"))
	b.ClickAndLoad("#save-portal")
	if !strings.Contains(b.Text(".nhsuk-error-summary"), "from 1 to 28") {
		t.Fatal("no error for a window of 40 days")
	}
	check("admin-portal-error")
	b.Do(chromedp.SetValue(chromedp.ID("order-window"), "7"))
	b.Do(chromedp.SetValue(chromedp.ID("cancel-cutoff"), "2"))
	b.ClickAndLoad("#save-portal")
	if !strings.Contains(b.Text("#done"), "saved") {
		t.Fatal("not saved")
	}
	b.ClickAndLoad("#sign-out")

	// One repeat just issued (not orderable for 21 days), the others open.
	rep := orderable(t, s, me)[0]
	issueToday(t, s, practice, rep.ID)
	// An appointment inside the cut-off.
	slot, start := onlineSlotWithin(t, s)
	pat := s.User(t, &identity.User{ID: "pat@rules", Name: "Pat Example", Role: auth.RolePatient, Patients: []string{me}, IdentityProof: "P9"})
	b.SignIn(s.URL, pat)
	b.Do(chromedp.Navigate(s.URL + "/patient/book/" + slot))
	b.Text("#confirm")
	b.ClickAndLoad("#confirm")
	b.Text("#booked")
	setPortalSettings(t, s, practice.OrganizationID, clinical.PortalSettings{OrderWindowDays: 7, CancelCutoffHours: int(math.Ceil(time.Until(start).Hours())) + 1})
	b.Do(chromedp.Reload())
	if !strings.Contains(b.Text("#cancel-closed"), "Phone your GP surgery") || b.Eval(`String(document.getElementById('cancel') === null)`) != "true" {
		t.Fatal("cancel offered inside the cut-off")
	}
	check("portal-appointment-cutoff")

	b.Do(chromedp.Navigate(s.URL + "/patient/prescriptions"))
	if !strings.Contains(b.Text("#blocked"), "You can order this from") || !strings.Contains(b.Text("#blocked"), rep.Name) {
		t.Fatalf("the repeat just issued is not shown as not yet orderable: %s", b.Text("main"))
	}
	if !strings.Contains(b.Text("#pharmacy"), "not connected") {
		t.Fatal("the nominated pharmacy does not say PDS is not connected")
	}
	if others := orderable(t, s, me); len(others) > 0 {
		if hint := b.Text("#medicine-" + others[0].ID + "-hint"); !strings.Contains(hint, "Last issued") {
			t.Fatalf("no repeat details: %q", hint)
		}
	}
	check("portal-repeats-rules")

	// Contact details: a bad number refused, then a new one applied.
	b.Do(chromedp.Navigate(s.URL + "/patient/details"))
	b.Text("#send-details")
	check("portal-details")
	b.Do(chromedp.SetValue(chromedp.ID("mobile"), "123"))
	b.ClickAndLoad("#send-details")
	if !strings.Contains(b.Text(".nhsuk-error-summary"), "UK phone number") {
		t.Fatal("no error for a bad number")
	}
	check("portal-details-error")
	b.Do(chromedp.SetValue(chromedp.ID("mobile"), "07700 900982"))
	b.ClickAndLoad("#send-details")
	if !strings.Contains(b.Text("#saved"), "Contact details updated") || !strings.Contains(b.Text("#current"), "07700 900982") {
		t.Fatalf("not applied: %s", b.Text("main"))
	}
	check("portal-details-saved")

	// A message, filed to the record by a GP.
	b.Do(chromedp.Navigate(s.URL + "/patient/messages"))
	b.Do(chromedp.SendKeys(chromedp.ID("message"), "My cough is better now"))
	b.ClickAndLoad("#send")
	b.ClickAndLoad("#sign-out")
	gp := s.User(t, &identity.User{ID: "drgee@rules", Name: "Dr Gee", Role: auth.RoleGP, Practice: practice.OrganizationID, FHIRUser: "Practitioner/" + practice.Clinicians[0].ID})
	b.SignIn(s.URL, gp)
	b.Do(chromedp.Navigate(s.URL + "/workspace/patients/" + me + "/messages"))
	b.Text("#file-messages")
	check("workspace-messages-file")
	b.Do(chromedp.SendKeys(chromedp.ID("summary"), "Cough resolved, no action"))
	b.ClickAndLoad("#file-messages")
	b.Text("#filed")
	check("workspace-messages-filed")
	if n := search(t, s, "Observation", url.Values{"patient": {"Patient/" + me}, "code": {clinical.SNOMED + "|" + clinical.CommentNoteCode}}); len(clinical.FiledMessages(n)) != 1 {
		t.Fatalf("filed %d", len(clinical.FiledMessages(n)))
	}
}
