package workspace_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/terminology/dmdtest"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// TestBrowserInstalments: a GP prescribes methadone in instalments
// (E00098): an instalment prescription for pregabalin (Schedule 3, not
// allowed on an FP10MDA) is refused; the methadone's total that is not
// the days times the daily amount and an unanswered supervision are
// shown in the error summary, nothing written; corrected, it is prescribed, tagged on the tab, its token gives
// the instalment directions, and the FHIR API has the dispense interval
// and the instalment extension. axe on each page, and 320 px.
func TestBrowserInstalments(t *testing.T) {
	b := testbrowser.Start(t)
	s := testbrowser.NewStack(t)
	dmdtest.Load(t, s.Store)
	practice, patient := medPractice(t, s)
	gp := s.Staff(t, "gp@rxinst", auth.RoleGP, practice.OrganizationID, "Practitioner/"+practice.Clinicians[0].ID)
	b.SignIn(s.URL, gp)
	base := s.URL + "/workspace/patients/" + patient

	// Pregabalin (Schedule 3) may not be dispensed in instalments on an
	// FP10MDA (the NHSBSA allows Schedule 2, buprenorphine and diazepam).
	b.Do(chromedp.Navigate(base+"/medication/new"), chromedp.WaitVisible(chromedp.ID("check")), chromedp.SendKeys(chromedp.ID("medicine"), "pregabalin"))
	rxFind(t, b, "medicine")
	b.Do(chromedp.SendKeys(chromedp.ID("dose"), "One capsule twice a day"), chromedp.SendKeys(chromedp.ID("quantity"), "14"), chromedp.SendKeys(chromedp.ID("days"), "7"),
		chromedp.Click(chromedp.ID("course-instalments")), chromedp.SendKeys(chromedp.ID("instalment-amount"), "2"), chromedp.Click(chromedp.ID("instalment-interval")))
	rxSubmit(t, b, "#check")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "Instalment dispensing (FP10MDA) is only for Schedule 2 controlled drugs") {
		t.Errorf("pregabalin in instalments: %q", got)
	}

	// Methadone: 60 ml a day for 14 days from tomorrow, collected every
	// day but the day after (the pharmacy closes), supervised.
	start := time.Now().In(clinical.London).AddDate(0, 0, 1)
	closed := strings.ToLower(start.AddDate(0, 0, 1).Weekday().String()[:3])
	b.Do(chromedp.Navigate(base+"/medication/new"), chromedp.WaitVisible(chromedp.ID("check")), chromedp.SendKeys(chromedp.ID("medicine"), "methadone"))
	rxFind(t, b, "medicine")
	if got := b.Text("#medicine-group"); !strings.Contains(got, "Methadone 1mg/ml oral solution") || !strings.Contains(got, "Schedule 2") {
		t.Fatalf("chosen: %q", got)
	}
	b.Do(chromedp.SendKeys(chromedp.ID("dose"), "Take 60ml once a day"), chromedp.SendKeys(chromedp.ID("quantity"), "800"), chromedp.SendKeys(chromedp.ID("days"), "14"),
		chromedp.Click(chromedp.ID("course-instalments")), chromedp.SendKeys(chromedp.ID("instalment-amount"), "60"), chromedp.Click(chromedp.ID("instalment-interval-days")),
		chromedp.SendKeys(chromedp.ID("instalment-start-day"), fmt.Sprint(start.Day())), chromedp.SendKeys(chromedp.ID("instalment-start-month"), fmt.Sprint(int(start.Month()))),
		chromedp.SendKeys(chromedp.ID("instalment-start-year"), fmt.Sprint(start.Year())))
	b.Eval(`[...document.querySelectorAll('input[name="instalment-days"]')].forEach(c => { if (c.value !== '` + closed + `') c.click() }); "ok"`)
	rxSubmit(t, b, "#check")
	summary := b.Text(".nhsuk-error-summary")
	for _, want := range []string{"14 days of 60 is 840", "Select whether each dose is taken under supervision"} {
		if !strings.Contains(summary, want) {
			t.Errorf("the error summary lacks %q: %q", want, summary)
		}
	}
	if got := b.Eval(`document.querySelector('.nhsuk-error-summary a[href="#instalment-supervised"]') ? "linked" : "no"`); got != "linked" {
		t.Error("the supervision error does not link to its radios")
	}
	if got := b.Eval(`String(document.querySelectorAll('input[name="instalment-days"]:checked').length)`); got != "6" {
		t.Errorf("the collection days chosen were not kept: %s", got)
	}
	b.Axe("instalment errors")
	b.Shot("instalment-errors")
	b.Narrow("instalment-errors", 320)

	b.Do(chromedp.WaitVisible(chromedp.ID("instalment-supervised")))
	b.Eval(`document.getElementById('quantity').value = '840'; document.getElementById('instalment-supervised').click(); "ok"`)
	rxSubmit(t, b, "#check")
	if b.Eval(`String(!!document.getElementById('warnings'))`) == "true" {
		b.Do(chromedp.SendKeys(chromedp.ID("reason"), "Stable on methadone, keyworker agrees"))
		rxSubmit(t, b, "#override")
	}
	if got := b.Text("#acute-list"); !strings.Contains(got, "Methadone 1mg/ml oral solution") || !strings.Contains(got, "Instalments") || !strings.Contains(got, "840 ml") {
		t.Fatalf("acute list: %q (errors: %q)", got, b.Text(".nhsuk-error-summary"))
	}
	b.Axe("medication with an instalment prescription")
	b.ClickAndLoad(`#acute-list a[href$="/print"]`)
	b.Do(chromedp.WaitVisible(chromedp.ID("token")))
	got := b.Text("#token-instalments")
	for _, want := range []string{"Instalments: 60 ml daily for 14 days, starting " + start.Format("Monday 02/01/2006"), "instalments due on days the pharmacy is closed",
		"Supervised consumption"} {
		if !strings.Contains(got, want) {
			t.Errorf("the token's instalments lack %q: %q", want, got)
		}
	}
	if got := b.Text("#token-quantity"); !strings.Contains(got, "840 ml (eight hundred and forty ml)") {
		t.Errorf("the total in words and figures: %q", got)
	}
	if got := b.Text("#print-fp10ss"); !strings.Contains(got, "FP10MDA-SS") {
		t.Errorf("the print link: %q", got)
	}
	b.Axe("instalment token")
	b.Shot("instalment-token")
	b.Narrow("instalment-token", 320)

	// The FHIR API has the same.
	api := apiClient(t, s, &auth.Principal{Subject: "other-client", Role: auth.RoleGP, Practice: practice.OrganizationID, FHIRUser: "Practitioner/" + practice.Clinicians[0].ID})
	found := 0
	for _, m := range api.search(t, "MedicationRequest?patient="+patient+"&_count=100") {
		if !strings.Contains(fmt.Sprint(m["medicationCodeableConcept"]), "Methadone") {
			continue
		}
		found++
		dr, _ := m["dispenseRequest"].(map[string]any)
		ext := fmt.Sprint(m["extension"])
		if fmt.Sprint(dr["dispenseInterval"]) == "<nil>" || !strings.Contains(fmt.Sprint(dr["quantity"]), "840") || !strings.Contains(ext, clinical.InstalmentURL) ||
			!strings.Contains(ext, "supervised") || !strings.Contains(ext, "collectionDay") {
			t.Errorf("the %v through the API: %v %v", m["intent"], dr, ext)
		}
	}
	if found != 2 {
		t.Errorf("%d methadone MedicationRequests through the API, want the authorisation and its issue (the refused posts wrote nothing)", found)
	}
}
