package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/oauth"
	"github.com/gpcloud/gpcloud/internal/service"
)

type consentPage struct {
	Page
	ClientName     string
	Scopes         []string
	Refused        []string
	Request        string
	PatientChoices []string
	AskPatient     bool
	// Query is what a member of staff searched for (name, date of birth,
	// NHS number); Found are the patients it found, to choose from by
	// name, never by a resource id typed in.
	Query    string
	Found    []clinical.Banner
	Searched bool
	// Staff: the app asks for the practice's records, not "your GP record".
	Staff bool
	// InContext is the patient an app opened from a record will get.
	InContext *clinical.Banner
}

// authorize is the start of the SMART App Launch: validate the request,
// make sure the user is signed in (second factor included), then ask
// for consent.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	req, ok := s.parseAuthorize(w, r, r.URL.Query())
	if !ok {
		return
	}
	sess := s.session(r)
	if sess == nil || !sess.Verified {
		http.Redirect(w, r, "/auth/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	u, err := identity.GetUser(r.Context(), s.opts.Store, sess.User)
	if err != nil || u.Suspended {
		http.Redirect(w, r, "/auth/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	if err := s.appAllowed(r, u, req.Client.ID); err != nil {
		s.recordSignIn(r, "consent", u, http.StatusForbidden, "app "+req.Client.ID+" refused: "+err.Error())
		message(w, http.StatusForbidden, "This app is not allowed", err.Error())
		return
	}
	s.renderConsent(w, r, req, u, sess.CSRF, r.URL.RawQuery, "", http.StatusOK)
}

// parseAuthorize validates a request; on failure it answers (an error
// page, or the error sent back to a registered redirect URI).
func (s *Server) parseAuthorize(w http.ResponseWriter, r *http.Request, q url.Values) (*oauth.AuthRequest, bool) {
	req, err := s.opts.OAuth.ParseAuthorize(r.Context(), q)
	switch {
	case err == nil:
		return req, true
	case req != nil:
		http.Redirect(w, r, oauth.ErrorRedirect(req, err), http.StatusSeeOther)
	default:
		var oe *oauth.Error
		if errors.As(err, &oe) {
			message(w, http.StatusBadRequest, "This app's request cannot be used", oe.Description)
		} else {
			s.opts.Logger.Error("authorize failed", "error", err)
			message(w, http.StatusInternalServerError, "Something went wrong", "Please try again.")
		}
	}
	return nil, false
}

func oauthUser(u *identity.User, sess *identity.Session) oauth.User {
	return oauth.User{Subject: u.ID, Role: u.Role, Practice: u.Practice, Patients: u.Patients, FHIRUser: u.FHIRUser, AuthTime: sess.AuthTime}
}

func (s *Server) renderConsent(w http.ResponseWriter, r *http.Request, req *oauth.AuthRequest, u *identity.User, csrf, rawRequest, patientError string, status int) {
	s.renderConsentPage(w, r, req, u, csrf, rawRequest, patientError, status, nil)
}

// renderConsentPage is renderConsent with a search for the patient
// (staff) already run: with is called on the page before it is shown.
func (s *Server) renderConsentPage(w http.ResponseWriter, r *http.Request, req *oauth.AuthRequest, u *identity.User, csrf, rawRequest, patientError string, status int, with func(*consentPage)) {
	granted := s.opts.OAuth.Grantable(req, oauth.User{Role: u.Role})
	p := &consentPage{Page: Page{Title: "Allow access", CSRF: csrf, SignedIn: u.ID}, ClientName: req.Client.Name, Request: rawRequest, Staff: u.Role.IsStaff()}
	if with != nil {
		with(p)
	}
	if p.ClientName == "" {
		p.ClientName = req.Client.ID
	}
	for _, rule := range granted.Rules {
		p.Scopes = append(p.Scopes, describe(rule, u.Role))
	}
	for _, rule := range req.Scopes.Rules {
		if !slices.ContainsFunc(granted.Rules, func(g auth.Rule) bool { return g.Context == rule.Context && g.Type == rule.Type }) {
			p.Refused = append(p.Refused, describe(rule, u.Role))
		}
	}
	ehrLaunch := req.Launch != "" && granted.Has("launch") // the patient comes from the launch
	if ehrLaunch {
		if id, err := s.opts.OAuth.LaunchPatient(r.Context(), req, u.ID); err == nil {
			if res, err := s.readPatient(r, u, id); err == nil {
				b := clinical.BannerOf(res, s.now())
				p.InContext = &b
			}
		}
	}
	if granted.Has("launch/patient") && !ehrLaunch {
		switch {
		case u.Role == auth.RoleProxy && len(u.Patients) > 1:
			p.PatientChoices = u.Patients
		case u.Role.IsStaff():
			p.AskPatient = true
		}
	}
	if patientError != "" {
		p.AddError("patient", patientError)
	}
	if o := originOf(req.RedirectURI); o != "" {
		w.Header().Set("Content-Security-Policy", csp(o))
	}
	render(w, "consent", status, p)
}

// describe words a scope for the consent page.
func describe(r auth.Rule, role auth.Role) string {
	var verbs []string
	for _, c := range r.Perms {
		switch c {
		case 'c':
			verbs = append(verbs, "add")
		case 'r':
			verbs = append(verbs, "read")
		case 'u':
			verbs = append(verbs, "change")
		case 'd':
			verbs = append(verbs, "delete")
		case 's':
			verbs = append(verbs, "search")
		}
	}
	what := r.Type + " records"
	if r.Type == "*" {
		what = "all records"
	}
	whose := "you can see"
	if r.Context == auth.PatientContext {
		whose = "of the patient in context"
		if role == auth.RolePatient {
			whose = "in your GP record"
		}
	}
	s := fmt.Sprintf("%s %s %s", strings.Join(verbs, ", "), what, whose)
	if r.Query != nil {
		s += " (only where " + r.Query.Encode() + ")"
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// consent takes the user's decision.
func (s *Server) consent(w http.ResponseWriter, r *http.Request) {
	sess := s.session(r)
	if sess == nil || !sess.Verified || !checkCSRF(r, sess) {
		message(w, http.StatusForbidden, "Your session has ended", "Go back to the app and start again.")
		return
	}
	raw := r.PostFormValue("request")
	q, err := url.ParseQuery(raw)
	if err != nil {
		message(w, http.StatusBadRequest, "This app's request cannot be used", "The request was damaged.")
		return
	}
	req, ok := s.parseAuthorize(w, r, q)
	if !ok {
		return
	}
	u, err := identity.GetUser(r.Context(), s.opts.Store, sess.User)
	if err != nil || u.Suspended {
		message(w, http.StatusForbidden, "Your session has ended", "Go back to the app and start again.")
		return
	}
	if err := s.appAllowed(r, u, req.Client.ID); err != nil {
		s.recordSignIn(r, "consent", u, http.StatusForbidden, "app "+req.Client.ID+" refused: "+err.Error())
		message(w, http.StatusForbidden, "This app is not allowed", err.Error())
		return
	}
	ou := oauthUser(u, sess)
	if r.PostFormValue("decision") == "find" && u.Role.IsStaff() {
		s.findForConsent(w, r, req, u, sess.CSRF, raw)
		return
	}
	if r.PostFormValue("decision") != "allow" {
		s.recordSignIn(r, "consent", u, http.StatusForbidden, "access refused to app "+req.Client.ID)
		http.Redirect(w, r, oauth.Deny(req), http.StatusSeeOther)
		return
	}
	granted := s.opts.OAuth.Grantable(req, ou)
	patient := ""
	if req.Launch != "" && granted.Has("launch") {
		if patient, err = s.opts.OAuth.LaunchPatient(r.Context(), req, u.ID); err != nil || !s.reaches(r, u, patient) {
			message(w, http.StatusBadRequest, "This app launch cannot be used", oauth.ErrLaunch.Error())
			return
		}
	} else if granted.Has("launch/patient") {
		patient = strings.TrimSpace(r.PostFormValue("patient"))
		switch {
		case u.Role == auth.RolePatient || (u.Role == auth.RoleProxy && len(u.Patients) == 1):
			patient = u.Patients[0]
		case patient == "" && u.Role.IsStaff():
			s.renderConsentPage(w, r, req, u, sess.CSRF, raw, "Find the patient and choose them", http.StatusBadRequest,
				func(p *consentPage) { p.Query = r.PostFormValue("q") })
			return
		case patient == "":
			s.renderConsent(w, r, req, u, sess.CSRF, raw, "Choose whose record the app may use", http.StatusBadRequest)
			return
		case u.Role.IsStaff():
			if !s.reaches(r, u, patient) {
				s.renderConsentPage(w, r, req, u, sess.CSRF, raw, "Find the patient and choose them", http.StatusBadRequest,
					func(p *consentPage) { p.Query = r.PostFormValue("q") })
				return
			}
		}
	}
	redirect, err := s.opts.OAuth.Approve(r.Context(), req, ou, granted, patient)
	if err != nil {
		s.renderConsent(w, r, req, u, sess.CSRF, raw, err.Error(), http.StatusBadRequest)
		return
	}
	s.recordSignIn(r, "consent", u, http.StatusOK, "access granted to app "+req.Client.ID+": "+granted.String())
	http.Redirect(w, r, redirect, http.StatusSeeOther)
}

// reaches checks, through the service's own access rules, that a user
// may read the Patient they put in an app's context.
func (s *Server) reaches(r *http.Request, u *identity.User, patientID string) bool {
	_, err := s.readPatient(r, u, patientID)
	return err == nil
}

// readPatient reads a Patient as the user.
func (s *Server) readPatient(r *http.Request, u *identity.User, patientID string) (fhir.Resource, error) {
	p := u.Principal()
	p.Scopes = auth.ScopesOf(u.Role)
	out, err := s.opts.Service.Read(auth.WithPrincipal(r.Context(), &p), "Patient", patientID)
	if err != nil {
		return nil, err
	}
	return fhir.Unmarshal(out.Version.Body)
}

// findForConsent answers the consent page's patient search (staff): the
// query (a name, a date of birth, an NHS number, or several) is read by
// the same parser as the workspace's search box and run as a Patient
// search as the user, so only their practice's patients are found. It
// travels in the form's body, never the URL.
func (s *Server) findForConsent(w http.ResponseWriter, r *http.Request, req *oauth.AuthRequest, u *identity.User, csrf, raw string) {
	query := strings.TrimSpace(r.PostFormValue("q"))
	q := clinical.ParsePatientQuery(query, s.now())
	if q.Empty() {
		s.renderConsentPage(w, r, req, u, csrf, raw, "Enter the patient's name, date of birth or NHS number", http.StatusBadRequest,
			func(p *consentPage) { p.Query = query })
		return
	}
	params := q.Search()
	params.Set("_count", "20")
	params.Set("_sort", "family,given")
	p := PrincipalFor(u)
	out, err := s.opts.Service.Search(auth.WithPrincipal(r.Context(), p), service.SearchRequest{Type: "Patient", Params: params})
	if err != nil {
		s.opts.Logger.Error("consent: patient search failed", "error", err)
		message(w, http.StatusInternalServerError, "Something went wrong", "Please try again.")
		return
	}
	var found []clinical.Banner
	for _, res := range matches(out.Resource) {
		found = append(found, clinical.BannerOf(res, s.now()))
	}
	s.renderConsentPage(w, r, req, u, csrf, raw, "", http.StatusOK, func(p *consentPage) {
		p.Query, p.Found, p.Searched = query, found, true
	})
}

// matches reads the matches of a searchset Bundle.
func matches(b fhir.Resource) []fhir.Resource { return service.Matches(b) }
