package workspace

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/service"
)

// Online requests (the portal's online consultations), the practice
// side: the queue of open requests with their urgency and how long each
// has waited, raised as it ages (clinical.RequestQueueAge: waiting,
// escalate before close, overdue), and each request with the patient's
// answers and the practice's answer: a message, an appointment offer or
// a phone call, each told to the patient in a message, with the request
// completed and its outcome recorded, in one transaction. Booking and
// giving the request to a person or team (making it their task) use the
// appointment book and the task page.

type requestRow struct {
	Task clinical.Task
	Age  clinical.QueueAge
}

type requestsPage struct {
	page
	Rows     []requestRow
	More     bool
	Answered bool
	// FormLink offers the online request form to those who edit or
	// sign it off (admin_forms.go).
	FormLink bool
}

func (ws *Workspace) requestQueue(w http.ResponseWriter, r *http.Request, v *visit) {
	out, err := ws.opts.Service.Search(r.Context(), service.SearchRequest{Type: "Task", Params: url.Values{
		"code":   {clinical.PortalTaskSystem + "|" + clinical.TaskOnlineRequest},
		"status": {clinical.TaskRequested + "," + clinical.TaskInProgress}, "_sort": {"authored-on"}, "_count": {strconv.Itoa(queueLimit)}}})
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	now := ws.opts.Now()
	p := &requestsPage{page: ws.base(v, "Online requests", messagesNavLabel), More: totalOf(out.Resource) > queueLimit,
		Answered: r.URL.Query().Get("answered") == "1", FormLink: isSignOffUser(v) || identity.CheckAdmin(v.user) == nil}
	for _, res := range searchMatches(out.Resource) {
		t := clinical.TaskOf(res)
		p.Rows = append(p.Rows, requestRow{Task: t, Age: clinical.RequestQueueAge(t.Authored, now, t.Status == clinical.TaskInProgress)})
	}
	rank := map[string]int{"stat": 0, "asap": 1, "urgent": 2, "routine": 3}
	slices.SortStableFunc(p.Rows, func(a, b requestRow) int {
		if d := a.Age.Rank() - b.Age.Rank(); d != 0 {
			return d
		}
		if d := rank[a.Task.Priority] - rank[b.Task.Priority]; d != 0 {
			return d
		}
		return a.Task.Authored.Compare(b.Task.Authored)
	})
	ws.pages.Render(w, "requests", http.StatusOK, p)
}

// answerItem is one question and answer of a request.
type answerItem struct{ Question, Answer string }

type requestPage struct {
	page
	Task    clinical.Task
	Age     clinical.QueueAge
	Answers []answerItem
	// FormVersion names the form version answered (request_form.go).
	FormVersion string
	Outcome     string
	Reply       string
	Outcomes    []clinical.Choice
	// Done is the outcome already recorded, once answered.
	Done string
	// NoticeOn and Notice say whether the patient is told of the answer
	// by email or text (reply_notice.go).
	NoticeOn bool
	Notice   string
	Conflict bool
}

func (ws *Workspace) requestPageOf(w http.ResponseWriter, r *http.Request, v *visit) (*requestPage, fhir.Resource, bool) {
	res, err := ws.read(r.Context(), "Task", r.PathValue("task"))
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, nil, false
	}
	if !clinical.IsPortalTask(res, clinical.TaskOnlineRequest) {
		ws.message(w, r, v, http.StatusNotFound, "Not an online request", "This task is not an online request. Open it from the task lists.")
		return nil, nil, false
	}
	t := clinical.TaskOf(res)
	id, _ := strings.CutPrefix(t.Patient.Reference, "Patient/")
	r.SetPathValue("id", id)
	patient, ok := ws.patient(w, r, v)
	if !ok {
		return nil, nil, false
	}
	p := &requestPage{page: ws.recordBase(v, "Online request", "", &patient), Task: t, Outcomes: clinical.RequestOutcomes,
		Age: clinical.RequestQueueAge(t.Authored, ws.opts.Now(), t.Status == clinical.TaskInProgress), Done: clinical.OutcomeOf(res)}
	p.Nav = ws.base(v, "", messagesNavLabel).Nav
	p.NoticeOn, p.Notice = ws.replyNotice()
	if qr, ok := strings.CutPrefix(t.Focus.Reference, "QuestionnaireResponse/"); ok {
		q, err := ws.read(r.Context(), "QuestionnaireResponse", qr)
		if err != nil {
			ws.failed(w, r, v, err)
			return nil, nil, false
		}
		p.Answers = answersOf(q)
		p.FormVersion = ws.formVersionOf(r, q)
	}
	return p, res, true
}

