// Package paclaims reads a month's personally administered items (the
// FP34D appendix) through the service, as the caller: the practice
// admin's page (workspace/admin_pa_claims.go) and `gpcloud admin report
// pa-items`. The totals are clinical.PAClaimFor's; this package only
// reads: every completed MedicationAdministration and Immunization of
// the month (each search followed over all its pages, so none is left
// off a claim), and the dm+d products of the vaccines.
package paclaims

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/terminology"
)

// Resolve reads a dm+d product as the prescribing rules know it; false
// when the terminology service does not hold the code.
type Resolve func(ctx context.Context, code string) (clinical.Medicine, bool, error)

// Products is Resolve by the service's terminology, uncached.
func Products(svc *service.Service) Resolve {
	return func(ctx context.Context, code string) (clinical.Medicine, bool, error) {
		p, err := svc.Product(ctx, code)
		var fe *fhir.Error
		switch {
		case err == nil:
			return clinical.MedicineFromDMD(p), true, nil
		case errors.Is(err, terminology.ErrNotProduct), errors.As(err, &fe) && fe.Status == 501:
			return clinical.Medicine{}, false, nil
		}
		return clinical.Medicine{}, false, err
	}
}

// Read is the claim of month (YYYY-MM; this month when ""), or what is
// wrong with the month asked for (msg).
func Read(ctx context.Context, svc *service.Service, resolve Resolve, month string, now time.Time) (claim clinical.PAClaim, msg string, err error) {
	if month == "" {
		month = now.In(clinical.London).Format("2006-01")
	}
	from, to, msg := clinical.ParseClaimMonth(month, now)
	if msg != "" {
		return claim, msg, nil
	}
	days := []string{"ge" + from.Format("2006-01-02"), "lt" + to.Format("2006-01-02")}
	ims, err := Every(ctx, svc, "Immunization", url.Values{"date": days, "status": {"completed"}})
	if err != nil {
		return claim, "", err
	}
	admins, err := Every(ctx, svc, "MedicationAdministration", url.Values{"effective-time": days, "status": {"completed"}})
	if err != nil {
		return claim, "", err
	}
	// A vaccine is claimed when its code is a dm+d product marked PADM.
	known := map[string]clinical.Medicine{}
	for _, im := range ims {
		vc, _ := im["vaccineCode"].(map[string]any)
		codings, _ := vc["coding"].([]any)
		for _, c := range codings {
			cm, _ := c.(map[string]any)
			code, _ := cm["code"].(string)
			if _, done := known[code]; done || code == "" {
				continue
			}
			m, ok, err := resolve(ctx, code)
			if err != nil {
				return claim, "", err
			}
			if ok {
				known[code] = m
			}
		}
	}
	return clinical.PAClaimFor(from.Format("2006-01"), from, to, admins, ims, known), "", nil
}

// Every reads every match of a search as the caller, following the
// search's pages.
func Every(ctx context.Context, svc *service.Service, typ string, params url.Values) ([]fhir.Resource, error) {
	q := url.Values{"_count": {"500"}}
	for k, v := range params {
		q[k] = v
	}
	var out []fhir.Resource
	for page := 0; page < 200; page++ {
		res, err := svc.Search(ctx, service.SearchRequest{Type: typ, Params: q})
		if err != nil {
			return nil, err
		}
		out = append(out, service.Matches(res.Resource)...)
		next := ""
		links, _ := res.Resource["link"].([]any)
		for _, l := range links {
			lm, _ := l.(map[string]any)
			if lm["relation"] == "next" {
				next, _ = lm["url"].(string)
			}
		}
		if next == "" {
			return out, nil
		}
		u, err := url.Parse(next)
		if err != nil || u.Query().Get("_offset") == "" {
			return out, nil
		}
		q.Set("_search", u.Query().Get("_search"))
		q.Set("_offset", u.Query().Get("_offset"))
	}
	return nil, fmt.Errorf("more than 200 pages of %s", typ)
}
