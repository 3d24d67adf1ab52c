package workspace

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Recording a medicine given in the practice (issue 17, E00099): a depot
// injection, an implant, a joint injection, as a MedicationAdministration
// (clinical.Administration). The product is read again from dm+d by its
// code, never taken from the form's words; the dose is checked against
// the patient's allergies and current medicines first, and a warning is
// answered with a reason (kept as a DetectedIssue, as when prescribing).
// Who records one: a GP or a nurse. The roles have no healthcare
// assistant (who gives under a patient-specific direction), so an HCA
// cannot record one until that role exists. The dose is linked to the
// patient's one current authorisation of the same product, when there is
// exactly one (clinical.AdministeredUnder), and to the consultation it
// was given in when the form is opened from one (the Encounter read as
// the user and refused when it is another patient's).

// administerPage is the form.
type administerPage struct {
	*entriesPage
	Medicine                      rxCode
	Date, Expiry                  rxDate
	Dose, Unit, Route, Site       string
	SiteText, Batch, Note, Reason string
	Routes, Sites                 []clinical.Choice
	DMD                           bool
	Source                        string
	Warnings                      []clinical.Warning
	Seen                          string
	Notice                        string
	// Encounter is the consultation the dose is given in (its id), ""
	// outside one: opened from the consultation's page.
	Encounter string
}

func (ws *Workspace) administerRoutes() {
	m := ws.mux
	m.HandleFunc("GET /workspace/patients/{id}/medication/given", ws.staff("read", ws.administerForm))
	m.HandleFunc("POST /workspace/patients/{id}/medication/given", ws.staff("transaction", ws.recordAdministration))
}

// mayAdminister: a clinician whose role may write the record.
func mayAdminister(v *visit) bool {
	_, may := v.principal.ReachFor("MedicationAdministration", auth.Create)
	return may && v.user.Role.IsClinician()
}

func (ws *Workspace) administerBase(w http.ResponseWriter, r *http.Request, v *visit) (*administerPage, bool) {
	base, ok := ws.entriesBase(w, r, v, "Record a medicine given", "Medication", "MedicationAdministration")
	if !ok {
		return nil, false
	}
	if !mayAdminister(v) {
		ws.message(w, r, v, http.StatusForbidden, "Not available to your role", "Only a GP or a nurse records a medicine given in the practice.")
		return nil, false
	}
	enc := r.FormValue("encounter")
	if enc != "" {
		if !isID(enc) {
			http.Error(w, "bad consultation id", http.StatusBadRequest)
			return nil, false
		}
		if _, err := ws.encounterOf(r.Context(), base.Banner.ID, enc); err != nil {
			ws.message(w, r, v, http.StatusNotFound, "Consultation not found", "That consultation is not this patient's. Open the patient's record again and check the banner.")
			return nil, false
		}
	}
	p := &administerPage{entriesPage: base, Routes: clinical.AdministrationRoutes, Sites: clinical.AdministrationSites,
		DMD: ws.dmdConnected(r.Context()), Notice: clinical.InteractionsNotice, Encounter: enc}
	p.Source = "Medicines come from a short built-in list of dm+d products"
	if p.DMD {
		p.Source = "Medicines come from dm+d: choose the product given (the brand, if you gave a brand)"
	}
	return p, true
}

func (ws *Workspace) administerForm(w http.ResponseWriter, r *http.Request, v *visit) {
	p, ok := ws.administerBase(w, r, v)
	if !ok {
		return
	}
	now := ws.opts.Now().In(clinical.London)
	p.Date = rxDate{now.Format("2"), now.Format("1"), now.Format("2006")}
	p.Route, p.Dose = "78421000", "1"
	ws.pages.Render(w, "medication-administer", http.StatusOK, p)
}

