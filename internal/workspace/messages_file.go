package workspace

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/service"
)

// Filing a patient's messages to the record: a clinician writes a
// summary, and the messages not yet filed become a journal entry
// (clinical.FileMessages) in one transaction. The messages filed are
// those the page showed: one that arrived since is refused, not filed
// unseen.

// unfiledMessages are the conversation's messages no note was filed
// from, oldest first.
func (ws *Workspace) unfiledMessages(r *http.Request, patientID string, msgs []clinical.Message) ([]clinical.Message, error) {
	out, err := ws.opts.Service.Search(r.Context(), service.SearchRequest{Type: "Observation", Params: url.Values{
		"patient": {"Patient/" + patientID}, "code": {clinical.SNOMED + "|" + clinical.CommentNoteCode}, "_count": {"1000"}}})
	if err != nil {
		return nil, err
	}
	filed := clinical.FiledMessages(searchMatches(out.Resource))
	var unfiled []clinical.Message
	for _, m := range msgs {
		if !filed[m.ID] {
			unfiled = append(unfiled, m)
		}
	}
	slices.SortStableFunc(unfiled, func(a, b clinical.Message) int { return a.Sent.Compare(b.Sent) })
	return unfiled, nil
}

func (ws *Workspace) fileMessages(w http.ResponseWriter, r *http.Request, v *visit) {
	p, ok := ws.conversationPage(w, r, v)
	if !ok || !ws.samePatient(w, r, v, *p.Banner) {
		return
	}
	if !p.MayFile {
		ws.message(w, r, v, http.StatusForbidden, "Not available to your role", "Filing messages to the record is for clinicians.")
		return
	}
	_ = r.ParseForm()
	p.Summary = r.PostFormValue("summary")
	var shown []string
	for _, m := range p.Unfiled {
		shown = append(shown, m.ID)
	}
	if !slices.Equal(r.PostForm["filing"], shown) {
		p.FileConflict = true
		ws.pages.Render(w, "conversation", http.StatusConflict, p)
		return
	}
	f := clinical.FileMessages{PatientID: p.Banner.ID, Practice: v.user.Practice, Clinician: ws.authorRef(r.Context(), v), Summary: p.Summary, Messages: p.Unfiled}
	if errs := f.Check(); len(errs) > 0 {
		fieldErrors(&p.page, errs, []string{"summary"})
		ws.pages.Render(w, "conversation", http.StatusUnprocessableEntity, p)
		return
	}
	bundle, err := f.Bundle(ws.opts.Now())
	if err == nil {
		_, err = ws.opts.Service.ProcessBundle(r.Context(), bundle, service.BundleOptions{})
	}
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/patients/"+p.Banner.ID+"/messages?filed=1#filed", http.StatusSeeOther)
}
