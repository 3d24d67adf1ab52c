package workspace

import (
	"context"
	"net/http"
	"net/url"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/service"
)

// Coding a letter's key facts: reading a letter in the inbox, a
// clinician adds the problems it reports to the record there and then,
// each a Condition whose evidence is the letter (Condition.evidence.detail),
// so the problem list says where it came from and the letter's page lists
// what was coded from it. Medication changes go to the reconciliation
// task when the letter is filed (a clinician or pharmacist).

// letterCoding is the letter page's coding form and what was coded.
type letterCoding struct {
	Code                       rxCode
	Significance, Status       string
	Significances, StatusTypes []clinical.Choice
	// Coded are the problems already coded from this letter.
	Coded []clinical.ProblemRow
	// Added: a problem was just added.
	Added bool
}

// codedFrom lists the problems whose evidence is the letter.
func (ws *Workspace) codedFrom(ctx context.Context, letterID string) ([]clinical.ProblemRow, error) {
	out, err := ws.opts.Service.Search(ctx, service.SearchRequest{Type: "Condition", Params: url.Values{"evidence-detail": {"DocumentReference/" + letterID}, "_count": {"50"}}})
	if err != nil {
		return nil, err
	}
	return clinical.ProblemList(searchMatches(out.Resource), nil), nil
}

func (ws *Workspace) codeFromLetter(w http.ResponseWriter, r *http.Request, v *visit) {
	p, _, _, ok := ws.inboxItemPage(w, r, v)
	if !ok || !ws.samePatient(w, r, v, *p.Banner) {
		return
	}
	if !p.MayFile || p.Item.Kind != "Letter" {
		ws.message(w, r, v, http.StatusForbidden, "Not available", "Problems are coded from a letter by a clinician while it waits to be filed.")
		return
	}
	f := r.PostForm
	c := &p.Coding
	c.Code = ws.parseRecordCode(r.Context(), f, "code", nil)
	c.Significance, c.Status = f.Get("significance"), f.Get("status")
	if rxFinding(f) {
		ws.pages.Render(w, "inbox-item", http.StatusOK, p)
		return
	}
	np := clinical.NewProblem{Code: c.Code.Chosen, Significance: c.Significance, Status: c.Status}
	if errs := np.Check(ws.opts.Now()); len(errs) > 0 {
		fieldErrors(&p.page, errs, []string{"code", "significance", "status"})
		ws.pages.Render(w, "inbox-item", http.StatusUnprocessableEntity, p)
		return
	}
	who := ws.entryAuthor(r.Context(), v)
	res := clinical.WithEvidence(np.Resource(p.Banner.ID, who, ws.opts.Now()), clinical.Ref{Reference: "DocumentReference/" + p.Item.ID, Display: p.Item.Title})
	if err := ws.addEntry(r.Context(), p.Banner.ID, res, who); err != nil {
		ws.entryFailed(w, r, v, err)
		return
	}
	http.Redirect(w, r, p.Href+"?coded=problem#coding", http.StatusSeeOther)
	// (The form posts to the letter's own address with do=code: a path
	// below it would overlap the matching pages' routes.)
}
