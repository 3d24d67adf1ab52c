package testbrowser

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/gpcloud/gpcloud/internal/audit"
	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/auth/tokens"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/httpapi"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/oauth"
	"github.com/gpcloud/gpcloud/internal/portal"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/sqlite"
	"github.com/gpcloud/gpcloud/internal/video"
	"github.com/gpcloud/gpcloud/internal/web"
	"github.com/gpcloud/gpcloud/internal/workspace"
)

// Stack is the whole server over real HTTP, wired as gpcloud serve wires
// it: the FHIR API, the sign-in pages, the workspace and the patient
// portal, on SQLite.
type Stack struct {
	URL     string
	Store   store.Store
	Service *service.Service
	Trail   *audit.Trail
	// Video is the video calls' hub.
	Video *video.Hub
}

// StackOptions change what NewStackWith starts.
type StackOptions struct {
	// Store, when set, is used instead of a fresh SQLite store (two
	// stacks on one PostgreSQL database are two replicas).
	Store store.Store
	// TURN is the video calls' STUN/TURN configuration.
	TURN video.TURN
	// Sends says which message channels ("email", "sms") the workspace
	// may queue messages for (nil: none).
	Sends func(channel string) bool
}

// NewStack starts one for a test.
func NewStack(t testing.TB) *Stack { return NewStackWith(t, StackOptions{}) }

// NewStackWith starts one with options.
func NewStackWith(t testing.TB, o StackOptions) *Stack {
	t.Helper()
	st := o.Store
	if st == nil {
		var err error
		if st, err = sqlite.Open(context.Background(), t.TempDir()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
	}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	authority, err := tokens.ForStore(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	trail := audit.NewTrail(st, nil)
	hub := video.NewHub(video.Options{Store: st, TURN: o.TURN, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	// The hub first: it waits for the calls' handlers, whose last
	// writes need the audit trail and the store.
	t.Cleanup(func() { hub.Close(); srv.Close(); trail.Close() })
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := service.New(st, service.Options{BaseURL: srv.URL + "/fhir", Booking: clinical.BookingRules{}})
	api := httpapi.New(svc, httpapi.Options{Tokens: authority, Audit: trail, Logger: quiet})
	osrv := oauth.NewServer(st, authority, srv.URL+"/auth/token", srv.URL+"/fhir")
	pages := web.New(web.Options{Store: st, Service: svc, OAuth: osrv, Audit: trail, Origin: srv.URL, Logger: quiet})
	root := http.NewServeMux()
	root.Handle("/", api)
	for _, p := range pages.Routes() {
		root.Handle(p, pages)
	}
	ws := workspace.New(workspace.Options{Store: st, Service: svc, Audit: trail, Logger: quiet, Video: hub, Sends: o.Sends})
	for _, p := range workspace.Routes() {
		root.Handle(p, ws)
	}
	pt := portal.New(portal.Options{Store: st, Service: svc, Audit: trail, Logger: quiet, Video: hub})
	for _, p := range portal.Routes() {
		root.Handle(p, pt)
	}
	mux.Handle("/", web.SecurityHeaders(false, web.CORS(root)))
	return &Stack{URL: srv.URL, Store: st, Service: svc, Trail: trail, Video: hub}
}

// Account is a user the test signs in as.
type Account struct {
	Username, Password, TOTPSecret string
}

// User creates an account with a confirmed second factor.
func (s *Stack) User(t testing.TB, u *identity.User) Account {
	t.Helper()
	ctx := context.Background()
	const password = "a long enough password"
	if err := identity.CreateUser(ctx, s.Store, u, password); err != nil {
		t.Fatal(err)
	}
	a := Account{Username: u.ID, Password: password}
	if u.Role.IsStaff() {
		err := s.Store.InTx(ctx, func(tx store.Tx) error {
			got, err := identity.GetUser(ctx, tx, u.ID)
			if err != nil {
				return err
			}
			got.TOTPConfirmed = true
			a.TOTPSecret = got.TOTPSecret
			return identity.PutUser(ctx, tx, got)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return a
}

// Staff is a practice staff account of a role.
func (s *Stack) Staff(t testing.TB, name string, role auth.Role, practice, fhirUser string) Account {
	return s.User(t, &identity.User{ID: name, Name: name, Role: role, Practice: practice, FHIRUser: fhirUser})
}

// usedTOTPSteps: a TOTP secret → the last time step a sign-in used. The
// server refuses a code at or before the last step used (no replay), so a
// second sign-in within the same 30 s uses the next step (accepted within
// the server's skew of one step) or waits for time to reach it.
var usedTOTPSteps sync.Map

func unusedTOTPStep(secret string) int64 {
	step := identity.TOTPStep(time.Now())
	if last, ok := usedTOTPSteps.Load(secret); ok && step <= last.(int64) {
		step = last.(int64) + 1
	}
	for step > identity.TOTPStep(time.Now())+1 {
		time.Sleep(time.Second)
	}
	usedTOTPSteps.Store(secret, step)
	return step
}

// SignIn signs in through the sign-in pages, from the keyboard, and
// waits for the page signing in leads to.
func (b *Browser) SignIn(base string, a Account) {
	b.t.Helper()
	b.Do(chromedp.Navigate(base+"/auth/login"),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), a.Username),
		chromedp.SendKeys(chromedp.ID("password"), a.Password+kb.Enter))
	if a.TOTPSecret != "" {
		code, err := identity.TOTPCode(a.TOTPSecret, unusedTOTPStep(a.TOTPSecret))
		if err != nil {
			b.t.Fatal(err)
		}
		b.Do(chromedp.WaitVisible(chromedp.ID("code")), chromedp.SendKeys(chromedp.ID("code"), code+kb.Enter))
	}
	b.WaitSignedIn(a.Username)
}

// WaitSignedIn waits until the browser has left the sign-in pages and the
// page it landed on has loaded completely. Waiting for the path alone let
// a test click on the landing page while it was still loading: the node
// found was then replaced ("Could not find node with given id", CI,
// TestBrowserPracticeAdmin). 15 s, then it fails naming the page.
func (b *Browser) WaitSignedIn(who string) {
	b.t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; {
		s, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`location.pathname.startsWith("/auth/") ? "signing in" : document.readyState`))
		if err == nil && s == "complete" {
			break
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("still at %s after signing in as %s (%s %v): %s", b.Eval(`location.pathname`), who, s, err, b.Text("main"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Do(chromedp.WaitReady(chromedp.CSS("main")))
}
