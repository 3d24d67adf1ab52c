package workspace

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/service"
)

// Proxies to review at 11 (/workspace/proxies/review, a tab of the
// patient queues): every proxy whose access to a child stops, or will
// within 30 days, at the 11th birthday pending the practice's review
// (clinical.ElevenReview, the same rule as clinical.ProxyAccess). It is
// worked out afresh on every read from the proxy accounts, the children's
// birth dates and the practice's decisions, read as the user (only the
// patients they reach are listed).

type reviewRow struct {
	PatientID, Patient, Proxy, Eleventh string
	// Restricted: the birthday has passed and access has stopped.
	Restricted bool
	when       time.Time
}

type proxyReviewPage struct {
	page
	Current string
	Rows    []reviewRow
}

func (ws *Workspace) proxyReview(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &proxyReviewPage{page: ws.base(v, "Proxies to review at 11", messagesNavLabel), Current: "proxy-review"}
	users, err := identity.ListUsers(r.Context(), ws.opts.Store)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	proxies := map[string][]*identity.User{} // by patient
	for _, u := range users {
		if u.Role == auth.RoleProxy {
			for _, id := range u.Patients {
				proxies[id] = append(proxies[id], u)
			}
		}
	}
	if len(proxies) > 0 {
		var ids, refs []string
		for id := range proxies {
			ids, refs = append(ids, id), append(refs, "Patient/"+id)
		}
		slices.Sort(ids)
		out, err := ws.opts.Service.Search(r.Context(), service.SearchRequest{Type: "Patient", Params: url.Values{"_id": {strings.Join(ids, ",")}, "_count": {"1000"}}})
		if err != nil {
			ws.failed(w, r, v, err)
			return
		}
		patients := searchMatches(out.Resource)
		out, err = ws.opts.Service.Search(r.Context(), service.SearchRequest{Type: "Consent", Params: url.Values{
			"patient": {strings.Join(refs, ",")}, "category": {clinical.ProxyGrantSystem + "|proxy-access"}, "_count": {"1000"}}})
		if err != nil {
			ws.failed(w, r, v, err)
			return
		}
		consents := searchMatches(out.Resource)
		now := ws.opts.Now()
		for _, pat := range patients {
			birth, _ := pat["birthDate"].(string)
			b := clinical.BannerOf(pat, now)
			if clinical.OnlineAccessClosed(b) != "" {
				continue
			}
			var theirs = consents[:0:0]
			for _, c := range consents {
				if clinical.ProxyGrantOf(c).Patient == pat.ID() {
					theirs = append(theirs, c)
				}
			}
			for _, u := range proxies[pat.ID()] {
				due, eleventh := clinical.ElevenReview(clinical.GrantFor(theirs, u.ID), birth, now)
				if !due {
					continue
				}
				p.Rows = append(p.Rows, reviewRow{PatientID: pat.ID(), Patient: b.Name, Proxy: u.Name, when: eleventh,
					Eleventh: eleventh.Format("2 January 2006"), Restricted: !now.Before(eleventh)})
			}
		}
	}
	slices.SortFunc(p.Rows, func(a, b reviewRow) int { return a.when.Compare(b.when) })
	ws.pages.Render(w, "proxy-review", http.StatusOK, p)
}
