package workspace

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// Online services: the practice's patient portal rules (how many days
// before a supply runs out a repeat may be ordered, how many hours
// before an appointment online cancelling closes), kept on the practice's
// Organization (clinical.PortalSettings), changed If-Match the version
// shown so that two admins do not overwrite each other unseen.

type portalSettingsPage struct {
	adminPage
	Form    clinical.PortalSettingsForm
	Version string
	// Defaults are the settings a practice has until it sets its own.
	Defaults clinical.PortalSettings
}

func (ws *Workspace) newPortalSettingsPage(r *http.Request, v *visit) (*portalSettingsPage, fhir.Resource, error) {
	org, err := ws.read(r.Context(), "Organization", v.user.Practice)
	if err != nil {
		return nil, nil, err
	}
	return &portalSettingsPage{adminPage: ws.adminBase(r, v, "Online services", "Online services"),
		Form: clinical.PortalSettingsOf(org).Form(), Version: versionOf(org), Defaults: clinical.DefaultPortalSettings}, org, nil
}

func (ws *Workspace) portalSettingsPage(w http.ResponseWriter, r *http.Request, v *visit) {
	p, _, err := ws.newPortalSettingsPage(r, v)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	adminPages.Render(w, "admin-portal", http.StatusOK, p)
}

// changePortalSettings saves the settings, or shows what is wrong and
// saves nothing.
func (ws *Workspace) changePortalSettings(w http.ResponseWriter, r *http.Request, v *visit) {
	p, org, err := ws.newPortalSettingsPage(r, v)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	p.Form = clinical.PortalSettingsForm{OrderWindow: r.PostFormValue("order-window"), CancelCutoff: r.PostFormValue("cancel-cutoff")}
	settings, errs := p.Form.Check()
	if len(errs) > 0 {
		for _, f := range []string{"order-window", "cancel-cutoff"} {
			if e := errs[f]; e != "" {
				p.AddError(f, e)
			}
		}
		adminPages.Render(w, "admin-portal", http.StatusBadRequest, p)
		return
	}
	version, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil || strconv.FormatInt(version, 10) != p.Version {
		ws.adminMessage(w, r, v, http.StatusConflict, "Not saved: changed since", "The practice's settings changed after you opened the page, so nothing was saved. Go back, reload the page and try again.")
		return
	}
	_, err = ws.opts.Service.Update(r.Context(), "Organization", org.ID(), clinical.WithPortalSettings(org, settings), service.Precondition{Set: true, Version: version})
	var fe *fhir.Error
	switch {
	case errors.As(err, &fe) && fe.Status == http.StatusPreconditionFailed:
		ws.adminMessage(w, r, v, http.StatusConflict, "Not saved: changed since", "The practice's settings changed after you opened the page, so nothing was saved. Go back, reload the page and try again.")
		return
	case err != nil:
		ws.failed(w, r, v, err)
		return
	}
	redirectDone(w, r, "/workspace/admin/portal", "portal")
}
