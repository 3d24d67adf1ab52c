package web

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gpcloud/gpcloud/internal/audit"
	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/oauth"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Options configure the web server.
type Options struct {
	Store   store.Store
	Service *service.Service
	OAuth   *oauth.Server
	Audit   *audit.Trail
	// Origin is the public scheme://host[:port] of the server.
	Origin string
	// TLS marks cookies Secure.
	TLS    bool
	Logger *slog.Logger
	// External, when set, offers sign-in with an OpenID Connect
	// provider (NHS login, CIS2).
	External *identity.External
}

// Server serves the pages and OAuth endpoints.
type Server struct {
	opts   Options
	mux    *http.ServeMux
	logins *limiter
	now    func() time.Time
}

// New returns the web server.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Server{opts: opts, mux: http.NewServeMux(), logins: newLimiter(10, time.Minute), now: time.Now}
	if opts.OAuth != nil && opts.OAuth.UserCheck == nil {
		opts.OAuth.UserCheck = s.userCheck
	}
	s.mux.Handle("GET /assets/", assets())
	s.mux.HandleFunc("GET /.well-known/smart-configuration", s.smartConfiguration)
	s.mux.HandleFunc("GET /fhir/.well-known/smart-configuration", s.smartConfiguration)
	s.mux.HandleFunc("GET /.well-known/openid-configuration", s.smartConfiguration)
	s.mux.HandleFunc("GET /auth/login", s.loginForm)
	s.mux.HandleFunc("POST /auth/login", s.login)
	s.mux.HandleFunc("GET /auth/code", s.codeForm)
	s.mux.HandleFunc("POST /auth/code", s.code)
	s.mux.HandleFunc("POST /auth/logout", s.logout)
	s.mux.HandleFunc("GET /auth/authorize", s.authorize)
	s.mux.HandleFunc("POST /auth/authorize", s.consent)
	s.mux.HandleFunc("POST /auth/token", s.token)
	s.mux.HandleFunc("POST /auth/introspect", s.introspect)
	s.mux.HandleFunc("POST /auth/revoke", s.revoke)
	s.mux.HandleFunc("GET /auth/launch", s.apps)
	s.mux.HandleFunc("POST /auth/launch", s.launch)
	s.mux.HandleFunc("GET /setup", s.setupForm)
	s.mux.HandleFunc("POST /setup", s.setup)
	s.mux.HandleFunc("GET /{$}", s.home)
	if opts.External != nil {
		s.mux.HandleFunc("GET /auth/external", s.externalStart)
		s.mux.HandleFunc("GET /auth/external/callback", s.externalCallback)
	}
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Routes lists the patterns the server handles, for mounting it beside
// the FHIR API.
func (s *Server) Routes() []string {
	return []string{"/assets/", "/.well-known/smart-configuration", "/fhir/.well-known/smart-configuration",
		"/.well-known/openid-configuration", "/auth/", "/setup", "/{$}"}
}

const (
	sessionCookie = "gpcloud_session"
	csrfCookie    = "gpcloud_csrf"
)

// session returns the browser's session, nil when signed out.
func (s *Server) session(r *http.Request) *identity.Session {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	sess, err := identity.LoadSession(r.Context(), s.opts.Store, c.Value)
	if err != nil {
		s.opts.Logger.Error("session lookup failed", "error", err)
		return nil
	}
	return sess
}

func (s *Server) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: s.opts.TLS, SameSite: http.SameSiteLaxMode})
}

// preSessionCSRF returns the double-submit token of forms shown before
// sign-in, setting its cookie when the browser has none.
func (s *Server) preSessionCSRF(w http.ResponseWriter, r *http.Request) string {
	return csrfToken(w, r, s.opts.TLS)
}

// checkCSRF verifies a form's token against the session's, or before
// sign-in against the double-submit cookie.
func checkCSRF(r *http.Request, sess *identity.Session) bool {
	got := r.PostFormValue("csrf")
	if got == "" {
		return false
	}
	if sess != nil {
		return constantEqual(got, sess.CSRF)
	}
	c, err := r.Cookie(csrfCookie)
	return err == nil && constantEqual(got, c.Value)
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// recordSignIn writes a sign-in's AuditEvent.
func (s *Server) recordSignIn(r *http.Request, interaction string, u *identity.User, status int, detail string) {
	if s.opts.Audit == nil {
		return
	}
	var p *auth.Principal
	if u != nil {
		pr := u.Principal()
		p = &pr
	}
	s.opts.Audit.Record(audit.Event{Interaction: interaction, Action: "E", Status: status, Detail: detail, Principal: p,
		Address: clientAddr(r), Path: r.Method + " " + r.URL.Path})
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	sess := s.session(r)
	if sess == nil || !sess.Verified {
		http.Redirect(w, r, "/auth/login", http.StatusSeeOther)
		return
	}
	// Staff work in the workspace: it is their home page; patients and
	// proxies land on theirs, the portal.
	if u, err := identity.GetUser(r.Context(), s.opts.Store, sess.User); err == nil && u.Role.IsStaff() {
		http.Redirect(w, r, "/workspace/", http.StatusSeeOther)
		return
	} else if err == nil && (u.Role == auth.RolePatient || u.Role == auth.RoleProxy) {
		http.Redirect(w, r, "/patient/", http.StatusSeeOther)
		return
	}
	render(w, "message", http.StatusOK, &struct {
		Page
		Message string
	}{Page{Title: "Signed in", SignedIn: sess.User, CSRF: sess.CSRF}, "You are signed in to gpcloud as " + sess.User + "."})
}

// userCheck is asked before tokens are issued to a user: an account gone
// or suspended gets none, nor does staff for an app their practice no
// longer allows.
func (s *Server) userCheck(ctx context.Context, subject, clientID string) error {
	u, err := identity.GetUser(ctx, s.opts.Store, subject)
	if err != nil {
		return errors.New("the account can no longer be used")
	}
	if u.Suspended {
		return identity.ErrSuspended
	}
	if u.Role.IsStaff() {
		ok, err := oauth.AppAllowed(ctx, s.opts.Store, u.Practice, clientID)
		if err != nil {
			return err
		}
		if !ok {
			return oauth.ErrAppNotAllowed
		}
	}
	return nil
}
