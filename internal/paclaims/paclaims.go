// Package paclaims reads a month's personally administered items (the
// FP34D appendix) through the service, as the caller: the practice
// admin's page (workspace/admin_pa_claims.go) and `gpcloud admin report
// pa-items`. The totals are clinical.PAClaimFor's; this package only
// reads: every completed MedicationAdministration and Immunization of
// the month (each search followed over all its pages, service.SearchAll,
// so none is left off a claim), and the dm+d products of the vaccines.
package paclaims

import (
	"context"
	"errors"
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
	ims, err := svc.SearchAll(ctx, service.SearchRequest{Type: "Immunization", Params: url.Values{"date": days, "status": {"completed"}, "_count": {"500"}}}, 200)
	if err != nil {
		return claim, "", err
	}
	admins, err := svc.SearchAll(ctx, service.SearchRequest{Type: "MedicationAdministration", Params: url.Values{"effective-time": days, "status": {"completed"}, "_count": {"500"}}}, 200)
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
