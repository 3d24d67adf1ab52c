package workspace

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/service"
)

// changeRole gives a member of staff another role: their account (what
// they may do) through identity's rules, then their PractitionerRole's
// code (what other systems see), kept in step. If the directory cannot be
// updated the account's role is put back.
func (ws *Workspace) changeRole(w http.ResponseWriter, r *http.Request, v *visit) {
	m, ok := ws.member(w, r, v)
	if !ok {
		return
	}
	role := auth.Role(r.PostFormValue("role"))
	old := m.User.Role
	if _, err := identity.SetStaffRole(r.Context(), ws.opts.Store, v.user, m.User.ID, role); err != nil {
		ws.adminRefused(w, r, v, m, "role", err)
		return
	}
	if m.Role != nil {
		updated := fhir.Resource(map[string]any(m.Role))
		codes, _ := updated["code"].([]any)
		if len(codes) > 0 {
			codes[0] = map[string]any{"coding": []any{map[string]any{"system": clinical.StaffRoleSystem, "code": string(role), "display": roleName(role)}}, "text": roleName(role)}
		}
		if _, err := ws.opts.Service.Update(r.Context(), "PractitionerRole", m.Role.ID(), updated, service.Precondition{Set: true, Version: adminVersionOf(m.Role)}); err != nil {
			if _, rerr := identity.SetStaffRole(r.Context(), ws.opts.Store, v.user, m.User.ID, old); rerr != nil {
				ws.opts.Logger.Error("staff: role not put back after the directory failed", "user", m.User.ID, "error", rerr)
			}
			ws.failed(w, r, v, err)
			return
		}
	}
	ws.auditAdmin(r, v, "account", "U", "role of "+m.User.ID+" changed from "+string(old)+" to "+string(role), http.StatusOK)
	redirectDone(w, r, "/workspace/admin/staff/"+m.User.ID, "role")
}

// adminRefused shows the member's page again with identity's refusal as
// the error summary's entry for field.
func (ws *Workspace) adminRefused(w http.ResponseWriter, r *http.Request, v *visit, m staffMember, field string, err error) {
	var msg string
	switch {
	case errors.Is(err, identity.ErrNotStaffRole):
		msg = "Choose their role"
	case errors.Is(err, identity.ErrOwnAccount), errors.Is(err, identity.ErrAlreadyInState), errors.Is(err, identity.ErrOtherPractice):
		msg = err.Error()
		msg = strings.ToUpper(msg[:1]) + msg[1:]
	default:
		ws.failed(w, r, v, err)
		return
	}
	ws.auditAdmin(r, v, "account", "U", "refused for "+m.User.ID+": "+err.Error(), http.StatusBadRequest)
	p := ws.memberPageFor(r, v, m)
	p.AddError(field, msg)
	adminPages.Render(w, "admin-member", http.StatusBadRequest, p)
}

// adminVersionOf is a resource's meta.versionId as a number (0 when none).
func adminVersionOf(res fhir.Resource) int64 {
	meta, _ := res["meta"].(map[string]any)
	s, _ := meta["versionId"].(string)
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int64(c-'0')
	}
	return n
}
