package workspace_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/demo"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// medPractice is a demo practice (whose GPs are prescribers: their
// PractitionerRole carries the capability, as the practice admin sets
// it; the nurse is not) whose first patient is allergic to penicillin.
func medPractice(t testing.TB, s *testbrowser.Stack) (*demo.Practice, string) {
	t.Helper()
	ctx := context.Background()
	practice, err := demo.Make(ctx, s.Service, demo.Options{Patients: 2, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	// The demo's GPs are prescribers; its nurse is not.
	patient := practice.Patients[0]
	if _, err := s.Service.Create(ctx, "AllergyIntolerance", fhir.Resource{"resourceType": "AllergyIntolerance",
		"clinicalStatus": map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": "active"}}},
		"code":           map[string]any{"coding": []any{map[string]any{"system": clinical.SNOMED, "code": "91936005", "display": "Allergy to penicillin"}}, "text": "Allergy to penicillin"},
		"patient":        map[string]any{"reference": "Patient/" + patient}}, ""); err != nil {
		t.Fatal(err)
	}
	return practice, patient
}

// TestBrowserPrescribing: a GP prescribes amoxicillin to a patient
// allergic to penicillin, sees the warning naming the allergy, is refused
// an override without a reason and overrides with one; authorises a
// repeat, issues it, prints its token, and stops the acute. The FHIR API
// shows the same MedicationRequests and the override as a DetectedIssue.
// Every page passes axe-core and works at 320 px.
func TestBrowserPrescribing(t *testing.T) {
	b := testbrowser.Start(t)
	s := testbrowser.NewStack(t)
	practice, patient := medPractice(t, s)
	gpRef := "Practitioner/" + practice.Clinicians[0].ID
	gp := s.Staff(t, "gp@rx", auth.RoleGP, practice.OrganizationID, gpRef)
	b.SignIn(s.URL, gp)
	base := s.URL + "/workspace/patients/" + patient

	b.Do(chromedp.Navigate(base+"/medication"), chromedp.WaitVisible(chromedp.ID("prescribe")))
	b.Axe("medication")
	b.Shot("medication")

	// A medicine from the hospital, recorded for the checks.
	b.Do(chromedp.Click(chromedp.CSS(".nhsuk-details__summary")), chromedp.WaitVisible(chromedp.ID("elsewhere")),
		chromedp.SendKeys(chromedp.ID("elsewhere"), "sertra"))
	rxFind(t, b, "elsewhere")
	b.Do(chromedp.SendKeys(chromedp.ID("elsewhere-dose"), "One tablet once a day"), chromedp.Click(chromedp.ID("source")))
	b.Axe("medicine from elsewhere")
	rxSubmit(t, b, "#add-elsewhere")
	if got := b.Text("#elsewhere-list"); !strings.Contains(got, "Sertraline 50mg tablets") || !strings.Contains(got, "Hospital") {
		t.Errorf("medicines from elsewhere: %q", got)
	}

	// An acute antibiotic: the allergy warning, overridden with a reason.
	b.Do(chromedp.Navigate(base+"/medication"), chromedp.WaitVisible(chromedp.ID("prescribe")))
	b.ClickAndLoad("#prescribe")
	b.Do(chromedp.WaitVisible(chromedp.ID("check")))
	if got := b.Text("#interactions-notice"); !strings.Contains(got, "not connected to a national drug database") {
		t.Errorf("interactions notice: %q", got)
	}
	b.Axe("prescribe")
	b.Do(chromedp.SendKeys(chromedp.ID("medicine"), "amoxi"))
	rxFind(t, b, "medicine")
	// From the keyboard: Enter in the last field checks the prescription.
	b.Do(chromedp.SendKeys(chromedp.ID("dose"), "One capsule three times a day"),
		chromedp.SendKeys(chromedp.ID("quantity"), "15"))
	b.Eval(`window.gpOldPage = true; "ok"`)
	b.Do(chromedp.SendKeys(chromedp.ID("days"), "5"+kb.Enter))
	b.Do(chromedp.WaitVisible(chromedp.ID("warning-list")))
	if got := b.Text("#warning-list"); !strings.Contains(got, "Allergy to penicillin") || !strings.Contains(got, "Serious") {
		t.Fatalf("warnings: %q", got)
	}
	b.Axe("safety warnings")
	b.Shot("warnings")
	b.Narrow("warnings", 320)
	rxSubmit(t, b, "#override")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "Enter why") {
		t.Errorf("override without a reason: %q", got)
	}
	b.Axe("override refused")
	b.Do(chromedp.SendKeys(chromedp.ID("reason"), "Took amoxicillin in 2024 without reaction; rash was viral"))
	rxSubmit(t, b, "#override")
	if got := b.Text("#acute-list"); !strings.Contains(got, "Amoxicillin 500mg capsules") {
		t.Fatalf("acute list: %q", got)
	}

	// A repeat, authorised for three issues with a review in six months.
	b.ClickAndLoad("#prescribe")
	b.Do(chromedp.WaitVisible(chromedp.ID("check")), chromedp.SendKeys(chromedp.ID("medicine"), "omepra"))
	rxFind(t, b, "medicine")
	// Common doses for capsules are offered as the dose is typed.
	if got := b.Eval(`document.getElementById('dose').list.id + ': ' + [...document.querySelectorAll('#dose-common option')].map(o => o.value).join('; ')`); !strings.HasPrefix(got, "dose-common: One capsule once a day; One capsule twice a day") {
		t.Errorf("common doses: %q", got)
	}
	review := time.Now().In(clinical.London).AddDate(0, 6, 0)
	b.Do(chromedp.SendKeys(chromedp.ID("dose"), "One capsule once a day"),
		chromedp.SendKeys(chromedp.ID("quantity"), "28"), chromedp.SendKeys(chromedp.ID("days"), "28"),
		chromedp.Click(chromedp.ID("course-repeat")), chromedp.SendKeys(chromedp.ID("issues"), "3"),
		chromedp.SendKeys(chromedp.ID("review-day"), fmt.Sprint(review.Day())), chromedp.SendKeys(chromedp.ID("review-month"), fmt.Sprint(int(review.Month()))),
		chromedp.SendKeys(chromedp.ID("review-year"), fmt.Sprint(review.Year())))
	rxSubmit(t, b, "#check")
	if b.Eval(`String(!!document.getElementById('warnings'))`) == "true" {
		b.Do(chromedp.SendKeys(chromedp.ID("reason"), "Reviewed: continue"))
		rxSubmit(t, b, "#override")
	}
	if got := b.Text("#repeat-list"); !strings.Contains(got, "Omeprazole") || !strings.Contains(got, "Issues left: 3 of 3") {
		t.Fatalf("repeats: %q", got)
	}

	// Issue it three times: select it and issue; the fourth needs
	// reauthorising.
	selectOmeprazole := `[...document.querySelectorAll('#repeat-list li')].find(li => li.textContent.includes('Omeprazole')).querySelector('input[type=checkbox]').click(); "ok"`
	for i := 1; i <= 3; i++ {
		b.Eval(selectOmeprazole)
		rxSubmit(t, b, "#issue-selected")
		if i > 1 {
			// Issued again at once: the early-issue warning, overridden.
			if got := b.Text("#warning-list"); !strings.Contains(got, "Issued early") {
				t.Fatalf("issue %d: %q, want the early-issue warning", i, got)
			}
			if i == 2 {
				b.Axe("issue warnings")
				b.Shot("issue-warnings")
			}
			b.Do(chromedp.SendKeys(chromedp.ID("reason"), "Supply for a long trip abroad"))
			rxSubmit(t, b, "#override")
		}
		if got := b.Text("#saved"); !strings.Contains(got, "Issued") {
			t.Errorf("after issue %d: %q", i, got)
		}
		if got := b.Text("#repeat-list"); !strings.Contains(got, fmt.Sprintf("Issues left: %d of 3", 3-i)) {
			t.Errorf("repeats after issue %d: %q", i, got)
		}
		if i == 1 {
			b.Axe("issued")
			b.Shot("issued")
			b.Narrow("medication", 320)
		}
	}
	b.Eval(selectOmeprazole)
	rxSubmit(t, b, "#issue-selected")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "reauthorise it before issuing") {
		t.Errorf("a fourth issue of three: %q", got)
	}
	b.Axe("fourth issue refused")
	b.Shot("fourth-refused")
	b.Eval(`[...document.querySelectorAll('#repeat-list li')].find(li => li.textContent.includes('Omeprazole')).querySelector('a[href*="from="]').click(); "ok"`)
	b.Do(chromedp.WaitVisible(chromedp.ID("reauthorising")))
	b.Axe("reauthorise")
	b.Do(chromedp.SendKeys(chromedp.ID("review-day"), fmt.Sprint(review.Day())), chromedp.SendKeys(chromedp.ID("review-month"), fmt.Sprint(int(review.Month()))),
		chromedp.SendKeys(chromedp.ID("review-year"), fmt.Sprint(review.Year())))
	rxSubmit(t, b, "#check")
	if b.Eval(`String(!!document.getElementById('warnings'))`) == "true" {
		b.Do(chromedp.SendKeys(chromedp.ID("reason"), "Reviewed: continue"))
		rxSubmit(t, b, "#override")
	}
	if got := b.Text("#saved"); !strings.Contains(got, "reauthorised") {
		t.Errorf("after reauthorising: %q", got)
	}
	if got := b.Text("#repeat-list"); !strings.Contains(got, "Issues left: 3 of 3") {
		t.Errorf("repeats after reauthorising: %q", got)
	}
	b.Eval(selectOmeprazole)
	rxSubmit(t, b, "#issue-selected")
	if got := b.Text("#repeat-list"); !strings.Contains(got, "Issues left: 2 of 3") {
		t.Errorf("an issue after reauthorising: %q", got)
	}

	// Its token.
	b.Eval(`[...document.querySelectorAll('#repeat-list li')].find(li => li.textContent.includes('Omeprazole')).querySelector('a[href$="/print"]').click(); "ok"`)
	b.Do(chromedp.WaitVisible(chromedp.ID("token")))
	if got := b.Text("#not-eps"); !strings.Contains(got, "Not an EPS prescription: EPS is not connected") {
		t.Errorf("token: %q", got)
	}
	b.Axe("token")
	b.Shot("token")
	// Cancel it: refused without a reason, then cancelled and marked so.
	rxSubmit(t, b, "#cancel-issue")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "Enter why the prescription is cancelled") {
		t.Errorf("cancel without a reason: %q", got)
	}
	b.Do(chromedp.SendKeys(chromedp.ID("reason"), "Printed twice"))
	rxSubmit(t, b, "#cancel-issue")
	if got := b.Text("#cancelled"); !strings.Contains(got, "cancelled: Printed twice") {
		t.Errorf("cancelled token: %q", got)
	}
	b.Axe("token cancelled")
	b.Shot("token-cancelled")

	// Stop the acute, refused first without a reason.
	b.Do(chromedp.Navigate(base+"/medication"), chromedp.WaitVisible(chromedp.ID("acute-list")))
	b.Eval(`[...document.querySelectorAll('#acute-list li')].find(li => li.textContent.includes('Amoxicillin')).querySelector('a[href$="/stop"]').click(); "ok"`)
	b.Do(chromedp.WaitVisible(chromedp.ID("stop")))
	rxSubmit(t, b, "#stop")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "Enter why") {
		t.Errorf("stop without a reason: %q", got)
	}
	b.Axe("stop")
	b.Shot("stop")
	b.Do(chromedp.SendKeys(chromedp.ID("reason"), "Course changed after review"))
	rxSubmit(t, b, "#stop")
	if got := b.Text("#past-list"); !strings.Contains(got, "Amoxicillin") || !strings.Contains(got, "Course changed after review") {
		t.Errorf("past: %q", got)
	}

	// A nurse who is not a prescriber sees the list and is refused
	// prescribing, but prepares a prescription that a GP then checks and
	// authorises; a receptionist sees repeat names only.
	nb := testbrowser.Start(t)
	nb.SignIn(s.URL, s.Staff(t, "nurse@rx", auth.RoleNurse, practice.OrganizationID, "Practitioner/"+practice.Clinicians[2].ID))
	nb.Do(chromedp.Navigate(base+"/medication"), chromedp.WaitVisible(chromedp.ID("not-prescriber")))
	if got := nb.Text("#not-prescriber"); !strings.Contains(got, "Only a prescriber can issue medicines") {
		t.Errorf("the nurse's medication tab: %q", got)
	}
	if nb.Eval(`String(!!document.getElementById('prescribe') || !!document.getElementById('issue-selected') || !!document.querySelector('a[href$="/stop"]'))`) != "false" {
		t.Error("a nurse who is not a prescriber is offered prescribing")
	}
	nb.Axe("medication (nurse)")
	nb.Shot("medication-nurse")
	nb.ClickAndLoad("#prepare")
	nb.Do(chromedp.WaitVisible(chromedp.ID("preparing")), chromedp.SendKeys(chromedp.ID("medicine"), "paracet"))
	rxFind(t, nb, "medicine")
	nb.Do(chromedp.SendKeys(chromedp.ID("dose"), "Two tablets up to four times a day"), chromedp.SendKeys(chromedp.ID("quantity"), "32"), chromedp.SendKeys(chromedp.ID("days"), "4"))
	nb.Axe("prepare a prescription")
	nb.Shot("prepare")
	rxSubmit(t, nb, "#check")
	if got := nb.Text("#prepared-list"); !strings.Contains(got, "Paracetamol 500mg tablets") || !strings.Contains(got, "Not authorised") {
		t.Fatalf("prepared: %q", got)
	}
	if nb.Eval(`String((document.getElementById('acute-list')?.innerText || '').includes('Paracetamol'))`) != "false" || strings.Contains(nb.Text("main"), "Check and authorise") {
		t.Error("a prepared prescription is listed as prescribed, or the nurse offered to authorise it")
	}
	// The GP checks and authorises it.
	b.Do(chromedp.Navigate(base+"/medication"), chromedp.WaitVisible(chromedp.ID("prepared-list")))
	b.ClickAndLoad(`#prepared-list a[href*="prepared="]`)
	b.Do(chromedp.WaitVisible(chromedp.ID("prepared-by")))
	b.Axe("authorise a prepared prescription")
	rxSubmit(t, b, "#check")
	if b.Eval(`String(!!document.getElementById('warnings'))`) == "true" {
		b.Do(chromedp.SendKeys(chromedp.ID("reason"), "Checked the prepared dose"))
		rxSubmit(t, b, "#override")
	}
	if got := b.Text("#acute-list"); !strings.Contains(got, "Paracetamol 500mg tablets") || b.Eval(`String(!!document.getElementById('prepared-list'))`) != "false" {
		t.Errorf("authorised from the prepared prescription: %q", got)
	}
	rb := testbrowser.Start(t)
	rb.SignIn(s.URL, s.Staff(t, "reception@rx", auth.RoleReceptionist, practice.OrganizationID, ""))
	rb.Do(chromedp.Navigate(base+"/medication"), chromedp.WaitVisible(chromedp.ID("names-only")))
	if got := rb.Text("#repeat-names"); !strings.Contains(got, "Omeprazole") || strings.Contains(got, "Amoxicillin") || strings.Contains(got, "once a day") {
		t.Errorf("the receptionist's names: %q", got)
	}
	rb.Axe("medication (reception)")
	rb.Shot("medication-reception")

	// Another FHIR client sees the same.
	api := apiClient(t, s, &auth.Principal{Subject: "other-client", Role: auth.RoleGP, Practice: practice.OrganizationID, FHIRUser: gpRef})
	var plans, orders int
	for _, m := range api.search(t, "MedicationRequest?patient="+patient+"&_count=100") {
		name := fmt.Sprint(m["medicationCodeableConcept"])
		switch {
		case strings.Contains(name, "Amoxicillin") && m["intent"] == "plan":
			plans++
			if m["status"] != "stopped" || len(m["detectedIssue"].([]any)) == 0 {
				t.Errorf("amoxicillin authorisation: %v", m)
			}
		case strings.Contains(name, "Omeprazole") && m["intent"] == "plan":
			plans++
		case (strings.Contains(name, "Amoxicillin") || strings.Contains(name, "Omeprazole")) && m["intent"] == "order":
			orders++
			if ref := fmt.Sprint(m["requester"]); !strings.Contains(ref, "PractitionerRole/") || !strings.Contains(ref, "Dr Anita Patel") {
				t.Errorf("an issue's prescriber: %v", ref)
			}
			if m["basedOn"] == nil {
				t.Errorf("an issue without its authorisation: %v", m)
			}
		}
	}
	if plans != 3 || orders != 5 {
		t.Logf("%d authorisations, %d issues", plans, orders)
		t.Errorf("API: %d authorisations and %d issues, want 3 (an acute, a repeat and its reauthorisation) and 5", plans, orders)
	}
	issues := api.search(t, "DetectedIssue?patient="+patient)
	if len(issues) == 0 || !strings.Contains(fmt.Sprint(issues[0]["mitigation"]), "Took amoxicillin in 2024") {
		t.Errorf("DetectedIssue: %v", issues)
	}
}

