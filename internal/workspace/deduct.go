package workspace

import (
	"errors"
	"net/http"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// deductForm asks why and when a patient leaves the list.
func (ws *Workspace) deductForm(w http.ResponseWriter, r *http.Request, v *visit) {
	p, _, _, ok := ws.deductPage(w, r, v)
	if !ok {
		return
	}
	p.Deduction.Day, p.Deduction.Month, p.Deduction.Year = clinical.DateInput(ws.opts.Now().In(clinical.London))
	ws.pages.Render(w, "register", http.StatusOK, p)
}

// deduct ends the current registration with the reason and marks the
// patient inactive, in one transaction, both If-Match the versions the
// form was shown with: a registration or patient changed since is not
// overwritten. The patient stays on the practice's records, findable
// and marked deducted.
func (ws *Workspace) deduct(w http.ResponseWriter, r *http.Request, v *visit) {
	p, patient, episode, ok := ws.deductPage(w, r, v)
	if !ok || !ws.samePatient(w, r, v, *p.Banner) {
		return
	}
	f := r.PostForm
	p.Deduction = clinical.Deduction{Reason: f.Get("reason"), Other: f.Get("other"), Day: f.Get("date-day"), Month: f.Get("date-month"), Year: f.Get("date-year")}
	start, _ := mapAt(episode, "period")["start"].(string)
	if errs := p.Deduction.Check(ws.opts.Now(), start); len(errs) > 0 {
		fieldErrors(&p.page, errs, registerFieldOrder)
		ws.pages.Render(w, "register", http.StatusUnprocessableEntity, p)
		return
	}
	// The versions the user saw, not the ones just read.
	if f.Get("episode-version") != p.Current.Version || f.Get("version") != versionOf(patient) {
		ws.changedMeanwhile(w, p, "reason")
		return
	}
	_, err := ws.transact(r.Context(), clinical.DeductionBundle(patient, episode, p.Deduction))
	if isConflict(err) {
		ws.changedMeanwhile(w, p, "reason")
		return
	}
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/patients/"+patient.ID()+"/registration?done=deducted", http.StatusSeeOther)
}

// deductPage reads the patient and their current registration; a
// patient with none is told so.
func (ws *Workspace) deductPage(w http.ResponseWriter, r *http.Request, v *visit) (*registerPage, fhir.Resource, fhir.Resource, bool) {
	if !mayRegister(v.principal) {
		ws.message(w, r, v, http.StatusForbidden, "Not available to your role", "Deducting patients is not available to your role.")
		return nil, nil, nil, false
	}
	banner, patient, ok := ws.patientResource(w, r, v)
	if !ok {
		return nil, nil, nil, false
	}
	eps, err := ws.episodes(r.Context(), banner.ID)
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, nil, nil, false
	}
	for _, ep := range eps {
		if view := clinical.ViewRegistration(ep, ws.opts.Now()); view.Current {
			p, err := ws.registerChoices(r.Context(), v, "deduct")
			if err != nil {
				ws.failed(w, r, v, err)
				return nil, nil, nil, false
			}
			ws.onRecord(v, p, &banner, "/deduct")
			p.Current, p.Version = &view, versionOf(patient)
			return p, patient, ep, true
		}
	}
	ws.message(w, r, v, http.StatusConflict, "Not registered", "This patient has no current registration to end.")
	return nil, nil, nil, false
}

// onRecord frames a registration page on the patient's record.
func (ws *Workspace) onRecord(v *visit, p *registerPage, banner *clinical.Banner, action string) {
	rb := ws.recordBase(v, p.Title, "Registration", banner)
	p.Banner, p.Tabs, p.CurrentTab = rb.Banner, rb.Tabs, rb.CurrentTab
	p.Action = "/workspace/patients/" + banner.ID + "/registration" + action
}

// changedMeanwhile answers a save refused because someone changed the
// record since the form was shown: nothing was written.
func (ws *Workspace) changedMeanwhile(w http.ResponseWriter, p *registerPage, field string) {
	p.AddError(field, "Someone else changed this patient's record while you were working, so nothing was saved. Open the record again to see their changes, then try again.")
	ws.pages.Render(w, "register", http.StatusConflict, p)
}

func isConflict(err error) bool {
	var fe *fhir.Error
	return errors.As(err, &fe) && (fe.Status == http.StatusConflict || fe.Status == http.StatusPreconditionFailed)
}

func mapAt(r fhir.Resource, k string) map[string]any {
	m, _ := r[k].(map[string]any)
	return m
}
