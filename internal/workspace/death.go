package workspace

import (
	"context"
	"net/http"
	"net/url"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// deathForm asks for the date of death.
func (ws *Workspace) deathForm(w http.ResponseWriter, r *http.Request, v *visit) {
	p, _, ok := ws.deathPage(w, r, v)
	if !ok {
		return
	}
	ws.pages.Render(w, "register", http.StatusOK, p)
}

// recordDeath writes Patient.deceasedDateTime (If-Match the version
// shown) and cancels the patient's future appointments, in one
// transaction: no reminder goes to a bereaved family.
func (ws *Workspace) recordDeath(w http.ResponseWriter, r *http.Request, v *visit) {
	p, patient, ok := ws.deathPage(w, r, v)
	if !ok || !ws.samePatient(w, r, v, *p.Banner) {
		return
	}
	f := r.PostForm
	p.Death = clinical.Death{Day: f.Get("death-day"), Month: f.Get("death-month"), Year: f.Get("death-year"), Place: f.Get("place"), Informant: f.Get("informant")}
	birth, _ := patient["birthDate"].(string)
	if errs := p.Death.Check(ws.opts.Now(), birth); len(errs) > 0 {
		fieldErrors(&p.page, errs, registerFieldOrder)
		ws.pages.Render(w, "register", http.StatusUnprocessableEntity, p)
		return
	}
	if f.Get("version") != versionOf(patient) {
		ws.changedMeanwhile(w, p, "death-day")
		return
	}
	appts, err := ws.futureAppointments(r.Context(), patient.ID())
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	_, err = ws.transact(r.Context(), clinical.DeathBundle(patient, p.Death, appts))
	if isConflict(err) {
		ws.changedMeanwhile(w, p, "death-day")
		return
	}
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/patients/"+patient.ID()+"/registration?done=died", http.StatusSeeOther)
}

// futureAppointments are the patient's appointments from today, as the
// user.
func (ws *Workspace) futureAppointments(ctx context.Context, patientID string) ([]fhir.Resource, error) {
	out, err := ws.opts.Service.Search(ctx, service.SearchRequest{Type: "Appointment", Params: url.Values{"patient": {patientID},
		"date": {"ge" + ws.opts.Now().In(clinical.London).Format("2006-01-02")}, "_count": {"100"}}})
	if err != nil {
		return nil, err
	}
	return searchMatches(out.Resource), nil
}

func (ws *Workspace) deathPage(w http.ResponseWriter, r *http.Request, v *visit) (*registerPage, fhir.Resource, bool) {
	if !mayRegister(v.principal) {
		ws.message(w, r, v, http.StatusForbidden, "Not available to your role", "Recording a death is not available to your role.")
		return nil, nil, false
	}
	banner, patient, ok := ws.patientResource(w, r, v)
	if !ok {
		return nil, nil, false
	}
	if banner.Deceased {
		ws.message(w, r, v, http.StatusConflict, "Already recorded", "This patient's death is already recorded.")
		return nil, nil, false
	}
	p, err := ws.registerChoices(r.Context(), v, "death")
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, nil, false
	}
	ws.onRecord(v, p, &banner, "/death")
	p.Version = versionOf(patient)
	return p, patient, true
}
