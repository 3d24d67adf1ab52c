package web

import (
	"net/http"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
)

// Forms shown to someone who is not signed in, outside this package's
// own pages (the portal's registration with a letter's linkage key):
// the same double-submit CSRF token and per-address throttle that
// sign-in uses.

// PublicCSRF returns the double-submit token of a form shown before
// sign-in, setting its cookie when the browser has none.
func PublicCSRF(w http.ResponseWriter, r *http.Request) string { return csrfToken(w, r, r.TLS != nil) }

// csrfToken is the double-submit token, its cookie set when the browser
// has none (secure: only over TLS).
func csrfToken(w http.ResponseWriter, r *http.Request, secure bool) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	tok := auth.NewSecret()
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: tok, Path: "/", MaxAge: 3600, HttpOnly: true,
		Secure: secure, SameSite: http.SameSiteLaxMode})
	return tok
}

// PublicCSRFOK checks a form posted before sign-in.
func PublicCSRFOK(r *http.Request) bool { return checkCSRF(r, nil) }

// Limiter throttles a form per client address: a burst, refilled
// steadily.
type Limiter struct{ l *limiter }

// NewLimiter allows burst attempts per address, refilled over per.
func NewLimiter(burst int, per time.Duration) *Limiter { return &Limiter{newLimiter(burst, per)} }

// Allow takes one attempt for the request's address; false when none is
// left.
func (l *Limiter) Allow(r *http.Request, now time.Time) bool { return l.l.allow(clientAddr(r), now) }

// ClientAddr is the request's client address, for the audit trail.
func ClientAddr(r *http.Request) string { return clientAddr(r) }
