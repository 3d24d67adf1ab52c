package workspace

import (
	"net/http"

	"github.com/gpcloud/gpcloud/internal/oauth"
)

// appsPage lists the SMART apps registered with gpcloud and whether the
// practice allows its staff to use them.
type appsPage struct {
	adminPage
	Apps []appRow
}

type appRow struct {
	ID, Name, Launch string
	Allowed          bool
}

func (ws *Workspace) appsPage(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &appsPage{adminPage: ws.adminBase(r, v, "Apps", "Apps")}
	clients, err := oauth.ListClients(r.Context(), ws.opts.Store)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	allowed, err := oauth.AllowedApps(r.Context(), ws.opts.Store, v.user.Practice)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	for _, c := range clients {
		if c.Kind == oauth.KindSystem {
			continue // a backend service, not an app staff open
		}
		row := appRow{ID: c.ID, Name: c.Name, Launch: c.LaunchURL}
		for _, id := range allowed {
			row.Allowed = row.Allowed || id == c.ID
		}
		p.Apps = append(p.Apps, row)
	}
	adminPages.Render(w, "admin-apps", http.StatusOK, p)
}

// changeApp allows or revokes one app for the practice.
func (ws *Workspace) changeApp(w http.ResponseWriter, r *http.Request, v *visit) {
	id, action := r.PostFormValue("client_id"), r.PostFormValue("action")
	var err error
	done := "allowed"
	switch action {
	case "allow":
		err = oauth.AllowApp(r.Context(), ws.opts.Store, v.user.Practice, id)
	case "revoke":
		err, done = oauth.RevokeApp(r.Context(), ws.opts.Store, v.user.Practice, id), "revoked"
	default:
		ws.adminMessage(w, r, v, http.StatusBadRequest, "Nothing changed", "Choose Allow or Revoke beside an app.")
		return
	}
	if err != nil {
		ws.auditAdmin(r, v, "apps", "U", action+" app "+id+" refused: "+err.Error(), http.StatusBadRequest)
		ws.adminMessage(w, r, v, http.StatusBadRequest, "Nothing changed", "That app cannot be "+done+": "+err.Error())
		return
	}
	ws.auditAdmin(r, v, "apps", "U", "app "+id+" "+done+" for practice "+v.user.Practice, http.StatusOK)
	redirectDone(w, r, "/workspace/admin/apps", done)
}
