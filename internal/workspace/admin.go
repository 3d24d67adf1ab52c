package workspace

import (
	"net/http"
	"net/url"

	"github.com/gpcloud/gpcloud/internal/audit"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/web"
)

// Practice admin: the practice's sites, staff, teams and the SMART apps
// it allows, for its practice admins in the browser (the command line
// could do some of it before). The rules are identity's (accounts),
// oauth's (apps) and clinical's (the directory's FHIR shapes); the pages
// decode forms, call them or the service as the admin, and render. One
// file per task: admin_sites.go, admin_staff*.go, admin_teams.go,
// admin_apps.go, admin_portal.go.

const adminNavLabel = "Practice admin"

// adminPages are the practice admin's page templates.
var adminPages = web.NewRenderer(templateFS, "templates", pageFuncs, []string{"admin-shared"},
	"admin-message", "admin-sites", "admin-staff", "admin-staff-new", "admin-staff-added", "admin-member", "admin-teams", "admin-apps", "admin-rotas", "admin-rota", "admin-portal", "admin-pa-claims")

// adminSections are the admin pages' own navigation.
var adminSections = []struct{ path, label string }{
	{"/workspace/admin/staff", "Staff"},
	{"/workspace/admin/sites", "Sites"},
	{"/workspace/admin/teams", "Teams"},
	{"/workspace/admin/apps", "Apps"},
	{"/workspace/admin/rotas", "Rotas"},
	{"/workspace/admin/portal", "Online services"},
	{"/workspace/admin/forms", "Online request form"},
	{"/workspace/admin/pa-claims", "Personally administered"},
}

func (ws *Workspace) adminRoutes() {
	m := ws.mux
	m.HandleFunc("GET /workspace/admin/{$}", ws.admin("read", func(w http.ResponseWriter, r *http.Request, v *visit) {
		http.Redirect(w, r, "/workspace/admin/staff", http.StatusSeeOther)
	}))
	m.HandleFunc("GET /workspace/admin/sites", ws.admin("search-type", ws.sitesPage))
	m.HandleFunc("POST /workspace/admin/sites", ws.admin("create", ws.addSite))
	m.HandleFunc("POST /workspace/admin/sites/{site}", ws.admin("update", ws.openOrCloseSite))
	m.HandleFunc("GET /workspace/admin/staff", ws.admin("search-type", ws.staffPage))
	m.HandleFunc("GET /workspace/admin/staff/new", ws.admin("read", ws.newStaffForm))
	m.HandleFunc("POST /workspace/admin/staff/new", ws.admin("create", ws.addStaff))
	m.HandleFunc("GET /workspace/admin/staff/{user}", ws.admin("read", ws.memberPage))
	m.HandleFunc("POST /workspace/admin/staff/{user}/role", ws.admin("update", ws.changeRole))
	m.HandleFunc("POST /workspace/admin/staff/{user}/suspend", ws.admin("update", ws.suspend))
	m.HandleFunc("POST /workspace/admin/staff/{user}/registration", ws.admin("transaction", ws.changeRegistration))
	m.HandleFunc("POST /workspace/admin/staff/{user}/second-factor", ws.admin("update", ws.resetSecondFactor))
	m.HandleFunc("GET /workspace/admin/teams", ws.admin("search-type", ws.teamsPage))
	m.HandleFunc("POST /workspace/admin/teams", ws.admin("create", ws.addTeam))
	m.HandleFunc("POST /workspace/admin/teams/{team}", ws.admin("update", ws.changeTeamMembers))
	m.HandleFunc("GET /workspace/admin/apps", ws.admin("read", ws.appsPage))
	m.HandleFunc("POST /workspace/admin/apps", ws.admin("update", ws.changeApp))
	m.HandleFunc("GET /workspace/admin/rotas", ws.admin("search-type", ws.rotasPage))
	m.HandleFunc("POST /workspace/admin/rotas", ws.admin("create", ws.addRota))
	m.HandleFunc("GET /workspace/admin/rotas/{schedule}", ws.admin("read", ws.rotaPage))
	m.HandleFunc("POST /workspace/admin/rotas/{schedule}", ws.admin("update", ws.changeRota))
	m.HandleFunc("POST /workspace/admin/rotas/{schedule}/generate", ws.admin("transaction", ws.generateSlots))
	m.HandleFunc("GET /workspace/admin/portal", ws.admin("read", ws.portalSettingsPage))
	m.HandleFunc("POST /workspace/admin/portal", ws.admin("update", ws.changePortalSettings))
	ws.formRoutes()    // admin_forms.go
	ws.paClaimRoutes() // admin_pa_claims.go
}

