package workspace

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// saved is a consultation as stored: its Encounter, its Composition and
// the resources it was saved as (and the patient's problems), by
// reference, each with its version.
type saved struct {
	enc, comp fhir.Resource
	byRef     map[string]fhir.Resource
}

// savedConsultation reads a consultation as the user.
func (ws *Workspace) savedConsultation(ctx context.Context, patientID, encID string) (*saved, error) {
	enc, err := ws.encounterOf(ctx, patientID, encID)
	if err != nil {
		return nil, err
	}
	s := &saved{enc: enc, byRef: map[string]fhir.Resource{"Encounter/" + enc.ID(): enc}}
	for _, q := range []struct {
		typ    string
		params url.Values
	}{
		{"Composition", url.Values{"encounter": {"Encounter/" + encID}}},
		{"Observation", url.Values{"encounter": {"Encounter/" + encID}, "_count": {"500"}}},
		{"Condition", url.Values{"_count": {"500"}}},
	} {
		q.params.Set("patient", patientID)
		out, err := ws.opts.Service.Search(ctx, service.SearchRequest{Type: q.typ, Params: q.params})
		if err != nil {
			return nil, err
		}
		for _, res := range searchMatches(out.Resource) {
			s.byRef[res.Type()+"/"+res.ID()] = res
			if res.Type() == "Composition" {
				s.comp = res
			}
		}
	}
	return s, nil
}

// belongs reports whether a resource was saved by this consultation (and
// so may be amended or retracted through it).
func (s *saved) belongs(ref string) bool {
	res, ok := s.byRef[ref]
	if !ok {
		return false
	}
	if res.Type() == "Encounter" || (s.comp != nil && ref == "Composition/"+s.comp.ID()) {
		return true
	}
	enc, _ := res["encounter"].(map[string]any)
	return enc["reference"] == "Encounter/"+s.enc.ID()
}

func versionOf(res fhir.Resource) string {
	meta, _ := res["meta"].(map[string]any)
	v, _ := meta["versionId"].(string)
	return v
}

// amendForm shows a saved consultation in the form, to amend.
func (ws *Workspace) amendForm(w http.ResponseWriter, r *http.Request, v *visit) {
	patient, ok := ws.consultPatient(w, r, v)
	if !ok {
		return
	}
	s, err := ws.savedConsultation(r.Context(), patient.ID, r.PathValue("enc"))
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	if s.comp == nil || clinical.EnteredInError(s.enc) {
		ws.message(w, r, v, http.StatusConflict, "Cannot be amended", "This consultation was entered in error, or has no notes to amend.")
		return
	}
	p, err := ws.consultForm(r.Context(), v, &patient, s.enc.ID())
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	fillForm(p, clinical.ReadConsultation(s.enc, s.comp, s.byRef))
	p.Version = versionOf(s.comp)
	ws.pages.Render(w, "consultation", http.StatusOK, p)
}

// amend saves an amendment: a new version of each part that changed
// (If-Match the version read), parts emptied marked entered in error, and
// a Provenance with who, when and why; all in one transaction.
func (ws *Workspace) amend(w http.ResponseWriter, r *http.Request, v *visit) {
	patient, ok := ws.consultPatient(w, r, v)
	if !ok || !ws.samePatient(w, r, v, patient) {
		return
	}
	s, err := ws.savedConsultation(r.Context(), patient.ID, r.PathValue("enc"))
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	p, err := ws.consultForm(r.Context(), v, &patient, s.enc.ID())
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	var c clinical.Consultation
	errs := parseConsultForm(r.PostForm, p, &c)
	p.Version, p.Reason = r.PostFormValue("version"), strings.TrimSpace(r.PostFormValue("reason"))
	action := r.PostFormValue("action")
	if action != "save" {
		ws.formAction(r.Context(), p, action)
		ws.pages.Render(w, "consultation", http.StatusOK, p)
		return
	}
	if s.comp == nil || versionOf(s.comp) != p.Version {
		p.AddError("reason", "Someone else changed this consultation while you were amending it, so nothing was saved. Open it again to see their changes.")
		ws.pages.Render(w, "consultation", http.StatusConflict, p)
		return
	}
	c.EncounterID, c.PatientID, c.Practice = s.enc.ID(), patient.ID, v.principal.Practice
	c.Author = ws.author(v, p)
	if p.ClinicianFixed != "" {
		c.Clinician = clinical.Ref{Reference: v.principal.FHIRUser, Display: p.ClinicianFixed}
	}
	// Only this consultation's own resources may be named by the form.
	c.Refs = map[string]string{}
	for slot, ref := range p.Refs {
		if s.belongs(ref) {
			c.Refs[slot] = ref
		}
	}
	c.Refs[clinical.SlotEncounter] = "Encounter/" + s.enc.ID()
	c.Refs[clinical.SlotComposition] = "Composition/" + s.comp.ID()
	for k, msg := range c.Check(ws.opts.Now()) {
		if k == "date" {
			k = "date-day"
		}
		if _, set := errs[k]; !set {
			errs[k] = msg
		}
	}
	if p.Reason == "" {
		errs["reason"] = "Enter why you are amending this consultation"
	}
	if len(errs) > 0 {
		fieldErrors(&p.page, errs, consultFieldOrder(p))
		ws.pages.Render(w, "consultation", http.StatusUnprocessableEntity, p)
		return
	}
	stored := clinical.Stored(s.byRef)
	plan, err := clinical.PlanConsultation(&c, stored, ws.opts.Now())
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	if !plan.Empty() {
		if _, err := ws.write(r.Context(), plan, patient.ID, c.Author, p.Reason); err != nil {
			ws.writeFailed(w, r, v, p, err)
			return
		}
	}
	http.Redirect(w, r, "/workspace/patients/"+patient.ID+"/consultations/"+s.enc.ID()+"?saved=amended", http.StatusSeeOther)
}

