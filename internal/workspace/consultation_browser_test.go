package workspace_test

import (
	"context"
	"encoding/json"
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
	"github.com/gpcloud/gpcloud/internal/auth/tokens"
	"github.com/gpcloud/gpcloud/internal/demo"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// TestBrowserConsultation: a GP finds the patient by NHS number, records a
// consultation with a coded problem and a blood pressure (the draft
// surviving a reload), saves, sees it in the summary, the problem list
// and the journal, amends it and marks an entry entered in error; another
// FHIR client reads the same back; a receptionist cannot open it. Every
// page passes axe-core and works at 320 px.
func TestBrowserConsultation(t *testing.T) {
	b := testbrowser.Start(t)
	s := testbrowser.NewStack(t)
	ctx := context.Background()
	practice, err := demo.Make(ctx, s.Service, demo.Options{Patients: 3, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	gpRef := "Practitioner/" + practice.Clinicians[0].ID
	gp := s.Staff(t, "gp@test", auth.RoleGP, practice.OrganizationID, gpRef)
	b.SignIn(s.URL, gp)

	nhs := demo.NHSNumber(1)
	b.Do(chromedp.SendKeys(chromedp.ID("q"), nhs), chromedp.WaitVisible(chromedp.CSS("#result-list a")),
		chromedp.Click(chromedp.CSS("#result-list a")), chromedp.WaitVisible(chromedp.ID("patient-banner")))
	patientID := b.Eval(`document.getElementById('patient-banner').dataset.patient`)
	base := s.URL + "/workspace/patients/" + patientID

	// The journal, then a new consultation.
	b.Do(chromedp.Click(chromedp.CSS(`.gp-tabs a[href$="/consultations"]`)), chromedp.WaitVisible(chromedp.ID("new-consultation")))
	b.Axe("journal")
	b.Shot("journal-before")
	b.Do(chromedp.Click(chromedp.ID("new-consultation")), chromedp.WaitVisible(chromedp.ID("consultation-form")))
	if got := b.Text("#clinician-fixed"); got != practice.Clinicians[0].Name {
		t.Errorf("clinician %q, want the signed-in GP %q", got, practice.Clinicians[0].Name)
	}
	b.Axe("new consultation")
	b.Shot("consultation-new")
	b.Narrow("consultation-new", 320)

	// The problem, coded from the typeahead; its history; a blood
	// pressure; weight and height give the BMI as they are typed.
	b.Do(chromedp.SendKeys(chromedp.ID("t0-q"), "hypert"), chromedp.WaitVisible(chromedp.ID("t0-pick-0")))
	b.Axe("typeahead")
	b.Shot("consultation-typeahead")
	b.Do(chromedp.Click(chromedp.ID("t0-pick-0")),
		chromedp.SetValue(chromedp.ID("t0-link"), "new"),
		chromedp.SendKeys(chromedp.ID("t0-history"), "Headaches for two weeks, worse in the morning."),
		chromedp.SendKeys(chromedp.ID("t0-plan"), "Home blood pressure monitoring for a week."),
		chromedp.SendKeys(chromedp.ID("systolic"), "152"),
		chromedp.SendKeys(chromedp.ID("diastolic"), "96"),
		chromedp.SendKeys(chromedp.ID("weight"), "80"),
		chromedp.SendKeys(chromedp.ID("height"), "175"+kb.Tab))
	waitText(t, b, "#bmi strong", "26.1")

	// The draft survives a reload.
	time.Sleep(1500 * time.Millisecond)
	b.Do(chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("consultation-form")))
	if got := b.Eval(`document.getElementById('t0-history').value`); !strings.Contains(got, "Headaches for two weeks") {
		t.Fatalf("after a reload the history is %q: the draft was lost", got)
	}
	if got := b.Eval(`document.getElementById('t0-q').value`); got != "Hypertension" {
		t.Errorf("after a reload the problem is %q", got)
	}

	// A bad measurement is refused with the error summary, nothing lost.
	b.Do(chromedp.Clear(chromedp.ID("diastolic")), chromedp.SendKeys(chromedp.ID("diastolic"), "960"), chromedp.Click(chromedp.ID("save")),
		chromedp.WaitVisible(chromedp.CSS(".nhsuk-error-summary")))
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "Diastolic blood pressure must be between 20 and 200 mmHg") {
		t.Errorf("error summary %q", got)
	}
	b.Axe("consultation with errors")
	b.Shot("consultation-errors")
	b.Do(chromedp.Clear(chromedp.ID("diastolic")), chromedp.SendKeys(chromedp.ID("diastolic"), "96"),
		chromedp.Click(chromedp.ID("save")), chromedp.WaitVisible(chromedp.ID("saved")))
	encID := strings.TrimPrefix(b.Eval(`document.querySelector('.gp-consultation').id`), "consultation-")
	view := b.Text("main")
	for _, want := range []string{"Hypertension", "Headaches for two weeks", "152/96 mmHg", "26.1 kg/m2", "History", "Examination", "Plan"} {
		if !strings.Contains(view, want) {
			t.Errorf("the saved consultation does not show %q:\n%s", want, view)
		}
	}
	b.Axe("saved consultation")
	b.Shot("consultation-saved")
	b.Narrow("consultation-saved", 320)

	// The summary: the problem and the blood pressure.
	b.Do(chromedp.Navigate(base), chromedp.WaitVisible(chromedp.ID("problems")))
	if got := b.Text("#problems"); !strings.Contains(got, "Hypertension") {
		t.Errorf("summary problems %q", got)
	}
	if got := b.Text("#measurements"); !strings.Contains(got, "152/96") {
		t.Errorf("summary measurements %q", got)
	}
	if got := b.Text("#consultations"); !strings.Contains(got, "Face to face") {
		t.Errorf("summary consultations %q", got)
	}

	// The journal lists it first; filtered by the problem, only it.
	b.Do(chromedp.Navigate(base+"/consultations"), chromedp.WaitVisible(chromedp.ID("journal")))
	if got := b.Text("#journal li"); !strings.Contains(got, "Hypertension") {
		t.Errorf("journal's first consultation %q", got)
	}
	b.Do(chromedp.SetValue(chromedp.ID("problem"), b.Eval(`[...document.querySelectorAll('#problem option')].find(o => o.text.startsWith('Hypertension')).value`)))
	b.ClickAndLoad("#filter")
	if got := b.Text("#journal-count"); !strings.HasPrefix(got, "1 consultation") {
		t.Errorf("filtered by the problem: %q", got)
	}
	if u := b.Eval(`location.search`); strings.Contains(strings.ToLower(u), "hypert") {
		t.Errorf("the filter put clinical text in the URL: %s", u)
	}
	// A date that is not real is an error, not a silently ignored filter;
	// a real one typed as staff write it filters.
	b.Do(chromedp.SendKeys(chromedp.ID("from"), "31/02/2024"))
	b.ClickAndLoad("#filter")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "From must be a real date") {
		t.Errorf("a date that is not real: %q", got)
	}
	b.Axe("journal with an error")
	b.Do(chromedp.Clear(chromedp.ID("from")), chromedp.SendKeys(chromedp.ID("from"), time.Now().AddDate(0, 0, -1).Format("02/01/2006")))
	b.ClickAndLoad("#filter")
	if got := b.Text("#journal-count"); !strings.HasPrefix(got, "1 consultation") {
		t.Errorf("filtered from yesterday: %q", got)
	}
	b.Axe("journal")
	b.Shot("journal")
	b.Narrow("journal", 320)

	// Amend: the history changes, with a reason.
	b.Do(chromedp.Navigate(base+"/consultations/"+encID), chromedp.WaitVisible(chromedp.ID("amend")),
		chromedp.Click(chromedp.ID("amend")), chromedp.WaitVisible(chromedp.ID("reason")))
	b.Axe("amend")
	b.Shot("consultation-amend")
	b.Do(chromedp.Clear(chromedp.ID("t0-history")), chromedp.SendKeys(chromedp.ID("t0-history"), "Headaches for three weeks, worse in the morning."),
		chromedp.Click(chromedp.ID("save")), chromedp.WaitVisible(chromedp.CSS(".nhsuk-error-summary")))
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "Enter why you are amending") {
		t.Errorf("an amendment without a reason: %q", got)
	}
	b.Do(chromedp.SendKeys(chromedp.ID("reason"), "Patient corrected the duration"), chromedp.Click(chromedp.ID("save")), chromedp.WaitVisible(chromedp.ID("saved")))
	view = b.Text("main")
	for _, want := range []string{"three weeks", "Amended", "Patient corrected the duration"} {
		if !strings.Contains(view, want) {
			t.Errorf("the amended consultation does not show %q:\n%s", want, view)
		}
	}

	// Retract the blood pressure: struck through, with the reason.
	retractHref := b.Eval(`[...document.querySelectorAll('.gp-entry-view')].find(li => li.textContent.includes('152/96')).querySelector('a[href*="/retract"]').getAttribute('href')`)
	b.Do(chromedp.Navigate(s.URL+retractHref), chromedp.WaitVisible(chromedp.ID("reason")))
	b.Axe("retract")
	b.Shot("consultation-retract")
	b.Do(chromedp.SendKeys(chromedp.ID("reason"), "Recorded on the wrong arm cuff size"), chromedp.Click(chromedp.ID("retract")), chromedp.WaitVisible(chromedp.ID("saved")))
	if got := b.Eval(`[...document.querySelectorAll('.gp-entry-view.gp-retracted')].map(e => e.textContent).join('|')`); !strings.Contains(got, "152/96") || !strings.Contains(got, "wrong arm cuff size") {
		t.Errorf("the retracted entry shows %q", got)
	}
	b.Axe("after retraction")
	b.Shot("consultation-retracted")

	// A fit note from the consultation: refused without dates, then
	// issued, recorded and shown to print.
	b.Do(chromedp.Click(chromedp.ID("fitnote")), chromedp.WaitVisible(chromedp.ID("issue")))
	if got := b.Eval(`document.getElementById('condition').value`); got != "Hypertension" {
		t.Errorf("the fit note's condition starts as %q", got)
	}
	b.Axe("fit note")
	b.Shot("fitnote")
	b.Narrow("fitnote", 320)
	b.Do(chromedp.Click(chromedp.ID("fitness-may")), chromedp.Click(chromedp.ID("adjustments-altered-hours")), chromedp.Click(chromedp.ID("issue")),
		chromedp.WaitVisible(chromedp.CSS(".nhsuk-error-summary")))
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "Enter the date the note ends") || !strings.Contains(got, "Select whether you will need to assess") {
		t.Errorf("fit note errors %q", got)
	}
	end := time.Now().AddDate(0, 0, 14)
	b.Do(chromedp.SendKeys(chromedp.ID("to-day"), strconv.Itoa(end.Day())), chromedp.SendKeys(chromedp.ID("to-month"), strconv.Itoa(int(end.Month()))),
		chromedp.SendKeys(chromedp.ID("to-year"), strconv.Itoa(end.Year())), chromedp.Click(chromedp.ID("assess-again")),
		chromedp.SendKeys(chromedp.ID("comments"), "Avoid heavy lifting for two weeks."), chromedp.Click(chromedp.ID("issue")), chromedp.WaitVisible(chromedp.ID("issued")))
	if got := b.Text("#fitnote-advice"); !strings.Contains(got, "Altered hours") {
		t.Errorf("the printed advice %q", got)
	}
	b.Axe("fit note to print")
	b.Shot("fitnote-print")
	b.Narrow("fitnote-print", 320)

	// Another FHIR client reads the same.
	api := apiClient(t, s, &auth.Principal{Subject: "other-client", Role: auth.RoleGP, Practice: practice.OrganizationID, FHIRUser: gpRef})
	comps := api.search(t, "Composition?encounter=Encounter/"+encID)
	if len(comps) != 1 {
		t.Fatalf("compositions of the encounter: %d", len(comps))
	}
	comp := comps[0]
	if comp["status"] != "amended" {
		t.Errorf("composition status %v", comp["status"])
	}
	topics, _ := comp["section"].([]any)
	if len(topics) != 1 || topics[0].(map[string]any)["title"] != "Hypertension" {
		t.Fatalf("composition topics %v", topics)
	}
	var bp, note map[string]any
	for _, o := range api.search(t, "Observation?encounter=Encounter/"+encID) {
		text, _ := json.Marshal(o["code"])
		switch {
		case strings.Contains(string(text), "75367002"):
			bp = o
		case strings.Contains(string(text), "37331000000100") && strings.Contains(o["valueString"].(string), "three weeks"):
			note = o
		}
	}
	if bp == nil || bp["status"] != "entered-in-error" {
		t.Errorf("the blood pressure through the API: %v", bp)
	}
	if note == nil || note["status"] != "amended" || note["meta"].(map[string]any)["versionId"] != "2" {
		t.Errorf("the amended history through the API: %v", note)
	}
	conds := api.search(t, "Condition?encounter=Encounter/"+encID+"&code=http://snomed.info/sct|38341003")
	if len(conds) != 1 {
		t.Errorf("the new problem through the API: %d", len(conds))
	}
	if docs := api.search(t, "DocumentReference?encounter=Encounter/"+encID); len(docs) != 1 || !strings.Contains(fmt.Sprint(docs[0]["description"]), "may be fit") {
		t.Errorf("the fit note through the API: %v", docs)
	}
	provs := api.search(t, "Provenance?patient="+patientID)
	if len(provs) != 2 {
		t.Errorf("provenances %d, want 2 (the amendment, the retraction)", len(provs))
	}

	// The receptionist cannot open the consultation.
	rb := testbrowser.Start(t)
	rec := s.Staff(t, "reception@test", auth.RoleReceptionist, practice.OrganizationID, "")
	rb.SignIn(s.URL, rec)
	for _, path := range []string{"/consultations", "/consultations/" + encID, "/consultations/new", "/consultations/" + encID + "/amend"} {
		rb.Do(chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS("main h1")))
		if got := rb.Text("main h1"); got != "Not available to your role" {
			t.Errorf("a receptionist at %s sees %q", path, got)
		}
		if main := rb.Text("main"); strings.Contains(main, "Headaches") || strings.Contains(main, "Hypertension") {
			t.Errorf("a receptionist at %s sees consultation content: %s", path, main)
		}
	}
	rb.Axe("receptionist refused")
	rb.Shot("consultation-receptionist")
}

