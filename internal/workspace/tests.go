package workspace

import (
	"net/http"
	"net/url"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// Test requests: the record's Tests tab requests tests (with an order
// number the lab quotes back) and lists them, waiting or with their
// result; the inbox's Outstanding tab lists requests waiting more than
// 14 days, so that a result that never arrives is noticed.

type testsPage struct {
	page
	Requests  []testRow
	Form      clinical.NewTestRequest
	Urgencies []clinical.Choice
	Saved     string
	Practice  bool
	MayWrite  bool
	// The inbox's tabs (Outstanding is the third).
	Match, Outstanding bool
	ToMatch            int
}

type testRow struct {
	clinical.TestRequest
	Outstanding bool
	Href        string
}

func (ws *Workspace) testRows(found []fhir.Resource) []testRow {
	now := ws.opts.Now()
	var rows []testRow
	for _, res := range found {
		r := clinical.TestRequestOf(res)
		rows = append(rows, testRow{TestRequest: r, Outstanding: r.Outstanding(now), Href: "/workspace/patients/" + refID(r.Patient.Reference) + "/tests"})
	}
	return rows
}

func refID(ref string) string {
	for i := len(ref) - 1; i >= 0; i-- {
		if ref[i] == '/' {
			return ref[i+1:]
		}
	}
	return ref
}

func (ws *Workspace) testsPageOf(w http.ResponseWriter, r *http.Request, v *visit) (*testsPage, bool) {
	patient, ok := ws.patient(w, r, v)
	if !ok {
		return nil, false
	}
	found, err := ws.recordEntries(r.Context(), "ServiceRequest", patient.ID, url.Values{"category": {clinical.LabCategoryToken}, "_count": {"200"}, "_sort": {"-authored"}})
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, false
	}
	p := &testsPage{page: ws.recordBase(v, "Tests", "Tests", &patient), Requests: ws.testRows(found), Urgencies: clinical.TestUrgencies,
		Form: clinical.NewTestRequest{Urgency: "routine"}, MayWrite: v.user.Role.IsClinician()}
	if r.URL.Query().Get("saved") == "requested" {
		p.Saved = "Tests requested. Give the lab the order number on the form; the request waits here until the result arrives."
	}
	return p, true
}

func (ws *Workspace) tests(w http.ResponseWriter, r *http.Request, v *visit) {
	if p, ok := ws.testsPageOf(w, r, v); ok {
		ws.pages.Render(w, "tests", http.StatusOK, p)
	}
}

func (ws *Workspace) requestTests(w http.ResponseWriter, r *http.Request, v *visit) {
	p, ok := ws.testsPageOf(w, r, v)
	if !ok || !ws.samePatient(w, r, v, *p.Banner) {
		return
	}
	f := &p.Form
	f.Tests, f.Reason, f.Urgency = r.PostFormValue("tests"), r.PostFormValue("reason"), r.PostFormValue("urgency")
	f.Patient = clinical.Ref{Reference: "Patient/" + p.Banner.ID, Display: p.Banner.Name}
	f.Requester = ws.authorRef(r.Context(), v)
	if errs := f.Check(); len(errs) > 0 {
		fieldErrors(&p.page, errs, []string{"tests", "urgency", "reason"})
		ws.pages.Render(w, "tests", http.StatusUnprocessableEntity, p)
		return
	}
	res := f.Resource(clinical.NewOrderNumber(), ws.opts.Now())
	if f.Requester.Reference == "" {
		delete(res, "requester")
	}
	if _, err := ws.opts.Service.Create(r.Context(), "ServiceRequest", res, ""); err != nil {
		ws.failed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/patients/"+p.Banner.ID+"/tests?saved=requested", http.StatusSeeOther)
}

// outstandingTests is the inbox's Outstanding tab: requests still
// waiting for their result after 14 days.
func (ws *Workspace) outstandingTests(w http.ResponseWriter, r *http.Request, v *visit) {
	before := ws.opts.Now().Add(-14 * 24 * time.Hour).UTC().Format(time.RFC3339)
	out, err := ws.opts.Service.Search(r.Context(), service.SearchRequest{Type: "ServiceRequest",
		Params: url.Values{"category": {clinical.LabCategoryToken}, "status": {"active"}, "authored": {"lt" + before}, "_count": {"500"}}})
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	found := searchMatches(out.Resource)
	p := &testsPage{page: ws.base(v, "Outstanding tests", inboxNavLabel), Requests: ws.testRows(found), Practice: true, Outstanding: true}
	ws.pages.Render(w, "tests", http.StatusOK, p)
}
