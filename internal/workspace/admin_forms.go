package workspace

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/web"
)

// The practice's online request form (/workspace/admin/forms): practice
// admins add, edit, reorder and remove the practice's own questions of
// each kind of request in a draft version; a GP signs the draft off,
// which publishes it to the portal and retires the version it replaces.
// The rules (what may change, who signs off) are clinical's
// (portal_forms.go); these pages decode, call them, and write the
// Questionnaire versions through the service as the user.

// formPages are the form editor's templates.
var formPages = web.NewRenderer(templateFS, "templates", pageFuncs, []string{"admin-shared"},
	"admin-forms", "admin-form-question", "admin-form-preview", "admin-message")

// formDone are the editor's confirmations (?done=key).
var formDone = map[string]string{
	"added":     "Question added to the draft. A GP must sign the draft off before patients see it.",
	"saved":     "Question saved in the draft. A GP must sign the draft off before patients see it.",
	"removed":   "Question removed from the draft. A GP must sign the draft off before patients see it.",
	"moved":     "Question moved in the draft.",
	"published": "Draft signed off and published: patients now see this version. The version it replaced is retired and kept.",
}

func (ws *Workspace) formRoutes() {
	m := ws.mux
	m.HandleFunc("GET /workspace/admin/forms", ws.formsUser("search-type", ws.formsPage))
	m.HandleFunc("GET /workspace/admin/forms/preview/{kind}", ws.formsUser("search-type", ws.formPreview))
	m.HandleFunc("POST /workspace/admin/forms/publish", ws.formsUser("transaction", ws.publishForm))
	m.HandleFunc("POST /workspace/admin/forms/questions", ws.admin("update", ws.addFormQuestion))
	m.HandleFunc("GET /workspace/admin/forms/questions/{q}", ws.admin("read", ws.formQuestionPage))
	m.HandleFunc("POST /workspace/admin/forms/questions/{q}", ws.admin("update", ws.changeFormQuestion))
}

// formsUser lets in the form's two kinds of user: practice admins, who
// edit, and GPs, who sign off (clinical.FormSignOffRole).
func (ws *Workspace) formsUser(interaction string, h func(http.ResponseWriter, *http.Request, *visit)) http.HandlerFunc {
	return ws.staff(interaction, func(w http.ResponseWriter, r *http.Request, v *visit) {
		if identity.CheckAdmin(v.user) != nil && !isSignOffUser(v) {
			ws.message(w, r, v, http.StatusForbidden, "Not available to your role", "The online request form is edited by the practice's administrators and signed off by a GP.")
			return
		}
		h(w, r, v)
	})
}

func isSignOffUser(v *visit) bool {
	return v.user != nil && string(v.user.Role) == clinical.FormSignOffRole && !v.user.Suspended && v.user.Practice != ""
}

type formsPage struct {
	adminPage
	Forms clinical.PracticeForms
	// Shown is the version being edited: the draft, else the active.
	Shown    clinical.RequestForm
	Kinds    []clinical.Choice
	Types    []clinical.Choice
	RedFlags []clinical.RedFlag
	Form     clinical.QuestionForm
	// Question is the one being edited, on its page.
	Question clinical.FormQuestion
	CanEdit  bool
	// PublishWhy says why the user cannot sign off, "" when they can.
	PublishWhy string
	// Kind and Questions are the preview's; KindLabel names the kind
	// of the preview or of the question changed.
	Kind, KindLabel string
	Questions       []clinical.FormQuestion
}

// Draft is the draft's store version, posted back by every edit so that
// two people editing are told, not overwritten.
func (p *formsPage) Draft() string {
	if p.Forms.Draft == nil {
		return ""
	}
	return p.Forms.Draft.VersionID
}

func (ws *Workspace) newFormsPage(r *http.Request, v *visit, title string) (*formsPage, error) {
	p := &formsPage{adminPage: ws.adminBase(r, v, title, "Online request form"), Kinds: clinical.RequestKinds, Types: clinical.QuestionTypes, RedFlags: clinical.RedFlags}
	if d := formDone[r.URL.Query().Get("done")]; d != "" {
		p.Done = d
	}
	p.CanEdit = identity.CheckAdmin(v.user) == nil
	if !p.CanEdit {
		p.Sections = nil // a GP reaches no other admin page
	}
	found, err := ws.opts.Service.Search(r.Context(), service.SearchRequest{Type: "Questionnaire",
		Params: url.Values{"url": {clinical.PracticeFormURL(v.user.Practice)}, "_count": {"200"}}})
	if err != nil {
		return nil, err
	}
	p.Forms = clinical.PickForms(v.user.Practice, searchMatches(found.Resource))
	p.Shown = p.Forms.Active
	if p.Forms.Draft != nil {
		p.Shown = *p.Forms.Draft
	}
	p.PublishWhy = clinical.CanPublish(string(v.user.Role), p.Shown)
	p.Form.Required = "no"
	return p, nil
}

