package web

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/gpcloud/gpcloud/internal/identity"
)

type loginPage struct {
	Page
	Username string
	// ExternalName names the external provider offered, if any.
	ExternalName string
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	p := &loginPage{Page: Page{Title: "Sign in", Next: safeNext(r.URL.Query().Get("next"))}}
	if s.opts.External != nil {
		p.ExternalName = s.opts.External.Name
	}
	p.CSRF = s.preSessionCSRF(w, r)
	render(w, "login", http.StatusOK, p)
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	p := &loginPage{Page: Page{Title: "Sign in", Next: safeNext(r.PostFormValue("next"))}, Username: r.PostFormValue("username")}
	p.CSRF = s.preSessionCSRF(w, r)
	if !checkCSRF(r, nil) {
		p.AddError("username", "The form expired: please try again")
		render(w, "login", http.StatusBadRequest, p)
		return
	}
	if !s.logins.allow(clientAddr(r), s.now()) {
		s.recordSignIn(r, "login", nil, http.StatusTooManyRequests, "sign-in throttled for this address")
		p.AddError("username", "Too many attempts from this device: wait a minute and try again")
		render(w, "login", http.StatusTooManyRequests, p)
		return
	}
	username, password := strings.TrimSpace(r.PostFormValue("username")), r.PostFormValue("password")
	if username == "" {
		p.AddError("username", "Enter your username or email address")
	}
	if password == "" {
		p.AddError("password", "Enter your password")
	}
	if len(p.Errors) > 0 {
		render(w, "login", http.StatusBadRequest, p)
		return
	}
	u, err := identity.CheckCredentials(r.Context(), s.opts.Store, username, password, s.now())
	if err != nil {
		status, msg := http.StatusUnauthorized, err.Error()
		if !errors.Is(err, identity.ErrBadCredentials) && !errors.Is(err, identity.ErrLocked) && !errors.Is(err, identity.ErrSuspended) {
			s.opts.Logger.Error("sign-in failed", "error", err)
			status, msg = http.StatusInternalServerError, "Something went wrong: please try again"
		}
		s.recordSignIn(r, "login", u, status, "password sign-in refused for "+identity.NormalizeUsername(username)+": "+err.Error())
		p.AddError("username", strings.ToUpper(msg[:1])+msg[1:])
		render(w, "login", status, p)
		return
	}
	cookie, sess, err := identity.StartSession(r.Context(), s.opts.Store, u, s.now())
	if err != nil {
		s.opts.Logger.Error("session start failed", "error", err)
		message(w, http.StatusInternalServerError, "Something went wrong", "Please try again.")
		return
	}
	s.setCookie(w, sessionCookie, cookie, int(identity.SessionTTL.Seconds()))
	if !sess.Verified {
		s.recordSignIn(r, "login", u, http.StatusOK, "password accepted; second factor pending")
		http.Redirect(w, r, "/auth/code?next="+url.QueryEscape(p.Next), http.StatusSeeOther)
		return
	}
	s.recordSignIn(r, "login", u, http.StatusOK, "signed in")
	http.Redirect(w, r, p.Next, http.StatusSeeOther)
}

type codePage struct {
	Page
	Enrol       bool
	Secret, URI string
	// QR is the link as a QR code (inline SVG) to scan with the phone.
	QR template.HTML
}

func (s *Server) codePage(r *http.Request, sess *identity.Session) (*codePage, *identity.User, error) {
	u, err := identity.GetUser(r.Context(), s.opts.Store, sess.User)
	if err != nil {
		return nil, nil, err
	}
	p := &codePage{Page: Page{Title: "Security code", CSRF: sess.CSRF, SignedIn: u.ID}}
	if !u.TOTPConfirmed {
		// First sign-in: show the secret to enrol. It is shown only
		// after the password, and only until a code has been entered.
		p.Enrol, p.Secret, p.URI = true, u.TOTPSecret, identity.TOTPURI("gpcloud", u.ID, u.TOTPSecret)
		p.QR = qrSVG(p.URI, "QR code to add gpcloud to your authenticator app")
	}
	return p, u, nil
}

func (s *Server) codeForm(w http.ResponseWriter, r *http.Request) {
	sess := s.session(r)
	if sess == nil {
		http.Redirect(w, r, "/auth/login", http.StatusSeeOther)
		return
	}
	p, _, err := s.codePage(r, sess)
	if err != nil {
		message(w, http.StatusInternalServerError, "Something went wrong", "Please sign in again.")
		return
	}
	p.Next = safeNext(r.URL.Query().Get("next"))
	render(w, "code", http.StatusOK, p)
}

func (s *Server) code(w http.ResponseWriter, r *http.Request) {
	sess := s.session(r)
	if sess == nil {
		http.Redirect(w, r, "/auth/login", http.StatusSeeOther)
		return
	}
	p, u, err := s.codePage(r, sess)
	if err != nil {
		message(w, http.StatusInternalServerError, "Something went wrong", "Please sign in again.")
		return
	}
	p.Next = safeNext(r.PostFormValue("next"))
	if !checkCSRF(r, sess) {
		p.AddError("code", "The form expired: please try again")
		render(w, "code", http.StatusBadRequest, p)
		return
	}
	if !s.logins.allow(clientAddr(r), s.now()) {
		p.AddError("code", "Too many attempts from this device: wait a minute and try again")
		render(w, "code", http.StatusTooManyRequests, p)
		return
	}
	if _, err := identity.CheckCode(r.Context(), s.opts.Store, u.ID, r.PostFormValue("code"), s.now()); err != nil {
		s.recordSignIn(r, "login", u, http.StatusUnauthorized, "second factor refused: "+err.Error())
		if errors.Is(err, identity.ErrLocked) {
			_ = sess.End(r.Context(), s.opts.Store)
		}
		p.AddError("code", err.Error())
		render(w, "code", http.StatusUnauthorized, p)
		return
	}
	sess.Verified = true
	if err := sess.Save(r.Context(), s.opts.Store); err != nil {
		message(w, http.StatusInternalServerError, "Something went wrong", "Please try again.")
		return
	}
	s.recordSignIn(r, "login", u, http.StatusOK, "signed in with a second factor")
	http.Redirect(w, r, p.Next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	sess := s.session(r)
	if sess != nil && checkCSRF(r, sess) {
		_ = sess.End(r.Context(), s.opts.Store)
	}
	s.setCookie(w, sessionCookie, "", -1)
	http.Redirect(w, r, "/auth/login", http.StatusSeeOther)
}
