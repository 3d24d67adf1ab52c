package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/identity"
)

// browserTarget resolves a Location header the way a browser does
// (WHATWG URL): tab, CR and LF are dropped anywhere, leading and trailing
// C0 controls and spaces are trimmed, and a backslash counts as a slash.
func browserTarget(t *testing.T, base, loc string) *url.URL {
	t.Helper()
	loc = strings.NewReplacer("\t", "", "\r", "", "\n", "", `\`, "/").Replace(loc)
	loc = strings.TrimFunc(loc, func(r rune) bool { return r <= 0x20 })
	b, _ := url.Parse(base)
	u, err := b.Parse(loc)
	if err != nil {
		t.Fatalf("Location %q does not parse: %v", loc, err)
	}
	return u
}

// postRaw posts a form with the browser's cookies but without a client
// that parses Location, so that a hostile header reaches the test.
func postRaw(t *testing.T, b *browser, u string, form url.Values) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range b.c.Jar.Cookies(req.URL) {
		req.AddCookie(c)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// TestSignInRedirectStaysHere: whatever next a sign-in link carries, the
// redirect after a successful sign-in (password alone, or password then
// code) lands on this server.
func TestSignInRedirectStaysHere(t *testing.T) {
	ctx := context.Background()
	for i, next := range []string{"/%09/evil.example", "/%0A/evil.example", "/%0D%0A/evil.example", "//evil.example", "/%5Cevil.example",
		"%5C%5Cevil.example", "https://evil.example/", "/%2F%2Fevil.example", "javascript:alert(1)", "/%7F/evil.example", "%09//evil.example"} {
		// Named by position: a % in a test's name reaches its TempDir,
		// which SQLite's file: URI would decode.
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			// A stack each: sign-ins are throttled per address and a
			// code is accepted once.
			s := newStack(t)
			s.seed(t)
			for _, u := range []*identity.User{{ID: "pat", Role: auth.RolePatient, Patients: []string{"p1"}}, {ID: "dr.a", Role: auth.RoleGP, Practice: "org-a"}} {
				if err := identity.CreateUser(ctx, s.st, u, "a long enough password"); err != nil {
					t.Fatal(err)
				}
			}
			host, _ := url.Parse(s.srv.URL)
			check := func(step string, resp *http.Response) {
				t.Helper()
				loc := location(t, resp, http.StatusSeeOther)
				if got := browserTarget(t, s.srv.URL, loc); got.Host != host.Host || got.Scheme != host.Scheme {
					t.Errorf("next=%s, %s: Location %q takes the browser to %s", next, step, loc, got)
				}
			}
			raw, err := url.QueryUnescape(next)
			if err != nil {
				t.Fatal(err)
			}
			// passwordForm opens the sign-in page in a new browser (its
			// link carrying query) and fills in the user's password.
			passwordForm := func(query, user string) (*browser, url.Values) {
				b := newBrowser(t)
				_, page := b.get(s.srv.URL + "/auth/login" + query)
				form := hidden(t, page)
				form.Set("username", user)
				form.Set("password", "a long enough password")
				return b, form
			}
			// Through the page: the link's next is carried in the form.
			b, form := passwordForm("?next="+next, "pat")
			check("login from the page", postRaw(t, b, s.srv.URL+"/auth/login", form))
			// A forged form post carrying next itself.
			b, form = passwordForm("", "pat")
			form.Set("next", raw)
			check("login with a posted next", postRaw(t, b, s.srv.URL+"/auth/login", form))
			// Staff: the second factor's page, then its form.
			b, form = passwordForm("", "dr.a")
			if resp, _ := b.post(s.srv.URL+"/auth/login", form); !strings.HasPrefix(location(t, resp, http.StatusSeeOther), "/auth/code") {
				t.Fatal("staff not asked for a code")
			}
			u, err := identity.GetUser(ctx, s.st, "dr.a")
			if err != nil {
				t.Fatal(err)
			}
			_, page := b.get(s.srv.URL + "/auth/code?next=" + next)
			form = hidden(t, page)
			if got := form.Get("next"); got != "/" {
				t.Errorf("code page keeps next %q", got)
			}
			form.Set("next", raw)
			code, _ := identity.TOTPCode(u.TOTPSecret, identity.TOTPStep(time.Now()))
			form.Set("code", code)
			check("code with a posted next", postRaw(t, b, s.srv.URL+"/auth/code", form))
		})
	}
}