// retractPage asks why an entry (or the whole consultation) is being
// marked as entered in error.
type retractPage struct {
	page
	Entry        clinical.EntryView
	Whole        bool
	Target       string
	Version      string
	Reason       string
	Consultation string
}

func (ws *Workspace) retractForm(w http.ResponseWriter, r *http.Request, v *visit) {
	ws.retractStep(w, r, v, false)
}

func (ws *Workspace) retract(w http.ResponseWriter, r *http.Request, v *visit) {
	ws.retractStep(w, r, v, true)
}

// retractStep shows the question (GET) or marks the entry entered in
// error with the reason (POST): the entry stays in the record, struck
// through, with who, when and why.
func (ws *Workspace) retractStep(w http.ResponseWriter, r *http.Request, v *visit, post bool) {
	patient, ok := ws.consultPatient(w, r, v)
	if !ok || (post && !ws.samePatient(w, r, v, patient)) {
		return
	}
	s, err := ws.savedConsultation(r.Context(), patient.ID, r.PathValue("enc"))
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	target := r.URL.Query().Get("entry")
	if post {
		target = r.PostFormValue("entry")
	}
	if !s.belongs(target) {
		ws.message(w, r, v, http.StatusNotFound, "Record not found", "There is no such entry in this consultation.")
		return
	}
	res := s.byRef[target]
	p := &retractPage{page: ws.recordBase(v, "Mark as entered in error", "Consultations", &patient), Target: target,
		Version: versionOf(res), Whole: res.Type() == "Encounter", Consultation: s.enc.ID()}
	view := clinical.ViewConsultation(s.enc, s.comp, s.byRef, nil)
	p.Entry = clinical.EntryView{Ref: target, Text: view.Type + " consultation, " + view.When}
	for _, t := range view.Topics {
		for _, e := range t.Entries {
			if e.Ref == target {
				p.Entry = e
			}
		}
		for _, h := range t.Headings {
			for _, e := range h.Entries {
				if e.Ref == target {
					p.Entry = e
				}
			}
		}
	}
	if !post {
		ws.pages.Render(w, "retract", http.StatusOK, p)
		return
	}
	p.Reason = strings.TrimSpace(r.PostFormValue("reason"))
	switch {
	case p.Reason == "":
		p.AddError("reason", "Enter why this is being marked as entered in error")
	case r.PostFormValue("version") != p.Version:
		p.AddError("reason", "Someone else changed this entry since you opened it, so nothing was changed. Go back to the consultation to see their change.")
		p.Version = r.PostFormValue("version")
	}
	if len(p.Errors) > 0 {
		ws.pages.Render(w, "retract", http.StatusUnprocessableEntity, p)
		return
	}
	targets := []fhir.Resource{res}
	if p.Whole {
		for ref, other := range s.byRef {
			if ref != target && s.belongs(ref) {
				targets = append(targets, other)
			}
		}
	}
	plan := clinical.PlanRetraction(targets, s.comp, ws.opts.Now())
	if !plan.Empty() {
		if _, err := ws.write(r.Context(), plan, patient.ID, ws.authorRef(r.Context(), v), p.Reason); err != nil {
			ws.failed(w, r, v, err)
			return
		}
	}
	http.Redirect(w, r, "/workspace/patients/"+patient.ID+"/consultations/"+s.enc.ID()+"?saved=retracted", http.StatusSeeOther)
}
