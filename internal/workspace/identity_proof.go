package workspace

import (
	"net/http"
	"slices"

	"github.com/gpcloud/gpcloud/internal/identity"
)

// Recording how the holder of an account that reaches this patient (the
// patient's own, or a proxy's) proved who they are at the practice:
// photo ID seen at the desk, or vouched for by someone at the practice
// who knows them (E00167). Either opens the record online; a linkage key
// alone, or NHS login below P9, does not (clinical.HighIdentityProof).
// NHS login's own level comes from its identity_proofing_level claim at
// sign-in and is not the practice's to clear.

// setIdentityProof records the practice's check on one account.
func (ws *Workspace) setIdentityProof(w http.ResponseWriter, r *http.Request, v *visit) {
	p, _, _, ok := ws.accessWrite(w, r, v)
	if !ok {
		return
	}
	username, proof := r.PostFormValue("account"), r.PostFormValue("proof")
	if !slices.ContainsFunc(p.Access.Accounts, func(a accountRow) bool { return a.Username == username }) {
		ws.message(w, r, v, http.StatusNotFound, "Not found", "This account does not reach this patient's record.")
		return
	}
	if proof != "vouched" && proof != "photo-id" && proof != "" {
		p.AddError("proof-"+username, "Choose how they proved who they are")
		ws.pages.Render(w, "proxies", http.StatusUnprocessableEntity, p)
		return
	}
	if _, err := identity.SetIdentityProof(r.Context(), ws.opts.Store, username, p.Banner.ID, proof); err != nil {
		ws.failed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/patients/"+p.Banner.ID+"/proxies?saved=proof#accounts", http.StatusSeeOther)
}
