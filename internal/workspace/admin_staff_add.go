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

// newStaffPage is the form that adds a member of staff: their account
// (username, role) and their directory entry (name, registration,
// prescriber).
type newStaffPage struct {
	adminPage
	Form      clinical.StaffMember
	Roles     []clinical.Choice
	Registers []clinical.Choice
	// PrescriberTypes are the kinds of prescriber to choose from.
	PrescriberTypes []clinical.Choice
}

// staffAddedPage confirms the account and shows its first password once.
type staffAddedPage struct {
	adminPage
	Member   clinical.StaffMember
	Password string
}

func (ws *Workspace) newStaffPageFor(r *http.Request, v *visit) *newStaffPage {
	p := &newStaffPage{adminPage: ws.adminBase(r, v, "Add a member of staff", "Staff"), Roles: roleChoices(), PrescriberTypes: clinical.PrescriberTypeChoices()}
	for _, reg := range clinical.Registers {
		p.Registers = append(p.Registers, clinical.Choice{Key: reg.Key, Label: reg.Label})
	}
	return p
}

func (ws *Workspace) newStaffForm(w http.ResponseWriter, r *http.Request, v *visit) {
	adminPages.Render(w, "admin-staff-new", http.StatusOK, ws.newStaffPageFor(r, v))
}

// addStaff checks the form (clinical's rules for the registration,
// identity's for the account), writes the Practitioner and its
// PractitionerRole in one transaction as the admin, then the account. If
// the account cannot be made after all (the username was taken a moment
// before), the directory entry is deleted again: nothing is half-saved.
func (ws *Workspace) addStaff(w http.ResponseWriter, r *http.Request, v *visit) {
	p := ws.newStaffPageFor(r, v)
	f := clinical.StaffMember{Name: r.PostFormValue("name"), Username: identity.NormalizeUsername(r.PostFormValue("username")),
		Role: r.PostFormValue("role"), Register: r.PostFormValue("register"), Number: r.PostFormValue("number"),
		Prescriber: r.PostFormValue("prescriber") == "yes", PrescriberType: r.PostFormValue("prescriber-type")}
	errs := f.Check()
	role := auth.Role(f.Role)
	if !role.IsStaff() {
		errs["role"] = "Choose their role"
	}
	f.RoleName = roleName(role)
	u := &identity.User{ID: f.Username, Name: f.Name, Role: role, Practice: v.user.Practice}
	probe := identity.User{ID: f.Username, Role: auth.RoleGP, Practice: v.user.Practice} // the username's shape alone
	if err := probe.Validate(); err != nil {
		errs["username"] = "Enter a username of 3 to 128 lower-case letters, digits and . _ @ + -"
	} else if _, err := identity.GetUser(r.Context(), ws.opts.Store, f.Username); err == nil {
		errs["username"] = "That username is taken: choose another"
	}
	p.Form = f
	for _, field := range []string{"name", "username", "role", "register", "number", "prescriber", "prescriber-type"} {
		if m := errs[field]; m != "" {
			p.AddError(field, m)
		}
	}
	if len(p.Errors) > 0 {
		adminPages.Render(w, "admin-staff-new", http.StatusBadRequest, p)
		return
	}
	practitioner, roleID, err := ws.writeDirectoryEntry(r, f, v.user.Practice)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	u.FHIRUser = "Practitioner/" + practitioner
	password, err := identity.AddStaff(r.Context(), ws.opts.Store, v.user, u)
	if err != nil {
		for _, ref := range [][2]string{{"PractitionerRole", roleID}, {"Practitioner", practitioner}} {
			if _, derr := ws.opts.Service.Delete(r.Context(), ref[0], ref[1], service.Precondition{}); derr != nil {
				ws.opts.Logger.Error("staff: directory entry left after the account failed", "type", ref[0], "id", ref[1], "error", derr)
			}
		}
		if errors.Is(err, identity.ErrUserExists) {
			p.AddError("username", "That username is taken: choose another")
			adminPages.Render(w, "admin-staff-new", http.StatusConflict, p)
			return
		}
		ws.failed(w, r, v, err)
		return
	}
	ws.auditAdmin(r, v, "account", "C", "staff account "+u.ID+" added as "+string(u.Role), http.StatusOK)
	done := &staffAddedPage{adminPage: ws.adminBase(r, v, "Member of staff added", "Staff"), Member: f, Password: password}
	adminPages.Render(w, "admin-staff-added", http.StatusOK, done)
}

// writeDirectoryEntry creates the Practitioner and PractitionerRole in
// one transaction and returns their ids.
func (ws *Workspace) writeDirectoryEntry(r *http.Request, f clinical.StaffMember, practice string) (string, string, error) {
	const pract = "urn:uuid:3f0c6a5e-2f1e-4d43-9a57-0d1c1f6f0a01"
	bundle := fhir.Resource{"resourceType": "Bundle", "type": "transaction", "entry": []any{
		map[string]any{"fullUrl": pract, "resource": map[string]any(clinical.PractitionerOf(f)), "request": map[string]any{"method": "POST", "url": "Practitioner"}},
		map[string]any{"resource": map[string]any(clinical.PractitionerRoleOf(f, pract, practice)), "request": map[string]any{"method": "POST", "url": "PractitionerRole"}},
	}}
	out, err := ws.opts.Service.ProcessBundle(r.Context(), bundle, service.BundleOptions{})
	if err != nil {
		return "", "", err
	}
	var practitioner, role string
	entries, _ := out.Resource["entry"].([]any)
	for _, e := range entries {
		em, _ := e.(map[string]any)
		resp, _ := em["response"].(map[string]any)
		loc, _ := resp["location"].(string)
		typ, rest, _ := strings.Cut(loc, "/")
		id, _, _ := strings.Cut(rest, "/")
		switch typ {
		case "Practitioner":
			practitioner = id
		case "PractitionerRole":
			role = id
		}
	}
	if practitioner == "" || role == "" {
		return "", "", errors.New("staff: the transaction's response names no Practitioner or PractitionerRole")
	}
	return practitioner, role, nil
}