func (ws *Workspace) formsPage(w http.ResponseWriter, r *http.Request, v *visit) {
	p, err := ws.newFormsPage(r, v, "Online request form")
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	formPages.Render(w, "admin-forms", http.StatusOK, p)
}

// formPreview shows a kind of request's questions as the patient sees
// them, from the draft if there is one.
func (ws *Workspace) formPreview(w http.ResponseWriter, r *http.Request, v *visit) {
	p, err := ws.newFormsPage(r, v, "Preview")
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	p.Kind = r.PathValue("kind")
	if clinical.ChoiceLabel(clinical.RequestKinds, p.Kind) == p.Kind {
		ws.message(w, r, v, http.StatusNotFound, "Page not found", "There is no such kind of request.")
		return
	}
	p.KindLabel = clinical.ChoiceLabel(clinical.RequestKinds, p.Kind)
	p.Title = "Preview: " + p.KindLabel
	p.Questions = p.Shown.For(p.Kind)
	formPages.Render(w, "admin-form-preview", http.StatusOK, p)
}

// addFormQuestion adds a question to the draft (made from the active
// version by the first edit).
func (ws *Workspace) addFormQuestion(w http.ResponseWriter, r *http.Request, v *visit) {
	p, err := ws.newFormsPage(r, v, "Online request form")
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	p.Form = questionFormOf(r)
	q, errs := p.Form.Check()
	if len(errs) > 0 {
		addQuestionErrors(&p.page, errs)
		formPages.Render(w, "admin-forms", http.StatusBadRequest, p)
		return
	}
	ws.editDraft(w, r, v, p, "added", func(f clinical.RequestForm) (clinical.RequestForm, error) { return f.Add(q) })
}

func questionFormOf(r *http.Request) clinical.QuestionForm {
	return clinical.QuestionForm{Kind: r.PostFormValue("kind"), Text: r.PostFormValue("text"), Help: r.PostFormValue("help"),
		Type: r.PostFormValue("type"), Required: r.PostFormValue("required"), Options: r.PostFormValue("options")}
}

// addQuestionErrors puts a question's errors on the page, each linked
// to its field's first input.
func addQuestionErrors(p *page, errs map[string]string) {
	for _, f := range []string{"kind", "text", "help", "type", "options", "required"} {
		if e := errs[f]; e != "" {
			p.AddError(f, e)
		}
	}
}

// formQuestionPage shows one question of the draft (or active) to edit.
func (ws *Workspace) formQuestionPage(w http.ResponseWriter, r *http.Request, v *visit) {
	p, q, ok := ws.formQuestionOf(w, r, v)
	if !ok {
		return
	}
	p.Form = q.FormOf()
	formPages.Render(w, "admin-form-question", http.StatusOK, p)
}

func (ws *Workspace) formQuestionOf(w http.ResponseWriter, r *http.Request, v *visit) (*formsPage, clinical.FormQuestion, bool) {
	p, err := ws.newFormsPage(r, v, "Change a question")
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, clinical.FormQuestion{}, false
	}
	id := r.PathValue("q")
	if clinical.LockedQuestion(id) {
		ws.formRefused(w, r, v, clinical.ErrLockedQuestion)
		return nil, clinical.FormQuestion{}, false
	}
	q, ok := p.Shown.Question(id)
	if !ok {
		ws.message(w, r, v, http.StatusNotFound, "Question not found", "This question is not on the practice's form. Go back to the form and reload it.")
		return nil, clinical.FormQuestion{}, false
	}
	p.Question, p.KindLabel = q, clinical.ChoiceLabel(clinical.RequestKinds, q.Kind)
	return p, q, true
}

// changeFormQuestion saves, moves or removes a question (action).
func (ws *Workspace) changeFormQuestion(w http.ResponseWriter, r *http.Request, v *visit) {
	id := r.PathValue("q")
	action := r.PostFormValue("action")
	if clinical.LockedQuestion(id) {
		// Refused by the rule too (RequestForm.Edit, Remove, Move);
		// said here before anything is read.
		ws.formRefused(w, r, v, clinical.ErrLockedQuestion)
		return
	}
	p, err := ws.newFormsPage(r, v, "Change a question")
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	switch action {
	case "up", "down":
		delta := map[string]int{"up": -1, "down": 1}[action]
		ws.editDraft(w, r, v, p, "moved", func(f clinical.RequestForm) (clinical.RequestForm, error) { return f.Move(id, delta) })
	case "remove":
		ws.editDraft(w, r, v, p, "removed", func(f clinical.RequestForm) (clinical.RequestForm, error) { return f.Remove(id) })
	case "save":
		p.Question, _ = p.Shown.Question(id)
		p.KindLabel = clinical.ChoiceLabel(clinical.RequestKinds, p.Question.Kind)
		p.Form = questionFormOf(r)
		q, errs := p.Form.Check()
		if len(errs) > 0 {
			addQuestionErrors(&p.page, errs)
			formPages.Render(w, "admin-form-question", http.StatusBadRequest, p)
			return
		}
		ws.editDraft(w, r, v, p, "saved", func(f clinical.RequestForm) (clinical.RequestForm, error) { return f.Edit(id, q) })
	default:
		ws.message(w, r, v, http.StatusBadRequest, "Not saved", "The change asked for is not known. Go back to the form and try again.")
	}
}

