package workspace_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/oauth"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// TestBrowserPracticeAdmin: a practice is set up from the first-run link
// (confirmation page, QR code to enrol the second factor); its admin adds
// a site, a GP and a nurse with their roles and registrations (a wrong
// GMC number shown and fixed), a team, allows an app, resets the GP's
// second factor and suspends the nurse, whose sign-in is then refused;
// the GP cannot open the admin pages. Every page passes axe-core and
// works at 320 px.
func TestBrowserPracticeAdmin(t *testing.T) {
	b := testbrowser.Start(t)
	s := testbrowser.NewStack(t)
	ctx := context.Background()
	if err := oauth.RegisterClient(ctx, s.Store, oauth.Client{ID: "smart-check", Name: "SMART check app", Kind: oauth.KindPublic,
		Scopes: "patient/*.rs", RedirectURIs: []string{"https://app.example/app.html"}, LaunchURL: "https://app.example/launch.html"}); err != nil {
		t.Fatal(err)
	}
	look := func(name string) {
		t.Helper()
		b.Axe(name)
		b.Shot("admin-" + name)
		b.Narrow("admin-"+name, 320)
	}
	fill := func(id, value string) {
		t.Helper()
		b.Do(chromedp.WaitVisible(chromedp.ID(id)))
		b.Eval(`document.getElementById("` + id + `").value = ""; "ok"`)
		b.Do(chromedp.SendKeys(chromedp.ID(id), value))
	}

	// Set-up, from the link the first start prints.
	tok, err := identity.NewSetupToken(ctx, s.Store)
	if err != nil || tok == "" {
		t.Fatalf("set-up link: %v", err)
	}
	b.Do(chromedp.Navigate(s.URL + "/setup?token=" + tok))
	fill("practice", "Riverside Surgery")
	fill("ods", "A81001")
	fill("name", "Ann Admin")
	fill("username", "ann@riverside.test")
	fill("password", "a long enough password")
	b.ClickAndLoad("#create")
	if got := b.Text("#setup-done"); !strings.Contains(got, "Riverside Surgery") {
		t.Fatalf("set-up confirmation: %q", got)
	}
	look("setup-done")

	// The admin's first sign-in: the QR code beside the setup key.
	b.ClickAndLoad("#sign-in-now")
	signInEnrolling(t, b, "ann@riverside.test", "a long enough password", look)

	// Practice admin in the navigation.
	b.ClickAndLoad(`.nhsuk-header__navigation-link[href="/workspace/admin/"]`)
	if p := b.Eval(`location.pathname`); p != "/workspace/admin/staff" {
		t.Fatalf("practice admin opens %s", p)
	}
	look("staff")

	// A site: an empty form is refused with the error summary, then added.
	b.ClickAndLoad(`.gp-admin-tabs a[href="/workspace/admin/sites"]`)
	look("sites-empty")
	b.ClickAndLoad("#add-site")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "Enter the site's name") || !strings.Contains(got, "postcode") {
		t.Errorf("empty site form: %q", got)
	}
	look("sites-errors")
	fill("name", "Riverside Surgery")
	b.Do(chromedp.Click(chromedp.ID("kind")))
	fill("lines", "1 River Street")
	fill("town", "Leeds")
	fill("postcode", "ls14ap")
	b.ClickAndLoad("#add-site")
	if got := b.Text("#sites"); !strings.Contains(got, "Riverside Surgery") || !strings.Contains(got, "LS1 4AP") || !strings.Contains(got, "Main surgery") {
		t.Errorf("sites after adding: %q", got)
	}
	look("sites")
	// A second main surgery is refused; as a branch it is added, then
	// closed (kept, marked closed).
	fill("name", "Hill Branch")
	b.Do(chromedp.Click(chromedp.ID("kind")))
	fill("lines", "2 Hill Road")
	fill("postcode", "LS6 2AA")
	b.ClickAndLoad("#add-site")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "already has a main surgery") {
		t.Errorf("a second main surgery: %q", got)
	}
	b.Do(chromedp.Click(chromedp.ID("kind-1")))
	b.ClickAndLoad("#add-site")
	b.Do(chromedp.Click(chromedp.Search(`//tr[contains(., "Hill Branch")]//button`)))
	waitText(t, b, "#done p", "Site closed: it stays in the list, marked closed, for the records that refer to it.")
	if got := b.Text("#sites"); !strings.Contains(got, "Hill Branch Closed") {
		t.Errorf("after closing the branch: %q", got)
	}

	// A GP: a wrong GMC number is shown, fixed, and the account made.
	b.Do(chromedp.Navigate(s.URL + "/workspace/admin/staff/new"))
	look("staff-new")
	fill("name", "Dr Amina Shah")
	fill("username", "amina@riverside.test")
	b.Do(chromedp.SetValue(chromedp.ID("role"), "gp"), chromedp.SetValue(chromedp.ID("register"), "gmc"))
	fill("number", "12345")
	b.Do(chromedp.Click(chromedp.ID("prescriber")))
	b.ClickAndLoad("#save-staff")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "GMC number") {
		t.Fatalf("a short GMC number: %q", got)
	}
	look("staff-new-errors")
	fill("number", "1234567")
	b.ClickAndLoad("#save-staff")
	gpPassword := strings.TrimSpace(b.Text("#first-password"))
	look("staff-added")

	// A nurse, and a team of her.
	b.Do(chromedp.Navigate(s.URL + "/workspace/admin/staff/new"))
	fill("name", "Nina Nurse")
	fill("username", "nina@riverside.test")
	b.Do(chromedp.SetValue(chromedp.ID("role"), "nurse"), chromedp.SetValue(chromedp.ID("register"), "nmc"))
	fill("number", "12A3456E")
	// From the keyboard: Enter in a field submits the form.
	b.Do(chromedp.SendKeys(chromedp.ID("number"), kb.Enter), chromedp.WaitVisible(chromedp.ID("first-password")))
	ninaPassword := strings.TrimSpace(b.Text("#first-password"))
	b.ClickAndLoad("#back-to-staff")
	if got := b.Text("#staff"); !strings.Contains(got, "GMC 1234567") || !strings.Contains(got, "NMC 12A3456E") || !strings.Contains(got, "GP, prescriber") {
		t.Errorf("staff list: %q", got)
	}
	look("staff-list")
	b.ClickAndLoad(`.gp-admin-tabs a[href="/workspace/admin/teams"]`)
	fill("name", "Nurses")
	b.Do(chromedp.Click(chromedp.Search(`//label[contains(., "Nina Nurse")]`)))
	b.ClickAndLoad("#add-team")
	if b.Eval(`String(!!document.getElementById("teams"))`) != "true" {
		t.Fatalf("adding a team: %s", b.Text("main"))
	}
	if got := b.Text("#teams"); !strings.Contains(got, "Nurses") || !strings.Contains(got, "Nina Nurse") {
		t.Errorf("teams: %q", got)
	}
	look("teams")
	// Members changed: the GP added to the team.
	b.Do(chromedp.Click(chromedp.CSS("#teams details summary")),
		chromedp.Click(chromedp.Search(`//li[@data-team]//label[contains(., "Amina Shah")]`)))
	b.ClickAndLoad(`#teams button[id^="save-team-"]`)
	if got := b.Text("#teams .gp-members"); !strings.Contains(got, "Amina Shah") || !strings.Contains(got, "Nina Nurse") {
		t.Errorf("team members after the change: %q", got)
	}
	b.Do(chromedp.Click(chromedp.CSS("#teams details summary")))
	look("teams-members")

	// An app allowed.
	b.ClickAndLoad(`.gp-admin-tabs a[href="/workspace/admin/apps"]`)
	look("apps-before")
	b.ClickAndLoad("#allow-smart-check")
	if got := b.Text(`tr[data-app="smart-check"]`); !strings.Contains(got, "Allowed") {
		t.Errorf("after allowing: %q", got)
	}
	if ok, _ := oauth.AppAllowed(ctx, s.Store, adminPractice(t, s), "smart-check"); !ok {
		t.Error("the app is not allowed in the store")
	}
	look("apps")
	// Revoked and allowed again.
	b.ClickAndLoad("#revoke-smart-check")
	if ok, _ := oauth.AppAllowed(ctx, s.Store, adminPractice(t, s), "smart-check"); ok || !strings.Contains(b.Text("#done"), "App revoked") {
		t.Error("the app is still allowed after revoking")
	}
	b.ClickAndLoad("#allow-smart-check")

	// The GP's second factor reset; the nurse suspended.
	b.Do(chromedp.Navigate(s.URL + "/workspace/admin/staff/amina@riverside.test"))
	look("member")
	// Registration: a prescriber without a register is refused; a GMC
	// number changed and prescribing taken off are saved.
	b.Do(chromedp.SetValue(chromedp.ID("register"), ""))
	fill("number", "")
	b.ClickAndLoad("#save-registration")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "prescriber must be on a professional register") {
		t.Errorf("a prescriber with no register: %q", got)
	}
	look("member-errors")
	b.Do(chromedp.SetValue(chromedp.ID("register"), "gmc"))
	fill("number", "7654321")
	b.Do(chromedp.Click(chromedp.ID("prescriber")))
	b.ClickAndLoad("#save-registration")
	if got := b.Text("#member-registration") + " " + b.Text("#member-prescriber"); got != "GMC 7654321 No" {
		t.Errorf("after changing the registration: %q", got)
	}
	b.ClickAndLoad("#reset")
	if got := b.Text("#done"); !strings.Contains(got, "Second factor reset") {
		t.Errorf("reset: %q", got)
	}
	b.Do(chromedp.Navigate(s.URL + "/workspace/admin/staff/nina@riverside.test"))
	b.ClickAndLoad("#suspend")
	if got := b.Text("#member-status"); !strings.Contains(got, "Suspended") {
		t.Errorf("after suspending: %q", got)
	}
	look("member-suspended")
	// The admin's own page offers nothing to do to themselves.
	b.Do(chromedp.Navigate(s.URL + "/workspace/admin/staff/ann@riverside.test"))
	if n := b.Eval(`String(document.querySelectorAll('#suspend, #reset, #change-role').length)`); n != "0" {
		t.Errorf("the admin's own page offers %s actions", n)
	}
	b.ClickAndLoad("#sign-out")

	// The suspended nurse's sign-in is refused, saying why.
	b.Do(chromedp.Navigate(s.URL+"/auth/login"), chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "nina@riverside.test"))
	b.Do(chromedp.SendKeys(chromedp.ID("password"), ninaPassword))
	b.ClickAndLoad(`form[action="/auth/login"] button[type="submit"]`)
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "suspended") {
		t.Errorf("a suspended nurse signing in: %q", got)
	}
	if p := b.Eval(`location.pathname`); p != "/auth/login" {
		t.Errorf("a suspended nurse got to %s", p)
	}

	// The GP (second factor reset: enrols again) cannot open admin.
	signInEnrolling(t, b, "amina@riverside.test", gpPassword, nil)
	if n := b.Eval(`String(document.querySelectorAll('a[href="/workspace/admin/"]').length)`); n != "0" {
		t.Error("a GP is offered Practice admin")
	}
	b.Do(chromedp.Navigate(s.URL + "/workspace/admin/staff"))
	if got := b.Text("h1"); got != "Not available to your role" {
		t.Errorf("a GP opening the staff page: %q", got)
	}
	look("refused")
	// Posting the form with the GP's own valid CSRF token is refused too,
	// and nothing is written.
	status, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`fetch("/workspace/admin/sites", {method: "POST",
		body: new URLSearchParams({csrf: document.querySelector('input[name=csrf]').value, name: "Rogue", kind: "branch", lines: "1 Rogue Rd", postcode: "LS1 4AP"})})
		.then(r => String(r.status))`, chromedp.EvalAwaitPromise))
	if err != nil || status != "403" {
		t.Errorf("a GP posting a site: %s %v", status, err)
	}

	// Each account and app change is in the audit trail, naming whom.
	s.Trail.Flush()
	out, err := s.Service.Search(ctx, service.SearchRequest{Type: "AuditEvent", Params: url.Values{"subtype": {"account,apps"}, "_count": {"100"}}})
	if err != nil {
		t.Fatal(err)
	}
	trail, _ := json.Marshal(out.Resource)
	all := string(trail)
	for _, want := range []string{"staff account amina@riverside.test added as gp", "staff account nina@riverside.test suspended",
		"second factor of amina@riverside.test reset", "app smart-check allowed", "app smart-check revoked"} {
		if !strings.Contains(all, want) {
			t.Errorf("audit trail lacks %q: %s", want, all)
		}
	}

	got, err := s.Service.Search(ctx, service.SearchRequest{Type: "Location", Params: url.Values{"name": {"Rogue"}}})
	if entries, _ := got.Resource["entry"].([]any); err != nil || len(entries) > 0 {
		t.Errorf("the GP's site was written (%v): %v", err, got.Resource["entry"])
	}
}

