package workspace

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/intake"
	"github.com/gpcloud/gpcloud/internal/service"
)

// Matching an item by hand: the page shows who the item says it is
// about beside the practice's patients with that NHS number or that
// surname and date of birth; the user chooses one and confirms they
// have checked the details. Nothing is matched without that
// confirmation, and an item no patient fits stays on the list.

type matchPage struct {
	page
	Item       clinical.Incoming
	Candidates []matchCandidate
	Chosen     string
	Confirm    bool
	Href       string
}

type matchCandidate struct {
	clinical.Banner
	BirthDate, BornLabel string
	Same                 struct{ NHS, Born, Surname bool }
}

func (ws *Workspace) matchPageOf(w http.ResponseWriter, r *http.Request, v *visit) (*matchPage, fhir.Resource, bool) {
	res, err := ws.inboxItem(r.Context(), r)
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, nil, false
	}
	in := clinical.IncomingOf(res)
	if in.State != clinical.InboxToMatch {
		http.Redirect(w, r, "/workspace/inbox/match?done=not-waiting", http.StatusSeeOther)
		return nil, nil, false
	}
	p := &matchPage{page: ws.base(v, "Match to a patient", inboxNavLabel), Item: in,
		Href: "/workspace/inbox/match/" + r.PathValue("kind") + "/" + in.ID}
	seen := map[string]bool{}
	var queries []url.Values
	if clinical.ValidNHSNumber(in.Claimed.NHSNumber) {
		queries = append(queries, url.Values{"identifier": {clinical.NHSNumberSystem + "|" + in.Claimed.NHSNumber}})
	}
	if in.Claimed.Family != "" && in.Claimed.BirthDate != "" {
		queries = append(queries, url.Values{"family": {in.Claimed.Family}, "birthdate": {in.Claimed.BirthDate}})
	}
	for _, q := range queries {
		q.Set("_count", "20")
		out, err := ws.opts.Service.Search(r.Context(), service.SearchRequest{Type: "Patient", Params: q})
		if err != nil {
			ws.failed(w, r, v, err)
			return nil, nil, false
		}
		for _, pr := range searchMatches(out.Resource) {
			if seen[pr.ID()] {
				continue
			}
			seen[pr.ID()] = true
			c := matchCandidate{Banner: clinical.BannerOf(pr, ws.opts.Now())}
			c.BirthDate, _ = pr["birthDate"].(string)
			c.BornLabel = clinical.WhenLabel(c.BirthDate)
			c.Same.NHS = strings.ReplaceAll(c.NHSNumber, " ", "") == in.Claimed.NHSNumber
			c.Same.Born = c.BirthDate == in.Claimed.BirthDate
			c.Same.Surname = strings.HasPrefix(strings.ToUpper(c.Name), strings.ToUpper(in.Claimed.Family)+",")
			p.Candidates = append(p.Candidates, c)
		}
	}
	return p, res, true
}

func (ws *Workspace) matchForm(w http.ResponseWriter, r *http.Request, v *visit) {
	p, _, ok := ws.matchPageOf(w, r, v)
	if !ok {
		return
	}
	ws.pages.Render(w, "inbox-match", http.StatusOK, p)
}

func (ws *Workspace) match(w http.ResponseWriter, r *http.Request, v *visit) {
	p, res, ok := ws.matchPageOf(w, r, v)
	if !ok {
		return
	}
	p.Chosen, p.Confirm = r.PostFormValue("patient"), r.PostFormValue("confirm") == "yes"
	var chosen *matchCandidate
	for i := range p.Candidates {
		if p.Candidates[i].ID == p.Chosen {
			chosen = &p.Candidates[i]
		}
	}
	if chosen == nil {
		p.AddError("patient", "Select the patient this is about")
	}
	if !p.Confirm {
		p.AddError("confirm", "Confirm you have checked the name, date of birth and NHS number")
	}
	if len(p.Errors) > 0 {
		ws.pages.Render(w, "inbox-match", http.StatusUnprocessableEntity, p)
		return
	}
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if strconv.FormatInt(version, 10) != p.Item.Version {
		http.Redirect(w, r, "/workspace/inbox/match?done=not-waiting", http.StatusSeeOther)
		return
	}
	sorter := &intake.Intake{Service: ws.opts.Service, Now: ws.opts.Now}
	matched, err := sorter.Routed(r.Context(), clinical.MatchTo(res, chosen.Banner), nil)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	if _, err := ws.opts.Service.Update(r.Context(), p.Item.Type, p.Item.ID, matched,
		service.Precondition{Set: true, Version: version}); err != nil {
		ws.entryFailed(w, r, v, err)
		return
	}
	if err := sorter.Matched(r.Context(), matched); err != nil {
		ws.failed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/inbox/match?done=matched", http.StatusSeeOther)
}
