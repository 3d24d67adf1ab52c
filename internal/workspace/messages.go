package workspace

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// Patients' messages, the practice side: a queue of the messages that
// await a reply (oldest and most pressing first, with how long each has
// waited), and each patient's conversation on their record with a reply
// form. A reply is a Communication to the patient, and the messages it
// answers are marked answered If-Match the versions shown, in one
// transaction: two people answering at once cannot both think they
// were first, and a failed reply writes nothing.

// messagesNavLabel is the navigation entry of the patient queues.
const messagesNavLabel = "Patient messages"

// queueLimit bounds the items read for a queue; the page says when
// there are more.
const queueLimit = 500

// queueRow is a patient's message or request in a queue, with its age.
type queueRow struct {
	clinical.Message
	Age clinical.QueueAge
}

// Short is the start of the message, for one line of the queue.
func (q queueRow) Short() string {
	r := []rune(strings.Join(strings.Fields(q.Text), " "))
	if len(r) <= 80 {
		return string(r)
	}
	return string(r[:79]) + "…"
}

type messageQueuePage struct {
	page
	Rows []queueRow
	More bool
	// PracticeOn is the practice's setting; MayChange whether the user
	// may change it (a practice admin); Version the Organization's.
	PracticeOn bool
	MayChange  bool
	Version    string
}

// awaiting reads the patient messages that await a reply.
func (ws *Workspace) awaiting(r *http.Request, params url.Values) ([]fhir.Resource, bool, error) {
	params.Set("status", clinical.MessageAwaiting)
	params.Set("category", clinical.MessageKindSystem+"|"+clinical.MessagePatient)
	params.Set("_count", strconv.Itoa(queueLimit))
	out, err := ws.opts.Service.Search(r.Context(), service.SearchRequest{Type: "Communication", Params: params})
	if err != nil {
		return nil, false, err
	}
	return searchMatches(out.Resource), totalOf(out.Resource) > queueLimit, nil
}

func (ws *Workspace) messageQueue(w http.ResponseWriter, r *http.Request, v *visit) {
	rs, more, err := ws.awaiting(r, url.Values{"_sort": {"sent"}})
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	now := ws.opts.Now()
	p := &messageQueuePage{page: ws.base(v, "Patient messages", messagesNavLabel), More: more, PracticeOn: true}
	if org, err := ws.read(r.Context(), "Organization", v.user.Practice); err == nil {
		p.PracticeOn, p.Version = clinical.MessagingOn(org), versionOf(org)
		_, p.MayChange = v.principal.ReachFor("Organization", auth.Update)
	}
	for _, res := range rs {
		m := clinical.MessageOf(res)
		p.Rows = append(p.Rows, queueRow{Message: m, Age: clinical.RequestQueueAge(m.Sent, now, false)})
	}
	slices.SortStableFunc(p.Rows, func(a, b queueRow) int {
		if d := a.Age.Rank() - b.Age.Rank(); d != 0 {
			return d
		}
		return a.Sent.Compare(b.Sent)
	})
	ws.pages.Render(w, "messages", http.StatusOK, p)
}

type conversationPage struct {
	page
	Messages []clinical.Message
	// PatientOn is the patient's messaging setting, PatientVersion the
	// Patient's version; MayChange whether the user may change it.
	PatientOn      bool
	PatientVersion string
	MayChange      bool
	// Answers are the awaiting messages a reply answers, "id:version".
	Answers []string
	Reply   string
	Sent    bool
	// NoticeOn and Notice say whether the patient is told of a reply by
	// email or text (reply_notice.go).
	NoticeOn bool
	Notice   string
	// Conflict: someone replied or a message came in since the page was
	// shown.
	Conflict bool
	// Unfiled are the messages not yet filed to the record, oldest
	// first (messages_file.go); MayFile whether the user may write a
	// note; Summary the filing's summary as typed; Filed confirms one.
	Unfiled []clinical.Message
	MayFile bool
	Summary string
	Filed   bool
	// FileConflict: a message came in since, so nothing was filed.
	FileConflict bool
}

func (ws *Workspace) conversationPage(w http.ResponseWriter, r *http.Request, v *visit) (*conversationPage, bool) {
	patient, ok := ws.patient(w, r, v)
	if !ok {
		return nil, false
	}
	out, err := ws.opts.Service.Search(r.Context(), service.SearchRequest{Type: "Communication", Params: url.Values{
		"patient": {"Patient/" + patient.ID}, "category": {clinical.MessageKindSystem + "|"}, "_sort": {"-sent"}, "_count": {"200"}}})
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, false
	}
	p := &conversationPage{page: ws.recordBase(v, "Messages", "Messages", &patient), Messages: clinical.Conversation(searchMatches(out.Resource))}
	res, err := ws.read(r.Context(), "Patient", patient.ID)
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, false
	}
	p.PatientOn, p.PatientVersion = clinical.MessagingOn(res), versionOf(res)
	p.NoticeOn, p.Notice = ws.replyNotice()
	if p.MayFile = mayConsult(v.principal); p.MayFile {
		if p.Unfiled, err = ws.unfiledMessages(r, patient.ID, p.Messages); err != nil {
			ws.failed(w, r, v, err)
			return nil, false
		}
	}
	_, p.MayChange = v.principal.ReachFor("Patient", auth.Update)
	for _, m := range p.Messages {
		if m.Awaiting && !m.FromPractice {
			p.Answers = append(p.Answers, m.ID+":"+m.Version)
		}
	}
	return p, true
}

