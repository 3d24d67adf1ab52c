package portal

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// Asking the practice for help (an online consultation), one question
// per page: what it is about; for a medical problem the red-flag
// questions (any yes stops the request and says to call 999 or 111 now:
// nothing is sent); then the details; then it is sent as a
// QuestionnaireResponse and a Task owned by the practice, in one
// transaction. The steps post to each other with the answers so far in
// hidden fields (no state on the server, works without JavaScript), and
// the last step checks every answer again (clinical.OnlineRequest.Check),
// so a hand-made post cannot skip the red flags.

type helpPage struct {
	page
	Req       clinical.OnlineRequest
	Flags     []clinical.RedFlag
	HowLong   []clinical.Choice
	Topics    []clinical.Choice
	Open      bool
	ReplyBy   string
	Stop      *clinical.RedFlag
	Reference string
	// Requests are the patient's earlier online requests, with status.
	Requests []clinical.PortalTaskRow
	// Kinds are the kinds of request; Questions the practice's own
	// questions of the kind chosen, from the form version Req.Form.
	Kinds     []clinical.Choice
	Questions []clinical.FormQuestion
}

func (pt *Portal) helpBase(v *visit, title string) *helpPage {
	open, reply := clinical.ReplyBy(pt.opts.Now())
	return &helpPage{page: pt.base(v, title, "Ask for help"), Flags: clinical.RedFlags, HowLong: clinical.HowLongChoices, Topics: clinical.AdminChoices,
		Kinds: clinical.RequestKinds, Open: open, ReplyBy: reply}
}

// publishForm puts the request form's Questionnaire in the store once
// (a conditional create by url and version, so servers sharing a store
// make one), for other FHIR clients to read the responses by. It is the
// server's own reference data, written by the server, not as the
// patient (who may not create Questionnaires); a failure is logged and
// the request still goes (the response carries the canonical).
func (pt *Portal) publishForm() {
	pt.published.Do(func() {
		form := clinical.OnlineRequestForm()
		q := url.Values{"url": {clinical.OnlineRequestQuestionnaire}, "version": {clinical.RedFlagsVersion}}
		if _, err := pt.opts.Service.Create(context.Background(), "Questionnaire", form, q.Encode()); err != nil {
			pt.opts.Logger.Error("the online request form could not be published", "error", err)
		}
	})
}

// helpKind asks what the request is about, and lists the requests sent.
func (pt *Portal) helpKind(w http.ResponseWriter, r *http.Request, v *visit) {
	pt.publishForm()
	p := pt.helpBase(v, "What do you need help with?")
	tasks, err := pt.search(r, "Task", url.Values{"patient": {"Patient/" + v.Patient.ID}, "_count": {"200"}})
	if err != nil {
		pt.failed(w, r, v, err)
		return
	}
	p.Requests = clinical.PortalTaskRows(tasks, clinical.TaskOnlineRequest)
	pt.pages.Render(w, "help-kind", http.StatusOK, p)
}

func requestFrom(r *http.Request) clinical.OnlineRequest {
	q := clinical.OnlineRequest{Kind: r.PostFormValue("kind"), Topic: r.PostFormValue("topic"), Details: r.PostFormValue("details"),
		HowLong: r.PostFormValue("how-long"), RedFlags: map[string]string{}, Answers: map[string]string{}}
	for _, f := range clinical.RedFlags {
		if a := r.PostFormValue(f.ID); a != "" {
			q.RedFlags[f.ID] = a
		}
	}
	return q
}

// withForm adds the practice's form version to a request: the version
// the details page showed (form-version, posted back), else the active
// one; and the answers to its questions.
func (pt *Portal) withForm(r *http.Request, v *visit, q *clinical.OnlineRequest) error {
	forms, err := pt.practiceForms(r, v)
	if err != nil {
		return err
	}
	q.Form = forms.Active
	if n, err := strconv.Atoi(r.PostFormValue("form-version")); err == nil {
		if f, ok := forms.Version(n); ok {
			q.Form = f
		}
	}
	for _, fq := range q.Form.For(q.Kind) {
		if a := r.PostFormValue(fq.ID); a != "" {
			q.Answers[fq.ID] = a
		}
	}
	return nil
}

// practiceForms reads the versions of the patient's practice's form.
func (pt *Portal) practiceForms(r *http.Request, v *visit) (clinical.PracticeForms, error) {
	found, err := pt.search(r, "Questionnaire", url.Values{"url": {clinical.PracticeFormURL(v.Practice)}, "_count": {"200"}})
	if err != nil {
		return clinical.PracticeForms{}, err
	}
	forms := clinical.PickForms(v.Practice, found)
	if forms.Refused > 0 {
		pt.opts.Logger.Error("a stored online request form breaks the form rules and is not served", "practice", v.Practice, "versions", forms.Refused)
	}
	return forms, nil
}

// helpDetails shows the details step with the practice's questions.
func (pt *Portal) helpDetails(w http.ResponseWriter, p *helpPage, status int) {
	p.Questions = p.Req.Form.For(p.Req.Kind)
	if clinical.IsHealthRequest(p.Req.Kind) {
		p.Title = "Tell us about your symptoms"
	} else {
		p.Title = "What is your request about?"
	}
	pt.pages.Render(w, "help-details", status, p)
}

