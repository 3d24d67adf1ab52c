package workspace

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// changeRegistration changes a member of staff's professional
// registration and whether they prescribe: their Practitioner and
// PractitionerRole, in one transaction, each If-Match the version the
// form was shown with, so that two admins editing at once cannot
// silently overwrite each other.
func (ws *Workspace) changeRegistration(w http.ResponseWriter, r *http.Request, v *visit) {
	m, ok := ws.member(w, r, v)
	if !ok {
		return
	}
	if m.Practitioner == nil || m.Role == nil {
		ws.adminMessage(w, r, v, http.StatusConflict, "No directory entry", "This account has no directory entry (it was made on the command line), so it has no registration to change.")
		return
	}
	f := clinical.StaffMember{Name: m.User.Name, Register: r.PostFormValue("register"), Number: r.PostFormValue("number"),
		Prescriber: r.PostFormValue("prescriber") == "yes", PrescriberType: r.PostFormValue("prescriber-type")}
	errs := f.Check()
	delete(errs, "name")
	if len(errs) > 0 {
		p := ws.memberPageFor(r, v, m)
		p.Form = f
		for _, field := range []string{"register", "number", "prescriber", "prescriber-type"} {
			if msg := errs[field]; msg != "" {
				p.AddError(field, msg)
			}
		}
		adminPages.Render(w, "admin-member", http.StatusBadRequest, p)
		return
	}
	ifMatch := func(field string) string { return `W/"` + r.PostFormValue(field) + `"` }
	bundle := fhir.Resource{"resourceType": "Bundle", "type": "transaction", "entry": []any{
		map[string]any{"resource": map[string]any(clinical.WithRegistration(m.Practitioner, f)),
			"request": map[string]any{"method": "PUT", "url": "Practitioner/" + m.Practitioner.ID(), "ifMatch": ifMatch("practitioner-version")}},
		map[string]any{"resource": map[string]any(clinical.WithPrescriberType(m.Role, f.PrescriberType)),
			"request": map[string]any{"method": "PUT", "url": "PractitionerRole/" + m.Role.ID(), "ifMatch": ifMatch("role-version")}},
	}}
	if _, err := ws.opts.Service.ProcessBundle(r.Context(), bundle, service.BundleOptions{}); err != nil {
		var fe *fhir.Error
		if errors.As(err, &fe) && (fe.Status == http.StatusConflict || fe.Status == http.StatusPreconditionFailed) {
			p := ws.memberPageFor(r, v, m)
			p.Form = f
			p.AddError("register", "Someone else changed this member of staff's registration while you were editing, so nothing was saved. Check it below and save again.")
			adminPages.Render(w, "admin-member", http.StatusConflict, p)
			return
		}
		ws.failed(w, r, v, err)
		return
	}
	redirectDone(w, r, "/workspace/admin/staff/"+m.User.ID, "registration")
}

// versionText is a resource's version for a form's If-Match field.
func versionText(res fhir.Resource) string {
	if res == nil {
		return ""
	}
	return strconv.FormatInt(adminVersionOf(res), 10)
}
