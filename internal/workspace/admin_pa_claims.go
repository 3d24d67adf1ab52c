package workspace

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// Personally administered items (issue 17, E00099): the month's doses
// given at the practice whose dm+d pack is marked PADM, by product, for
// the FP34D appendix the practice submits to the NHSBSA, on screen and as
// a CSV. The totals are clinical.PAClaimFor's; the page reads the
// practice's MedicationAdministrations and Immunizations of the month as
// the practice admin (so each read is audited by the service) and shows
// no patient: the claim is by product.

type paClaimsPage struct {
	adminPage
	Month, Previous, Next string
	Claim                 clinical.PAClaim
	Notice                string
}

func (ws *Workspace) paClaimRoutes() {
	m := ws.mux
	m.HandleFunc("GET /workspace/admin/pa-claims", ws.admin("search-type", ws.paClaimsPage))
	m.HandleFunc("GET /workspace/admin/pa-claims.csv", ws.admin("search-type", ws.paClaimsCSV))
}

// paClaim reads the month of the query (this month when none) and its
// claim; msg says what is wrong with a month asked for.
func (ws *Workspace) paClaim(ctx context.Context, month string) (clinical.PAClaim, string, error) {
	now := ws.opts.Now()
	if month == "" {
		month = now.In(clinical.London).Format("2006-01")
	}
	from, to, msg := clinical.ParseClaimMonth(month, now)
	if msg != "" {
		return clinical.PAClaim{}, msg, nil
	}
	when := url.Values{"date": {"ge" + from.Format("2006-01-02"), "lt" + to.Format("2006-01-02")}, "status": {"completed"}}
	ims, err := ws.searchEvery(ctx, "Immunization", when)
	if err != nil {
		return clinical.PAClaim{}, "", err
	}
	admins, err := ws.searchEvery(ctx, "MedicationAdministration", url.Values{"effective-time": when["date"], "status": {"completed"}})
	if err != nil {
		return clinical.PAClaim{}, "", err
	}
	// A vaccine is claimed when its code is a dm+d product marked PADM.
	known, err := ws.knownMedicines(ctx, vaccineProducts(ims))
	if err != nil {
		return clinical.PAClaim{}, "", err
	}
	return clinical.PAClaimFor(from.Format("2006-01"), from, to, admins, ims, known), "", nil
}

// vaccineProducts are Immunizations as resources whose medicine codes are
// their vaccine codes, for knownMedicines.
func vaccineProducts(ims []fhir.Resource) []fhir.Resource {
	out := make([]fhir.Resource, 0, len(ims))
	for _, im := range ims {
		out = append(out, fhir.Resource{"medicationCodeableConcept": im["vaccineCode"]})
	}
	return out
}

func (ws *Workspace) paClaimsPage(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &paClaimsPage{adminPage: ws.adminBase(r, v, "Personally administered items", "Personally administered"), Notice: clinical.ClaimNotice}
	claim, msg, err := ws.paClaim(r.Context(), r.URL.Query().Get("month"))
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	p.Month = r.URL.Query().Get("month")
	if msg != "" {
		p.AddError("month", msg)
		adminPages.Render(w, "admin-pa-claims", http.StatusBadRequest, p)
		return
	}
	p.Claim, p.Month = claim, claim.Month
	if t, err := time.Parse("2006-01", claim.Month); err == nil {
		p.Previous = t.AddDate(0, -1, 0).Format("2006-01")
		if next := t.AddDate(0, 1, 0); !next.After(ws.opts.Now()) {
			p.Next = next.Format("2006-01")
		}
	}
	adminPages.Render(w, "admin-pa-claims", http.StatusOK, p)
}

// paClaimsCSV is the claim as a CSV file to keep with the FP34D.
func (ws *Workspace) paClaimsCSV(w http.ResponseWriter, r *http.Request, v *visit) {
	claim, msg, err := ws.paClaim(r.Context(), r.URL.Query().Get("month"))
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	if msg != "" {
		http.Error(w, msg, http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="pa-items-%s.csv"`, claim.Month))
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	_ = cw.WriteAll(claim.CSV())
}

// searchEvery reads every match of a search as the user, following the
// pages (as medicationEntries, without a patient).
func (ws *Workspace) searchEvery(ctx context.Context, typ string, params url.Values) ([]fhir.Resource, error) {
	q := url.Values{"_count": {"500"}}
	for k, v := range params {
		q[k] = v
	}
	var out []fhir.Resource
	for page := 0; page < 200; page++ {
		res, err := ws.opts.Service.Search(ctx, service.SearchRequest{Type: typ, Params: q})
		if err != nil {
			return nil, err
		}
		out = append(out, searchMatches(res.Resource)...)
		next := nextPage(res.Resource)
		if next == nil {
			return out, nil
		}
		q.Set("_search", next.Get("_search"))
		q.Set("_offset", next.Get("_offset"))
	}
	return nil, fmt.Errorf("more than 200 pages of %s", typ)
}
