package workspace

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Recording a medication review (issue #17): a Procedure "Review of
// medication" (clinical.MedicationReview) with the outcome, and the next
// review date set on the repeats reviewed, in one transaction If-Match the
// versions the form showed. The tab's "Review due" and GP Connect's
// "Medication review due" diary entry read that date, so they follow.
// Who records one: a prescriber (a pharmacist prescriber among them). The
// roles have no pharmacist of their own, so a pharmacist who does not
// prescribe cannot be told from any other clinician and is not offered it.

func (ws *Workspace) doseAndReviewRoutes() {
	m := ws.mux
	m.HandleFunc("GET /workspace/patients/{id}/medication/{med}/dose", ws.staff("read", ws.doseForm))
	m.HandleFunc("POST /workspace/patients/{id}/medication/{med}/dose", ws.staff("transaction", ws.changeDose))
	m.HandleFunc("GET /workspace/patients/{id}/medication/review", ws.staff("read", ws.reviewForm))
	m.HandleFunc("POST /workspace/patients/{id}/medication/review", ws.staff("transaction", ws.recordReview))
}

// reviewSummary is the tab's line on the last review.
type reviewSummary struct {
	Date, By string
	// May: the user may record a review.
	May bool
}

// mayReview: a prescriber who may create Procedures and update the
// authorisations.
func mayReview(v *visit, prescriber bool) bool {
	_, proc := v.principal.ReachFor("Procedure", auth.Create)
	_, med := v.principal.ReachFor("MedicationRequest", auth.Update)
	return prescriber && proc && med
}

// reviewSummary reads the patient's medication reviews as the user; a
// role that may not read Procedures sees none.
func (ws *Workspace) reviewSummary(ctx context.Context, v *visit, patientID string, prescriber bool) (reviewSummary, error) {
	out := reviewSummary{May: mayReview(v, prescriber)}
	procs, _, err := ws.patientEntries(ctx, "Procedure", patientID,
		url.Values{"code": {clinical.SNOMED + "|" + clinical.MedicationReviewCode}, "_count": {"200"}})
	if err != nil {
		return out, err
	}
	out.Date, out.By = clinical.LastReview(procs)
	return out, nil
}

// reviewPage is the review form: the current medicines to choose from.
type reviewPage struct {
	*entriesPage
	Current          []clinical.MedicationRow
	Scope            string // "all" or "chosen"
	Chosen           map[string]bool
	Date, NextReview rxDate
	Outcome          string
	Last             reviewSummary
	meds             []fhir.Resource
}

func (ws *Workspace) reviewBase(w http.ResponseWriter, r *http.Request, v *visit) (*reviewPage, bool) {
	base, ok := ws.entriesBase(w, r, v, "Record a medication review", "Medication", "Procedure")
	if !ok {
		return nil, false
	}
	_, refusal := ws.prescriber(r.Context(), v)
	if !mayReview(v, refusal == "") {
		ws.message(w, r, v, http.StatusForbidden, "Not a prescriber", "Only a prescriber records a medication review. Your practice admin records who prescribes.")
		return nil, false
	}
	meds, _, err := ws.medicationEntries(r.Context(), "MedicationRequest", base.Banner.ID, url.Values{"intent": {"plan"}})
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, false
	}
	l := clinical.MedicationListOf(meds, ws.opts.Now())
	p := &reviewPage{entriesPage: base, Current: append(l.Repeats, l.Acute...), Scope: "all", Chosen: map[string]bool{}, meds: meds}
	if p.Last, err = ws.reviewSummary(r.Context(), v, base.Banner.ID, true); err != nil {
		ws.failed(w, r, v, err)
		return nil, false
	}
	return p, true
}

func (ws *Workspace) reviewForm(w http.ResponseWriter, r *http.Request, v *visit) {
	p, ok := ws.reviewBase(w, r, v)
	if !ok {
		return
	}
	today := ws.opts.Now().In(clinical.London)
	p.Date = rxDate{today.Format("2"), today.Format("1"), today.Format("2006")}
	ws.pages.Render(w, "medication-review", http.StatusOK, p)
}

// recordReview checks the review and writes the Procedure with the
// reviewed repeats' new review date, each If-Match the version shown.
func (ws *Workspace) recordReview(w http.ResponseWriter, r *http.Request, v *visit) {
	p, ok := ws.reviewBase(w, r, v)
	if !ok || !ws.samePatient(w, r, v, *p.Banner) {
		return
	}
	f := r.PostForm
	p.Scope, p.Outcome = f.Get("scope"), strings.TrimSpace(f.Get("outcome"))
	p.Date, p.NextReview = rxDateOf(f, "date"), rxDateOf(f, "next")
	for _, id := range f["med"] {
		p.Chosen[id] = true
	}
	var current, repeats []string
	for _, row := range p.Current {
		current = append(current, row.ID)
		if row.Repeat {
			repeats = append(repeats, row.ID)
		}
	}
	review := clinical.MedicationReview{Outcome: p.Outcome, All: p.Scope == "all", Chosen: f["med"]}
	if review.All {
		review.Chosen = nil
	}
	errs := map[string]string{}
	var dateErr, nextErr string
	review.Date, dateErr = clinical.ParseDay(p.Date.Day, p.Date.Month, p.Date.Year, "the date of the review", false)
	review.NextReview, nextErr = clinical.ParseDay(p.NextReview.Day, p.NextReview.Month, p.NextReview.Year, "the date of the next review", true)
	if p.Scope != "all" && p.Scope != "chosen" {
		errs["scope"] = "Select whether all current medicines were reviewed, or some"
	}
	for k, msg := range review.Check(current, repeats, ws.opts.Now()) {
		if _, ok := errs[k]; !ok {
			errs[k] = msg
		}
	}
	if dateErr != "" {
		errs["date"] = dateErr
	}
	if nextErr != "" {
		errs["next"] = nextErr
	}
	if len(errs) > 0 {
		// The date inputs' errors belong to their first field.
		for _, k := range []string{"date", "next"} {
			if msg, ok := errs[k]; ok {
				delete(errs, k)
				errs[k+"-day"] = msg
			}
		}
		fieldErrors(&p.page, errs, []string{"date-day", "scope", "outcome", "next-day"})
		ws.pages.Render(w, "medication-review", http.StatusUnprocessableEntity, p)
		return
	}
	reviewed := review.Reviewed(current)
	var plan clinical.Plan
	var res []fhir.Resource
	for _, m := range p.meds {
		if !slices.Contains(reviewed, m.ID()) {
			continue
		}
		res = append(res, m)
		if slices.Contains(repeats, m.ID()) {
			plan.Changes = append(plan.Changes, clinical.Change{Ref: "MedicationRequest/" + m.ID(),
				Resource: clinical.WithReviewDate(m, review.NextReview), Version: f.Get("version-" + m.ID())})
		}
	}
	for _, c := range plan.Changes {
		if c.Version == "" {
			ws.entryFailed(w, r, v, fhir.Errorf(http.StatusPreconditionFailed, fhir.CodeConflict, "no version given"))
			return
		}
	}
	who := ws.entryAuthor(r.Context(), v)
	plan.Changes = append(plan.Changes, clinical.Change{Ref: "urn:uuid:" + fhir.NewUUID(), Resource: review.Resource(p.Banner.ID, who, res)})
	if _, err := ws.write(r.Context(), plan, p.Banner.ID, who, "Medication review"); err != nil {
		ws.entryFailed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/patients/"+p.Banner.ID+"/medication?saved=reviewed", http.StatusSeeOther)
}
