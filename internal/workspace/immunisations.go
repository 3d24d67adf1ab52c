package workspace

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/codes"
)

// immunisationsPage lists immunisations (newest first) and records one
// given (batch, expiry, route, site, dose, consent; given by the user)
// or offered and declined.
type immunisationsPage struct {
	*entriesPage
	Immunisations []clinical.ImmunisationRow
	// The add form.
	Vaccine                                 rxCode
	Given                                   string // "given" or "declined"
	Date, Expiry                            rxDate
	Batch, Route, Site, Dose, Consent, Note string
	Outcomes, Routes, Sites, Consents       []clinical.Choice
}

func (ws *Workspace) immunisations(w http.ResponseWriter, r *http.Request, v *visit) {
	p, ok := ws.immunisationsPage(w, r, v)
	if !ok {
		return
	}
	now := ws.opts.Now().In(clinical.London)
	p.Given, p.Route = "given", "IM"
	p.Date = rxDate{now.Format("2"), now.Format("1"), now.Format("2006")}
	ws.pages.Render(w, "immunisations", http.StatusOK, p)
}

func (ws *Workspace) immunisationsPage(w http.ResponseWriter, r *http.Request, v *visit) (*immunisationsPage, bool) {
	base, ok := ws.entriesBase(w, r, v, "Immunisations", "Immunisations", "Immunization")
	if !ok {
		return nil, false
	}
	ims, err := ws.recordEntries(r.Context(), "Immunization", base.Banner.ID, url.Values{"_count": {"200"}, "_sort": {"-date"}})
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, false
	}
	return &immunisationsPage{entriesPage: base, Immunisations: clinical.ImmunisationRows(ims),
		Outcomes: []clinical.Choice{{Key: "given", Label: "Given"}, {Key: "declined", Label: "Offered and declined"}},
		Routes:   clinical.ImmunisationRoutes, Sites: clinical.ImmunisationSites, Consents: clinical.ImmunisationConsents}, true
}

func (ws *Workspace) addImmunisation(w http.ResponseWriter, r *http.Request, v *visit) {
	p, ok := ws.immunisationsPage(w, r, v)
	if !ok || !ws.samePatient(w, r, v, *p.Banner) {
		return
	}
	if !p.MayWrite {
		ws.message(w, r, v, http.StatusForbidden, "Not available to your role", "Your role cannot record immunisations.")
		return
	}
	f := r.PostForm
	p.Vaccine = ws.parseRecordCode(r.Context(), f, "vaccine", codes.Vaccines)
	p.Given, p.Date, p.Expiry = f.Get("given"), rxDateOf(f, "date"), rxDateOf(f, "expiry")
	p.Batch, p.Route, p.Site, p.Dose, p.Consent, p.Note = f.Get("batch"), f.Get("route"), f.Get("site"), f.Get("dose"), f.Get("consent"), f.Get("note")
	if rxFinding(f) {
		ws.pages.Render(w, "immunisations", http.StatusOK, p)
		return
	}
	im := clinical.NewImmunisation{Vaccine: p.Vaccine.Chosen, Given: p.Given == "given", Batch: p.Batch, Route: p.Route, Site: p.Site, Consent: p.Consent, DeclinedNote: p.Note}
	errs := map[string]string{}
	var msg string
	if p.Given != "given" && p.Given != "declined" {
		errs["given"] = "Select given or declined"
	}
	if im.Date, msg = clinical.ParseDay(p.Date.Day, p.Date.Month, p.Date.Year, "the date", false); msg != "" {
		errs["date-day"] = msg
	}
	if im.Given {
		if im.Expiry, msg = clinical.ParseDay(p.Expiry.Day, p.Expiry.Month, p.Expiry.Year, "the expiry date", true); msg != "" {
			errs["expiry-day"] = msg
		}
		if d := strings.TrimSpace(p.Dose); d != "" {
			n, err := strconv.Atoi(d)
			if err != nil || n < 1 {
				errs["dose"] = "The dose number must be a whole number, like 2, or left empty"
			}
			im.Dose = n
		}
	}
	for k, m := range im.Check(ws.opts.Now()) {
		if _, set := errs[k]; !set {
			errs[k] = m
		}
	}
	if len(errs) > 0 {
		fieldErrors(&p.page, errs, []string{"vaccine", "given", "date-day", "batch", "expiry-day", "route", "site", "dose", "consent"})
		ws.pages.Render(w, "immunisations", http.StatusUnprocessableEntity, p)
		return
	}
	who := ws.entryAuthor(r.Context(), v)
	if err := ws.addEntry(r.Context(), p.Banner.ID, im.Resource(p.Banner.ID, who, ws.opts.Now()), who); err != nil {
		ws.entryFailed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/patients/"+p.Banner.ID+"/immunisations?saved=added", http.StatusSeeOther)
}
