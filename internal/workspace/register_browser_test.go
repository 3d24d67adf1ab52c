package workspace_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/demo"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// TestBrowserRegister: a receptionist registers a patient with a wrong
// NHS number, sees the error summary, fixes it and saves; registering
// someone with the same name, date of birth and postcode shows the
// existing patient before saving; the patient is deducted (marked in
// the banner and in search results) and registered again; their details
// change and a death is recorded. Another FHIR client reads back what
// the screens showed. Every page passes axe-core and works at 320 px.
func TestBrowserRegister(t *testing.T) {
	b := testbrowser.Start(t)
	offline(t, b)
	s := testbrowser.NewStack(t)
	practice, err := demo.Make(context.Background(), s.Service, demo.Options{Patients: 2, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	desk := s.Staff(t, "reception@test", auth.RoleReceptionist, practice.OrganizationID, "")
	b.SignIn(s.URL, desk)
	b.ClickAndLoad(`#register-link`)
	if got := b.Text("h1"); got != "Register a patient" {
		t.Fatalf("register page heading %q", got)
	}
	if got := b.Text("#pds-status"); !strings.Contains(got, "PDS is not connected") {
		t.Errorf("PDS status %q", got)
	}
	b.Axe("register a patient")
	b.Shot("register-form")
	b.Narrow("register-form", 320)

	// An NHS number of the practice's is recognised as it is typed.
	b.Do(chromedp.SendKeys(chromedp.ID("nhs"), demo.NHSNumber(1)), chromedp.WaitVisible(chromedp.CSS("#nhs-check a")))
	if got := b.Text("#nhs-check"); !strings.Contains(got, "Already on the practice's records") {
		t.Errorf("the NHS number check says %q", got)
	}
	b.Axe("NHS number already on the records")
	b.Shot("register-nhs-found")
	b.Eval(`document.getElementById('nhs').value = ''; "ok"`)

	nhs := demo.NHSNumber(900)
	wrong := nhs[:9] + string(rune('0'+(int(nhs[9]-'0')+1)%10))
	// The NHS number's check answers 300 ms after typing stops; for a number
	// that is not valid it takes away the "already on the records" text
	// under the field, so what is below moves up. Wait for it, or a click
	// below lands on whatever moved under the pointer (CI once saved
	// "Indeterminate" for "Male", the radio below it).
	b.Do(
		chromedp.SendKeys(chromedp.ID("nhs"), wrong),
		chromedp.WaitNotPresent(chromedp.CSS("#nhs-check p")),
		chromedp.SendKeys(chromedp.ID("title"), "Mr"),
		chromedp.SendKeys(chromedp.ID("given"), "Tomasz"),
		chromedp.SendKeys(chromedp.ID("family"), "Nowak"),
		chromedp.SendKeys(chromedp.ID("birth-day"), "21"),
		chromedp.SendKeys(chromedp.ID("birth-month"), "9"),
		chromedp.SendKeys(chromedp.ID("birth-year"), "1979"),
		chromedp.Click(chromedp.ID("sex-male")),
		chromedp.SendKeys(chromedp.ID("address1"), "7 Mill Lane"),
		chromedp.SendKeys(chromedp.ID("town"), "Leeds"),
		chromedp.SendKeys(chromedp.ID("postcode"), "ls6 2ab"),
		chromedp.SendKeys(chromedp.ID("mobile"), "07700 900456"),
		chromedp.Click(chromedp.ID("sms-consent")),
		chromedp.SendKeys(chromedp.ID("language"), "Polish"),
		chromedp.Click(chromedp.ID("interpreter")),
		chromedp.SetValue(chromedp.ID("accessible-format"), "large-print"),
		chromedp.SetValue(chromedp.ID("gp"), "Practitioner/"+practice.Clinicians[0].ID),
		chromedp.SendKeys(chromedp.ID("previous-practice"), "Hillside Surgery, Bradford"),
	)
	if got := b.Eval(`document.querySelector('input[name=sex]:checked').value`); got != "male" {
		t.Fatalf("sex chosen before saving %q", got)
	}
	b.ClickAndLoad("#save")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "This is not a valid NHS number") {
		t.Fatalf("error summary %q", got)
	}
	if got := b.Eval(`document.getElementById('given').value + '|' + document.getElementById('nhs-error').innerText`); !strings.HasPrefix(got, "Tomasz|") || !strings.Contains(got, "not a valid NHS number") {
		t.Errorf("after the error the form shows %q", got)
	}
	// The summary's link takes the keyboard to the field.
	b.Do(chromedp.Click(chromedp.CSS(`.nhsuk-error-summary a[href="#nhs"]`)), chromedp.Sleep(100*time.Millisecond))
	if got := b.Eval(`document.activeElement.id`); got != "nhs" {
		t.Errorf("the error summary's link focused %q", got)
	}
	b.Axe("register with an error")
	b.Shot("register-error")
	b.Narrow("register-error", 320)
	b.Do(chromedp.Clear(chromedp.ID("nhs")), chromedp.SendKeys(chromedp.ID("nhs"), nhs))
	b.ClickAndLoad("#save")
	if got := b.Text("#done"); !strings.Contains(got, "Patient registered") {
		t.Fatalf("after saving: %q", got)
	}
	patientID := b.Eval(`document.getElementById('patient-banner').dataset.patient`)
	if got := b.Text("#banner-nhs"); got != clinical.FormatNHSNumber(nhs) {
		t.Errorf("banner NHS number %q", got)
	}
	if got := b.Text("#registration-status"); got != "Regular, since "+clinical.ShortDate(time.Now().In(clinical.London)) {
		t.Errorf("registration %q", got)
	}
	b.Axe("registration")
	b.Shot("registration")
	b.Narrow("registration", 320)

	// The same person again, without the NHS number: shown before saving.
	b.Do(chromedp.Navigate(s.URL+"/workspace/register"), chromedp.WaitVisible(chromedp.ID("register-form")),
		chromedp.SendKeys(chromedp.ID("given"), "Tomasz"),
		chromedp.SendKeys(chromedp.ID("family"), "NOWAK"),
		chromedp.SendKeys(chromedp.ID("birth-day"), "21"),
		chromedp.SendKeys(chromedp.ID("birth-month"), "9"),
		chromedp.SendKeys(chromedp.ID("birth-year"), "1979"),
		chromedp.Click(chromedp.ID("sex-male")),
		chromedp.SendKeys(chromedp.ID("address1"), "7 Mill Lane"),
		chromedp.SendKeys(chromedp.ID("town"), "Leeds"),
		chromedp.SendKeys(chromedp.ID("postcode"), "LS6 2AB"),
		chromedp.SetValue(chromedp.ID("gp"), "Practitioner/"+practice.Clinicians[0].ID))
	b.ClickAndLoad("#save")
	if got := b.Text("#duplicates"); !strings.Contains(got, "NOWAK, Tomasz") || !strings.Contains(got, "Same name, date of birth and postcode") {
		t.Fatalf("duplicates %q", got)
	}
	b.Axe("likely duplicate")
	b.Shot("register-duplicate")
	b.Narrow("register-duplicate", 320)
	// It is the same person: open their record from the list.
	b.ClickAndLoad("#duplicate-" + patientID)

	// Deduct.
	b.ClickAndLoad("#deduct")
	b.Axe("deduct")
	b.Shot("deduct")
	b.Narrow("deduct", 320)
	b.Do(chromedp.Click(chromedp.ID("reason-moved-away")))
	b.ClickAndLoad("#save")
	if got := b.Text("#done"); !strings.Contains(got, "deducted") {
		t.Fatalf("after deducting: %q", got)
	}
	if got := b.Text("#flag-deducted"); got != "Deducted" {
		t.Errorf("banner flag %q", got)
	}
	b.Shot("deducted")
	// Still findable, marked.
	b.Do(chromedp.Navigate(s.URL+"/workspace/"), chromedp.WaitVisible(chromedp.ID("q")),
		chromedp.SendKeys(chromedp.ID("q"), clinical.FormatNHSNumber(nhs)), chromedp.WaitVisible(chromedp.CSS("#result-list a")))
	if got := b.Text("#result-list"); !strings.Contains(got, "NOWAK, Tomasz") || !strings.Contains(got, "Deducted") {
		t.Errorf("search result %q", got)
	}
	b.Axe("search with a deducted patient")
	b.Shot("find-deducted")

	// Register again, as a temporary resident.
	b.Do(chromedp.Navigate(s.URL+"/workspace/patients/"+patientID+"/registration"), chromedp.WaitVisible(chromedp.ID("reregister")))
	b.ClickAndLoad("#reregister")
	b.Axe("register again")
	b.Shot("reregister")
	b.Narrow("reregister", 320)
	b.Do(chromedp.Click(chromedp.ID("type-temporary")), chromedp.SetValue(chromedp.ID("gp"), "Practitioner/"+practice.Clinicians[1].ID))
	b.ClickAndLoad("#save")
	if got := b.Text("#registration-status"); !strings.Contains(got, "Temporary resident, since") || !strings.Contains(got, "registered until") {
		t.Errorf("after registering again: %q", got)
	}
	if got := b.Text("#registrations"); !strings.Contains(got, "Deducted") {
		t.Errorf("registrations %q", got)
	}
	b.Shot("reregistered")

	// Change details: a new phone number.
	b.ClickAndLoad("#change-details")
	b.Axe("change details")
	b.Shot("details")
	b.Do(chromedp.SendKeys(chromedp.ID("phone"), "0113 496 0123"))
	b.ClickAndLoad("#save")
	if got := b.Text("#detail-phone"); got != "0113 496 0123" {
		t.Errorf("phone after the change %q", got)
	}

	// Record a death.
	b.ClickAndLoad("#record-death")
	b.Axe("record a death")
	b.Shot("death")
	today := time.Now().In(clinical.London)
	b.Do(chromedp.SendKeys(chromedp.ID("death-day"), strconv.Itoa(today.Day())), chromedp.SendKeys(chromedp.ID("death-month"), strconv.Itoa(int(today.Month()))),
		chromedp.SendKeys(chromedp.ID("death-year"), strconv.Itoa(today.Year())))
	b.ClickAndLoad("#save")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "Say who told the practice") {
		t.Errorf("a death without who told: %q", got)
	}
	b.Axe("record a death with an error")
	b.Shot("death-error")
	b.Do(chromedp.SendKeys(chromedp.ID("informant"), "Wife, by phone"), chromedp.SendKeys(chromedp.ID("place"), "At home"))
	b.ClickAndLoad("#save")
	if got := b.Text("#flag-deceased"); got != "Deceased" {
		t.Errorf("banner after a death %q", got)
	}
	if got := b.Text("#detail-informant"); got != "Wife, by phone" {
		t.Errorf("who told the practice %q", got)
	}
	b.Axe("registration after a death")
	b.Shot("died")

	// Another FHIR client reads what the screens showed.
	api := apiClient(t, s, &auth.Principal{Subject: "other-client", Role: auth.RoleGP, Practice: practice.OrganizationID, FHIRUser: "Practitioner/" + practice.Clinicians[0].ID})
	pats := api.search(t, "Patient?identifier="+clinical.NHSNumberSystem+"|"+nhs)
	if len(pats) != 1 {
		t.Fatalf("patients with the NHS number through the API: %d", len(pats))
	}
	js, _ := json.Marshal(pats[0])
	for _, want := range []string{`"family":"Nowak"`, `"birthDate":"1979-09-21"`, `"gender":"male"`, `"postalCode":"LS6 2AB"`, `"deceasedDateTime"`,
		`Extension-UKCore-NHSNumberVerificationStatus`, `"code":"02"`, `"reference":"Organization/` + practice.OrganizationID + `"`,
		`"value":"0113 496 0123"`, `"text":"Polish"`, `"code":"large-print"`, `patient-interpreterRequired","valueBoolean":true`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("the Patient through the API lacks %s:\n%s", want, js)
		}
	}
	eps := api.search(t, "EpisodeOfCare?patient="+patientID)
	if len(eps) != 2 {
		t.Fatalf("registrations through the API: %d", len(eps))
	}
	var finished, active int
	for _, ep := range eps {
		js, _ := json.Marshal(ep)
		switch ep["status"] {
		case "finished":
			finished++
			if !strings.Contains(string(js), `"code":"moved-away"`) || !strings.Contains(string(js), `"code":"R"`) {
				t.Errorf("the deducted registration through the API: %s", js)
			}
		case "active":
			active++
			if !strings.Contains(string(js), `"code":"T"`) || !strings.Contains(string(js), practice.Clinicians[1].ID) {
				t.Errorf("the new registration through the API: %s", js)
			}
		}
	}
	if finished != 1 || active != 1 {
		t.Errorf("registrations through the API: %d finished, %d active", finished, active)
	}
}

// offline blocks assets.nhs.uk (the design system's fonts), as when the
// practice cannot reach it: on this machine its requests hang for ten
// seconds before failing, which holds a page's load past ClickAndLoad's
// wait. The pages fall back to the system font.
func offline(t *testing.T, b *testbrowser.Browser) {
	t.Helper()
	if _, err := chromedp.Call(b.Ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(b.Ctx, network.SetBlockedURLs, network.SetBlockedURLsParams{
		URLPatterns: []*network.BlockPattern{{URLPattern: "https://assets.nhs.uk/*", Block: true}}}); err != nil {
		t.Fatal(err)
	}
}
