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

// Filing a result or a letter: a clinician reads it (with the patient's
// banner, since it is now in their record), chooses what happens next
// and comments; filing and the task the action needs are one
// transaction, If-Match the version read, so two clinicians filing the
// same item at once: one wins, the other is told.

type inboxItemPage struct {
	page
	Item      clinical.Incoming
	Letter    string
	Actions   []clinical.Choice
	Assignees []clinical.Choice
	Form      clinical.Filing
	Assignee  string
	MayFile   bool
	Href      string
	// Attachments are the letter's files that open in the browser.
	Attachments []attachmentLink
	// Trends are a result's tests with the patient's earlier values.
	Trends []clinical.Trend
	// Coding codes a letter's problems into the record (letter_code.go).
	Coding letterCoding
}

func (ws *Workspace) inboxItemPage(w http.ResponseWriter, r *http.Request, v *visit) (*inboxItemPage, fhir.Resource, clinical.TaskAssignees, bool) {
	res, err := ws.inboxItem(r.Context(), r)
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, nil, clinical.TaskAssignees{}, false
	}
	in := clinical.IncomingOf(res)
	if in.State != clinical.InboxToFile && in.State != clinical.InboxFiled {
		http.Redirect(w, r, "/workspace/inbox?done=not-waiting", http.StatusSeeOther)
		return nil, nil, clinical.TaskAssignees{}, false
	}
	a, err := ws.taskAssignees(r.Context(), v)
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, nil, a, false
	}
	p := &inboxItemPage{Item: in, Letter: letterText(res), Actions: clinical.FilingActions, Assignees: a.Choices(),
		MayFile: v.user.Role.IsClinician() && in.State == clinical.InboxToFile, Href: "/workspace/inbox/" + r.PathValue("kind") + "/" + in.ID}
	p.Attachments = attachmentsOf(res, p.Href)
	id, _ := strings.CutPrefix(in.Patient.Reference, "Patient/")
	out, err := ws.opts.Service.Read(r.Context(), "Patient", id)
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, nil, a, false
	}
	pr, err := fhir.Unmarshal(out.Version.Body)
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, nil, a, false
	}
	banner := clinical.BannerOf(pr, ws.opts.Now())
	// The banner says what every record page says: allergies, alerts.
	if banner.Record, err = ws.bannerRecord(r.Context(), banner.ID); err != nil {
		ws.failed(w, r, v, err)
		return nil, nil, a, false
	}
	if in.Kind == "Result" {
		if p.Trends, err = ws.trends(r.Context(), in); err != nil {
			ws.failed(w, r, v, err)
			return nil, nil, a, false
		}
	}
	if in.Kind == "Letter" {
		p.Coding = letterCoding{Significance: "minor", Status: "active", Significances: clinical.Significances,
			StatusTypes: clinical.ProblemStatuses, Added: r.URL.Query().Get("coded") == "problem"}
		if p.Coding.Coded, err = ws.codedFrom(r.Context(), in.ID); err != nil {
			ws.failed(w, r, v, err)
			return nil, nil, a, false
		}
	}
	p.page = ws.recordBase(v, in.Kind+" to file", "", &banner)
	p.Nav = nav(inboxNavLabel)
	// The team that books appointments is the default for an action.
	for _, t := range a.Teams {
		if strings.Contains(strings.ToLower(t.Name), "reception") {
			p.Assignee = "Group/" + t.ID
		}
	}
	return p, res, a, true
}

// trends are a result's tests with the patient's earlier values: the
// record's latest 50 reports.
func (ws *Workspace) trends(ctx context.Context, in clinical.Incoming) ([]clinical.Trend, error) {
	out, err := ws.opts.Service.Search(ctx, service.SearchRequest{Type: "DiagnosticReport", FirstPageOnly: true, Params: url.Values{
		"subject": {in.Patient.Reference}, "_sort": {"-issued"}, "_count": {"50"}, "_total": {"none"}}})
	if err != nil {
		return nil, err
	}
	var earlier []clinical.Incoming
	for _, res := range searchMatches(out.Resource) {
		earlier = append(earlier, clinical.IncomingOf(res))
	}
	return clinical.Trends(in, earlier), nil
}

func (ws *Workspace) inboxItemView(w http.ResponseWriter, r *http.Request, v *visit) {
	p, _, _, ok := ws.inboxItemPage(w, r, v)
	if !ok {
		return
	}
	ws.pages.Render(w, "inbox-item", http.StatusOK, p)
}

func (ws *Workspace) fileItem(w http.ResponseWriter, r *http.Request, v *visit) {
	if r.PostFormValue("do") == "code" {
		ws.codeFromLetter(w, r, v) // the letter's coding form (letter_code.go)
		return
	}
	p, res, a, ok := ws.inboxItemPage(w, r, v)
	if !ok || !ws.samePatient(w, r, v, *p.Banner) {
		return
	}
	who := ws.authorRef(r.Context(), v)
	p.Form = clinical.Filing{Action: r.PostFormValue("action"), Comment: strings.TrimSpace(r.PostFormValue("comment")), By: who}
	p.Assignee = r.PostFormValue("assignee")
	if r.PostFormValue("version") != p.Item.Version {
		ws.message(w, r, v, http.StatusConflict, "Not filed: changed by someone else",
			"Someone filed or changed this item after you opened it, so nothing was saved. Open the inbox again to see where it is now.")
		return
	}
	errs := clinical.CheckFiling(p.Item, p.Form, v.user.Role.IsClinician())
	now := ws.opts.Now()
	task, needsTask := clinical.FilingTask(p.Item, p.Form, clinical.Ref{}, now)
	if needsTask && len(errs) == 0 {
		owner, team, msg := a.Resolve(p.Assignee)
		if msg != "" {
			errs["assignee"] = msg
		}
		clinical.SetTaskAssignee(task, owner, team)
	}
	if len(errs) > 0 {
		fieldErrors(&p.page, errs, []string{"action", "comment", "assignee"})
		ws.pages.Render(w, "inbox-item", http.StatusUnprocessableEntity, p)
		return
	}
	entries := []any{map[string]any{"resource": map[string]any(clinical.Filed(res, p.Form, now)), "request": map[string]any{"method": "PUT",
		"url": p.Item.Type + "/" + p.Item.ID, "ifMatch": `W/"` + p.Item.Version + `"`}}}
	if needsTask {
		entries = append(entries, map[string]any{"fullUrl": "urn:uuid:" + fhir.NewUUID(), "resource": map[string]any(task), "request": map[string]any{"method": "POST", "url": "Task"}})
	}
	if _, err := ws.opts.Service.ProcessBundle(r.Context(), fhir.Resource{"resourceType": "Bundle", "type": "transaction", "entry": entries}, service.BundleOptions{}); err != nil {
		ws.entryFailed(w, r, v, err)
		return
	}
	done := "filed"
	if needsTask {
		done = "filed-task"
	}
	http.Redirect(w, r, "/workspace/inbox?done="+done, http.StatusSeeOther)
}