// helpNext takes one step's answers and shows the next step.
func (pt *Portal) helpNext(w http.ResponseWriter, r *http.Request, v *visit) {
	q := requestFrom(r)
	if err := pt.withForm(r, v, &q); err != nil {
		pt.failed(w, r, v, err)
		return
	}
	switch r.PostFormValue("step") {
	case "kind":
		p := pt.helpBase(v, "What do you need help with?")
		p.Req = q
		switch q.Kind {
		case clinical.RequestMedical, clinical.RequestExisting:
			p.Title = "Before you continue"
			pt.pages.Render(w, "help-flags", http.StatusOK, p)
		case clinical.RequestAdmin:
			pt.helpDetails(w, p, http.StatusOK)
		default:
			p.AddError("kind-medical", "Select what you need help with")
			pt.pages.Render(w, "help-kind", http.StatusUnprocessableEntity, p)
		}
	case "flags":
		p := pt.helpBase(v, "Before you continue")
		p.Req = q
		stop, errs := clinical.CheckRedFlags(q.RedFlags)
		switch {
		case stop != nil:
			pt.urgent(w, v, stop)
		case len(errs) > 0:
			for _, f := range clinical.RedFlags {
				if e := errs[f.ID]; e != "" {
					p.AddError(f.ID+"-yes", e)
				}
			}
			pt.pages.Render(w, "help-flags", http.StatusUnprocessableEntity, p)
		default:
			pt.helpDetails(w, p, http.StatusOK)
		}
	default:
		http.Redirect(w, r, "/patient/help", http.StatusSeeOther)
	}
}

// urgent tells the patient to get help now; nothing is sent.
func (pt *Portal) urgent(w http.ResponseWriter, v *visit, stop *clinical.RedFlag) {
	p := pt.helpBase(v, "Get help now")
	p.Stop = stop
	if stop.Advice == clinical.Advice999 {
		p.Title = "Call 999 now"
	} else {
		p.Title = "Call 111 now"
	}
	pt.pages.Render(w, "help-urgent", http.StatusOK, p)
}

// helpSend checks every answer again and sends the request.
func (pt *Portal) helpSend(w http.ResponseWriter, r *http.Request, v *visit) {
	q := requestFrom(r)
	if clinical.IsHealthRequest(q.Kind) {
		if stop, _ := clinical.CheckRedFlags(q.RedFlags); stop != nil {
			pt.urgent(w, v, stop)
			return
		}
	}
	if err := pt.withForm(r, v, &q); err != nil {
		pt.failed(w, r, v, err)
		return
	}
	p := pt.helpBase(v, "")
	p.Req = q
	if errs := q.Check(); len(errs) > 0 {
		for _, f := range []string{"topic", "how-long", "details"} {
			if e := errs[f]; e != "" {
				id := f
				switch f {
				case "topic":
					id = "topic-" + clinical.AdminChoices[0].Key
				case "how-long":
					id = "how-long-" + clinical.HowLongChoices[0].Key
				}
				p.AddError(id, e)
			}
		}
		for _, fq := range q.Form.For(q.Kind) {
			if e := errs[fq.ID]; e != "" {
				p.AddError(fq.FieldID(), e)
			}
		}
		if len(p.Errors) == 0 { // the kind or the red flags were tampered with: start again
			http.Redirect(w, r, "/patient/help", http.StatusSeeOther)
			return
		}
		pt.helpDetails(w, p, http.StatusUnprocessableEntity)
		return
	}
	ref := clinical.NewRequestReference("OC")
	qr, task, urn := q.Resources(pt.requester(v), ref, pt.opts.Now())
	bundle := fhir.Resource{"resourceType": "Bundle", "type": "transaction", "entry": []any{
		map[string]any{"fullUrl": urn, "resource": map[string]any(qr), "request": map[string]any{"method": "POST", "url": "QuestionnaireResponse"}},
		map[string]any{"fullUrl": "urn:uuid:task", "resource": map[string]any(task), "request": map[string]any{"method": "POST", "url": "Task"}},
	}}
	out, err := pt.opts.Service.ProcessBundle(r.Context(), bundle, service.BundleOptions{})
	if err != nil {
		pt.failed(w, r, v, err)
		return
	}
	id := locationOf(out.Resource, "Task/")
	http.Redirect(w, r, "/patient/help/sent/"+id, http.StatusSeeOther)
}

// requester is who sends a request from the portal.
func (pt *Portal) requester(v *visit) clinical.PortalRequester {
	by := clinical.PortalRequester{PatientID: v.Patient.ID, PatientName: v.Patient.Name, Practice: v.Practice}
	if v.Proxy {
		by.Proxy = v.user.Name
	}
	return by
}

// locationOf finds the id of the first entry of a response Bundle whose
// location starts with prefix ("Task/").
func locationOf(b fhir.Resource, prefix string) string {
	for _, e := range list(b["entry"]) {
		resp, _ := e["response"].(map[string]any)
		if rest, ok := strings.CutPrefix(str(resp["location"]), prefix); ok {
			id, _, _ := strings.Cut(rest, "/")
			return id
		}
	}
	return ""
}

// helpSent confirms a sent request with its reference and what happens
// next.
func (pt *Portal) helpSent(w http.ResponseWriter, r *http.Request, v *visit) {
	t, err := pt.read(r, "Task", r.PathValue("task"))
	if err != nil {
		pt.failed(w, r, v, err)
		return
	}
	if f, _ := t["for"].(map[string]any); str(f["reference"]) != "Patient/"+v.Patient.ID {
		pt.message(w, v, http.StatusNotFound, "Page not found", "This request is not part of the record you are using.")
		return
	}
	p := pt.helpBase(v, "Request sent")
	for _, id := range list(t["identifier"]) {
		if str(id["system"]) == clinical.OnlineRequestSystem {
			p.Reference = str(id["value"])
		}
	}
	pt.pages.Render(w, "help-sent", http.StatusOK, p)
}
