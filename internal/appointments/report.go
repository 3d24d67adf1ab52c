package appointments

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// Report lists the appointments starting in [from, to) as GPAD rows,
// read as the caller, a day at a time (a day of a practice fits in one
// page of 1,000).
func Report(ctx context.Context, svc *service.Service, from, to time.Time) ([]clinical.GPADRow, error) {
	roles, err := svc.Search(ctx, service.SearchRequest{Type: "PractitionerRole", Params: url.Values{"_count": {fmt.Sprint(service.MaxSearchCount)}}})
	if err != nil {
		return nil, err
	}
	types := map[string]string{}
	for _, r := range Matches(roles.Resource) {
		p, _ := r["practitioner"].(map[string]any)
		if t := clinical.ClinicianTypeOf(r); t != "" {
			types[str(p["reference"])] = t
		}
	}
	var rows []clinical.GPADRow
	err = eachDay(ctx, svc, from, to, func(a fhir.Resource) {
		rows = append(rows, clinical.GPADOf(a, types[clinicianOf(a)]))
	})
	return rows, err
}

// VideoReport counts the video appointments starting in [from, to) by
// day (E00617, clinical.TallyVideo), read as the caller.
func VideoReport(ctx context.Context, svc *service.Service, from, to time.Time) ([]clinical.VideoDay, error) {
	var all []fhir.Resource
	err := eachDay(ctx, svc, from, to, func(a fhir.Resource) { all = append(all, a) })
	return clinical.TallyVideo(all), err
}

// eachDay passes every appointment starting in [from, to) to fn, in
// order, searching a day at a time.
func eachDay(ctx context.Context, svc *service.Service, from, to time.Time, fn func(fhir.Resource)) error {
	for day := from; day.Before(to); day = day.AddDate(0, 0, 1) {
		end := day.AddDate(0, 0, 1)
		if end.After(to) {
			end = to
		}
		res, err := svc.Search(ctx, service.SearchRequest{Type: "Appointment", Params: url.Values{
			"date":  {"ge" + day.UTC().Format(time.RFC3339), "lt" + end.UTC().Format(time.RFC3339)},
			"_sort": {"date"}, "_count": {fmt.Sprint(service.MaxSearchCount)}}})
		if err != nil {
			return err
		}
		matches := Matches(res.Resource)
		if len(matches) == service.MaxSearchCount {
			return fmt.Errorf("more than %d appointments on %s: the report cannot page them yet", service.MaxSearchCount, day.Format("2006-01-02"))
		}
		for _, a := range matches {
			fn(a)
		}
	}
	return nil
}

// clinicianOf is the Practitioner an Appointment is with.
func clinicianOf(a fhir.Resource) string {
	for _, p := range asList(a["participant"]) {
		m, _ := p.(map[string]any)
		actor, _ := m["actor"].(map[string]any)
		if ref := str(actor["reference"]); len(ref) > 13 && ref[:13] == "Practitioner/" {
			return ref
		}
	}
	return ""
}
