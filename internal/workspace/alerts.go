package workspace

import (
	"net/http"
	"net/url"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// alertsPage lists the patient's alerts (Flag), active first; staff who
// may write them add and end them. Active alerts show in the banner of
// every record page.
type alertsPage struct {
	*entriesPage
	Alerts       []clinical.AlertRow
	Kind, Detail string
	Kinds        []clinical.Choice
}

func (ws *Workspace) alerts(w http.ResponseWriter, r *http.Request, v *visit) {
	p, ok := ws.alertsPage(w, r, v)
	if !ok {
		return
	}
	ws.pages.Render(w, "alerts", http.StatusOK, p)
}

func (ws *Workspace) alertsPage(w http.ResponseWriter, r *http.Request, v *visit) (*alertsPage, bool) {
	base, ok := ws.entriesBase(w, r, v, "Alerts", "Alerts", "Flag")
	if !ok {
		return nil, false
	}
	flags, err := ws.recordEntries(r.Context(), "Flag", base.Banner.ID, url.Values{"_count": {"200"}})
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, false
	}
	return &alertsPage{entriesPage: base, Alerts: clinical.AlertRows(flags), Kinds: clinical.AlertKindChoices()}, true
}

func (ws *Workspace) addAlert(w http.ResponseWriter, r *http.Request, v *visit) {
	p, ok := ws.alertsPage(w, r, v)
	if !ok || !ws.samePatient(w, r, v, *p.Banner) {
		return
	}
	if !p.MayWrite {
		ws.message(w, r, v, http.StatusForbidden, "Not available to your role", "Your role cannot add alerts.")
		return
	}
	a := clinical.NewAlert{Kind: r.PostFormValue("kind"), Detail: r.PostFormValue("detail")}
	p.Kind, p.Detail = a.Kind, a.Detail
	if errs := a.Check(); len(errs) > 0 {
		fieldErrors(&p.page, errs, []string{"kind", "detail"})
		ws.pages.Render(w, "alerts", http.StatusUnprocessableEntity, p)
		return
	}
	who := ws.entryAuthor(r.Context(), v)
	if err := ws.addEntry(r.Context(), p.Banner.ID, a.Resource(p.Banner.ID, who, ws.opts.Now()), who); err != nil {
		ws.entryFailed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/patients/"+p.Banner.ID+"/alerts?saved=added", http.StatusSeeOther)
}

func (ws *Workspace) endAlert(w http.ResponseWriter, r *http.Request, v *visit) {
	patient, ok := ws.patient(w, r, v)
	if !ok || !ws.samePatient(w, r, v, patient) {
		return
	}
	if r.PostFormValue("do") != "end" {
		http.Error(w, "unknown action", http.StatusBadRequest)
		return
	}
	now := ws.opts.Now()
	end := func(f fhir.Resource) (fhir.Resource, bool) { return clinical.EndAlert(f, now), true }
	if err := ws.changeEntry(r.Context(), patient.ID, "Flag", r.PathValue("entry"), r.PostFormValue("version"), end, ws.entryAuthor(r.Context(), v), "Alert ended", false); err != nil {
		ws.entryFailed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/patients/"+patient.ID+"/alerts?saved=ended", http.StatusSeeOther)
}
