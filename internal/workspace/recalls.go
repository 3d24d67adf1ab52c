package workspace

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// Recalls (diary entries): the record's Recalls tab lists what is due
// for the patient, overdue first, and sets, completes or cancels one;
// the practice's list shows every recall due in the next 30 days or
// overdue, for call and recall.

const recallsNavLabel = "Recalls"

type recallsPage struct {
	page
	Recalls  []recallRow
	Kinds    []clinical.Choice
	Form     clinical.NewRecall
	Saved    string
	Practice bool
	MayWrite bool
}

type recallRow struct {
	clinical.Recall
	Overdue bool
	Href    string
}

func (ws *Workspace) recallRows(found []fhir.Resource) []recallRow {
	now := ws.opts.Now()
	var rows []recallRow
	for _, res := range found {
		r := clinical.RecallOf(res)
		id, _ := strings.CutPrefix(r.Patient.Reference, "Patient/")
		rows = append(rows, recallRow{Recall: r, Overdue: r.Overdue(now), Href: "/workspace/patients/" + id + "/recalls"})
	}
	// Due first (overdue at the top, by date), then ended ones.
	slices.SortStableFunc(rows, func(a, b recallRow) int {
		if (a.Status == "active") != (b.Status == "active") {
			if a.Status == "active" {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Due, b.Due)
	})
	return rows
}

func (ws *Workspace) recallsPageOf(w http.ResponseWriter, r *http.Request, v *visit) (*recallsPage, bool) {
	patient, ok := ws.patient(w, r, v)
	if !ok {
		return nil, false
	}
	found, err := ws.recordEntries(r.Context(), "ServiceRequest", patient.ID, url.Values{"category": {clinical.RecallCategoryToken}, "_count": {"200"}})
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, false
	}
	p := &recallsPage{page: ws.recordBase(v, "Recalls", "Recalls", &patient), Recalls: ws.recallRows(found), Kinds: clinical.RecallKinds,
		Saved:    map[string]string{"added": "Recall set.", "done": "Recall done.", "cancel": "Recall cancelled."}[r.URL.Query().Get("saved")],
		MayWrite: v.user.Role.IsClinician()}
	return p, true
}

func (ws *Workspace) recalls(w http.ResponseWriter, r *http.Request, v *visit) {
	if p, ok := ws.recallsPageOf(w, r, v); ok {
		ws.pages.Render(w, "recalls", http.StatusOK, p)
	}
}

func (ws *Workspace) addRecall(w http.ResponseWriter, r *http.Request, v *visit) {
	p, ok := ws.recallsPageOf(w, r, v)
	if !ok || !ws.samePatient(w, r, v, *p.Banner) {
		return
	}
	f := &p.Form
	f.Kind, f.What = r.PostFormValue("kind"), r.PostFormValue("what")
	f.DueDay, f.DueMonth, f.DueYear = r.PostFormValue("due-day"), r.PostFormValue("due-month"), r.PostFormValue("due-year")
	f.Patient = clinical.Ref{Reference: "Patient/" + p.Banner.ID, Display: p.Banner.Name}
	f.Requester = ws.authorRef(r.Context(), v)
	if errs := f.Check(ws.opts.Now()); len(errs) > 0 {
		fieldErrors(&p.page, errs, []string{"kind", "what", "due-day"})
		ws.pages.Render(w, "recalls", http.StatusUnprocessableEntity, p)
		return
	}
	res := f.Resource(ws.opts.Now())
	if f.Requester.Reference == "" {
		delete(res, "requester")
	}
	if _, err := ws.opts.Service.Create(r.Context(), "ServiceRequest", res, ""); err != nil {
		ws.failed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/patients/"+p.Banner.ID+"/recalls?saved=added", http.StatusSeeOther)
}

// endRecall marks a recall done or cancelled, If-Match the version shown.
func (ws *Workspace) endRecall(w http.ResponseWriter, r *http.Request, v *visit) {
	p, ok := ws.recallsPageOf(w, r, v)
	if !ok || !ws.samePatient(w, r, v, *p.Banner) {
		return
	}
	id, do := r.PathValue("recall"), r.PostFormValue("do")
	res, err := ws.read(r.Context(), "ServiceRequest", id)
	if err == nil && !entryBelongsTo(res, p.Banner.ID) {
		err = errWrongPatient
	}
	if err != nil {
		ws.entryFailed(w, r, v, err)
		return
	}
	next, errs := clinical.EndRecall(res, do, r.PostFormValue("note"))
	if len(errs) > 0 {
		for _, m := range errs {
			p.AddError("note-"+id, m)
		}
		ws.pages.Render(w, "recalls", http.StatusUnprocessableEntity, p)
		return
	}
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if _, err := ws.opts.Service.Update(r.Context(), "ServiceRequest", id, next, service.Precondition{Set: true, Version: version}); err != nil {
		ws.entryFailed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/patients/"+p.Banner.ID+"/recalls?saved="+do, http.StatusSeeOther)
}

// dueRecalls is the practice's list: every recall due within 30 days or
// overdue, soonest first.
func (ws *Workspace) dueRecalls(w http.ResponseWriter, r *http.Request, v *visit) {
	until := ws.opts.Now().AddDate(0, 0, 30).Format("2006-01-02")
	out, err := ws.opts.Service.Search(r.Context(), service.SearchRequest{Type: "ServiceRequest",
		Params: url.Values{"status": {"active"}, "category": {clinical.RecallCategoryToken}, "occurrence": {"le" + until}, "_count": {"500"}}})
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	found := searchMatches(out.Resource)
	p := &recallsPage{page: ws.base(v, "Recalls due", recallsNavLabel), Recalls: ws.recallRows(found), Practice: true}
	ws.pages.Render(w, "recalls", http.StatusOK, p)
}