// admin wraps a practice admin's page: the staff wrapper (principal,
// CSRF, audit), then identity's rule of who administers the practice. A
// GP, a nurse, a receptionist gets 403 and the page says why.
func (ws *Workspace) admin(interaction string, h func(http.ResponseWriter, *http.Request, *visit)) http.HandlerFunc {
	return ws.staff(interaction, func(w http.ResponseWriter, r *http.Request, v *visit) {
		if err := identity.CheckAdmin(v.user); err != nil {
			ws.message(w, r, v, http.StatusForbidden, "Not available to your role", "Practice admin is for the practice's administrators.")
			return
		}
		h(w, r, v)
	})
}

// adminPage is what every admin page gets.
type adminPage struct {
	page
	Sections []web.NavItem
	// Done confirms the change just made (after a redirect).
	Done string
}

// adminBase is an admin page's frame; section names its entry in the
// admin navigation.
func (ws *Workspace) adminBase(r *http.Request, v *visit, title, section string) adminPage {
	p := adminPage{page: ws.base(v, title, adminNavLabel)}
	for _, s := range adminSections {
		p.Sections = append(p.Sections, web.NavItem{Href: s.path, Label: s.label, Current: s.label == section})
	}
	p.Done = adminDone[r.URL.Query().Get("done")]
	return p
}

// adminDone are the admin pages' confirmations a redirect after a change may ask
// for (?done=key): fixed texts, so nothing the user typed is in a URL.
var adminDone = map[string]string{
	"rota":         "Rota saved. Generate the slots to put the change in the book.",
	"site":         "Site added.",
	"closed":       "Site closed: it stays in the list, marked closed, for the records that refer to it.",
	"reopened":     "Site reopened.",
	"team":         "Team added.",
	"members":      "Team members saved.",
	"role":         "Role changed.",
	"registration": "Registration and prescribing saved.",
	"suspended":    "Account suspended: they cannot sign in, and any session of theirs has ended.",
	"restored":     "Account reinstated: they can sign in again.",
	"factor":       "Second factor reset: at their next sign-in they add gpcloud to their authenticator app again.",
	"allowed":      "App allowed: staff can now open it from a record.",
	"revoked":      "App revoked: staff can no longer open it or grant it access.",
	"portal":       "Online services settings saved. They apply to patients at once.",
}

// redirectDone answers a change with the page to see it on.
func redirectDone(w http.ResponseWriter, r *http.Request, to, done string) {
	http.Redirect(w, r, to+"?done="+url.QueryEscape(done), http.StatusSeeOther)
}

// auditAdmin records an account or app change (not a FHIR write, which
// the service audits itself) as a security event with what changed.
func (ws *Workspace) auditAdmin(r *http.Request, v *visit, interaction, action, detail string, status int) {
	if ws.opts.Audit == nil {
		return
	}
	e := audit.Describe(r, interaction, v.principal)
	e.Action, e.Status, e.Detail = action, status, detail
	ws.opts.Audit.Record(e)
}

// adminMessage answers with an admin page that says one thing.
func (ws *Workspace) adminMessage(w http.ResponseWriter, r *http.Request, v *visit, status int, title, msg string) {
	p := struct {
		adminPage
		Message string
	}{ws.adminBase(r, v, title, ""), msg}
	adminPages.Render(w, "admin-message", status, &p)
}