func (ws *Workspace) conversation(w http.ResponseWriter, r *http.Request, v *visit) {
	p, ok := ws.conversationPage(w, r, v)
	if !ok {
		return
	}
	p.Sent = r.URL.Query().Get("sent") == "1"
	p.Filed = r.URL.Query().Get("filed") == "1"
	ws.pages.Render(w, "conversation", http.StatusOK, p)
}

// reply sends the practice's reply and marks the messages it answers.
func (ws *Workspace) reply(w http.ResponseWriter, r *http.Request, v *visit) {
	p, ok := ws.conversationPage(w, r, v)
	if !ok || !ws.samePatient(w, r, v, *p.Banner) {
		return
	}
	_ = r.ParseForm()
	rep := clinical.Reply{Text: r.PostFormValue("reply"), PatientID: p.Banner.ID, PatientName: p.Banner.Name,
		From: ws.authorRef(r.Context(), v), Practice: v.user.Practice}
	p.Reply = rep.Text
	if errs := rep.Check(); len(errs) > 0 {
		fieldErrors(&p.page, errs, []string{"reply"})
		ws.pages.Render(w, "conversation", http.StatusUnprocessableEntity, p)
		return
	}
	// The messages answered are those the page showed; one that came in
	// since is not answered unseen.
	shown := r.PostForm["answers"]
	if !slices.Equal(shown, p.Answers) {
		p.Conflict = true
		ws.pages.Render(w, "conversation", http.StatusConflict, p)
		return
	}
	entries := []any{}
	for _, m := range p.Messages {
		if !slices.Contains(shown, m.ID+":"+m.Version) {
			continue
		}
		res, err := ws.read(r.Context(), "Communication", m.ID)
		if err != nil {
			ws.failed(w, r, v, err)
			return
		}
		if done := clinical.Answered(res); done != nil {
			rep.InResponseTo = "Communication/" + m.ID
			entries = append(entries, map[string]any{"resource": map[string]any(done),
				"request": map[string]any{"method": "PUT", "url": "Communication/" + m.ID, "ifMatch": `W/"` + m.Version + `"`}})
		}
	}
	entries = append(entries, map[string]any{"fullUrl": "urn:uuid:" + fhir.NewUUID(), "resource": map[string]any(rep.Resource(ws.opts.Now())),
		"request": map[string]any{"method": "POST", "url": "Communication"}})
	bundle := fhir.Resource{"resourceType": "Bundle", "type": "transaction", "entry": entries}
	if _, err := ws.opts.Service.ProcessBundle(r.Context(), bundle, service.BundleOptions{}); err != nil {
		var fe *fhir.Error
		if errors.As(err, &fe) && (fe.Status == http.StatusPreconditionFailed || fe.Status == http.StatusConflict) {
			p.Conflict = true
			ws.pages.Render(w, "conversation", http.StatusConflict, p)
			return
		}
		ws.failed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/patients/"+p.Banner.ID+"/messages?sent=1#sent", http.StatusSeeOther)
}

// messageAttachment opens a message's file, read as the user (a role
// that may not read Binary is refused by the service).
func (ws *Workspace) messageAttachment(w http.ResponseWriter, r *http.Request, v *visit) {
	res, err := ws.read(r.Context(), "Communication", r.PathValue("message"))
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	m := clinical.MessageOf(res)
	if m.Patient != r.PathValue("id") || m.Attachment == nil || m.Attachment.Binary == "" {
		ws.message(w, r, v, http.StatusNotFound, "Not found", "This message has no file, or it is not this patient's.")
		return
	}
	bin, err := ws.read(r.Context(), "Binary", m.Attachment.Binary)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	ct, _ := bin["contentType"].(string)
	data, _ := bin["data"].(string)
	body, derr := base64.StdEncoding.DecodeString(data)
	if _, ok := clinical.AttachmentTypes[ct]; !ok || derr != nil {
		ws.message(w, r, v, http.StatusUnsupportedMediaType, "Cannot be shown", "This file is not a photo or a PDF, so it is not shown here.")
		return
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Disposition", "inline")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'")
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(body)
}

// patientQueueRoutes are the pages of patients' messages and online
// requests (messages.go, requests.go), and of proxies' online access
// (proxies.go).
func (ws *Workspace) patientQueueRoutes() {
	m := ws.mux
	m.HandleFunc("GET /workspace/messages", ws.staff("search-type", ws.messageQueue))
	m.HandleFunc("GET /workspace/messages/counts", ws.staff("search-type", ws.queueCounts))
	m.HandleFunc("GET /workspace/patients/{id}/messages", ws.staff("search-type", ws.conversation))
	m.HandleFunc("POST /workspace/patients/{id}/messages", ws.staff("transaction", ws.reply))
	m.HandleFunc("GET /workspace/patients/{id}/messages/{message}/attachment", ws.staff("read", ws.messageAttachment))
	m.HandleFunc("POST /workspace/patients/{id}/messages/setting", ws.staff("update", ws.messagingSetting))
	m.HandleFunc("POST /workspace/patients/{id}/messages/file", ws.staff("transaction", ws.fileMessages))
	m.HandleFunc("POST /workspace/messages/setting", ws.staff("update", ws.messagingSetting))
	m.HandleFunc("GET /workspace/requests", ws.staff("search-type", ws.requestQueue))
	m.HandleFunc("GET /workspace/requests/{task}", ws.staff("read", ws.onlineRequest))
	m.HandleFunc("POST /workspace/requests/{task}", ws.staff("transaction", ws.answerRequest))
	// Proxies' online access (proxies.go).
	m.HandleFunc("GET /workspace/patients/{id}/proxies", ws.staff("search-type", ws.proxies))
	m.HandleFunc("POST /workspace/patients/{id}/proxies", ws.staff("update", ws.decideProxy))
	// The patient's own online access: the record's level, identity proof,
	// registration letters (record_access.go, identity_proof.go,
	// invitations.go); proxies to review at 11 (proxy_review.go).
	m.HandleFunc("POST /workspace/patients/{id}/record-access", ws.staff("update", ws.setRecordAccess))
	m.HandleFunc("POST /workspace/patients/{id}/identity-proof", ws.staff("update", ws.setIdentityProof))
	m.HandleFunc("POST /workspace/patients/{id}/invitations", ws.staff("create", ws.invite))
	m.HandleFunc("GET /workspace/proxies/review", ws.staff("search-type", ws.proxyReview))
}

// messagingSetting turns online messages on or off for one patient
// (their record's Messages tab) or, for a practice admin, the whole
// practice (the queue), If-Match the version shown.
func (ws *Workspace) messagingSetting(w http.ResponseWriter, r *http.Request, v *visit) {
	typ, id, back := "Organization", v.user.Practice, "/workspace/messages"
	if pid := r.PathValue("id"); pid != "" {
		patient, ok := ws.patient(w, r, v)
		if !ok || !ws.samePatient(w, r, v, patient) {
			return
		}
		typ, id, back = "Patient", patient.ID, "/workspace/patients/"+patient.ID+"/messages"
	}
	res, err := ws.read(r.Context(), typ, id)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	version, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil || strconv.FormatInt(version, 10) != versionOf(res) {
		ws.message(w, r, v, http.StatusConflict, "Not saved: changed since", "This setting or record changed after you opened the page, so nothing was saved. Go back, reload the page and try again.")
		return
	}
	next := clinical.SetMessaging(res, r.PostFormValue("on") == "1")
	if _, err := ws.opts.Service.Update(r.Context(), typ, id, next, service.Precondition{Set: true, Version: version}); err != nil {
		ws.failed(w, r, v, err)
		return
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// queueCounts answers htmx's refresh of the navigation's count: the
// messages awaiting a reply and the open online requests, as a number.
func (ws *Workspace) queueCounts(w http.ResponseWriter, r *http.Request, v *visit) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	n := 0
	for _, q := range []struct {
		typ    string
		params url.Values
	}{
		{"Communication", url.Values{"status": {clinical.MessageAwaiting}, "category": {clinical.MessageKindSystem + "|" + clinical.MessagePatient}}},
		{"Task", url.Values{"code": {clinical.PortalTaskSystem + "|" + clinical.TaskOnlineRequest}, "status": {clinical.TaskRequested + "," + clinical.TaskInProgress}}},
	} {
		q.params.Set("_summary", "count")
		out, err := ws.opts.Service.Search(r.Context(), service.SearchRequest{Type: q.typ, Params: q.params})
		if err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		n += totalOf(out.Resource)
	}
	if n > 0 {
		_, _ = w.Write([]byte(strconv.Itoa(n) + `<span class="nhsuk-u-visually-hidden"> waiting</span>`))
	}
}

// totalOf is a searchset's total (the service puts an int; decoded JSON
// a number), or 0.
func totalOf(b fhir.Resource) int {
	switch t := b["total"].(type) {
	case int:
		return t
	case float64:
		return int(t)
	case json.Number:
		n, _ := t.Int64()
		return int(n)
	}
	return 0
}
