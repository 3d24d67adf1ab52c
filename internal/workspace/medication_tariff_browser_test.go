package workspace_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/terminology/dmdtest"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// TestBrowserDrugTariff: the drug search marks a product not prescribable
// on the NHS (Drug Tariff Part XVIIIA) and one in the Selected List
// Scheme; prescribing the first is refused with the error summary and
// writes nothing; the SLS product without the prescriber's confirmation
// is refused naming SLS, and with it is issued endorsed SLS, its FP10SS
// printing SLS beside the item. axe on each page, and 320 px.
func TestBrowserDrugTariff(t *testing.T) {
	b := testbrowser.Start(t)
	s := testbrowser.NewStack(t)
	dmdtest.Load(t, s.Store)
	practice, patient := medPractice(t, s)
	ctx := auth.WithPrincipal(context.Background(), &auth.Principal{Subject: "test", Role: auth.RoleGP, Practice: practice.OrganizationID, Scopes: auth.ScopesOf(auth.RoleGP)})
	gpID := practice.Clinicians[0].ID
	setGMC(t, s, ctx, gpID)
	gp := s.Staff(t, "gp@tariff", auth.RoleGP, practice.OrganizationID, "Practitioner/"+gpID)
	b.SignIn(s.URL, gp)
	base := s.URL + "/workspace/patients/" + patient
	requests := func() int {
		return len(searchMatchesOf(mustSearch(t, s, ctx, "MedicationRequest", url.Values{"patient": {patient}})))
	}

	// The search: the tonic's brand and generic, both marked red.
	b.Do(chromedp.Navigate(base+"/medication/new"), chromedp.WaitVisible(chromedp.ID("check")), chromedp.SendKeys(chromedp.ID("medicine"), "tonic"))
	rxFind(t, b, "medicine")
	if got := b.Text("#medicine-group"); strings.Count(got, clinical.MarkNotNHS) != 2 || !strings.Contains(got, "Multivitamin tonic oral liquid") {
		t.Errorf("the generic is not marked: %q", got)
	}
	b.Do(chromedp.Navigate(base+"/medication/new"), chromedp.WaitVisible(chromedp.ID("check")), chromedp.SendKeys(chromedp.ID("medicine"), "tonivit"))
	rxFind(t, b, "medicine")
	if got := b.Text("#medicine-group"); !strings.Contains(got, "Tonivit oral liquid") || !strings.Contains(got, clinical.MarkNotNHS) {
		t.Errorf("the brand chosen is not marked: %q", got)
	}
	if tone := b.Eval(`document.querySelector('#medicine-group .gp-pick-note').className`); !strings.Contains(tone, "nhsuk-tag--red") {
		t.Errorf("the mark is not red: %q", tone)
	}
	b.Axe("blacklisted product found")
	b.Shot("tariff-search")
	b.Narrow("tariff-search", 320)

	// Prescribing it: refused, nothing written.
	before := requests()
	b.Do(chromedp.SendKeys(chromedp.ID("dose"), "10ml once a day"), chromedp.SendKeys(chromedp.ID("quantity"), "200"), chromedp.SendKeys(chromedp.ID("days"), "20"))
	rxSubmit(t, b, "#check")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "is not prescribable on the NHS (Drug Tariff Part XVIIIA): prescribe privately or choose another product") {
		t.Errorf("a blacklisted product: %q", got)
	}
	if got := b.Eval(`document.querySelector('.nhsuk-error-summary a').getAttribute('href')`); got != "#medicine" {
		t.Errorf("the summary links to %q", got)
	}
	if n := requests(); n != before {
		t.Errorf("a refused prescription wrote %d MedicationRequests", n-before)
	}
	b.Axe("blacklisted product refused")
	b.Shot("tariff-refused")
	b.Narrow("tariff-refused", 320)

	// Oseltamivir (SLS): found marked, the box offered with it.
	b.Do(chromedp.Navigate(base+"/medication/new"), chromedp.WaitVisible(chromedp.ID("check")))
	if b.Eval(`String(!!document.getElementById('sls'))`) != "false" {
		t.Error("the SLS box shows before an SLS product is found")
	}
	b.Do(chromedp.SendKeys(chromedp.ID("medicine"), "oseltamivir"))
	rxFind(t, b, "medicine")
	if got := b.Text("#medicine-group"); !strings.Contains(got, "Oseltamivir 75mg capsules") || !strings.Contains(got, clinical.MarkSLS) {
		t.Errorf("the SLS product is not marked: %q", got)
	}
	b.Do(chromedp.WaitVisible(chromedp.ID("sls")))
	b.Axe("SLS product found")
	b.Shot("tariff-sls-found")
	b.Do(chromedp.SendKeys(chromedp.ID("dose"), "One capsule twice a day"), chromedp.SendKeys(chromedp.ID("quantity"), "10"), chromedp.SendKeys(chromedp.ID("days"), "5"))
	rxSubmit(t, b, "#check")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "Selected List Scheme (SLS, Drug Tariff Part XVIIIB): confirm the patient meets the SLS conditions") {
		t.Errorf("SLS without the confirmation: %q", got)
	}
	if got := b.Text("#medicine-chosen"); !strings.Contains(got, clinical.MarkSLS) {
		t.Errorf("the chosen product lost its mark: %q", got)
	}
	if got := b.Eval(`document.querySelector('.nhsuk-error-summary a').getAttribute('href')`); got != "#sls" {
		t.Errorf("the summary links to %q", got)
	}
	if n := requests(); n != before {
		t.Errorf("an unconfirmed SLS prescription wrote %d MedicationRequests", n-before)
	}
	b.Axe("SLS not confirmed")
	b.Shot("tariff-sls-error")
	b.Narrow("tariff-sls-error", 320)

	// Confirmed: issued, endorsed, the FP10SS printing SLS.
	// By keyboard alone: Tab to the confirmation, tick it with Space,
	// Tab on to the button and press Enter.
	b.TabTo("#sls")
	b.Do(chromedp.KeyEvent(" "))
	b.KeyAndLoad("#check")
	if b.Eval(`String(!!document.getElementById('warnings'))`) == "true" {
		b.Do(chromedp.SendKeys(chromedp.ID("reason"), "Reviewed"))
		rxSubmit(t, b, "#override")
	}
	if got := b.Text("#acute-list"); !strings.Contains(got, "Oseltamivir 75mg capsules") {
		t.Fatalf("acute list: %q", got)
	}
	b.Axe("SLS prescribed")
	var issueID string
	for _, m := range searchMatchesOf(mustSearch(t, s, ctx, "MedicationRequest", url.Values{"patient": {patient}, "intent": {"order"}})) {
		if clinical.MedicineName(m) == "Oseltamivir 75mg capsules" && clinical.HasEndorsement(m, clinical.EndorsementSLS) {
			issueID = m.ID()
		}
	}
	if issueID == "" {
		t.Fatal("the issue is not endorsed SLS")
	}
	http := staffSession(t, s, "gp2@tariff", auth.RoleGP, practice.OrganizationID, "Practitioner/"+gpID)
	texts := fp10Texts(t, http, "/workspace/patients/"+patient+"/medication/issues/"+issueID+"/fp10ss")
	if !strings.Contains(texts, "Oseltamivir 75mg capsules") || !strings.Contains(texts, "capsules SLS") {
		t.Errorf("the FP10SS does not print SLS beside the item:\n%s", texts)
	}
}
