package workspace

import (
	"net/http"
	"net/url"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/service"
)

// sitesPage lists the practice's sites (main and branch surgeries, as
// Location resources it manages) with a form to add one.
type sitesPage struct {
	adminPage
	Sites []clinical.Site
	Form  clinical.Site
	Kinds []clinical.Choice
}

func (ws *Workspace) newSitesPage(r *http.Request, v *visit) (*sitesPage, error) {
	p := &sitesPage{adminPage: ws.adminBase(r, v, "Sites", "Sites"), Kinds: clinical.SiteKinds}
	out, err := ws.opts.Service.Search(r.Context(), service.SearchRequest{Type: "Location",
		Params: url.Values{"organization": {"Organization/" + v.user.Practice}, "_count": {"100"}, "_sort": {"name"}}})
	if err != nil {
		return nil, err
	}
	for _, res := range searchMatches(out.Resource) {
		p.Sites = append(p.Sites, clinical.SiteOf(res))
	}
	return p, nil
}

func (ws *Workspace) sitesPage(w http.ResponseWriter, r *http.Request, v *visit) {
	p, err := ws.newSitesPage(r, v)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	if len(p.Sites) == 0 {
		p.Form.Kind = "main"
	}
	adminPages.Render(w, "admin-sites", http.StatusOK, p)
}

// addSite adds a site: checked by clinical, written as the admin.
func (ws *Workspace) addSite(w http.ResponseWriter, r *http.Request, v *visit) {
	p, err := ws.newSitesPage(r, v)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	p.Form = clinical.Site{Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"), Lines: r.PostFormValue("lines"),
		Town: r.PostFormValue("town"), Postcode: r.PostFormValue("postcode"), Phone: r.PostFormValue("phone")}
	errs := p.Form.CheckAmong(p.Sites)
	for _, f := range []string{"name", "kind", "lines", "town", "postcode", "phone"} {
		if m := errs[f]; m != "" {
			p.AddError(f, m)
		}
	}
	if len(p.Errors) > 0 {
		adminPages.Render(w, "admin-sites", http.StatusBadRequest, p)
		return
	}
	if _, err := ws.opts.Service.Create(r.Context(), "Location", clinical.LocationOf(p.Form, v.user.Practice), ""); err != nil {
		ws.failed(w, r, v, err)
		return
	}
	redirectDone(w, r, "/workspace/admin/sites", "site")
}
