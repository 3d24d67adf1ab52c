package portal

import (
	"net/http"
	"slices"

	"github.com/gpcloud/gpcloud/internal/web"
)

// pageNames are the portal's page templates.
var pageNames = []string{"message", "home", "switch",
	"appointments", "appointment", "book-mode", "book-times", "book-confirm", "cancel",
	"help-kind", "help-flags", "help-urgent", "help-details", "help-sent",
	"repeats", "record", "details", "messages", "record-views", "video-check", "video-call",
	"register"}

// page is what every portal page gets.
type page struct {
	web.Page
	// PatientID is the record the page is about: every form sends it
	// back, and the server refuses a form for another record.
	PatientID string
	// Whose names the record when it is not the user's own (a proxy's
	// child), shown above every page.
	Whose string
	// Switch offers the "whose record" switch (a proxy for several).
	Switch bool
	// Unavailable: a proxy may read nothing of the person, not even
	// their name (Whose is then a description, not a name).
	Unavailable bool
}

// base is a page's frame; current names the navigation entry.
func (pt *Portal) base(v *visit, title, current string) page {
	p := page{Page: web.Page{Title: title, CSRF: v.sess.CSRF, SignedIn: v.user.Name, Home: "/patient/", Nav: nav(current)},
		PatientID: v.Patient.ID, Switch: len(v.user.Patients) > 1}
	if v.Proxy {
		p.Whose, p.Unavailable = v.Patient.Name, v.unavailable
		// A proxy's menu offers only the services their grant allows.
		p.Nav = slices.DeleteFunc(p.Nav, func(n web.NavItem) bool {
			ok, _ := v.allows(serviceOf(n.Href))
			return !ok
		})
	}
	return p
}

// nav is the portal's menu: the few things a patient comes to do.
func nav(current string) []web.NavItem {
	items := []web.NavItem{
		{Href: "/patient/appointments", Label: "Appointments"},
		{Href: "/patient/help", Label: "Ask for help"},
		{Href: "/patient/prescriptions", Label: "Prescriptions"},
		{Href: "/patient/record", Label: "Health record"},
		{Href: "/patient/messages", Label: "Messages"},
	}
	for i := range items {
		items[i].Current = items[i].Label == current
	}
	return items
}

// message answers with a page that says one thing, with the status given.
func (pt *Portal) message(w http.ResponseWriter, v *visit, status int, title, msg string) {
	p := struct {
		page
		Message string
	}{page{Page: web.Page{Title: title, Home: "/patient/"}}, msg}
	if v != nil && v.sess != nil {
		p.page = pt.base(v, title, "")
	}
	pt.pages.Render(w, "message", status, &p)
}
