package workspace

import (
	"net/http"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// reregisterForm asks for a new registration of a patient who has none
// now (deducted, or a temporary registration that ended).
func (ws *Workspace) reregisterForm(w http.ResponseWriter, r *http.Request, v *visit) {
	p, _, ok := ws.reregisterPage(w, r, v)
	if !ok {
		return
	}
	p.Form.Type = "regular"
	p.Form.StartDay, p.Form.StartMonth, p.Form.StartYear = clinical.DateInput(ws.opts.Now().In(clinical.London))
	ws.pages.Render(w, "register", http.StatusOK, p)
}

// reregister writes a new EpisodeOfCare and makes the Patient active
// again, in one transaction (the Patient If-Match the version shown).
func (ws *Workspace) reregister(w http.ResponseWriter, r *http.Request, v *visit) {
	p, patient, ok := ws.reregisterPage(w, r, v)
	if !ok || !ws.samePatient(w, r, v, *p.Banner) {
		return
	}
	practice, clinicians, err := ws.practiceAndClinicians(r.Context(), v)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	form := parseRegistration(r.PostForm)
	form.Demographics = p.Form.Demographics
	p.Form = form
	if b, ok := patient["birthDate"].(string); ok {
		p.Form.BirthDate, _ = time.ParseInLocation("2006-01-02", b, clinical.London)
	}
	if errs := p.Form.CheckTerms(ws.opts.Now(), clinicians); len(errs) > 0 {
		fieldErrors(&p.page, errs, registerFieldOrder)
		ws.pages.Render(w, "register", http.StatusUnprocessableEntity, p)
		return
	}
	if r.PostFormValue("version") != versionOf(patient) {
		ws.changedMeanwhile(w, p, "type")
		return
	}
	eps, err := ws.episodes(r.Context(), patient.ID())
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	_, err = ws.transact(r.Context(), clinical.ReregistrationBundle(patient, p.Form, practice, eps, ws.opts.Now()))
	if isConflict(err) {
		ws.changedMeanwhile(w, p, "type")
		return
	}
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/patients/"+patient.ID()+"/registration?done=reregistered", http.StatusSeeOther)
}

// reregisterPage reads the patient; one registered now is told so.
func (ws *Workspace) reregisterPage(w http.ResponseWriter, r *http.Request, v *visit) (*registerPage, fhir.Resource, bool) {
	if !mayRegister(v.principal) {
		ws.message(w, r, v, http.StatusForbidden, "Not available to your role", "Registering patients is not available to your role.")
		return nil, nil, false
	}
	banner, patient, ok := ws.patientResource(w, r, v)
	if !ok {
		return nil, nil, false
	}
	eps, err := ws.episodes(r.Context(), banner.ID)
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, nil, false
	}
	for _, ep := range eps {
		if clinical.ViewRegistration(ep, ws.opts.Now()).Current {
			ws.message(w, r, v, http.StatusConflict, "Already registered", "This patient is registered now: deduct them first to register them again.")
			return nil, nil, false
		}
	}
	if banner.Deceased {
		ws.message(w, r, v, http.StatusConflict, "Not registered", "A patient recorded as deceased cannot be registered.")
		return nil, nil, false
	}
	p, err := ws.registerChoices(r.Context(), v, "reregister")
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, nil, false
	}
	ws.onRecord(v, p, &banner, "/new")
	p.Version = versionOf(patient)
	p.Form.Demographics = clinical.DemographicsOf(patient)
	// The usual GP they had, to keep or change.
	if gps, _ := patient["generalPractitioner"].([]any); len(gps) > 0 {
		if ref, _ := gps[0].(map[string]any); ref != nil {
			p.Form.UsualGP, _ = ref["reference"].(string)
		}
	}
	return p, patient, true
}
