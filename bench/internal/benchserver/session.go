package benchserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/identity"
)

// SignIn creates a member of staff of a practice and signs in as them
// through the sign-in pages (password, then the second factor), as a
// browser would; the client keeps the session's cookie.
func SignIn(bin string, srv *Server, username, role, practice string) (*http.Client, error) {
	args := []string{"admin", "user", "add", "--username", username, "--role", role, "--practice", practice, "--password-stdin"}
	args = append(args, srv.StoreArgs...)
	cmd := exec.Command(bin, args...)
	cmd.Stdin = strings.NewReader("a long enough password\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("admin user add: %w: %s", err, out)
	}
	m := regexp.MustCompile(`setup key: ([A-Z2-7]+)`).FindSubmatch(out)
	if m == nil {
		return nil, fmt.Errorf("admin user add printed no second-factor key: %s", out)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: time.Minute}
	csrf, err := PageCSRF(c, srv.Base+"/auth/login")
	if err != nil {
		return nil, err
	}
	if err := PostForm(c, srv.Base+"/auth/login", url.Values{"csrf": {csrf}, "username": {username}, "password": {"a long enough password"}}); err != nil {
		return nil, err
	}
	if csrf, err = PageCSRF(c, srv.Base+"/auth/code"); err != nil {
		return nil, err
	}
	code, err := identity.TOTPCode(string(m[1]), identity.TOTPStep(time.Now()))
	if err != nil {
		return nil, err
	}
	if err := PostForm(c, srv.Base+"/auth/code", url.Values{"csrf": {csrf}, "code": {code}}); err != nil {
		return nil, err
	}
	return c, nil
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// PageCSRF reads a page and the CSRF token of its forms.
func PageCSRF(c *http.Client, u string) (string, error) {
	resp, err := c.Get(u)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := csrfField.FindSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		return "", fmt.Errorf("GET %s: %d, no CSRF token", u, resp.StatusCode)
	}
	return string(m[1]), nil
}

// PostForm posts a form as htmx does (a fragment is wanted).
func PostForm(c *http.Client, u string, form url.Values) error {
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	return Do(c, req)
}

// Get reads a page.
func Get(c *http.Client, u string) error {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return Do(c, req)
}

// Put writes a FHIR resource.
func Put(c *http.Client, u, body string) error {
	req, _ := http.NewRequest(http.MethodPut, u, bytes.NewReader([]byte(body)))
	req.Header.Set("Content-Type", "application/fhir+json")
	return Do(c, req)
}

// Do sends a request and fails on a 4xx or 5xx answer.
func Do(c *http.Client, req *http.Request) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 400 {
		return fmt.Errorf("%s %s: %d %.300s", req.Method, req.URL.Path, resp.StatusCode, body)
	}
	return nil
}

// Report prints the p50 and p95 of latencies.
func Report(storeName, what string, lat []time.Duration) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1000 }
	fmt.Printf("%-8s %-66s p50 %7.1f ms  p95 %7.1f ms  (%d runs)\n", storeName, what, p(0.5), p(0.95), len(lat))
}

// SearchIDs runs a search (u, a full URL, ideally with _elements=id) and
// returns its entries' ids, in order.
func SearchIDs(c *http.Client, u string) ([]string, error) {
	resp, err := c.Get(u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("GET %s: %d %.300s", u, resp.StatusCode, body)
	}
	var b struct {
		Entry []struct {
			Resource struct {
				ID string `json:"id"`
			} `json:"resource"`
		} `json:"entry"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	ids := make([]string, len(b.Entry))
	for i, e := range b.Entry {
		ids[i] = e.Resource.ID
	}
	return ids, nil
}