// TestMedicationRoles over plain HTTP: a nurse who is not a prescriber
// is refused the prescribing form and an issue; a receptionist sees
// repeat names only; a double-posted issue issues once; a form for
// another patient writes nothing.
func TestMedicationRoles(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { medicationRoles(t, testbrowser.NewStack(t)) })
	t.Run("postgres", func(t *testing.T) { medicationRoles(t, stackOn(t, storetest.OpenPostgres(t))) })
}

func medicationRoles(t *testing.T, s *testbrowser.Stack) {
	practice, patient := medPractice(t, s)
	ctx := auth.WithPrincipal(context.Background(), &auth.Principal{Subject: "test", Role: auth.RoleGP, Practice: practice.OrganizationID, Scopes: auth.ScopesOf(auth.RoleGP)})
	gp := staffSession(t, s, "gp@rxroles", auth.RoleGP, practice.OrganizationID, "Practitioner/"+practice.Clinicians[0].ID)
	nurse := staffSession(t, s, "nurse@rxroles", auth.RoleNurse, practice.OrganizationID, "Practitioner/"+practice.Clinicians[2].ID)
	desk := staffSession(t, s, "desk@rxroles", auth.RoleReceptionist, practice.OrganizationID, "")
	path := "/workspace/patients/" + patient + "/medication"

	// The GP authorises a repeat (no warnings expected for omeprazole:
	// override if the demo gave some).
	form := url.Values{"patient": {patient}, "medicine-pick": {"317335000|Omeprazole 20mg gastro-resistant capsules"}, "dose": {"One capsule once a day"},
		"quantity": {"28"}, "days": {"28"}, "course": {"repeat"}, "issues": {"2"}}
	review := time.Now().In(clinical.London).AddDate(0, 3, 0)
	form.Set("review-day", fmt.Sprint(review.Day()))
	form.Set("review-month", fmt.Sprint(int(review.Month())))
	form.Set("review-year", fmt.Sprint(review.Year()))
	status, loc, body := gp.do(t, path+"/new", form)
	if status == http.StatusOK && strings.Contains(body, `name="seen"`) {
		i := strings.Index(body, `name="seen" value="`) + len(`name="seen" value="`)
		form.Set("seen", body[i:i+16])
		form.Set("reason", "Reviewed the warnings")
		status, loc, _ = gp.do(t, path+"/new", form)
	}
	if status != http.StatusSeeOther || !strings.Contains(loc, "saved=authorised") {
		t.Fatalf("authorise: %d %s", status, loc)
	}
	meds, err := s.Service.Search(ctx, searchReq("MedicationRequest", url.Values{"patient": {patient}, "intent": {"plan"}}))
	if err != nil {
		t.Fatal(err)
	}
	var auth1 fhir.Resource
	for _, m := range searchMatchesOf(meds.Resource) {
		if strings.Contains(fmt.Sprint(m["medicationCodeableConcept"]), "Omeprazole") {
			auth1 = m
		}
	}
	if auth1 == nil {
		t.Fatalf("the authorisation is not in the record: %v", meds.Resource)
	}
	version := auth1["meta"].(map[string]any)["versionId"].(string)

	// The nurse (not a prescriber) may only prepare: the form says so,
	// and what she posts is a proposal, never an authorisation or issue.
	if status, _, body := nurse.do(t, path+"/new", nil); status != http.StatusOK || !strings.Contains(body, "Prepare a prescription for a prescriber") {
		t.Errorf("nurse's prescribing form: %d", status)
	}
	prep := url.Values{"patient": {patient}, "medicine-pick": {"322236009|Paracetamol 500mg tablets"}, "dose": {"Two tablets up to four times a day"},
		"quantity": {"32"}, "days": {"4"}, "course": {"acute"}}
	if status, loc, _ := nurse.do(t, path+"/new", prep); status != http.StatusSeeOther || !strings.Contains(loc, "saved=prepared") {
		t.Errorf("nurse prepares: %d %s", status, loc)
	}
	for _, m := range searchMatchesOf(mustSearch(t, s, ctx, "MedicationRequest", url.Values{"patient": {patient}})) {
		if strings.Contains(fmt.Sprint(m["medicationCodeableConcept"]), "Paracetamol") && (m["intent"] != "proposal" || m["status"] != "draft") {
			t.Errorf("the nurse's prescription is %v %v, want a draft proposal", m["intent"], m["status"])
		}
	}
	issue := url.Values{"patient": {patient}, "issue": {auth1.ID()}, "version-" + auth1.ID(): {version}}
	if status, _, _ := nurse.do(t, path+"/issue", issue); status != http.StatusForbidden {
		t.Errorf("nurse's issue: %d", status)
	}
	// Another patient's id on the form: nothing written.
	wrong := url.Values{"patient": {practice.Patients[1]}, "issue": {auth1.ID()}, "version-" + auth1.ID(): {version}}
	if status, _, _ := gp.do(t, path+"/issue", wrong); status != http.StatusConflict {
		t.Errorf("wrong patient: %d", status)
	}
	// Issued twice from the same page (a double click): once.
	if status, loc, _ := gp.do(t, path+"/issue", issue); status != http.StatusSeeOther || !strings.Contains(loc, "saved=issued") {
		t.Fatalf("issue: %d %s", status, loc)
	}
	// The same post again (a double click): the early issue is warned
	// of, and with the warning overridden the stale version is refused.
	status, _, body = gp.do(t, path+"/issue", issue)
	if status != http.StatusOK || !strings.Contains(body, "Issued early") {
		t.Errorf("second issue of the same version: %d, want the early-issue warning", status)
	}
	issue.Set("seen", seenOf(body))
	issue.Set("reason", "Going abroad for six weeks")
	if status, _, body := gp.do(t, path+"/issue", issue); status != http.StatusConflict || !strings.Contains(body, "changed") {
		t.Errorf("second issue of the same version, overridden: %d", status)
	}
	// Cancelling the issue needs a reason and a prescriber.
	var issueID string
	for _, m := range searchMatchesOf(mustSearch(t, s, ctx, "MedicationRequest", url.Values{"patient": {patient}, "intent": {"order"}})) {
		issueID = m.ID()
	}
	cancel := url.Values{"patient": {patient}, "version": {"1"}}
	if status, _, body := gp.do(t, path+"/issues/"+issueID+"/cancel", cancel); status != http.StatusUnprocessableEntity || !strings.Contains(body, "Enter why the prescription is cancelled") || !strings.Contains(body, `id="reason"`) {
		t.Errorf("cancel without a reason: %d", status)
	}
	cancel.Set("reason", "Printed twice")
	if status, _, _ := nurse.do(t, path+"/issues/"+issueID+"/cancel", cancel); status != http.StatusForbidden {
		t.Errorf("the nurse's cancel: %d", status)
	}
	// An allergy recorded since the authorisation is warned of at the next
	// issue, with the early issue, until overridden.
	if _, err := s.Service.Create(ctx, "AllergyIntolerance", fhir.Resource{"resourceType": "AllergyIntolerance",
		"clinicalStatus": map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": "active"}}},
		"code":           map[string]any{"coding": []any{map[string]any{"system": clinical.SNOMED, "code": "387137007", "display": "Omeprazole"}}, "text": "Omeprazole"},
		"patient":        map[string]any{"reference": "Patient/" + patient}}, ""); err != nil {
		t.Fatal(err)
	}
	issue.Set("version-"+auth1.ID(), fmt.Sprint(mustAtoi(t, version)+1))
	status, _, body = gp.do(t, path+"/issue", issue)
	if status != http.StatusOK || !strings.Contains(body, "active allergy: Omeprazole") || !strings.Contains(body, "Issued early") {
		t.Errorf("an issue after a new allergy: %d, want both warnings", status)
	}
	orders, err := s.Service.Search(ctx, searchReq("MedicationRequest", url.Values{"patient": {patient}, "intent": {"order"}}))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range searchMatchesOf(orders.Resource) {
		if strings.Contains(fmt.Sprint(m["medicationCodeableConcept"]), "Omeprazole") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d issues after a double post, want 1", n)
	}

	// Reauthorise it (the allergy now warns: overridden with a reason);
	// the old authorisation is completed, the new one names it.
	if status, _, body := gp.do(t, path+"/new?from="+auth1.ID(), nil); status != http.StatusOK || !strings.Contains(body, "Reauthorising Omeprazole") {
		t.Fatalf("reauthorise form: %d", status)
	}
	again := url.Values{"patient": {patient}, "from": {auth1.ID()}, "from-version": {fmt.Sprint(mustAtoi(t, version) + 1)}, "from-name": {"Omeprazole"}}
	for k, vs := range form {
		if k != "seen" && k != "reason" && k != "csrf" {
			again[k] = vs
		}
	}
	status, _, body = gp.do(t, path+"/new", again)
	if status != http.StatusOK || !strings.Contains(body, `name="seen"`) {
		t.Fatalf("reauthorising with a new allergy: %d, want its warning", status)
	}
	again.Set("seen", seenOf(body))
	again.Set("reason", "Allergy entry is doubtful: checked with the patient")
	if status, loc, _ := gp.do(t, path+"/new", again); status != http.StatusSeeOther || !strings.Contains(loc, "saved=reauthorised") {
		t.Fatalf("reauthorise: %d %s", status, loc)
	}
	if status, _, _ := gp.do(t, path+"/new", again); status != http.StatusConflict {
		t.Errorf("reauthorising twice: %d, want 409", status)
	}
	plans, err := s.Service.Search(ctx, searchReq("MedicationRequest", url.Values{"patient": {patient}, "intent": {"plan"}}))
	if err != nil {
		t.Fatal(err)
	}
	var completed, renewed int
	for _, m := range searchMatchesOf(plans.Resource) {
		if !strings.Contains(fmt.Sprint(m["medicationCodeableConcept"]), "Omeprazole") {
			continue
		}
		switch {
		case m.ID() == auth1.ID() && m["status"] == "completed":
			completed++
		case m["status"] == "active" && fmt.Sprint(m["priorPrescription"]) == fmt.Sprint(map[string]any{"reference": "MedicationRequest/" + auth1.ID()}):
			renewed++
		}
	}
	if completed != 1 || renewed != 1 {
		t.Errorf("after reauthorising: %d completed, %d renewed", completed, renewed)
	}

	// A delayed (back-up) acute: marked on the tab and on its token; a
	// delayed repeat is refused.
	delayed := url.Values{"patient": {patient}, "medicine-pick": {"322236009|Paracetamol 500mg tablets"}, "dose": {"Two tablets up to four times a day when required"},
		"quantity": {"32"}, "days": {"4"}, "course": {"repeat"}, "issues": {"1"}, "delayed": {"yes"}}
	if status, _, body := gp.do(t, path+"/new", delayed); status != http.StatusUnprocessableEntity || !strings.Contains(body, "A delayed prescription is an acute") {
		t.Errorf("a delayed repeat: %d", status)
	}
	delayed.Set("course", "acute")
	status, loc, body = gp.do(t, path+"/new", delayed)
	if status == http.StatusOK && strings.Contains(body, `name="seen"`) {
		delayed.Set("seen", seenOf(body))
		delayed.Set("reason", "Reviewed the warnings")
		status, loc, _ = gp.do(t, path+"/new", delayed)
	}
	if status != http.StatusSeeOther || !strings.Contains(loc, "saved=prescribed") {
		t.Fatalf("a delayed acute: %d %s", status, loc)
	}
	if _, _, body := gp.do(t, path, nil); !strings.Contains(body, ">Delayed</strong>") {
		t.Error("the tab does not mark the delayed prescription")
	}

	// A medicine from the hospital is in the checks: ibuprofen now warns
	// of the interaction with it.
	if status, loc, _ := gp.do(t, path+"/elsewhere", url.Values{"patient": {patient}, "elsewhere-pick": {"321949006|Sertraline 50mg tablets"},
		"elsewhere-dose": {"One tablet once a day"}, "source": {"hospital"}}); status != http.StatusSeeOther || !strings.Contains(loc, "saved=elsewhere") {
		t.Fatalf("record from elsewhere: %d %s", status, loc)
	}
	if status, _, body := gp.do(t, path+"/new", url.Values{"patient": {patient}, "medicine-pick": {"329652003|Ibuprofen 400mg tablets"}, "dose": {"One tablet three times a day"},
		"quantity": {"21"}, "days": {"7"}, "course": {"acute"}}); status != http.StatusOK || !strings.Contains(body, "Interaction with Sertraline 50mg tablets") {
		t.Errorf("ibuprofen with sertraline from the hospital: %d, want the interaction warning", status)
	}
	if status, _, _ := desk.do(t, path+"/elsewhere", url.Values{"patient": {patient}}); status != http.StatusForbidden {
		t.Errorf("receptionist records a medicine: %d", status)
	}

	// The receptionist: names of repeats only, no prescribing.
	status, _, body = desk.do(t, path, nil)
	if names := body[strings.Index(body, `id="repeat-names"`)+1:]; strings.Count(names[:strings.Index(names, "</ul>")], "Omeprazole") != 1 {
		t.Errorf("the receptionist's repeats list Omeprazole other than once (its issues listed as repeats?)")
	}
	if status != http.StatusOK || !strings.Contains(body, "Omeprazole") || strings.Contains(body, "One capsule once a day") || strings.Contains(body, "Prescribe a medicine") {
		t.Errorf("receptionist's medication tab: %d names-only=%v", status, strings.Contains(body, "names-only"))
	}
	if status, _, _ := desk.do(t, path+"/new", nil); status != http.StatusForbidden {
		t.Errorf("receptionist's prescribing form: %d", status)
	}
}

