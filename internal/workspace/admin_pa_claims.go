package workspace

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/paclaims"
)

// Personally administered items (issue 17, E00099): the month's doses
// given at the practice whose dm+d pack is marked PADM, by product, for
// the FP34D appendix the practice submits to the NHSBSA, on screen and as
// a CSV. The totals are clinical.PAClaimFor's; the page reads the
// practice's MedicationAdministrations and Immunizations of the month as
// the practice admin (so each read is audited by the service) and shows
// no patient: the claim is by product. The reading is paclaims.Read's,
// shared with `gpcloud admin report pa-items`.

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
// claim as the user; msg says what is wrong with a month asked for.
func (ws *Workspace) paClaim(ctx context.Context, month string) (clinical.PAClaim, string, error) {
	return paclaims.Read(ctx, ws.opts.Service, ws.medicine, month, ws.opts.Now())
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
