package workspace_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/demo"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// TestBrowserRecordSections: a GP adds a problem, an allergy (and is
// refused "no known allergies" while it is active), an immunisation
// declined and an alert, and marks the problem entered in error; the
// banner and the summary show them. A receptionist sees the alert and
// the names of repeat medicines but cannot open a consultation or the
// problems. A sensitive record asks for a reason first. Every page
// passes axe-core and works at 320 px.
func TestBrowserRecordSections(t *testing.T) {
	b := testbrowser.Start(t)
	s := testbrowser.NewStack(t)
	ctx := context.Background()
	practice, err := demo.Make(ctx, s.Service, demo.Options{Patients: 3, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	patient, sealed := practice.Patients[0], practice.Patients[1]
	// A repeat with its dosage and indication, which a receptionist must
	// see by name only.
	if _, err := s.Service.Create(ctx, "MedicationRequest", fhir.Resource{"resourceType": "MedicationRequest", "status": "active", "intent": "order",
		"courseOfTherapyType":       map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy", "code": "continuous"}}},
		"medicationCodeableConcept": map[string]any{"text": "Salbutamol 100micrograms/dose inhaler"},
		"subject":                   map[string]any{"reference": "Patient/" + patient},
		"authoredOn":                time.Now().Format("2006-01-02"),
		"dosageInstruction":         []any{map[string]any{"text": "Two puffs when required"}},
		"reasonCode":                []any{map[string]any{"text": "Asthma"}}}, ""); err != nil {
		t.Fatal(err)
	}
	// A consultation, which the receptionist must not open.
	enc, err := s.Service.Create(ctx, "Encounter", fhir.Resource{"resourceType": "Encounter", "status": "finished", "class": map[string]any{"code": "AMB", "display": "ambulatory"},
		"subject": map[string]any{"reference": "Patient/" + patient}, "period": map[string]any{"start": "2026-01-05T09:00:00Z"}}, "")
	if err != nil {
		t.Fatal(err)
	}

	gp := s.Staff(t, "gp@record", auth.RoleGP, practice.OrganizationID, "Practitioner/"+practice.Clinicians[0].ID)
	b.SignIn(s.URL, gp)
	base := s.URL + "/workspace/patients/" + patient

	// Problems: add one, coded through Find.
	b.Do(chromedp.Navigate(base+"/problems"), chromedp.WaitVisible(chromedp.ID("add-problem")))
	b.Axe("problems")
	b.Do(chromedp.SendKeys(chromedp.ID("code"), "asthma"))
	rxFind(t, b, "code")
	b.Do(chromedp.Click(chromedp.ID("significance")))
	rxSubmit(t, b, "#add-problem")
	if got := b.Text("#active-problems"); !strings.Contains(got, "Asthma") || !strings.Contains(got, "Significant") {
		t.Errorf("active problems: %q", got)
	}
	b.Axe("problem added")
	b.Shot("problems")
	b.Narrow("problems", 320)

	// Allergies: end what the demo recorded, record penicillin, then try
	// "no known allergies".
	b.Do(chromedp.Navigate(base+"/allergies"), chromedp.WaitVisible(chromedp.ID("add-allergy")))
	for i := 0; i < 5 && b.Eval(`String(!!document.querySelector('#allergy-list .gp-inline-form button'))`) == "true"; i++ {
		rxSubmit(t, b, "#allergy-list .gp-inline-form button")
	}
	b.Do(chromedp.SendKeys(chromedp.ID("substance"), "penicillin"))
	rxFind(t, b, "substance")
	b.Do(chromedp.Click(chromedp.ID("category")), chromedp.SendKeys(chromedp.ID("reaction"), "Rash"), chromedp.Click(chromedp.ID("severity-moderate")))
	rxSubmit(t, b, "#add-allergy")
	if got := b.Text("#allergy-list"); !strings.Contains(got, "Penicillin") {
		t.Fatalf("allergies: %q", got)
	}
	if got := b.Text("#flag-allergies"); got != "1 allergy" {
		t.Errorf("banner allergies %q, want 1 allergy", got)
	}
	b.Do(chromedp.Click(chromedp.ID("none-known-none-known")))
	rxSubmit(t, b, "#add-allergy")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "cannot be recorded while an allergy is active") {
		t.Errorf("no known allergies with an active allergy: %q", got)
	}
	if n := b.Eval(`String(document.querySelectorAll('.nhsuk-error-summary').length)`); n != "1" {
		t.Errorf("%s error summaries, want 1", n)
	}
	if got := b.Eval(`document.activeElement.className`); !strings.Contains(got, "nhsuk-error-summary") {
		t.Errorf("the error summary does not have the focus: %q", got)
	}
	b.Axe("allergy refused")
	b.Shot("allergies-refused")
	b.Narrow("allergies-refused", 320)

	// An immunisation offered and declined.
	b.Do(chromedp.Navigate(base+"/immunisations"), chromedp.WaitVisible(chromedp.ID("add-immunisation")))
	b.Do(chromedp.SendKeys(chromedp.ID("vaccine"), "influenza"))
	rxFind(t, b, "vaccine")
	b.Do(chromedp.Click(chromedp.ID("given-declined")), chromedp.SendKeys(chromedp.ID("note"), "Prefers not to this year"))
	rxSubmit(t, b, "#add-immunisation")
	if got := b.Text("#immunisation-list"); !strings.Contains(got, "Not given: declined") {
		t.Errorf("immunisations: %q", got)
	}
	b.Axe("immunisations")
	b.Shot("immunisations")
	b.Narrow("immunisations", 320)

	// An alert; the banner shows it on every page.
	b.Do(chromedp.Navigate(base+"/alerts"), chromedp.WaitVisible(chromedp.ID("add-alert")))
	rxSubmit(t, b, "#add-alert")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "Select the kind of alert") {
		t.Errorf("alert without a kind: %q", got)
	}
	b.Do(chromedp.Click(chromedp.ID("kind-communication")), chromedp.SendKeys(chromedp.ID("detail"), "Polish interpreter"))
	rxSubmit(t, b, "#add-alert")
	if got := b.Text("#banner-alerts"); !strings.Contains(got, "Polish interpreter") {
		t.Errorf("banner alerts: %q", got)
	}
	b.Axe("alerts")
	b.Shot("alerts")
	b.Narrow("alerts", 320)

	// The problem was a mistake: entered in error, with a reason.
	b.Do(chromedp.Navigate(base+"/problems"), chromedp.WaitVisible(chromedp.ID("active-problems")))
	rxSubmit(t, b, `#active-problems a[href*="/retract"]`)
	b.Axe("entered in error")
	b.Shot("problem-retract")
	rxSubmit(t, b, "#retract")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "Say why") {
		t.Errorf("retract without a reason: %q", got)
	}
	b.Do(chromedp.SendKeys(chromedp.ID("reason"), "Recorded for the wrong patient"))
	rxSubmit(t, b, "#retract")
	if got := b.Text("#past-problems"); !strings.Contains(got, "Entered in error") {
		t.Errorf("past problems after retraction: %q", got)
	}

	// The summary: immunisations, alerts, medication.
	b.Do(chromedp.Navigate(base), chromedp.WaitVisible(chromedp.ID("patient-banner")))
	if got := b.Text("#immunisations"); !strings.Contains(got, "not given") {
		t.Errorf("summary immunisations: %q", got)
	}
	if got := b.Text("#alerts"); !strings.Contains(got, "Polish interpreter") {
		t.Errorf("summary alerts: %q", got)
	}
	b.Axe("summary")
	b.Shot("summary")

	// The receptionist: the alert and the repeat's name, nothing else.
	rb := testbrowser.Start(t)
	rec := s.Staff(t, "reception@record", auth.RoleReceptionist, practice.OrganizationID, "")
	rb.SignIn(s.URL, rec)
	rb.Do(chromedp.Navigate(base), chromedp.WaitVisible(chromedp.ID("patient-banner")))
	if got := rb.Text("#banner-alerts"); !strings.Contains(got, "Polish interpreter") {
		t.Errorf("receptionist's banner alerts: %q", got)
	}
	if got := rb.Text("#repeats"); !strings.Contains(got, "Salbutamol") || strings.Contains(got, "Two puffs") {
		t.Errorf("receptionist's repeats: %q", got)
	}
	if rb.Eval(`String(!!document.getElementById('allergies-h'))`) != "false" {
		t.Error("a receptionist's summary shows an allergies panel (it would read as none recorded)")
	}
	if main := rb.Text("main"); strings.Contains(main, "Asthma") || strings.Contains(main, "Penicillin") || strings.Contains(main, "Two puffs") {
		t.Errorf("receptionist's summary shows clinical content: %q", main)
	}
	if tabs := rb.Text(".gp-tabs"); strings.Contains(tabs, "Problems") || strings.Contains(tabs, "Consultations") {
		t.Errorf("receptionist's tabs: %q", tabs)
	}
	rb.Axe("receptionist summary")
	rb.Shot("receptionist-summary")
	rb.Narrow("receptionist-summary", 320)
	for _, path := range []string{"/problems", "/allergies", "/consultations/" + enc.Version.ID} {
		rb.Do(chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS("main h1")))
		if got := rb.Text("main h1"); got != "Not available to your role" {
			t.Errorf("a receptionist at %s sees %q", path, got)
		}
	}
	rb.Do(chromedp.Navigate(base+"/alerts"), chromedp.WaitVisible(chromedp.ID("alert-list")))
	if rb.Eval(`String(!!document.getElementById('add-alert'))`) != "false" {
		t.Error("a receptionist is offered to add an alert")
	}

	// A sensitive record asks the GP for a reason first.
	out, err := s.Service.Read(ctx, "Patient", sealed)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := fhir.Unmarshal(out.Version.Body)
	p["meta"] = map[string]any{"security": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R"}}}
	if _, err := s.Service.Update(ctx, "Patient", sealed, p, service.Precondition{}); err != nil {
		t.Fatal(err)
	}
	b.Do(chromedp.Navigate(s.URL+"/workspace/patients/"+sealed), chromedp.WaitVisible(chromedp.ID("open-record")))
	if got := b.Text("#flag-sensitive"); got != "Sensitive record" {
		t.Errorf("sensitive flag %q", got)
	}
	b.Axe("break-glass")
	rxSubmit(t, b, "#open-record")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "Give the reason") {
		t.Errorf("no reason: %q", got)
	}
	b.Shot("break-glass")
	b.Narrow("break-glass", 320)
	b.Do(chromedp.SendKeys(chromedp.ID("reason"), "Seeing the patient today"))
	rxSubmit(t, b, "#open-record")
	if got := b.Text("#banner-glass"); !strings.Contains(got, "Seeing the patient today") {
		t.Errorf("banner after break-glass: %q", got)
	}
	b.Axe("sensitive record opened")
	b.Shot("sensitive-opened")
	// The receptionist is told only clinicians open it.
	rb.Do(chromedp.Navigate(s.URL+"/workspace/patients/"+sealed), chromedp.WaitVisible(chromedp.ID("not-clinician")))
	rb.Axe("sensitive record, receptionist")
	rb.Shot("sensitive-receptionist")
}

