package workspace

import (
	"net/http"

	"github.com/gpcloud/gpcloud/internal/identity"
)

// resetSecondFactor gives a member of staff a new second-factor secret (a
// lost or new phone): codes from the old one stop working, their
// sessions end, and their next sign-in shows the QR code to enrol again.
func (ws *Workspace) resetSecondFactor(w http.ResponseWriter, r *http.Request, v *visit) {
	m, ok := ws.member(w, r, v)
	if !ok {
		return
	}
	if _, err := identity.ResetSecondFactor(r.Context(), ws.opts.Store, v.user, m.User.ID); err != nil {
		ws.adminRefused(w, r, v, m, "reset", err)
		return
	}
	ws.auditAdmin(r, v, "account", "U", "second factor of "+m.User.ID+" reset", http.StatusOK)
	redirectDone(w, r, "/workspace/admin/staff/"+m.User.ID, "factor")
}
