package workspace

import (
	"net/http"

	"github.com/gpcloud/gpcloud/internal/identity"
)

// suspend suspends a member of staff (their sign-in is refused and their
// sessions end) or, with reinstate, lets them sign in again.
func (ws *Workspace) suspend(w http.ResponseWriter, r *http.Request, v *visit) {
	m, ok := ws.member(w, r, v)
	if !ok {
		return
	}
	suspended := r.PostFormValue("action") != "reinstate"
	if _, err := identity.SetSuspended(r.Context(), ws.opts.Store, v.user, m.User.ID, suspended); err != nil {
		ws.adminRefused(w, r, v, m, "suspend", err)
		return
	}
	if suspended {
		ws.auditAdmin(r, v, "account", "U", "staff account "+m.User.ID+" suspended", http.StatusOK)
		redirectDone(w, r, "/workspace/admin/staff/"+m.User.ID, "suspended")
		return
	}
	ws.auditAdmin(r, v, "account", "U", "staff account "+m.User.ID+" reinstated", http.StatusOK)
	redirectDone(w, r, "/workspace/admin/staff/"+m.User.ID, "restored")
}
