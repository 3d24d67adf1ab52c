package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/audit"
	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/auth/tokens"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/httpapi"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/oauth"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/sqlite"
	"github.com/gpcloud/gpcloud/internal/web"
)

// stack is a whole gpcloud (FHIR API, OAuth, pages) on a test server.
type stack struct {
	srv   *httptest.Server
	st    store.Store
	svc   *service.Service
	trail *audit.Trail
	// pages options, to rebuild the web server with more (External).
	opts    web.Options
	api     http.Handler
	handler http.Handler // the routes, behind the security middleware
}

// routes mounts the FHIR API and the pages.
func (s *stack) routes(pages *web.Server) {
	root := http.NewServeMux()
	root.Handle("/", s.api)
	for _, p := range pages.Routes() {
		root.Handle(p, pages)
	}
	s.handler = root
}

// mountExternal rebuilds the pages with an external provider.
func (s *stack) mountExternal(t *testing.T, e *identity.External) {
	o := s.opts
	o.External = e
	s.routes(web.New(o))
}

func newStack(t testing.TB) *stack {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { st.Close() })
	authority, err := tokens.ForStore(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	trail := audit.NewTrail(st, nil)
	t.Cleanup(trail.Close)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := service.New(st, service.Options{BaseURL: srv.URL + "/fhir"})
	api := httpapi.New(svc, httpapi.Options{Tokens: authority, Audit: trail, Logger: quiet})
	o := oauth.NewServer(st, authority, srv.URL+"/auth/token", srv.URL+"/fhir")
	authority.Revoked = o.RevocationCache(0) // tests see revocations at once
	pages := web.New(web.Options{Store: st, Service: svc, OAuth: o, Audit: trail, Origin: srv.URL, Logger: quiet})
	s := &stack{srv: srv, st: st, svc: svc, trail: trail, api: api,
		opts: web.Options{Store: st, Service: svc, OAuth: o, Audit: trail, Origin: srv.URL, Logger: quiet}}
	s.routes(pages)
	mux.Handle("/", web.SecurityHeaders(false, web.CORS(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }))))
	return s
}