// medSession is a member of staff signed in over plain HTTP.
type medSession struct {
	s            *testbrowser.Stack
	cookie, csrf string
}

func staffSession(t testing.TB, s *testbrowser.Stack, name string, role auth.Role, practice, fhirUser string) *medSession {
	t.Helper()
	ctx := context.Background()
	s.Staff(t, name, role, practice, fhirUser)
	u, err := identity.GetUser(ctx, s.Store, name)
	if err != nil {
		t.Fatal(err)
	}
	cookie, sess, err := identity.StartSession(ctx, s.Store, u, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sess.Verified = true
	if err := sess.Save(ctx, s.Store); err != nil {
		t.Fatal(err)
	}
	return &medSession{s: s, cookie: cookie, csrf: sess.CSRF}
}

func (c *medSession) do(t testing.TB, path string, form url.Values) (int, string, string) {
	t.Helper()
	method, body := "GET", io.Reader(nil)
	if form != nil {
		form.Set("csrf", c.csrf)
		method, body = "POST", strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, c.s.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.AddCookie(&http.Cookie{Name: "gpcloud_session", Value: c.cookie})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

func searchReq(typ string, params url.Values) service.SearchRequest {
	params.Set("_count", "100")
	return service.SearchRequest{Type: typ, Params: params}
}

// searchMatchesOf are a search Bundle's matches.
func searchMatchesOf(b fhir.Resource) []fhir.Resource {
	var out []fhir.Resource
	entries, _ := b["entry"].([]any)
	for _, e := range entries {
		em, _ := e.(map[string]any)
		if sm, _ := em["search"].(map[string]any); sm["mode"] != "match" {
			continue
		}
		switch r := em["resource"].(type) {
		case map[string]any:
			out = append(out, r)
		case fhir.Resource:
			out = append(out, r)
		default:
			b, _ := fhir.Marshal(r)
			if res, err := fhir.Unmarshal(b); err == nil {
				out = append(out, res)
			}
		}
	}
	return out
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// seenOf is the digest of the warnings a page shows.
func seenOf(body string) string {
	i := strings.Index(body, `name="seen" value="`)
	if i < 0 {
		return ""
	}
	i += len(`name="seen" value="`)
	return body[i : i+16]
}

func mustSearch(t *testing.T, s *testbrowser.Stack, ctx context.Context, typ string, params url.Values) fhir.Resource {
	t.Helper()
	out, err := s.Service.Search(ctx, searchReq(typ, params))
	if err != nil {
		t.Fatal(err)
	}
	return out.Resource
}