// signInEnrolling signs in from the keyboard with a first password and
// enrols the second factor from the code page (its QR code and setup
// key), as a new member of staff does.
func signInEnrolling(t *testing.T, b *testbrowser.Browser, username, password string, look func(string)) {
	t.Helper()
	if !strings.HasPrefix(b.Eval(`location.pathname`), "/auth/login") {
		b.Do(chromedp.Navigate(strings.TrimSuffix(b.Eval(`location.origin`), "/") + "/auth/login"))
	}
	b.Do(chromedp.WaitVisible(chromedp.ID("username")))
	b.Eval(`document.getElementById("username").value = ""; document.getElementById("password").value = ""; "ok"`)
	b.Do(chromedp.SendKeys(chromedp.ID("username"), username),
		chromedp.SendKeys(chromedp.ID("password"), password+kb.Enter), chromedp.WaitVisible(chromedp.ID("code")))
	if n := b.Eval(`String(document.querySelectorAll('#totp-qr svg[role="img"][aria-label]').length)`); n != "1" {
		t.Fatalf("no QR code on the enrolment page for %s", username)
	}
	if look != nil {
		look("enrol")
	}
	secret := strings.TrimSpace(b.Text("#totp-secret"))
	code, err := identity.TOTPCode(secret, identity.TOTPStep(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	b.Do(chromedp.SendKeys(chromedp.ID("code"), code+kb.Enter))
	b.WaitSignedIn(username)
}

// adminPractice is the practice the set-up made.
func adminPractice(t *testing.T, s *testbrowser.Stack) string {
	u, err := identity.GetUser(context.Background(), s.Store, "ann@riverside.test")
	if err != nil {
		t.Fatal(err)
	}
	return u.Practice
}
