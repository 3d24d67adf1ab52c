package web

import (
	"net/http"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/store"
)

// The product's pages (the workspace, the patient portal) run as the
// signed-in user: their session gives their account, and the account a
// Principal with which every read and write goes through the service, so
// that the FHIR API's access control and audit apply to every page.

// SignedIn returns the signed-in user of a request and their session;
// nil when signed out, when the second factor is still due, or when the
// account is gone or suspended.
func SignedIn(r *http.Request, st store.Store) (*identity.Session, *identity.User) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, nil
	}
	sess, err := identity.LoadSession(r.Context(), st, c.Value)
	if err != nil || sess == nil || !sess.Verified {
		return nil, nil
	}
	u, err := identity.GetUser(r.Context(), st, sess.User)
	if err != nil || u.Suspended {
		return nil, nil
	}
	return sess, u
}

// PrincipalFor is the principal of a signed-in user on the product's
// pages: the scopes of their role in the user context (what the role may
// do at most), and their practice or the patients they reach.
func PrincipalFor(u *identity.User) *auth.Principal {
	return &auth.Principal{
		Subject:  u.ID,
		ClientID: "gpcloud-pages",
		Role:     u.Role,
		Practice: u.Practice,
		Patients: u.Patients,
		FHIRUser: u.FHIRUser,
		Scopes:   auth.ScopesOf(u.Role),
	}
}

// CheckCSRF verifies a form's csrf field against the session's token.
func CheckCSRF(r *http.Request, sess *identity.Session) bool { return checkCSRF(r, sess) }
