package workspace

import (
	"net/http"
	"net/url"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// problemsPage is the problem list: active (significant first) and past
// problems with their episodes and the consultations that recorded them;
// add one, end one, change its significance.
type problemsPage struct {
	*entriesPage
	Problems []clinical.ProblemRow
	// The add form.
	Code                       rxCode
	Significance, Status       string
	Onset, Ended               rxDate
	Significances, StatusTypes []clinical.Choice
}

func (ws *Workspace) problems(w http.ResponseWriter, r *http.Request, v *visit) {
	p, ok := ws.problemsPage(w, r, v)
	if !ok {
		return
	}
	p.Significance, p.Status = "minor", "active"
	ws.pages.Render(w, "problems", http.StatusOK, p)
}

func (ws *Workspace) problemsPage(w http.ResponseWriter, r *http.Request, v *visit) (*problemsPage, bool) {
	base, ok := ws.entriesBase(w, r, v, "Problems", "Problems", "Condition")
	if !ok {
		return nil, false
	}
	id := base.Banner.ID
	conds, err := ws.recordEntries(r.Context(), "Condition", id, url.Values{"_count": {"200"}})
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, false
	}
	// Consultations that name a problem; a role without them (none that
	// reads problems today) sees the problems alone.
	encs, _, err := ws.patientEntries(r.Context(), "Encounter", id, url.Values{"_count": {"200"}, "_sort": {"-date"}})
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, false
	}
	return &problemsPage{entriesPage: base, Problems: clinical.ProblemList(conds, encs),
		Significances: clinical.Significances, StatusTypes: clinical.ProblemStatuses}, true
}

// addProblem takes the add form: Find shows the matching codes; Add
// checks the problem (clinical.NewProblem) and writes it.
func (ws *Workspace) addProblem(w http.ResponseWriter, r *http.Request, v *visit) {
	p, ok := ws.problemsPage(w, r, v)
	if !ok || !ws.samePatient(w, r, v, *p.Banner) {
		return
	}
	if !p.MayWrite {
		ws.message(w, r, v, http.StatusForbidden, "Not available to your role", "Your role cannot add problems.")
		return
	}
	f := r.PostForm
	p.Code = ws.parseRecordCode(r.Context(), f, "code", nil)
	p.Significance, p.Status = f.Get("significance"), f.Get("status")
	p.Onset, p.Ended = rxDateOf(f, "onset"), rxDateOf(f, "ended")
	if rxFinding(f) {
		ws.pages.Render(w, "problems", http.StatusOK, p)
		return
	}
	np := clinical.NewProblem{Code: p.Code.Chosen, Significance: p.Significance, Status: p.Status}
	errs := map[string]string{}
	var msg string
	if np.Onset, msg = clinical.ParseDay(p.Onset.Day, p.Onset.Month, p.Onset.Year, "the date it began", true); msg != "" {
		errs["onset-day"] = msg
	}
	if p.Status == "past" {
		if np.Ended, msg = clinical.ParseDay(p.Ended.Day, p.Ended.Month, p.Ended.Year, "the date it ended", false); msg != "" {
			errs["ended-day"] = msg
		}
	}
	for k, m := range np.Check(ws.opts.Now()) {
		if _, set := errs[k]; !set {
			errs[k] = m
		}
	}
	if len(errs) > 0 {
		fieldErrors(&p.page, errs, []string{"code", "significance", "status", "onset-day", "ended-day"})
		ws.pages.Render(w, "problems", http.StatusUnprocessableEntity, p)
		return
	}
	who := ws.entryAuthor(r.Context(), v)
	if err := ws.addEntry(r.Context(), p.Banner.ID, np.Resource(p.Banner.ID, who, ws.opts.Now()), who); err != nil {
		ws.entryFailed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/patients/"+p.Banner.ID+"/problems?saved=added", http.StatusSeeOther)
}

// changeProblem ends a problem (today) or changes its significance.
func (ws *Workspace) changeProblem(w http.ResponseWriter, r *http.Request, v *visit) {
	patient, ok := ws.patient(w, r, v)
	if !ok || !ws.samePatient(w, r, v, patient) {
		return
	}
	var change func(fhir.Resource) (fhir.Resource, bool)
	var reason string
	today := ws.opts.Now().In(clinical.London).Format("2006-01-02")
	switch do := r.PostFormValue("do"); do {
	case "end":
		change = func(c fhir.Resource) (fhir.Resource, bool) { return clinical.EndProblem(c, today), true }
		reason = "Problem ended"
	case "major", "minor":
		change = func(c fhir.Resource) (fhir.Resource, bool) { return clinical.SetProblemSignificance(c, do), true }
		reason = "Significance changed to " + clinical.ChoiceLabel(clinical.Significances, do)
	default:
		http.Error(w, "unknown action", http.StatusBadRequest)
		return
	}
	err := ws.changeEntry(r.Context(), patient.ID, "Condition", r.PathValue("entry"), r.PostFormValue("version"), change, ws.entryAuthor(r.Context(), v), reason, false)
	if err != nil {
		ws.entryFailed(w, r, v, err)
		return
	}
	saved := "changed"
	if r.PostFormValue("do") == "end" {
		saved = "ended"
	}
	http.Redirect(w, r, "/workspace/patients/"+patient.ID+"/problems?saved="+saved, http.StatusSeeOther)
}
