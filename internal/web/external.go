package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/service"
)

const oidcStateCookie = "gpcloud_oidc_state"

func (s *Server) externalCallbackURL() string { return s.opts.Origin + "/auth/external/callback" }

// externalStart sends the browser to the external provider.
func (s *Server) externalStart(w http.ResponseWriter, r *http.Request) {
	e := s.opts.External
	to, st, err := e.AuthURL(r.Context(), s.externalCallbackURL())
	if err == nil {
		err = identity.SaveStart(r.Context(), s.opts.Store, st, safeNext(r.URL.Query().Get("next")))
	}
	if err != nil {
		s.opts.Logger.Error("external sign-in: cannot start", "error", err)
		message(w, http.StatusBadGateway, "Sign-in with "+e.Name+" is not available", "Please try again later, or sign in with your gpcloud account.")
		return
	}
	// The state is tied to this browser, so a callback carrying another
	// browser's state (login CSRF) is refused.
	s.setCookie(w, oidcStateCookie, st.State, 600)
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// externalCallback finishes a sign-in with the external provider.
func (s *Server) externalCallback(w http.ResponseWriter, r *http.Request) {
	e := s.opts.External
	q := r.URL.Query()
	c, err := r.Cookie(oidcStateCookie)
	if err != nil || q.Get("state") == "" || !constantEqual(c.Value, q.Get("state")) {
		message(w, http.StatusBadRequest, "Sign-in failed", "This sign-in was not started in this browser. Please start again.")
		return
	}
	s.setCookie(w, oidcStateCookie, "", -1)
	if q.Get("error") != "" {
		s.recordSignIn(r, "login", nil, http.StatusUnauthorized, e.Name+" refused the sign-in: "+q.Get("error"))
		message(w, http.StatusUnauthorized, "Sign-in failed", e.Name+" did not sign you in.")
		return
	}
	start, next, ok, err := identity.TakeStart(r.Context(), s.opts.Store, q.Get("state"))
	if err != nil || !ok {
		message(w, http.StatusBadRequest, "Sign-in failed", "This sign-in expired or was used already. Please start again.")
		return
	}
	claims, err := e.Exchange(r.Context(), q.Get("code"), s.externalCallbackURL(), start)
	if err != nil {
		s.opts.Logger.Warn("external sign-in failed", "error", err)
		s.recordSignIn(r, "login", nil, http.StatusUnauthorized, e.Name+" sign-in failed: "+err.Error())
		message(w, http.StatusUnauthorized, "Sign-in failed", "Your sign-in with "+e.Name+" could not be checked. Please try again.")
		return
	}
	u, why := s.mapExternal(r, claims)
	if u == nil {
		s.recordSignIn(r, "login", nil, http.StatusForbidden, e.Name+" identity "+identity.ClaimString(claims, "sub")+" not linked: "+why)
		message(w, http.StatusForbidden, "No GP record found", why)
		return
	}
	cookie, sess, err := identity.StartSession(r.Context(), s.opts.Store, u, s.now())
	if err == nil {
		// The provider authenticated the user (NHS login and CIS2 do
		// their own strong authentication): no second code here.
		sess.Verified = true
		err = sess.Save(r.Context(), s.opts.Store)
	}
	if err != nil {
		message(w, http.StatusInternalServerError, "Something went wrong", "Please try again.")
		return
	}
	s.setCookie(w, sessionCookie, cookie, int(identity.SessionTTL.Seconds()))
	s.recordSignIn(r, "login", u, http.StatusOK, "signed in with "+e.Name)
	// Checked again on the way out: a start saved by an older gpcloud
	// may hold a destination today's check refuses.
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
}

// mapExternal finds the account of an external identity, by the
// configured claims: a patient by the identifier of their Patient
// record, or an existing account by username.
func (s *Server) mapExternal(r *http.Request, claims map[string]any) (*identity.User, string) {
	e := s.opts.External
	if e.PatientClaim != "" {
		if value := identity.ClaimString(claims, e.PatientClaim); value != "" {
			system := e.PatientSystem
			if system == "" {
				system = identity.NHSNumberSystem
			}
			out, err := s.opts.Service.Search(r.Context(), service.SearchRequest{Type: "Patient",
				Params: url.Values{"identifier": {system + "|" + value}, "_elements": {"id"}}})
			if err != nil {
				return nil, "The GP record could not be looked up."
			}
			entries, _ := out.Resource["entry"].([]any)
			if len(entries) != 1 {
				return nil, "No single GP record matches your " + e.PatientClaim + ". Contact your GP practice."
			}
			patientID := entryID(entries[0])
			if patientID == "" {
				return nil, "The GP record could not be looked up."
			}
			name := strings.TrimSpace(identity.ClaimString(claims, "given_name") + " " + identity.ClaimString(claims, "family_name"))
			// NHS login says how the person proved who they are
			// (identity_proofing_level P0, P5 or P9); the portal opens the
			// record only at a high level.
			proof := identity.ClaimString(claims, "identity_proofing_level")
			u, err := identity.LinkExternal(r.Context(), s.opts.Store, e.Issuer, identity.ClaimString(claims, "sub"), patientID, name, proof)
			if err != nil {
				return nil, "Your account could not be set up."
			}
			return u, ""
		}
	}
	if e.UserClaim != "" {
		if value := identity.ClaimString(claims, e.UserClaim); value != "" {
			if u, err := identity.GetUser(r.Context(), s.opts.Store, value); err == nil {
				return u, ""
			}
		}
	}
	return nil, "Your identity is not linked to a gpcloud account. Contact your GP practice."
}

// entryID reads the resource id of a searchset entry from its fullUrl
// (base/Type/id).
func entryID(entry any) string {
	m, _ := entry.(map[string]any)
	full, _ := m["fullUrl"].(string)
	if i := strings.LastIndexByte(full, '/'); i >= 0 {
		return full[i+1:]
	}
	return ""
}
