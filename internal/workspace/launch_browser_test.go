package workspace_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/demo"
	"github.com/gpcloud/gpcloud/internal/oauth"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// TestBrowserLaunchAppFromRecord: a GP opens a SMART app (interop/smartapp,
// npm fhirclient, served from another origin) from a patient's record in
// real Chromium: the "Open" button's redirect to the app is allowed by
// the page's policy, and the app receives that patient. Then the same GP
// starts the app on its own (a standalone launch) and picks the patient
// on the consent page by searching for their NHS number, never by typing
// a record id.
func TestBrowserLaunchAppFromRecord(t *testing.T) {
	b := testbrowser.Start(t)
	appDir, _ := filepath.Abs("../../interop/smartapp")
	if _, err := os.Stat(filepath.Join(appDir, "node_modules/fhirclient/build/fhir-client.min.js")); err != nil {
		t.Skip("fhirclient not installed (cd interop/smartapp && npm ci; .ci/run does it)")
	}
	s := testbrowser.NewStack(t)
	ctx := context.Background()
	practice, err := demo.Make(ctx, s.Service, demo.Options{Patients: 3, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	app := httptest.NewServer(http.FileServer(http.Dir(appDir)))
	defer app.Close()
	if err := oauth.RegisterClient(ctx, s.Store, oauth.Client{ID: "smart-check", Name: "SMART check app", Kind: oauth.KindPublic,
		Scopes: "patient/*.rs", RedirectURIs: []string{app.URL + "/app.html"}, LaunchURL: app.URL + "/launch.html"}); err != nil {
		t.Fatal(err)
	}
	if err := oauth.AllowApp(ctx, s.Store, practice.OrganizationID, "smart-check"); err != nil {
		t.Fatal(err)
	}
	gp := s.Staff(t, "gp@test", auth.RoleGP, practice.OrganizationID, "Practitioner/"+practice.Clinicians[0].ID)
	b.SignIn(s.URL, gp)

	nhs := demo.NHSNumber(1)
	b.Do(chromedp.SendKeys(chromedp.ID("q"), nhs), chromedp.WaitVisible(chromedp.CSS("#result-list a")),
		chromedp.Click(chromedp.CSS("#result-list a")), chromedp.WaitVisible(chromedp.ID("patient-banner")))
	patientID := b.Eval(`document.getElementById('patient-banner').dataset.patient`)
	name := b.Text("#banner-name")

	b.ClickAndLoad("#open-app")
	if got := b.Text("#launch-patient"); got != name {
		t.Errorf("the apps page names %q, want the record's patient %q", got, name)
	}
	b.Axe("open an app")
	b.Shot("launch-apps")
	b.Narrow("launch-apps", 320)
	b.Do(chromedp.Click(chromedp.ID("launch-smart-check")))
	waitPath(t, b, "/auth/authorize")
	b.Do(chromedp.WaitVisible(chromedp.ID("allow")))
	if n := b.Eval(`String(document.querySelectorAll('#patient').length)`); n != "0" {
		t.Errorf("an EHR launch asks for the patient again")
	}
	if got := b.Text("#consent-patient"); got != name {
		t.Errorf("the consent page names %q, want the record's patient %q", got, name)
	}
	b.Axe("consent (EHR launch)")
	b.Shot("launch-consent")
	b.Do(chromedp.Click(chromedp.ID("allow")), chromedp.WaitReady(chromedp.CSS(`body[data-done="1"]`)))
	if e := b.Text("#error"); e != "" && e != "\n" {
		t.Fatalf("the app failed: %s", e)
	}
	if got := strings.TrimSpace(b.Text("#patient")); got != patientID {
		t.Fatalf("the app launched from the record has patient %q, want %q", got, patientID)
	}

	// A standalone launch: the consent page asks whose record, by search.
	b.Do(chromedp.Navigate(app.URL + "/launch.html?iss=" + url.QueryEscape(s.URL+"/fhir")))
	waitPath(t, b, "/auth/authorize")
	b.Do(chromedp.WaitVisible(chromedp.ID("patient")))
	if typ := b.Eval(`document.getElementById('patient').name`); typ != "q" {
		t.Errorf("the consent page's patient field is %q, want the search box", typ)
	}
	// Allowing without a patient is refused with the error summary.
	b.ClickAndLoad("#allow")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "Find the patient") {
		t.Errorf("allowing with no patient: %q", got)
	}
	b.Axe("consent without a patient")
	b.Do(chromedp.SendKeys(chromedp.ID("patient"), nhs[:3]+" "+nhs[3:6]+" "+nhs[6:]))
	b.Eval(`window.gpOldPage = true; "ok"`)
	b.Do(chromedp.SendKeys(chromedp.ID("patient"), kb.Enter))
	b.Do(chromedp.WaitVisible(chromedp.ID("found-0")))
	if got := b.Text(`label[for="found-0"]`); !strings.Contains(got, strings.Split(name, " (")[0]) {
		t.Errorf("the search found %q, want %q", got, name)
	}
	b.Axe("consent with the patient found")
	b.Shot("consent-search")
	b.Narrow("consent-search", 320)
	b.Do(chromedp.Click(chromedp.ID("found-0")), chromedp.Click(chromedp.ID("allow")),
		chromedp.WaitReady(chromedp.CSS(`body[data-done="1"]`)))
	if got := strings.TrimSpace(b.Text("#patient")); got != patientID {
		t.Fatalf("the app chosen by search has patient %q, want %q", got, patientID)
	}
}

// waitPath waits until the browser is at path (after redirects).
func waitPath(t *testing.T, b *testbrowser.Browser, path string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if p, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`location.pathname`)); err == nil && p == path {
			return
		}
	}
	t.Fatalf("the browser never reached %s", path)
}