// answersOf lists a QuestionnaireResponse's questions and answers, the
// red flags as "No" (a request with any "Yes" is never sent).
func answersOf(q fhir.Resource) []answerItem {
	var out []answerItem
	items, _ := q["item"].([]any)
	for _, x := range items {
		it, _ := x.(map[string]any)
		text, _ := it["text"].(string)
		var parts []string
		answers, _ := it["answer"].([]any)
		for _, a := range answers {
			am, _ := a.(map[string]any)
			switch val := am["valueBoolean"].(type) {
			case bool:
				parts = append(parts, map[bool]string{true: "Yes", false: "No"}[val])
			}
			if s, ok := am["valueString"].(string); ok {
				parts = append(parts, s)
			}
		}
		out = append(out, answerItem{Question: text, Answer: strings.Join(parts, ", ")})
	}
	return out
}

func (ws *Workspace) onlineRequest(w http.ResponseWriter, r *http.Request, v *visit) {
	p, _, ok := ws.requestPageOf(w, r, v)
	if !ok {
		return
	}
	ws.pages.Render(w, "request", http.StatusOK, p)
}

// answerRequest sends the answer and completes the request If-Match the
// version shown.
func (ws *Workspace) answerRequest(w http.ResponseWriter, r *http.Request, v *visit) {
	p, res, ok := ws.requestPageOf(w, r, v)
	if !ok || !ws.samePatient(w, r, v, *p.Banner) {
		return
	}
	a := clinical.RequestAnswer{Outcome: r.PostFormValue("outcome"), Reply: clinical.Reply{Text: r.PostFormValue("reply"),
		PatientID: p.Banner.ID, PatientName: p.Banner.Name, From: ws.authorRef(r.Context(), v), Practice: v.user.Practice}}
	p.Outcome, p.Reply = a.Outcome, a.Reply.Text
	if r.PostFormValue("version") != p.Task.Version || !p.Task.Open() {
		p.Conflict = true
		ws.pages.Render(w, "request", http.StatusConflict, p)
		return
	}
	if errs := a.Check(); len(errs) > 0 {
		fieldErrors(&p.page, errs, []string{"outcome-" + clinical.OutcomeMessage, "reply"})
		ws.pages.Render(w, "request", http.StatusUnprocessableEntity, p)
		return
	}
	reply, done := a.Resources(res, ws.opts.Now())
	bundle := fhir.Resource{"resourceType": "Bundle", "type": "transaction", "entry": []any{
		map[string]any{"resource": map[string]any(done), "request": map[string]any{"method": "PUT", "url": "Task/" + p.Task.ID, "ifMatch": `W/"` + p.Task.Version + `"`}},
		map[string]any{"fullUrl": "urn:uuid:" + fhir.NewUUID(), "resource": map[string]any(reply), "request": map[string]any{"method": "POST", "url": "Communication"}},
	}}
	if _, err := ws.opts.Service.ProcessBundle(r.Context(), bundle, service.BundleOptions{}); err != nil {
		var fe *fhir.Error
		if errors.As(err, &fe) && (fe.Status == http.StatusPreconditionFailed || fe.Status == http.StatusConflict) {
			p.Conflict = true
			ws.pages.Render(w, "request", http.StatusConflict, p)
			return
		}
		ws.failed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/requests?answered=1", http.StatusSeeOther)
}