// waitText waits for an element's text to become want.
func waitText(t *testing.T, b *testbrowser.Browser, sel, want string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		if got := b.Text(sel); got == want {
			return
		} else if time.Now().After(deadline) {
			t.Fatalf("%s shows %q, want %q", sel, got, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// client is another FHIR client of the same server: an HTTP client with
// its own access token.
type client struct {
	base, token string
}

func apiClient(t *testing.T, s *testbrowser.Stack, p *auth.Principal) *client {
	t.Helper()
	authority, err := tokens.ForStore(context.Background(), s.Store)
	if err != nil {
		t.Fatal(err)
	}
	p.Scopes, err = auth.ParseScopes("user/*.rs")
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := authority.Issue(context.Background(), p, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return &client{base: s.URL + "/fhir/", token: tok}
}

func (c *client) search(t *testing.T, query string) []map[string]any {
	t.Helper()
	path, rawQuery, _ := strings.Cut(query, "?")
	q, _ := url.ParseQuery(rawQuery)
	req, _ := http.NewRequest("GET", c.base+path+"?"+q.Encode(), nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/fhir+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", query, resp.StatusCode, body)
	}
	var bundle struct {
		Entry []struct {
			Resource map[string]any        `json:"resource"`
			Search   struct{ Mode string } `json:"search"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(body, &bundle); err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, e := range bundle.Entry {
		if e.Search.Mode == "match" {
			out = append(out, e.Resource)
		}
	}
	return out
}
