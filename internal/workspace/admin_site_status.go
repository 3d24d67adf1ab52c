package workspace

import (
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// openOrCloseSite closes a site (a branch that shut) or reopens it. A
// site is never deleted: appointments and encounters refer to it. The
// Location is updated If-Match the version the page showed; reopening a
// main surgery beside another open one is refused (clinical's rule).
func (ws *Workspace) openOrCloseSite(w http.ResponseWriter, r *http.Request, v *visit) {
	p, err := ws.newSitesPage(r, v)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	id := r.PathValue("site")
	i := slices.IndexFunc(p.Sites, func(s clinical.Site) bool { return s.ID == id })
	if i < 0 {
		ws.adminMessage(w, r, v, http.StatusNotFound, "No such site", "There is no site of your practice with that id.")
		return
	}
	reopen := r.PostFormValue("action") == "reopen"
	if reopen {
		site := p.Sites[i]
		site.Active = true
		if msg := site.CheckAmong(p.Sites)["kind"]; msg != "" {
			p.AddError("site-"+id, "This site cannot be reopened as a main surgery: "+msg)
			adminPages.Render(w, "admin-sites", http.StatusBadRequest, p)
			return
		}
	}
	out, err := ws.opts.Service.Read(r.Context(), "Location", id)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	loc, err := fhir.Unmarshal(out.Version.Body)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if _, err := ws.opts.Service.Update(r.Context(), "Location", id, clinical.WithStatus(loc, reopen), service.Precondition{Set: true, Version: version}); err != nil {
		var fe *fhir.Error
		if errors.As(err, &fe) && (fe.Status == http.StatusConflict || fe.Status == http.StatusPreconditionFailed) {
			p.AddError("site-"+id, "Someone else changed this site while you were looking, so nothing was saved. It is shown as it is now.")
			adminPages.Render(w, "admin-sites", http.StatusConflict, p)
			return
		}
		ws.failed(w, r, v, err)
		return
	}
	done := "closed"
	if reopen {
		done = "reopened"
	}
	redirectDone(w, r, "/workspace/admin/sites", done)
}
