package workspace

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
)

// findPage is the workspace's home: one search box (name, date of birth,
// NHS number or postcode, answered as the user types) and the patients
// the user opened last.
type findPage struct {
	page
	Query   string
	Results []clinical.Banner
	// Searched is set once a search ran (no results is then said).
	Searched bool
	Recent   []clinical.Banner
}

// maxResults is how many patients a search lists; a narrower query finds
// the rest.
const maxResults = 20

func (ws *Workspace) findPage(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &findPage{page: ws.base(v, "Find a patient", "Find a patient")}
	p.Recent = ws.recentBanners(r.Context(), v)
	ws.pages.Render(w, "find", http.StatusOK, p)
}

// search answers the search box: a fragment for htmx as the user types,
// the whole page for a form posted without JavaScript. The query travels
// in the body, never the URL: names and dates of birth are not for logs.
func (ws *Workspace) search(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &findPage{page: ws.base(v, "Find a patient", "Find a patient"), Query: r.PostFormValue("q")}
	q := clinical.ParsePatientQuery(p.Query, ws.opts.Now())
	if !q.Empty() {
		results, err := ws.findPatients(r.Context(), q)
		if err != nil {
			ws.failed(w, r, v, err)
			return
		}
		p.Results, p.Searched = results, true
	}
	if htmx(r) {
		ws.pages.Fragment(w, "find", "results", http.StatusOK, p)
		return
	}
	p.Recent = ws.recentBanners(r.Context(), v)
	ws.pages.Render(w, "find", http.StatusOK, p)
}

// findPatients runs the query as a Patient search, as the user: their
// practice's patients only.
func (ws *Workspace) findPatients(ctx context.Context, q clinical.PatientQuery) ([]clinical.Banner, error) {
	params := q.Search()
	params.Set("_count", "20")
	params.Set("_sort", "family,given")
	params.Set("_total", "none")
	out, err := ws.opts.Service.Search(ctx, service.SearchRequest{Type: "Patient", Params: params})
	if err != nil {
		return nil, err
	}
	now := ws.opts.Now()
	var banners []clinical.Banner
	for _, res := range searchMatches(out.Resource) {
		banners = append(banners, clinical.BannerOf(res, now))
	}
	return banners, nil
}

// searchMatches reads the matches of a searchset Bundle.
func searchMatches(b fhir.Resource) []fhir.Resource { return service.Matches(b) }

// Recent patients: the last ones a user opened, kept per user in the
// store (a record, not a FHIR resource: it is the user's screen state).
const recentKind, maxRecent = "recent-patients", 10

// remember puts a patient first in the user's recent list.
func (ws *Workspace) remember(ctx context.Context, v *visit, patientID string) {
	err := ws.opts.Store.InTx(ctx, func(tx store.Tx) error {
		var ids []string
		if rec, err := tx.GetRecord(ctx, recentKind, v.user.ID); err == nil {
			_ = json.Unmarshal(rec.Body, &ids)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		ids = slices.DeleteFunc(ids, func(id string) bool { return id == patientID })
		ids = append([]string{patientID}, ids...)
		if len(ids) > maxRecent {
			ids = ids[:maxRecent]
		}
		body, _ := json.Marshal(ids)
		return tx.PutRecord(ctx, store.Record{Kind: recentKind, ID: v.user.ID, Body: body})
	})
	if err != nil {
		ws.opts.Logger.Warn("recent patients not saved", "error", err)
	}
}

// recentBanners reads the user's recent patients (those they may still
// see: a patient who left the practice drops out).
func (ws *Workspace) recentBanners(ctx context.Context, v *visit) []clinical.Banner {
	rec, err := ws.opts.Store.GetRecord(ctx, recentKind, v.user.ID)
	if err != nil {
		return nil
	}
	var ids []string
	if json.Unmarshal(rec.Body, &ids) != nil || len(ids) == 0 {
		return nil
	}
	params := url.Values{"_id": {joinIDs(ids)}, "_count": {"10"}}
	out, err := ws.opts.Service.Search(ctx, service.SearchRequest{Type: "Patient", Params: params})
	if err != nil {
		return nil
	}
	byID := map[string]fhir.Resource{}
	for _, res := range searchMatches(out.Resource) {
		byID[res.ID()] = res
	}
	now := ws.opts.Now()
	var banners []clinical.Banner
	for _, id := range ids {
		if res, ok := byID[id]; ok {
			banners = append(banners, clinical.BannerOf(res, now))
		}
	}
	return banners
}

func joinIDs(ids []string) string {
	out := ""
	for i, id := range ids {
		if i > 0 {
			out += ","
		}
		out += id
	}
	return out
}
