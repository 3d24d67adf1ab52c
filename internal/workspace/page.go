package workspace

import (
	"net/http"
	"slices"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/web"
)

// page is what every workspace page gets.
type page struct {
	web.Page
	// Banner is the patient whose record the page shows, when it shows
	// one: every write the page makes carries this patient's id, and the
	// server refuses a write whose patient differs (two tabs, two
	// patients: the wrong-patient hazard).
	Banner *clinical.Banner
	// Role is the user's, for what the page offers.
	Role auth.Role
	// Tabs are the record's sections, shown under the banner; CurrentTab
	// names the page's.
	Tabs       []web.NavItem
	CurrentTab string
}

// base is a page's frame for the signed-in user; current names the
// navigation entry the page belongs to.
func (ws *Workspace) base(v *visit, title, current string) page {
	p := page{
		Page: web.Page{Title: title, CSRF: v.sess.CSRF, SignedIn: v.user.Name + " (" + string(v.user.Role) + ")", Wide: true,
			Home: "/workspace/", Nav: nav(current)},
		Role: v.user.Role,
	}
	if _, may := v.principal.ReachFor("DiagnosticReport", auth.Read); !may { // inbox.go: not a receptionist's
		p.Nav = slices.DeleteFunc(p.Nav, func(n web.NavItem) bool { return n.Label == inboxNavLabel })
	}
	if v.user.Role.IsClinician() { // referrals.go: the safety net; prescriptions.go: the repeat requests
		p.Nav = append(p.Nav, web.NavItem{Href: "/workspace/prescriptions", Label: prescriptionsNavLabel, Current: current == prescriptionsNavLabel},
			web.NavItem{Href: "/workspace/referrals", Label: referralsNavLabel, Current: current == referralsNavLabel},
			web.NavItem{Href: "/workspace/recalls", Label: recallsNavLabel, Current: current == recallsNavLabel})
	}
	if v.user.Role == auth.RolePracticeAdmin { // admin.go
		p.Nav = append(p.Nav, web.NavItem{Href: "/workspace/admin/", Label: adminNavLabel, Current: current == adminNavLabel})
	}
	return p
}

// nav is the workspace's navigation: every section, so that nothing is
// two clicks away.
func nav(current string) []web.NavItem {
	items := []web.NavItem{
		{Href: "/workspace/", Label: "Find a patient"},
		{Href: "/workspace/register", Label: "Register a patient"},
		{Href: "/workspace/appointments", Label: "Appointments"},
		{Href: "/workspace/tasks", Label: tasksNavLabel, CountURL: "/workspace/tasks/counts"},          // tasks.go
		{Href: "/workspace/inbox", Label: inboxNavLabel},                                               // inbox.go
		{Href: "/workspace/messages", Label: messagesNavLabel, CountURL: "/workspace/messages/counts"}, // messages.go, requests.go
	}
	for i := range items {
		items[i].Current = items[i].Label == current
	}
	return items
}

// recordTabs are the sections of a patient's record, in the order a
// clinician goes through them; each page of the record shows them under
// the banner, so nothing is two clicks away.
var recordTabs = []struct{ path, label string }{
	{"", "Summary"},
	{"/consultations", "Consultations"},
	{"/problems", "Problems"},
	{"/medication", "Medication"},
	{"/allergies", "Allergies"},
	{"/immunisations", "Immunisations"},
	{"/alerts", "Alerts"},
	{"/appointments", "Appointments"},
	{"/tasks", "Tasks"},
	{"/messages", "Messages"},
	{"/proxies", "Online access"},
	{"/referrals", "Referrals"},
	{"/recalls", "Recalls"},
	{"/tests", "Tests"},
	{"/registration", "Registration"},
}

// tabTypes are the resource types a tab shows, for leaving out the tabs
// a role may not read (a receptionist has no problems tab).
var tabTypes = map[string]string{"Consultations": "Encounter", "Problems": "Condition", "Allergies": "AllergyIntolerance",
	"Immunisations": "Immunization", "Alerts": "Flag", "Appointments": "Appointment",
	"Medication": "MedicationRequest", "Tasks": "Task", "Messages": "Communication", "Online access": "Consent", "Referrals": "ServiceRequest", "Recalls": "ServiceRequest", "Tests": "ServiceRequest"}

// recordBase is the frame of a page of one patient's record: the banner
// and the record's sections.
func (ws *Workspace) recordBase(v *visit, title, tab string, patient *clinical.Banner) page {
	p := ws.base(v, title, "")
	p.Banner = patient
	for _, t := range recordTabs {
		if typ, ok := tabTypes[t.label]; ok {
			if _, may := v.principal.ReachFor(typ, auth.Read); !may {
				continue // not the user's role's to read: no tab to a refusal
			}
		}
		p.Tabs = append(p.Tabs, web.NavItem{Href: "/workspace/patients/" + patient.ID + t.path, Label: t.label, Current: t.label == tab})
	}
	p.CurrentTab = tab
	return p
}

// message answers with a page that says one thing (a refusal, a
// failure), with the status given.
func (ws *Workspace) message(w http.ResponseWriter, r *http.Request, v *visit, status int, title, msg string) {
	p := struct {
		page
		Message string
	}{ws.base(v, title, ""), msg}
	ws.pages.Render(w, "message", status, &p)
}
