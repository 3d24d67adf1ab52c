package web

import (
	"net/http"
	"net/url"
	"regexp"
)

// cspHost is a host[:port] safe to put in a CSP source list.
var cspHost = regexp.MustCompile(`^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$`)

// SecurityHeaders sets the headers every gpcloud response carries: no
// framing (clickjacking), no referrer (URLs can carry codes and ids), no
// MIME sniffing, a strict Content-Security-Policy for pages, and HSTS
// when served over TLS.
func SecurityHeaders(tls bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", csp(""))
		if tls {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// csp is the page policy; formTarget adds an origin forms may lead to
// (the consent form's answer redirects to the app).
func csp(formTarget string) string {
	form := "'self'"
	if formTarget != "" {
		form += " " + formTarget
	}
	return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"font-src 'self' https://assets.nhs.uk; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
		"frame-ancestors 'none'; form-action " + form
}

// originOf returns scheme://host of a URL, for CSP source lists.
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || !cspHost.MatchString(u.Host) {
		return "" // nothing that could end or extend the policy's source list
	}
	return u.Scheme + "://" + u.Host
}
