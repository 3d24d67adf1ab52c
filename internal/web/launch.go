package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/oauth"
)

type appsPage struct {
	Page
	Patient string
	// Who is the patient as their banner names them, so that the user
	// sees whose record the app will open.
	Who  clinical.Banner
	Apps []*oauth.Client
	// Back is the record's page in the workspace (staff).
	Back string
}

// signedInUser returns the verified session's user, or sends the browser
// to sign in and returns nil.
func (s *Server) signedInUser(w http.ResponseWriter, r *http.Request) (*identity.Session, *identity.User) {
	sess := s.session(r)
	if sess != nil && sess.Verified {
		if u, err := identity.GetUser(r.Context(), s.opts.Store, sess.User); err == nil && !u.Suspended {
			return sess, u
		}
	}
	http.Redirect(w, r, "/auth/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	return nil, nil
}

// apps lists the apps that can be launched for a patient (EHR launch).
func (s *Server) apps(w http.ResponseWriter, r *http.Request) {
	sess, u := s.signedInUser(w, r)
	if u == nil {
		return
	}
	patient := r.URL.Query().Get("patient")
	if !s.reaches(r, u, patient) {
		message(w, http.StatusNotFound, "Record not found", "There is no record with that id that you can open.")
		return
	}
	clients, err := oauth.ListClients(r.Context(), s.opts.Store)
	if err != nil {
		message(w, http.StatusInternalServerError, "Something went wrong", "Please try again.")
		return
	}
	p := &appsPage{Page: Page{Title: "Open an app", CSRF: sess.CSRF, SignedIn: u.ID}, Patient: patient}
	if res, err := s.readPatient(r, u, patient); err == nil {
		p.Who = clinical.BannerOf(res, s.now())
	}
	if u.Role.IsStaff() {
		p.Back, p.Home = "/workspace/patients/"+url.PathEscape(patient), "/workspace/"
	}
	var origins []string
	for _, c := range clients {
		if c.LaunchURL != "" && c.Kind != oauth.KindSystem && s.appAllowed(r, u, c.ID) == nil {
			p.Apps = append(p.Apps, c)
			if o := originOf(c.LaunchURL); o != "" && !slices.Contains(origins, o) {
				origins = append(origins, o)
			}
		}
	}
	// Each "Open" button posts here, and the answer redirects to the
	// app's launch URL: Chromium applies the page's form-action to that
	// redirect, so the page allows exactly the listed apps' origins (and
	// no other place a form could be sent).
	w.Header().Set("Content-Security-Policy", csp(strings.Join(origins, " ")))
	render(w, "apps", http.StatusOK, p)
}

// launch starts an EHR launch: it records the context and sends the
// browser to the app.
func (s *Server) launch(w http.ResponseWriter, r *http.Request) {
	sess, u := s.signedInUser(w, r)
	if u == nil {
		return
	}
	if !checkCSRF(r, sess) {
		message(w, http.StatusForbidden, "The form expired", "Go back and try again.")
		return
	}
	patient := r.PostFormValue("patient")
	if !s.reaches(r, u, patient) {
		message(w, http.StatusNotFound, "Record not found", "There is no record with that id that you can open.")
		return
	}
	if err := s.appAllowed(r, u, r.PostFormValue("client_id")); err != nil {
		message(w, http.StatusForbidden, "The app cannot be opened", err.Error())
		return
	}
	to, err := s.opts.OAuth.Launch(r.Context(), r.PostFormValue("client_id"), u.ID, patient)
	if err != nil {
		message(w, http.StatusBadRequest, "The app cannot be opened", err.Error())
		return
	}
	s.recordSignIn(r, "launch", u, http.StatusOK, "app "+r.PostFormValue("client_id")+" launched for Patient/"+patient)
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// appAllowed checks that a member of staff's practice allows an app
// (oauth.AllowApp); patients choose their own apps.
func (s *Server) appAllowed(r *http.Request, u *identity.User, clientID string) error {
	if !u.Role.IsStaff() {
		return nil
	}
	ok, err := oauth.AppAllowed(r.Context(), s.opts.Store, u.Practice, clientID)
	if err != nil {
		return err
	}
	if !ok {
		return oauth.ErrAppNotAllowed
	}
	return nil
}
