package web

import (
	"net/http"
	"net/url"

	"github.com/gpcloud/gpcloud/internal/audit"
	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/store"
)

// PageVisit is one signed-in page request: who, and whether a form
// carried the session's CSRF token.
type PageVisit struct {
	Session   *identity.Session
	User      *identity.User
	Principal *auth.Principal
	// CSRFOK is false for a POST whose form token is not the session's;
	// the page refuses it with its own words.
	CSRFOK bool
	// TooLarge: the POST's body is over MaxPageBody (CSRFOK is false
	// too: the form was not read).
	TooLarge bool
}

// MaxPageBody bounds what a page's form may send (a scanned letter, an
// attachment, with room for the form around it); larger bodies are not
// read.
const MaxPageBody = 8 << 20

// SignedInPage runs a page as the signed-in person, the same way for the
// workspace and the portal: a signed-out browser is sent to sign in and
// back; the person's principal (after adjust, which may break the glass)
// and the request's audit description go into the context, so every
// service call runs as them and their writes stage their AuditEvents; the
// request is recorded in the audit trail with the status answered, as the
// FHIR API's requests are. trail may be nil (no audit), adjust too.
func SignedInPage(st store.Store, trail *audit.Trail, interaction string,
	adjust func(*http.Request, *identity.Session, *identity.User, *auth.Principal),
	h func(http.ResponseWriter, *http.Request, PageVisit)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, u := SignedIn(r, st)
		if u == nil {
			http.Redirect(w, r, "/auth/login?next="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
			return
		}
		p := PrincipalFor(u)
		if adjust != nil {
			adjust(r, sess, u, p)
		}
		ctx, note := audit.WithNote(r.Context())
		ctx = auth.WithPrincipal(ctx, p)
		describe := audit.Describe(r, interaction, p)
		if trail != nil {
			ctx = audit.WithRequest(ctx, describe)
		}
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if trail != nil {
				trail.RecordRequest(describe, note, rec.status, "")
			}
		}()
		tooLarge := false
		if r.Method == http.MethodPost {
			tooLarge = r.ContentLength > MaxPageBody
			r.Body = http.MaxBytesReader(w, r.Body, MaxPageBody)
		}
		ok := r.Method != http.MethodPost || !tooLarge && CheckCSRF(r, sess)
		h(rec, r.WithContext(ctx), PageVisit{Session: sess, User: u, Principal: p, CSRFOK: ok, TooLarge: tooLarge})
	}
}

// statusRecorder remembers the status written, for the audit.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController (and a WebSocket upgrade, which
// hijacks the connection) reach the server's writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