// formRefused answers an edit the rules refuse, writing nothing.
func (ws *Workspace) formRefused(w http.ResponseWriter, r *http.Request, v *visit, err error) {
	ws.adminMessage(w, r, v, http.StatusUnprocessableEntity, "Not changed", "Nothing was saved: "+err.Error()+".")
}

// editDraft applies one edit to the draft and saves it: a new draft
// version (the active one's questions, the next number) on the first
// edit, else the draft If-Match the version the page showed.
func (ws *Workspace) editDraft(w http.ResponseWriter, r *http.Request, v *visit, p *formsPage, done string, edit func(clinical.RequestForm) (clinical.RequestForm, error)) {
	if r.PostFormValue("draft") != p.Draft() {
		ws.formChanged(w, r, v)
		return
	}
	draft := p.Forms.Active.NextDraft(p.Forms.Latest, ws.opts.Now())
	if p.Forms.Draft != nil {
		draft = *p.Forms.Draft
		draft.Edited = ws.opts.Now().UTC().Format("2006-01-02T15:04:05Z")
	}
	next, err := edit(draft)
	if err != nil {
		ws.formRefused(w, r, v, err)
		return
	}
	res := next.Questionnaire()
	if p.Forms.Draft == nil {
		// Conditional on url and version: two admins starting a draft
		// at once make one, and the second is told.
		q := url.Values{"url": {clinical.PracticeFormURL(v.user.Practice)}, "version": {strconv.Itoa(next.Version)}}
		out, err := ws.opts.Service.Create(r.Context(), "Questionnaire", res, q.Encode())
		if err == nil && out.Status != http.StatusCreated {
			ws.formChanged(w, r, v)
			return
		}
		if err != nil {
			ws.failed(w, r, v, err)
			return
		}
	} else {
		version, _ := strconv.ParseInt(p.Forms.Draft.VersionID, 10, 64)
		_, err := ws.opts.Service.Update(r.Context(), "Questionnaire", p.Forms.Draft.ID, res, service.Precondition{Set: true, Version: version})
		if ws.formConflict(w, r, v, err) {
			return
		}
	}
	redirectFormDone(w, r, done)
}

func redirectFormDone(w http.ResponseWriter, r *http.Request, done string) {
	http.Redirect(w, r, "/workspace/admin/forms?done="+url.QueryEscape(done)+"#done", http.StatusSeeOther)
}

func (ws *Workspace) formChanged(w http.ResponseWriter, r *http.Request, v *visit) {
	ws.adminMessage(w, r, v, http.StatusConflict, "Not saved: changed since", "Someone changed the draft form after you opened the page, so nothing was saved. Go back, reload the page and try again.")
}

// formConflict answers a failed write (true when it did).
func (ws *Workspace) formConflict(w http.ResponseWriter, r *http.Request, v *visit, err error) bool {
	var fe *fhir.Error
	switch {
	case err == nil:
		return false
	case errors.As(err, &fe) && fe.Status == http.StatusPreconditionFailed:
		ws.formChanged(w, r, v)
	default:
		ws.failed(w, r, v, err)
	}
	return true
}

// publishForm signs the draft off: in one transaction the draft becomes
// active with the GP's name and the date, and the active version it
// replaces is retired (kept, for the responses that name it).
func (ws *Workspace) publishForm(w http.ResponseWriter, r *http.Request, v *visit) {
	p, err := ws.newFormsPage(r, v, "Online request form")
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	if p.PublishWhy != "" {
		ws.adminMessage(w, r, v, http.StatusForbidden, "Not signed off", p.PublishWhy)
		return
	}
	if r.PostFormValue("draft") != p.Draft() {
		ws.formChanged(w, r, v)
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		p.AddError("confirm", "Confirm that you have reviewed the draft's questions")
		formPages.Render(w, "admin-forms", http.StatusBadRequest, p)
		return
	}
	published := p.Forms.Draft.Published(ws.authorRef(r.Context(), v), ws.opts.Now())
	entries := []any{map[string]any{"resource": map[string]any(published.Questionnaire()),
		"request": map[string]any{"method": "PUT", "url": "Questionnaire/" + published.ID, "ifMatch": `W/"` + published.VersionID + `"`}}}
	if old := p.Forms.Active; old.ID != "" {
		old.Status = clinical.FormRetired
		entries = append(entries, map[string]any{"resource": map[string]any(old.Questionnaire()),
			"request": map[string]any{"method": "PUT", "url": "Questionnaire/" + old.ID, "ifMatch": `W/"` + old.VersionID + `"`}})
	}
	_, err = ws.opts.Service.ProcessBundle(r.Context(), fhir.Resource{"resourceType": "Bundle", "type": "transaction", "entry": entries}, service.BundleOptions{})
	if ws.formConflict(w, r, v, err) {
		return
	}
	redirectFormDone(w, r, "published")
}
