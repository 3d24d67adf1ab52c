package workspace

import (
	"net/http"
	"strconv"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// detailsForm shows the patient's details to change.
func (ws *Workspace) detailsForm(w http.ResponseWriter, r *http.Request, v *visit) {
	p, _, ok := ws.detailsPage(w, r, v)
	if !ok {
		return
	}
	ws.pages.Render(w, "register", http.StatusOK, p)
}

// saveDetails writes the changed details If-Match the version the form
// was shown with: when someone changed the patient since, nothing is
// written and the form shows their version to change again. A new NHS
// number that another of the practice's patients holds is refused.
func (ws *Workspace) saveDetails(w http.ResponseWriter, r *http.Request, v *visit) {
	p, patient, ok := ws.detailsPage(w, r, v)
	if !ok || !ws.samePatient(w, r, v, *p.Banner) {
		return
	}
	ctx := r.Context()
	shown := r.PostFormValue("version")
	p.Form.Demographics = parseDemographics(r.PostForm)
	p.Version = shown
	errs := p.Form.Demographics.Check(ws.opts.Now())
	practice, _, err := ws.practiceAndClinicians(ctx, v)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	if errs["nhs"] == "" && p.Form.NHS != "" {
		trace, err := ws.pdsService().Lookup(ctx, p.Form.NHS)
		if err != nil {
			ws.failed(w, r, v, err)
			return
		}
		for _, other := range trace.Records {
			if other.ID() != patient.ID() {
				errs["nhs"] = "Another patient on the practice's records has this NHS number: check it"
			}
		}
	}
	if len(errs) > 0 {
		fieldErrors(&p.page, errs, registerFieldOrder)
		ws.pages.Render(w, "register", http.StatusUnprocessableEntity, p)
		return
	}
	version, err := strconv.ParseInt(shown, 10, 64)
	if err != nil {
		ws.changedMeanwhile(w, p, "given")
		return
	}
	updated := clinical.PatientOf(patient, p.Form.Demographics, practice, clinical.Ref{}, "")
	delete(updated, "meta")
	if meta, ok := patient["meta"].(map[string]any); ok {
		keep := map[string]any{}
		for k, val := range meta {
			if k != "versionId" && k != "lastUpdated" {
				keep[k] = val
			}
		}
		if len(keep) > 0 {
			updated["meta"] = keep
		}
	}
	_, err = ws.opts.Service.Update(ctx, "Patient", patient.ID(), updated, service.Precondition{Set: true, Version: version})
	if isConflict(err) {
		// Show their version, to change again: never the stale one.
		fresh, rerr := ws.read(ctx, "Patient", patient.ID())
		if rerr == nil {
			p.Form.Demographics, p.Version = clinical.DemographicsOf(fresh), versionOf(fresh)
		}
		ws.changedMeanwhile(w, p, "given")
		return
	}
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/patients/"+patient.ID()+"/registration?done=details", http.StatusSeeOther)
}

func (ws *Workspace) detailsPage(w http.ResponseWriter, r *http.Request, v *visit) (*registerPage, fhir.Resource, bool) {
	if !mayRegister(v.principal) {
		ws.message(w, r, v, http.StatusForbidden, "Not available to your role", "Changing patients' details is not available to your role.")
		return nil, nil, false
	}
	banner, patient, ok := ws.patientResource(w, r, v)
	if !ok {
		return nil, nil, false
	}
	p, err := ws.registerChoices(r.Context(), v, "details")
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, nil, false
	}
	ws.onRecord(v, p, &banner, "/details")
	p.Version = versionOf(patient)
	p.Form.Demographics = clinical.DemographicsOf(patient)
	p.Restricted = clinical.RestrictedAddress(patient)
	return p, patient, true
}
