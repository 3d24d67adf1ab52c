package appointments

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
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
	err = EachDay(ctx, svc, "Appointment", "date", from, to, func(day []fhir.Resource) error {
		slots, encounters, err := gpadContext(ctx, svc, day)
		if err != nil {
			return err
		}
		for _, a := range day {
			rows = append(rows, clinical.GPADWith(a, clinical.GPADContext{ClinicianType: types[clinicianOf(a)],
				Slot: slots[clinical.AppointmentSlot(a)], Encounter: encounters["Appointment/"+a.ID()]}))
		}
		return nil
	})
	return rows, err
}

// VideoReport counts the video appointments starting in [from, to) by
// day (E00617, clinical.TallyVideo), read as the caller.
func VideoReport(ctx context.Context, svc *service.Service, from, to time.Time) ([]clinical.VideoDay, error) {
	var all []fhir.Resource
	err := EachDay(ctx, svc, "Appointment", "date", from, to, func(day []fhir.Resource) error { all = append(all, day...); return nil })
	return clinical.TallyVideo(all), err
}

// EachDay passes the resources of typ whose date search parameter
// (param: Appointment "date", Task "authored-on", Communication "sent")
// falls in [from, to) to fn a day at a time, in order, sorted by it.
func EachDay(ctx context.Context, svc *service.Service, typ, param string, from, to time.Time, fn func([]fhir.Resource) error) error {
	for day := from; day.Before(to); day = day.AddDate(0, 0, 1) {
		end := day.AddDate(0, 0, 1)
		if end.After(to) {
			end = to
		}
		res, err := svc.Search(ctx, service.SearchRequest{Type: typ, Params: url.Values{
			param:   {"ge" + day.UTC().Format(time.RFC3339), "lt" + end.UTC().Format(time.RFC3339)},
			"_sort": {param}, "_count": {fmt.Sprint(service.MaxSearchCount)}}})
		if err != nil {
			return err
		}
		matches := Matches(res.Resource)
		if len(matches) == service.MaxSearchCount {
			return fmt.Errorf("more than %d %s resources on %s: the report cannot page them yet", service.MaxSearchCount, typ, day.Format("2006-01-02"))
		}
		if err := fn(matches); err != nil {
			return err
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

// gpadContext reads the Slots the appointments hold (service setting and
// context type) and the Encounters naming them (actual times), a hundred
// at a time. A role that cannot read Encounters gets no actual times.
func gpadContext(ctx context.Context, svc *service.Service, appts []fhir.Resource) (map[string]fhir.Resource, map[string]fhir.Resource, error) {
	slots, encounters := map[string]fhir.Resource{}, map[string]fhir.Resource{}
	var slotIDs, apptRefs []string
	for _, a := range appts {
		if id := clinical.AppointmentSlot(a); id != "" {
			slotIDs = append(slotIDs, id)
		}
		apptRefs = append(apptRefs, "Appointment/"+a.ID())
	}
	for i := 0; i < len(slotIDs); i += 100 {
		res, err := svc.Search(ctx, service.SearchRequest{Type: "Slot", Params: url.Values{
			"_id": {strings.Join(slotIDs[i:min(i+100, len(slotIDs))], ",")}, "_count": {"100"}}})
		if err != nil {
			return nil, nil, err
		}
		for _, s := range Matches(res.Resource) {
			slots[s.ID()] = s
		}
	}
	for i := 0; i < len(apptRefs); i += 100 {
		res, err := svc.Search(ctx, service.SearchRequest{Type: "Encounter", Params: url.Values{
			"appointment": {strings.Join(apptRefs[i:min(i+100, len(apptRefs))], ",")}, "_count": {"200"}}})
		var fe *fhir.Error
		if errors.As(err, &fe) && fe.Status == http.StatusForbidden {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		for _, e := range Matches(res.Resource) {
			if str(e["status"]) == "entered-in-error" {
				continue
			}
			for _, ref := range asList(e["appointment"]) {
				m, _ := ref.(map[string]any)
				encounters[str(m["reference"])] = e
			}
		}
	}
	return slots, encounters, nil
}
