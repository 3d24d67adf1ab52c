package workspace_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/terminology/dmdtest"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// TestBrowserPrescribingDMD: with a dm+d release loaded, a GP searches
// medicines in dm+d (generics before brands; a product invalid to
// prescribe, an unavailable one and a controlled drug marked), is refused
// the product dm+d says never to prescribe, is refused "as directed" for
// diazepam (Schedule 4) and then prescribes it with an exact dose (its
// token: Schedule 4, valid 28 days), is refused pregabalin (Schedule 3)
// on repeat, and is warned to prescribe lithium by brand and of its
// monitoring. axe on each
// page, and 320 px.
func TestBrowserPrescribingDMD(t *testing.T) {
	b := testbrowser.Start(t)
	s := testbrowser.NewStack(t)
	dmdtest.Load(t, s.Store)
	practice, patient := medPractice(t, s)
	gp := s.Staff(t, "gp@rxdmd", auth.RoleGP, practice.OrganizationID, "Practitioner/"+practice.Clinicians[0].ID)
	b.SignIn(s.URL, gp)
	base := s.URL + "/workspace/patients/" + patient

	b.Do(chromedp.Navigate(base+"/medication/new"), chromedp.WaitVisible(chromedp.ID("check")))
	if got := b.Text("#medicine-hint"); !strings.Contains(got, "Medicines come from dm+d") {
		t.Errorf("the drug search's hint: %q", got)
	}
	if got := b.Text("#prescribing-as"); !strings.Contains(got, "Doctor (independent prescriber)") {
		t.Errorf("prescribing as: %q", got)
	}
	b.Do(chromedp.SendKeys(chromedp.ID("medicine"), "amoxicillin"))
	rxFind(t, b, "medicine")
	picks := b.Text("#medicine-group fieldset")
	for _, want := range []string{"Amoxicillin 250mg capsules", "Do not prescribe: Invalid as a prescribable product", "Unavailable: Actual Products not Available",
		"Unavailable: Discontinued"} {
		if !strings.Contains(picks, want) {
			t.Errorf("the list lacks %q: %q", want, picks)
		}
	}
	if g, a := strings.Index(picks, "Amoxicillin 500mg capsules 323509004"), strings.Index(picks, "(Gone Pharma Ltd)"); g < 0 || a < 0 || g > a {
		t.Errorf("the generic is not before the supplier's product: %q", picks)
	}
	b.Axe("dm+d drug search")
	b.Shot("dmd-search")
	b.Narrow("dmd-search", 320)

	// The product dm+d says is invalid to prescribe.
	b.Eval(`[...document.querySelectorAll('#medicine-group label')].find(l => l.textContent.includes('3g oral powder')).click(); "ok"`)
	b.Do(chromedp.SendKeys(chromedp.ID("dose"), "One sachet twice a day"), chromedp.SendKeys(chromedp.ID("quantity"), "2"), chromedp.SendKeys(chromedp.ID("days"), "1"))
	rxSubmit(t, b, "#check")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "must not be prescribed") {
		t.Errorf("an invalid product: %q", got)
	}
	b.Axe("invalid product refused")

	// Diazepam, Schedule 4: "as directed" refused, then prescribed.
	b.Do(chromedp.Navigate(base+"/medication/new"), chromedp.WaitVisible(chromedp.ID("check")), chromedp.SendKeys(chromedp.ID("medicine"), "diazepam"))
	rxFind(t, b, "medicine")
	if got := b.Text("#medicine-group"); !strings.Contains(got, "Diazepam 2mg tablets") || !strings.Contains(got, "Schedule 4") {
		t.Fatalf("chosen: %q", got)
	}
	b.Do(chromedp.SendKeys(chromedp.ID("dose"), "As directed"), chromedp.SendKeys(chromedp.ID("quantity"), "10"), chromedp.SendKeys(chromedp.ID("days"), "5"))
	rxSubmit(t, b, "#check")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "exact dose") {
		t.Errorf("'as directed' for a Schedule 4 drug: %q", got)
	}
	b.Do(chromedp.SetValue(chromedp.ID("dose"), "One tablet twice a day"))
	rxSubmit(t, b, "#check")
	if b.Eval(`String(!!document.getElementById('warnings'))`) == "true" {
		b.Do(chromedp.SendKeys(chromedp.ID("reason"), "Reviewed: short course"))
		rxSubmit(t, b, "#override")
	}
	if got := b.Text("#acute-list"); !strings.Contains(got, "Diazepam 2mg tablets") {
		t.Fatalf("acute list: %q", got)
	}
	if got := b.Text("#eps-notice"); !strings.Contains(got, "EPS not connected") {
		t.Errorf("the EPS notice: %q", got)
	}
	b.ClickAndLoad(`#acute-list a[href*="/print"]`)
	b.Do(chromedp.WaitVisible(chromedp.ID("token")))
	if got := b.Text("#token"); !strings.Contains(got, "Schedule 4 controlled drug") || !strings.Contains(got, "valid until") {
		t.Errorf("diazepam's token: %q", got)
	}
	if id := b.Text("#token-id"); !clinical.ValidPrescriptionID(id) {
		t.Errorf("the token's prescription id %q is not an EPS id with its check character", id)
	}
	if got := b.Text("#token-status"); !strings.Contains(got, "EPS is not connected") {
		t.Errorf("dispensing status: %q", got)
	}
	b.Axe("controlled drug token")
	b.Shot("dmd-cd-token")

	// Pregabalin, Schedule 3, is refused on repeat.
	b.Do(chromedp.Navigate(base+"/medication/new"), chromedp.WaitVisible(chromedp.ID("check")), chromedp.SendKeys(chromedp.ID("medicine"), "pregabalin"))
	rxFind(t, b, "medicine")
	b.Do(chromedp.SendKeys(chromedp.ID("dose"), "One capsule twice a day"), chromedp.SendKeys(chromedp.ID("quantity"), "56"), chromedp.SendKeys(chromedp.ID("days"), "28"),
		chromedp.Click(chromedp.ID("course-repeat")), chromedp.SendKeys(chromedp.ID("issues"), "3"))
	rxSubmit(t, b, "#check")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "Schedule 2 or 3 controlled drug cannot be prescribed as a repeat") {
		t.Errorf("pregabalin on repeat: %q", got)
	}
	b.Axe("Schedule 3 repeat refused")

	// Lithium as a generic: warned to prescribe the brand, and the
	// monitoring warning reads the latest lithium level (a laboratory's,
	// by LOINC) and raises itself to high for the renal and thyroid
	// function never done.
	ctx := auth.WithPrincipal(context.Background(), &auth.Principal{Subject: "test", Role: auth.RoleGP, Practice: practice.OrganizationID, Scopes: auth.ScopesOf(auth.RoleGP)})
	taken := time.Now().AddDate(0, 0, -20)
	if _, err := s.Service.Create(ctx, "Observation", fhir.Resource{"resourceType": "Observation", "status": "final",
		"code":    map[string]any{"coding": []any{map[string]any{"system": "http://loinc.org", "code": "14334-7"}}, "text": "Serum lithium"},
		"subject": map[string]any{"reference": "Patient/" + patient}, "effectiveDateTime": taken.Format(time.RFC3339),
		"valueQuantity": map[string]any{"value": 0.65, "unit": "mmol/L"}}, ""); err != nil {
		t.Fatal(err)
	}
	b.Do(chromedp.Navigate(base+"/medication/new"), chromedp.WaitVisible(chromedp.ID("check")), chromedp.SendKeys(chromedp.ID("medicine"), "lithium"))
	rxFind(t, b, "medicine")
	b.Do(chromedp.SendKeys(chromedp.ID("dose"), "One tablet at night"), chromedp.SendKeys(chromedp.ID("quantity"), "28"), chromedp.SendKeys(chromedp.ID("days"), "28"))
	rxSubmit(t, b, "#check")
	if got := b.Text("#warning-list"); !strings.Contains(got, "Prescribe the brand the patient takes") || !strings.Contains(got, "High-risk drug: Lithium needs its serum level") {
		t.Errorf("lithium as a generic: %q", got)
	}
	if got := b.Text("#warning-list"); !strings.Contains(got, "Latest lithium level: 0.65 mmol/L on "+taken.In(clinical.London).Format("02-Jan-2006")) ||
		!strings.Contains(got, "No renal function (creatinine, eGFR) result is recorded") {
		t.Errorf("lithium's monitoring results: %q", got)
	}
	b.Axe("brand warning")
	b.Shot("dmd-brand-warning")

	// Repeat dispensing (E00097): morphine (Schedule 2) refused; the brand
	// of lithium as a batch of six, issued at once.
	b.Do(chromedp.Navigate(base+"/medication/new"), chromedp.WaitVisible(chromedp.ID("check")), chromedp.SendKeys(chromedp.ID("medicine"), "morphine"))
	rxFind(t, b, "medicine")
	b.Do(chromedp.SendKeys(chromedp.ID("dose"), "5ml every four hours when required, up to 6 times a day"), chromedp.SendKeys(chromedp.ID("quantity"), "300"),
		chromedp.SendKeys(chromedp.ID("days"), "10"), chromedp.Click(chromedp.ID("course-repeat-dispensing")), chromedp.SendKeys(chromedp.ID("issues"), "3"))
	rxSubmit(t, b, "#check")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "cannot be prescribed for repeat dispensing") {
		t.Errorf("morphine for repeat dispensing: %q", got)
	}
	b.Do(chromedp.Navigate(base+"/medication/new"), chromedp.WaitVisible(chromedp.ID("check")), chromedp.SendKeys(chromedp.ID("medicine"), "priadel"))
	rxFind(t, b, "medicine")
	b.Do(chromedp.SendKeys(chromedp.ID("dose"), "One tablet at night"), chromedp.SendKeys(chromedp.ID("quantity"), "28"), chromedp.SendKeys(chromedp.ID("days"), "28"),
		chromedp.Click(chromedp.ID("course-repeat-dispensing")), chromedp.SendKeys(chromedp.ID("issues"), "6"))
	rxSubmit(t, b, "#check")
	if b.Eval(`String(!!document.getElementById('warnings'))`) == "true" {
		b.Do(chromedp.SendKeys(chromedp.ID("reason"), "Stable on Priadel; level checked last month"))
		rxSubmit(t, b, "#override")
	}
	if got := b.Text("#acute-list"); !strings.Contains(got, "Priadel") || !strings.Contains(got, "Repeat dispensing: batch of 6") {
		t.Fatalf("repeat dispensing on the tab: %q", got)
	}
	b.Axe("repeat dispensing on the tab")
	b.Eval(`[...document.querySelectorAll('#acute-list li')].find(li => li.textContent.includes('Priadel')).querySelector('a[href*="/print"]').id = 'priadel-token'; "ok"`)
	b.ClickAndLoad("#priadel-token")
	b.Do(chromedp.WaitVisible(chromedp.ID("token")))
	if got := b.Text("#token-batch"); !strings.Contains(got, "A batch of 6 issues: this and 5 repeats") {
		t.Errorf("the batch's token: %q", got)
	}
}