// recordAdministration checks the form, then the dose against the
// patient's allergies and current medicines, and writes the
// MedicationAdministration (with any overrides) in one transaction; bad
// input writes nothing.
func (ws *Workspace) recordAdministration(w http.ResponseWriter, r *http.Request, v *visit) {
	p, ok := ws.administerBase(w, r, v)
	if !ok || !ws.samePatient(w, r, v, *p.Banner) {
		return
	}
	f := r.PostForm
	var med clinical.Medicine
	var err error
	if p.Medicine, med, err = ws.parseMedicine(r.Context(), f, "medicine"); err != nil {
		ws.failed(w, r, v, err)
		return
	}
	p.Date, p.Expiry = rxDateOf(f, "date"), rxDateOf(f, "expiry")
	p.Dose, p.Route, p.Site = strings.TrimSpace(f.Get("dose")), f.Get("route"), f.Get("site")
	p.SiteText, p.Batch, p.Note, p.Reason = strings.TrimSpace(f.Get("site-text")), strings.TrimSpace(f.Get("batch")), strings.TrimSpace(f.Get("note")), f.Get("reason")
	p.Unit = med.Unit
	if rxFinding(f) {
		ws.pages.Render(w, "medication-administer", http.StatusOK, p)
		return
	}
	a := clinical.Administration{Medicine: med, Dose: p.Dose, Route: p.Route, Site: p.Site, SiteText: p.SiteText, Batch: p.Batch, Note: p.Note}
	if p.Encounter != "" {
		a.Encounter = "Encounter/" + p.Encounter
	}
	errs := map[string]string{}
	var msg string
	if a.Date, msg = clinical.ParseDay(p.Date.Day, p.Date.Month, p.Date.Year, "the date it was given", false); msg != "" {
		errs["date-day"] = msg
	}
	if a.Expiry, msg = clinical.ParseDay(p.Expiry.Day, p.Expiry.Month, p.Expiry.Year, "the expiry date", true); msg != "" {
		errs["expiry-day"] = msg
	}
	for k, m := range a.Check(ws.opts.Now()) {
		if _, set := errs[k]; !set {
			errs[k] = m
		}
	}
	if len(errs) > 0 {
		fieldErrors(&p.page, errs, []string{"medicine", "date-day", "dose", "route", "site", "site-text", "batch", "expiry-day", "note"})
		ws.pages.Render(w, "medication-administer", http.StatusUnprocessableEntity, p)
		return
	}
	in, err := ws.safetyInput(r.Context(), *p.Banner)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	now := ws.opts.Now()
	a.Request = clinical.AdministeredUnder(in.Medications, med.Code, now)
	if a.Request != "" {
		// The course it was given under is not a duplicate of the dose.
		in.Medications = clinical.WithoutCourse(in.Medications, a.Request)
	}
	in.Medicine, in.Dose = med, a.DoseText()
	if err := ws.readMonitoringResults(r.Context(), &in, p.Banner.ID, med); err != nil {
		ws.failed(w, r, v, err)
		return
	}
	p.Warnings = clinical.AdministrationWarnings(in, ws.interactions())
	if len(p.Warnings) > 0 {
		digest := warningsDigest(p.Warnings)
		p.Seen = digest
		if f.Get("seen") != digest {
			ws.pages.Render(w, "medication-administer", http.StatusOK, p)
			return
		}
		if msg := clinical.CheckOverrideReason(p.Reason); msg != "" {
			msg = strings.Replace(msg, "prescribing", "recording it", 1)
			fieldErrors(&p.page, map[string]string{"reason": msg}, []string{"reason"})
			ws.pages.Render(w, "medication-administer", http.StatusUnprocessableEntity, p)
			return
		}
	}
	who := ws.entryAuthor(r.Context(), v)
	ref := "urn:uuid:" + fhir.NewUUID()
	plan := clinical.Plan{Changes: []clinical.Change{{Ref: ref, Resource: a.Resource(p.Banner.ID, who, now)}}}
	for _, wn := range p.Warnings {
		plan.Changes = append(plan.Changes, clinical.Change{Ref: "urn:uuid:" + fhir.NewUUID(), Resource: clinical.Override(wn, p.Banner.ID, ref, who, p.Reason, now)})
	}
	if _, err := ws.write(r.Context(), plan, p.Banner.ID, who, ""); err != nil {
		ws.entryFailed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/patients/"+p.Banner.ID+"/medication?saved=given", http.StatusSeeOther)
}

// givenEntries reads the patient's doses given in the practice in the
// last year as the user; hidden when the role may not read them.
func (ws *Workspace) givenEntries(r *http.Request, patientID string) ([]fhir.Resource, bool, error) {
	since := ws.opts.Now().AddDate(-1, 0, -1).In(clinical.London).Format("2006-01-02")
	return ws.medicationEntries(r.Context(), "MedicationAdministration", patientID, url.Values{"effective-time": {"ge" + since}})
}
