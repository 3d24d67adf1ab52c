package workspace

import (
	"net/http"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/identity"
)

// memberPage is one member of staff: who they are and what the admin may
// do (change role, suspend or reinstate, reset the second factor).
type memberPage struct {
	adminPage
	M     staffMember
	Roles []clinical.Choice
	// Own is the admin's own account: the page offers no action on it.
	Own bool
	// Form is the registration form's values; the versions are those of
	// the Practitioner and PractitionerRole it was shown with (If-Match).
	Form                             clinical.StaffMember
	PractitionerVersion, RoleVersion string
	Registers                        []clinical.Choice
	PrescriberTypes                  []clinical.Choice
}

func (ws *Workspace) memberPageFor(r *http.Request, v *visit, m staffMember) *memberPage {
	p := &memberPage{adminPage: ws.adminBase(r, v, "Member of staff", "Staff"), M: m, Roles: roleChoices(), Own: m.User.ID == v.user.ID,
		Form:                clinical.StaffMember{Register: m.Register, Number: m.Number, Prescriber: m.Prescriber, PrescriberType: m.PrescriberType},
		PrescriberTypes:     clinical.PrescriberTypeChoices(),
		PractitionerVersion: versionText(m.Practitioner), RoleVersion: versionText(m.Role)}
	for _, reg := range clinical.Registers {
		p.Registers = append(p.Registers, clinical.Choice{Key: reg.Key, Label: reg.Label})
	}
	return p
}

// member finds a member of the admin's practice by username; a username
// of another practice's staff answers as an unknown one.
func (ws *Workspace) member(w http.ResponseWriter, r *http.Request, v *visit) (staffMember, bool) {
	staff, err := ws.practiceStaff(r.Context(), v.user.Practice)
	if err != nil {
		ws.failed(w, r, v, err)
		return staffMember{}, false
	}
	name := identity.NormalizeUsername(r.PathValue("user"))
	for _, m := range staff {
		if m.User.ID == name {
			return m, true
		}
	}
	ws.adminMessage(w, r, v, http.StatusNotFound, "No such member of staff", "There is no member of your practice's staff with that username.")
	return staffMember{}, false
}

func (ws *Workspace) memberPage(w http.ResponseWriter, r *http.Request, v *visit) {
	m, ok := ws.member(w, r, v)
	if !ok {
		return
	}
	adminPages.Render(w, "admin-member", http.StatusOK, ws.memberPageFor(r, v, m))
}
