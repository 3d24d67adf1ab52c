package workspace

import (
	"net/http"
	"strings"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// addElsewhere records a medicine the patient takes that the practice
// did not prescribe (hospital, over the counter): a MedicationStatement,
// shown on the tab and in every safety check (E00102).
func (ws *Workspace) addElsewhere(w http.ResponseWriter, r *http.Request, v *visit) {
	p, ok := ws.medicationPage(w, r, v)
	if !ok || !ws.samePatient(w, r, v, *p.Banner) {
		return
	}
	if !p.MayRecordElsewhere {
		ws.message(w, r, v, http.StatusForbidden, "Not available to your role", "Your role cannot record medicines.")
		return
	}
	f := r.PostForm
	var med clinical.Medicine
	var err error
	if p.ElsewhereCode, med, err = ws.parseMedicine(r.Context(), f, "elsewhere"); err != nil {
		ws.failed(w, r, v, err)
		return
	}
	p.ElsewhereDose, p.Source = strings.TrimSpace(f.Get("elsewhere-dose")), f.Get("source")
	if rxFinding(f) {
		ws.pages.Render(w, "medication", http.StatusOK, p)
		return
	}
	e := clinical.Elsewhere{Dose: p.ElsewhereDose, Source: p.Source}
	e.Medicine = med
	if errs := e.Check(); len(errs) > 0 {
		fieldErrors(&p.page, errs, []string{"elsewhere", "elsewhere-dose", "source"})
		ws.pages.Render(w, "medication", http.StatusUnprocessableEntity, p)
		return
	}
	who := ws.entryAuthor(r.Context(), v)
	if err := ws.addEntry(r.Context(), p.Banner.ID, e.Resource(p.Banner.ID, who, ws.opts.Now()), who); err != nil {
		ws.entryFailed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/patients/"+p.Banner.ID+"/medication?saved=elsewhere", http.StatusSeeOther)
}

// endElsewhere marks a medicine from elsewhere no longer taken, If-Match.
func (ws *Workspace) endElsewhere(w http.ResponseWriter, r *http.Request, v *visit) {
	patient, ok := ws.patient(w, r, v)
	if !ok || !ws.samePatient(w, r, v, patient) {
		return
	}
	if r.PostFormValue("do") != "end" {
		http.Error(w, "unknown action", http.StatusBadRequest)
		return
	}
	end := func(st fhir.Resource) (fhir.Resource, bool) { return clinical.EndElsewhere(st) }
	if err := ws.changeEntry(r.Context(), patient.ID, "MedicationStatement", r.PathValue("entry"), r.PostFormValue("version"), end,
		ws.entryAuthor(r.Context(), v), "No longer taken", false); err != nil {
		ws.entryFailed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/patients/"+patient.ID+"/medication?saved=ended", http.StatusSeeOther)
}