// rxSubmit clicks what sel finds and waits for the next page to load
// completely (testbrowser.ClickAndLoad, up to 30 s): going on at the DOM's
// "interactive" let a test find nodes the loading page then replaced.
func rxSubmit(t *testing.T, b *testbrowser.Browser, sel string) {
	t.Helper()
	b.ClickAndLoad(sel)
}

// rxFind presses a coded field's Find (htmx swaps the field in place: the
// page stays) and chooses the first match (none to click when Find found
// one match: it is chosen already).
func rxFind(t *testing.T, b *testbrowser.Browser, field string) {
	t.Helper()
	b.Eval(`window.gpOldPage = true; "ok"`)
	b.Do(chromedp.Click(chromedp.ID(field + "-find")))
	js := `String(!!(document.getElementById('` + field + `-pick-0') || document.getElementById('` + field + `-chosen')))`
	for deadline := time.Now().Add(20 * time.Second); b.Eval(js) != "true"; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("Find for %s showed no match", field)
		}
	}
	if b.Eval(`String(!!window.gpOldPage)`) != "true" {
		t.Errorf("Find for %s loaded a new page, want the field swapped in place", field)
	}
	if b.Eval(`String(!!document.getElementById('`+field+`-pick-0'))`) == "true" {
		b.Do(chromedp.Click(chromedp.ID(field + "-pick-0")))
	}
}
