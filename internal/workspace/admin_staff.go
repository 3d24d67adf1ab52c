package workspace

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/service"
)

// staffPage lists the practice's staff: their account (role, second
// factor, suspended) and their directory entry (registration, prescriber).
type staffPage struct {
	adminPage
	Staff []staffMember
}

// staffMember is one member of staff as the admin pages show them.
type staffMember struct {
	User     *identity.User
	RoleName string
	// Register and Number are their professional registration.
	Register, Number string
	Prescriber       bool
	// PrescriberType is a prescriber's type (clinical.PrescriberTypes key)
	// and TypeName its label.
	PrescriberType, TypeName string
	// Role is their PractitionerRole at the practice and Practitioner
	// their directory entry; nil when the account has none (made on the
	// command line).
	Role, Practitioner fhir.Resource
}

// roleNames are the staff roles as pages name them.
var roleNames = map[auth.Role]string{auth.RoleGP: "GP", auth.RoleNurse: "Nurse", auth.RoleReceptionist: "Receptionist", auth.RolePracticeAdmin: "Practice admin"}

func roleName(r auth.Role) string {
	if n, ok := roleNames[r]; ok {
		return n
	}
	if r == "" {
		return ""
	}
	return strings.ToUpper(string(r[:1])) + strings.ReplaceAll(string(r[1:]), "-", " ")
}

// roleChoices are the roles an admin may give, for a form.
func roleChoices() []clinical.Choice {
	var out []clinical.Choice
	for _, r := range identity.StaffRoles() {
		out = append(out, clinical.Choice{Key: string(r), Label: roleName(r)})
	}
	return out
}

// practiceStaff reads the practice's staff accounts and, as the admin,
// their Practitioner and PractitionerRole.
func (ws *Workspace) practiceStaff(ctx context.Context, practice string) ([]staffMember, error) {
	users, err := identity.PracticeStaff(ctx, ws.opts.Store, practice)
	if err != nil {
		return nil, err
	}
	out, err := ws.opts.Service.Search(ctx, service.SearchRequest{Type: "PractitionerRole",
		Params: url.Values{"organization": {"Organization/" + practice}, "_count": {"500"}}})
	if err != nil {
		return nil, err
	}
	roles := map[string]fhir.Resource{}
	for _, res := range searchMatches(out.Resource) {
		if p, _ := res["practitioner"].(map[string]any); p != nil {
			ref, _ := p["reference"].(string)
			roles[ref] = res
		}
	}
	var ids []string
	for _, u := range users {
		if id, ok := strings.CutPrefix(u.FHIRUser, "Practitioner/"); ok {
			ids = append(ids, id)
		}
	}
	practitioners := map[string]fhir.Resource{}
	if len(ids) > 0 {
		out, err := ws.opts.Service.Search(ctx, service.SearchRequest{Type: "Practitioner",
			Params: url.Values{"_id": {strings.Join(ids, ",")}, "_count": {"500"}}})
		if err != nil {
			return nil, err
		}
		for _, res := range searchMatches(out.Resource) {
			practitioners["Practitioner/"+res.ID()] = res
		}
	}
	var members []staffMember
	for _, u := range users {
		m := staffMember{User: u, RoleName: roleName(u.Role), Role: roles[u.FHIRUser]}
		if p, ok := practitioners[u.FHIRUser]; ok {
			m.Practitioner = p
			m.Register, m.Number = clinical.RegistrationOf(p)
		}
		if m.Role != nil {
			m.Prescriber = clinical.IsPrescriber(m.Role)
			m.PrescriberType = clinical.PrescriberTypeOfRole(m.Role, m.Register)
			if t, ok := clinical.PrescriberTypeOf(m.PrescriberType); ok {
				m.TypeName = t.Label
			}
		}
		members = append(members, m)
	}
	return members, nil
}

func (ws *Workspace) staffPage(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &staffPage{adminPage: ws.adminBase(r, v, "Staff", "Staff")}
	var err error
	if p.Staff, err = ws.practiceStaff(r.Context(), v.user.Practice); err != nil {
		ws.failed(w, r, v, err)
		return
	}
	adminPages.Render(w, "admin-staff", http.StatusOK, p)
}