// seed creates a practice with two patients, one Observation each.
func (s *stack) seed(t testing.TB) {
	ctx := context.Background()
	put := func(res fhir.Resource) {
		if _, err := s.svc.Update(ctx, res.Type(), res.ID(), res, service.Precondition{}); err != nil {
			t.Fatal(err)
		}
	}
	put(fhir.Resource{"resourceType": "Organization", "id": "org-a", "name": "Practice A"})
	for _, p := range []string{"p1", "p2"} {
		put(fhir.Resource{"resourceType": "Patient", "id": p, "managingOrganization": map[string]any{"reference": "Organization/org-a"}})
		put(fhir.Resource{"resourceType": "Observation", "id": "obs-" + p, "status": "final", "code": map[string]any{"text": "BP"},
			"subject": map[string]any{"reference": "Patient/" + p}})
	}
}

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	t *testing.T
	c *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) get(u string) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.Get(u)
	if err != nil {
		b.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

func (b *browser) post(u string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.PostForm(u, form)
	if err != nil {
		b.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

var hiddenInput = regexp.MustCompile(`name="(csrf|request|next|token)" value="([^"]*)"`)

func hidden(t *testing.T, page string) url.Values {
	v := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(page, -1) {
		v.Set(m[1], htmlUnescape(m[2]))
	}
	if v.Get("csrf") == "" {
		t.Fatalf("no CSRF token on the page:\n%s", page)
	}
	return v
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#39;", "'", "&#34;", `"`, "&lt;", "<", "&gt;", ">").Replace(s)
}

func location(t *testing.T, resp *http.Response, want int) string {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("status %d, want %d", resp.StatusCode, want)
	}
	return resp.Header.Get("Location")
}

func pkce() (string, string) {
	v := "verifier-" + strings.Repeat("x", 40)
	sum := sha256.Sum256([]byte(v))
	return v, base64.RawURLEncoding.EncodeToString(sum[:])
}

// TestStandaloneLaunchAsStaff: a GP signs in with password and TOTP,
// consents, picks a patient, and the app reads that patient's record
// and nothing else.
func TestStandaloneLaunchAsStaff(t *testing.T) {
	s := newStack(t)
	s.seed(t)
	ctx := context.Background()
	gp := &identity.User{ID: "dr.a", Name: "Dr A", Role: auth.RoleGP, Practice: "org-a", FHIRUser: "Practitioner/dr-a"}
	if err := identity.CreateUser(ctx, s.st, gp, "a long enough password"); err != nil {
		t.Fatal(err)
	}
	if err := oauth.RegisterClient(ctx, s.st, oauth.Client{ID: "app", Name: "Test App", Kind: oauth.KindPublic,
		Scopes: "patient/*.rs user/*.rs", RedirectURIs: []string{"https://app.example/cb"}}); err != nil {
		t.Fatal(err)
	}
	if err := oauth.AllowApp(ctx, s.st, "org-a", "app"); err != nil { // the practice allows it
		t.Fatal(err)
	}
	verifier, challenge := pkce()
	authz := s.srv.URL + "/auth/authorize?" + url.Values{"response_type": {"code"}, "client_id": {"app"},
		"redirect_uri": {"https://app.example/cb"}, "scope": {"launch/patient openid fhirUser patient/Observation.rs patient/Patient.rs"},
		"state": {"s1"}, "aud": {s.srv.URL + "/fhir"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}.Encode()
	b := newBrowser(t)

	resp, _ := b.get(authz)
	loginURL := location(t, resp, http.StatusSeeOther)
	if !strings.HasPrefix(loginURL, "/auth/login?next=") {
		t.Fatalf("not sent to sign in: %s", loginURL)
	}
	resp, page := b.get(s.srv.URL + loginURL)
	if resp.Header.Get("Content-Security-Policy") == "" || resp.Header.Get("X-Frame-Options") != "DENY" || resp.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("security headers missing: %v", resp.Header)
	}
	form := hidden(t, page)

	// Without the CSRF token the form is refused.
	resp, _ = b.post(s.srv.URL+"/auth/login", url.Values{"username": {"dr.a"}, "password": {"a long enough password"}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("login without CSRF: %d", resp.StatusCode)
	}
	form.Set("username", "dr.a")
	form.Set("password", "wrong password entirely")
	if resp, page = b.post(s.srv.URL+"/auth/login", form); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(page, "nhsuk-error-summary") {
		t.Fatalf("wrong password: %d", resp.StatusCode)
	}
	form.Set("password", "a long enough password")
	resp, _ = b.post(s.srv.URL+"/auth/login", form)
	codeURL := location(t, resp, http.StatusSeeOther)
	if !strings.HasPrefix(codeURL, "/auth/code") {
		t.Fatalf("staff not asked for a second factor: %s", codeURL)
	}
	// Until the second factor, authorize still sends to sign in.
	if resp, _ = b.get(authz); !strings.HasPrefix(location(t, resp, http.StatusSeeOther), "/auth/login") {
		t.Fatal("authorize accepted a session without the second factor")
	}
	_, page = b.get(s.srv.URL + codeURL)
	secret := regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`).FindStringSubmatch(page)
	if secret == nil {
		t.Fatalf("no enrolment secret on the first code page:\n%s", page)
	}
	code, _ := identity.TOTPCode(secret[1], identity.TOTPStep(time.Now()))
	form = hidden(t, page)
	form.Set("code", code)
	resp, _ = b.post(s.srv.URL+"/auth/code", form)
	next := location(t, resp, http.StatusSeeOther)

	resp, page = b.get(s.srv.URL + next)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Allow Test App") {
		t.Fatalf("consent page: %d\n%s", resp.StatusCode, page)
	}
	if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "form-action 'self' https://app.example") {
		t.Errorf("consent CSP: %s", resp.Header.Get("Content-Security-Policy"))
	}
	form = hidden(t, page)
	form.Set("decision", "allow")
	form.Set("patient", "p-unknown")
	if resp, _ = b.post(s.srv.URL+"/auth/authorize", form); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("unknown patient accepted: %d", resp.StatusCode)
	}
	form.Set("patient", "p1")
	resp, _ = b.post(s.srv.URL+"/auth/authorize", form)
	cb, _ := url.Parse(location(t, resp, http.StatusSeeOther))
	if cb.Host != "app.example" || cb.Query().Get("state") != "s1" || cb.Query().Get("code") == "" {
		t.Fatalf("redirect to the app: %s", cb)
	}

	// The app swaps the code for a token (as a public client, with PKCE).
	status, tok := redeem(t, s, "app", cb, verifier)
	if status != 200 || tok["patient"] != "p1" || tok["access_token"] == nil {
		t.Fatalf("token response %d %v", status, tok)
	}
	read := func(path string) int {
		req, _ := http.NewRequest("GET", s.srv.URL+"/fhir/"+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok["access_token"].(string))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := read("Observation/obs-p1"); got != 200 {
		t.Errorf("the patient in context's Observation: %d", got)
	}
	if got := read("Observation/obs-p2"); got != 404 {
		t.Errorf("another patient's Observation (same practice, not in context): %d", got)
	}
	if got := read("Condition?patient=p1"); got != 403 {
		t.Errorf("a type the app was not granted: %d", got)
	}
	// Once revoked, the access token is refused by the FHIR API too.
	if resp, err := http.PostForm(s.srv.URL+"/auth/revoke", url.Values{"token": {tok["access_token"].(string)}}); err != nil || resp.StatusCode != 200 {
		t.Fatalf("revoke: %v %v", err, resp)
	}
	if got := read("Observation/obs-p1"); got != 401 {
		t.Errorf("a revoked token: %d", got)
	}
}

func TestLoginPageBasics(t *testing.T) {
	s := newStack(t)
	b := newBrowser(t)
	resp, page := b.get(s.srv.URL + "/auth/login?next=//evil.example/x")
	if resp.StatusCode != 200 || strings.Contains(page, "evil.example") {
		t.Fatalf("open redirect kept: %s", page)
	}
	for _, want := range []string{`<label class="nhsuk-label" for="username">`, `autocomplete="current-password"`, `/assets/nhsuk-frontend.min.css`, `lang="en"`} {
		if !strings.Contains(page, want) {
			t.Errorf("login page lacks %s", want)
		}
	}
	for _, asset := range []string{"/assets/nhsuk-frontend.min.css", "/assets/nhsuk-frontend.min.js", "/assets/gpcloud.js", "/assets/images/favicon.svg"} {
		if resp, _ := b.get(s.srv.URL + asset); resp.StatusCode != 200 {
			t.Errorf("%s: %d", asset, resp.StatusCode)
		}
	}
	resp, body := b.get(s.srv.URL + "/.well-known/smart-configuration")
	var cfg map[string]any
	if err := json.Unmarshal([]byte(body), &cfg); err != nil || resp.StatusCode != 200 || cfg["token_endpoint"] != s.srv.URL+"/auth/token" {
		t.Fatalf("smart-configuration: %d %s", resp.StatusCode, body)
	}
	// Ten quick failures from one address, then throttled.
	_, page = b.get(s.srv.URL + "/auth/login")
	form := hidden(t, page)
	form.Set("username", "nobody")
	form.Set("password", "whatever password")
	var last int
	for i := 0; i < 12; i++ {
		resp, _ = b.post(s.srv.URL+"/auth/login", form)
		last = resp.StatusCode
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("no throttling: last status %d", last)
	}
}

func TestFirstRunSetup(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	tok, err := identity.NewSetupToken(ctx, s.st)
	if err != nil || tok == "" {
		t.Fatalf("setup token: %q %v", tok, err)
	}
	b := newBrowser(t)
	if resp, _ := b.get(s.srv.URL + "/setup?token=wrong"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("a wrong set-up token: %d", resp.StatusCode)
	}
	_, page := b.get(s.srv.URL + "/setup?token=" + tok)
	form := hidden(t, page)
	form.Set("practice", "Riverside Surgery")
	form.Set("ods", "x1")
	form.Set("name", "Ann Admin")
	form.Set("username", "ann")
	form.Set("password", "short")
	resp, page := b.post(s.srv.URL+"/setup", form)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `href="#ods"`) || !strings.Contains(page, `href="#password"`) {
		t.Fatalf("invalid set-up: %d\n%s", resp.StatusCode, page)
	}
	form.Set("ods", "A81001")
	form.Set("password", "a long enough password")
	resp, page = b.post(s.srv.URL+"/setup", form)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Practice created") || !strings.Contains(page, "A81001") ||
		!strings.Contains(page, `href="/auth/login"`) {
		t.Fatalf("no confirmation after set-up: %d\n%s", resp.StatusCode, page)
	}
	admin, err := identity.GetUser(ctx, s.st, "ann")
	if err != nil || admin.Role != auth.RolePracticeAdmin || admin.Practice == "" {
		t.Fatalf("admin: %+v %v", admin, err)
	}
	org, err := s.svc.Read(ctx, "Organization", admin.Practice)
	if err != nil || !strings.Contains(string(org.Version.Body), "A81001") {
		t.Fatalf("practice: %v", err)
	}
	// The link works once.
	if resp, _ := b.post(s.srv.URL+"/setup", form); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("set-up link reused: %d", resp.StatusCode)
	}
	if tok, _ := identity.NewSetupToken(ctx, s.st); tok != "" {
		t.Fatal("a new set-up link was made although an account exists")
	}
}

// signIn signs a staff user in through the pages (password, then the
// TOTP code from their secret).
func signIn(t *testing.T, s *stack, b *browser, username, password string) {
	t.Helper()
	_, page := b.get(s.srv.URL + "/auth/login")
	form := hidden(t, page)
	form.Set("username", username)
	form.Set("password", password)
	resp, _ := b.post(s.srv.URL+"/auth/login", form)
	codeURL := location(t, resp, http.StatusSeeOther)
	u, err := identity.GetUser(context.Background(), s.st, username)
	if err != nil {
		t.Fatal(err)
	}
	_, page = b.get(s.srv.URL + codeURL)
	form = hidden(t, page)
	code, _ := identity.TOTPCode(u.TOTPSecret, identity.TOTPStep(time.Now()))
	form.Set("code", code)
	resp, _ = b.post(s.srv.URL+"/auth/code", form)
	location(t, resp, http.StatusSeeOther)
}

// TestEHRLaunch: a GP opens an app from a patient's record; the app's
// token carries that patient, and launches cannot be forged or reused
// by another user.
func TestEHRLaunch(t *testing.T) {
	s := newStack(t)
	s.seed(t)
	ctx := context.Background()
	if err := identity.CreateUser(ctx, s.st, &identity.User{ID: "dr.a", Role: auth.RoleGP, Practice: "org-a"}, "a long enough password"); err != nil {
		t.Fatal(err)
	}
	if err := oauth.RegisterClient(ctx, s.st, oauth.Client{ID: "ehr-app", Name: "EHR App", Kind: oauth.KindPublic, Scopes: "patient/*.rs",
		RedirectURIs: []string{"https://app.example/cb"}, LaunchURL: "https://app.example/launch"}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	signIn(t, s, b, "dr.a", "a long enough password")
	// Until the practice allows the app, it is neither listed nor opened.
	if _, page := b.get(s.srv.URL + "/auth/launch?patient=p2"); strings.Contains(page, "launch-ehr-app") {
		t.Fatal("an app the practice has not allowed is offered")
	}
	if _, page := b.get(s.srv.URL + "/auth/launch?patient=p2"); true {
		form := hidden(t, page)
		form.Set("patient", "p2")
		form.Set("client_id", "ehr-app")
		if resp, _ := b.post(s.srv.URL+"/auth/launch", form); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("launching an app the practice has not allowed: %d", resp.StatusCode)
		}
	}
	if err := oauth.AllowApp(ctx, s.st, "org-a", "ehr-app"); err != nil {
		t.Fatal(err)
	}
	if resp, _ := b.get(s.srv.URL + "/auth/launch?patient=nobody"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("apps page for an unknown patient: %d", resp.StatusCode)
	}
	_, page := b.get(s.srv.URL + "/auth/launch?patient=p2")
	form := hidden(t, page)
	form.Set("patient", "p2")
	form.Set("client_id", "ehr-app")
	resp, _ := b.post(s.srv.URL+"/auth/launch", form)
	to, _ := url.Parse(location(t, resp, http.StatusSeeOther))
	if to.Host != "app.example" || to.Query().Get("iss") != s.srv.URL+"/fhir" || to.Query().Get("launch") == "" {
		t.Fatalf("launch redirect: %s", to)
	}
	verifier, challenge := pkce()
	authz := func(launch string) string {
		return s.srv.URL + "/auth/authorize?" + url.Values{"response_type": {"code"}, "client_id": {"ehr-app"},
			"redirect_uri": {"https://app.example/cb"}, "scope": {"launch openid fhirUser patient/Observation.rs"}, "state": {"s"},
			"aud": {s.srv.URL + "/fhir"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}, "launch": {launch}}.Encode()
	}
	// A forged launch id is refused at consent.
	_, page = b.get(authz("forged"))
	form = hidden(t, page)
	form.Set("decision", "allow")
	if resp, _ = b.post(s.srv.URL+"/auth/authorize", form); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("forged launch: %d", resp.StatusCode)
	}
	_, page = b.get(authz(to.Query().Get("launch")))
	form = hidden(t, page)
	form.Set("decision", "allow")
	resp, _ = b.post(s.srv.URL+"/auth/authorize", form)
	cb, _ := url.Parse(location(t, resp, http.StatusSeeOther))
	status, tok := redeem(t, s, "ehr-app", cb, verifier)
	if status != 200 || tok["patient"] != "p2" {
		t.Fatalf("EHR launch token: %d %v", status, tok)
	}
}

// TestProxyChoosesWhoseRecord: a proxy acting for two patients picks one
// on the consent page; a patient they do not act for is refused.
func TestProxyChoosesWhoseRecord(t *testing.T) {
	s := newStack(t)
	s.seed(t)
	ctx := context.Background()
	if err := identity.CreateUser(ctx, s.st, &identity.User{ID: "carer", Role: auth.RoleProxy, Patients: []string{"p1", "p2"}}, "a long enough password"); err != nil {
		t.Fatal(err)
	}
	if err := oauth.RegisterClient(ctx, s.st, oauth.Client{ID: "app", Kind: oauth.KindPublic, Scopes: "patient/*.rs", RedirectURIs: []string{"https://app.example/cb"}}); err != nil {
		t.Fatal(err)
	}
	verifier, challenge := pkce()
	authz := s.srv.URL + "/auth/authorize?" + url.Values{"response_type": {"code"}, "client_id": {"app"},
		"redirect_uri": {"https://app.example/cb"}, "scope": {"launch/patient patient/Observation.rs"}, "aud": {s.srv.URL + "/fhir"},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}}.Encode()
	b := newBrowser(t)
	_, page := b.get(s.srv.URL + "/auth/login")
	form := hidden(t, page)
	form.Set("username", "carer")
	form.Set("password", "a long enough password")
	resp, _ := b.post(s.srv.URL+"/auth/login", form)
	location(t, resp, http.StatusSeeOther) // no second factor for a proxy who has not set one up
	_, page = b.get(authz)
	if !strings.Contains(page, `value="p1"`) || !strings.Contains(page, `value="p2"`) {
		t.Fatalf("no choice of patient:\n%s", page)
	}
	form = hidden(t, page)
	form.Set("decision", "allow")
	form.Set("patient", "pb-not-mine")
	if resp, _ = b.post(s.srv.URL+"/auth/authorize", form); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a patient the proxy does not act for: %d", resp.StatusCode)
	}
	form.Set("patient", "p2")
	resp, _ = b.post(s.srv.URL+"/auth/authorize", form)
	cb, _ := url.Parse(location(t, resp, http.StatusSeeOther))
	status, tok := redeem(t, s, "app", cb, verifier)
	if status != 200 || tok["patient"] != "p2" {
		t.Fatalf("token: %v", tok)
	}
}

// TestOAuthEndpointAnswers: the token, introspection and consent
// endpoints answer errors the way RFC 6749, 7662 and SMART say.
func TestOAuthEndpointAnswers(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	post := func(path string, form url.Values, bearer string) (int, map[string]any) {
		req, _ := http.NewRequest("POST", s.srv.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", path, resp.Header.Get("Cache-Control"))
		}
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	for _, tt := range []struct {
		form   url.Values
		status int
		code   string
	}{
		{url.Values{}, 400, "invalid_request"},
		{url.Values{"grant_type": {"password"}}, 400, "unsupported_grant_type"},
		{url.Values{"grant_type": {"client_credentials"}, "scope": {"system/*.rs"}}, 401, "invalid_client"},
		{url.Values{"grant_type": {"authorization_code"}, "code": {"nope"}, "client_id": {"app"}}, 400, "invalid_grant"},
		{url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"nope"}}, 400, "invalid_grant"},
	} {
		if status, out := post("/auth/token", tt.form, ""); status != tt.status || out["error"] != tt.code {
			t.Errorf("token %v: %d %v, want %d %s", tt.form, status, out, tt.status, tt.code)
		}
	}
	// Introspection is for system clients.
	sys, _, err := s.opts.OAuth.Tokens.Issue(ctx, &auth.Principal{Subject: "rs", ClientID: "rs", Role: auth.RoleSystem, Scopes: auth.ScopesOf(auth.RoleSystem)}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	user, _, _ := s.opts.OAuth.Tokens.Issue(ctx, &auth.Principal{Subject: "u", Role: auth.RolePatient, Patients: []string{"p1"}, Scopes: auth.ScopesOf(auth.RolePatient)}, time.Minute)
	if status, _ := post("/auth/introspect", url.Values{"token": {user}}, ""); status != 401 {
		t.Errorf("introspect without a token: %d", status)
	}
	if status, _ := post("/auth/introspect", url.Values{"token": {sys}}, user); status != 401 {
		t.Errorf("introspect with a patient's token: %d", status)
	}
	if status, out := post("/auth/introspect", url.Values{"token": {user}}, sys); status != 200 || out["active"] != true || out["patient"] != "p1" {
		t.Errorf("introspect: %d %v", status, out)
	}
	if status, out := post("/auth/introspect", url.Values{"token": {"garbage"}}, sys); status != 200 || out["active"] != false {
		t.Errorf("introspect garbage: %d %v", status, out)
	}

	// A user who refuses is sent back with access_denied and the state.
	if err := identity.CreateUser(ctx, s.st, &identity.User{ID: "pat", Role: auth.RolePatient, Patients: []string{"p1"}}, "a long enough password"); err != nil {
		t.Fatal(err)
	}
	if err := oauth.RegisterClient(ctx, s.st, oauth.Client{ID: "app", Kind: oauth.KindPublic, Scopes: "patient/*.rs", RedirectURIs: []string{"https://app.example/cb"}}); err != nil {
		t.Fatal(err)
	}
	_, challenge := pkce()
	b := newBrowser(t)
	_, page := b.get(s.srv.URL + "/auth/login")
	form := hidden(t, page)
	form.Set("username", "pat")
	form.Set("password", "a long enough password")
	resp, _ := b.post(s.srv.URL+"/auth/login", form)
	location(t, resp, http.StatusSeeOther)
	_, page = b.get(s.srv.URL + "/auth/authorize?" + url.Values{"response_type": {"code"}, "client_id": {"app"}, "state": {"st8"},
		"redirect_uri": {"https://app.example/cb"}, "scope": {"patient/*.rs"}, "aud": {s.srv.URL + "/fhir"},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}}.Encode())
	form = hidden(t, page)
	form.Set("decision", "deny")
	resp, _ = b.post(s.srv.URL+"/auth/authorize", form)
	cb, _ := url.Parse(location(t, resp, http.StatusSeeOther))
	if cb.Query().Get("error") != "access_denied" || cb.Query().Get("state") != "st8" || cb.Query().Get("code") != "" {
		t.Fatalf("deny: %s", cb)
	}
	// An authorize request with a bad redirect URI is shown, not redirected.
	resp, _ = b.get(s.srv.URL + "/auth/authorize?" + url.Values{"response_type": {"code"}, "client_id": {"app"},
		"redirect_uri": {"https://evil.example/cb"}, "scope": {"patient/*.rs"}}.Encode())
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
		t.Fatalf("bad redirect URI: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// redeem swaps the code in an authorization response (the app's
// callback URL) for tokens, as a public client with its PKCE verifier.
func redeem(t *testing.T, s *stack, clientID string, callback *url.URL, verifier string) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(s.srv.URL+"/auth/token", url.Values{"grant_type": {"authorization_code"}, "code": {callback.Query().Get("code")},
		"redirect_uri": {"https://app.example/cb"}, "client_id": {clientID}, "code_verifier": {verifier}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	return resp.StatusCode, tok
}
