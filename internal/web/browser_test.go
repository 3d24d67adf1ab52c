package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/oauth"
	"github.com/gpcloud/gpcloud/internal/onlinetest"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
)

// chromium finds Debian's Chromium (or another Chrome) for browser tests.
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestBrowserSMARTStandaloneLaunch drives real headless Chromium through
// a SMART standalone launch performed by the npm fhirclient library in a
// page of another origin: sign in, second factor, consent, then the app
// reads the patient's own Observations and fails to read another
// patient's.
func TestBrowserSMARTStandaloneLaunch(t *testing.T) {
	exe := chromium()
	if exe == "" {
		t.Skip("Chromium not installed (apt-get install chromium; .ci/run installs it)")
	}
	appDir, _ := filepath.Abs("../../interop/smartapp")
	if _, err := os.Stat(filepath.Join(appDir, "node_modules/fhirclient/build/fhir-client.min.js")); err != nil {
		t.Skip("fhirclient not installed (cd interop/smartapp && npm ci; .ci/run does it)")
	}
	s := newStack(t)
	s.seed(t)
	ctx := context.Background()
	app := httptest.NewServer(http.FileServer(http.Dir(appDir)))
	defer app.Close()
	if err := oauth.RegisterClient(ctx, s.st, oauth.Client{ID: "smart-check", Name: "SMART check app", Kind: oauth.KindPublic,
		Scopes: "patient/*.rs", RedirectURIs: []string{app.URL + "/app.html"}}); err != nil {
		t.Fatal(err)
	}
	// A patient who has turned on a second factor.
	// Her identity proven to P9 and her whole record open online, so
	// that the app reads her Observations (service/patient_access.go).
	jane := &identity.User{ID: "jane", Name: "Jane", Role: auth.RolePatient, Patients: []string{"p1"}, FHIRUser: "Patient/p1", IdentityProof: "P9"}
	if err := identity.CreateUser(ctx, s.st, jane, "a long enough password"); err != nil {
		t.Fatal(err)
	}
	if err := onlinetest.Open(ctx, service.New(s.st, service.Options{}), s.st, "p1"); err != nil {
		t.Fatal(err)
	}
	secret := identity.NewTOTPSecret()
	err := s.st.InTx(ctx, func(tx store.Tx) error {
		u, err := identity.GetUser(ctx, tx, "jane")
		if err != nil {
			return err
		}
		u.TOTPSecret, u.TOTPConfirmed = secret, true
		return identity.PutUser(ctx, tx, u)
	})
	if err != nil {
		t.Fatal(err)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.Flag("headless", "new"))
	actx, cancel := chromedp.NewExecAllocator(ctx, opts...)
	defer cancel()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	bctx, cancel = context.WithTimeout(bctx, 60*time.Second)
	defer cancel()

	code, _ := identity.TOTPCode(secret, identity.TOTPStep(time.Now()))
	// Each step waits until the browser is on the page it fills in: the
	// launch redirects several times, and a node found on a page about to
	// be replaced is gone by the time it is typed into.
	at := func(path string) chromedp.Action[chromedp.Void] {
		return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
				// Errors while the page navigates are expected: look again.
				// Only a page loaded completely: at "interactive" a node
				// found could still be replaced (CI failed on "Could not
				// find node with given id", as testbrowser's waitNewPage
				// once did).
				if p, err := chromedp.Evaluate[string](`document.readyState === "complete" ? location.pathname : ""`)(ctx, tg); err == nil && p == path {
					return chromedp.Void{}, nil
				}
			}
			return chromedp.Void{}, fmt.Errorf("the browser never reached %s", path)
		}
	}
	err = chromedp.Do(bctx,
		chromedp.Navigate(app.URL+"/launch.html?iss="+url.QueryEscape(s.srv.URL+"/fhir")),
		at("/auth/login"),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "jane"),
		// The forms work from the keyboard: Enter submits them.
		chromedp.SendKeys(chromedp.ID("password"), "a long enough password"+kb.Enter),
		at("/auth/code"),
		chromedp.WaitVisible(chromedp.ID("code")),
		chromedp.SendKeys(chromedp.ID("code"), code+kb.Enter),
		at("/auth/authorize"),
		chromedp.WaitVisible(chromedp.ID("allow")),
	)
	if err != nil {
		t.Fatalf("browser, up to consent: %v", err)
	}
	consentText, err := chromedp.Run(bctx, chromedp.Text(chromedp.ID("scopes")))
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(bctx, chromedp.Click(chromedp.ID("allow")), chromedp.WaitReady(chromedp.CSS(`body[data-done="1"]`)))
	if err != nil {
		t.Fatalf("browser, after consent: %v", err)
	}
	text := func(id string) string {
		v, err := chromedp.Run(bctx, chromedp.TextContent(chromedp.ID(id)))
		if err != nil {
			t.Fatalf("#%s: %v", id, err)
		}
		return strings.TrimSpace(v)
	}
	patient, own, other, failure := text("patient"), text("own"), text("other"), text("error")
	if failure != "" {
		t.Fatalf("the app failed: %s", failure)
	}
	if !strings.Contains(consentText, "Observation") {
		t.Errorf("the consent page does not list the scopes: %q", consentText)
	}
	if patient != "p1" || own != "1" {
		t.Errorf("the app saw patient %q and %q own observations, want p1 and 1", patient, own)
	}
	if !strings.HasPrefix(other, "refused") || !strings.Contains(other, "404") {
		t.Errorf("reading another patient's observation: %q, want refused 404", other)
	}
}
