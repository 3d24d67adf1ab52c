package appointments

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// DutyEntry is one patient on a day's duty list.
type DutyEntry struct {
	Appointment string
	Version     int64
	Added       time.Time // when put on the list (created)
	Start, End  time.Time
	Status      string
	Patient     clinical.Ref
	Clinician   string
	Reason      string
	Callback    string
	Alerts      []string
	// Attempts are the calls nobody answered.
	Attempts []time.Time
	// Earlier: added on an earlier day and still not dealt with.
	Earlier bool
}

// dutyCarry is how far back a day's list looks for entries still
// waiting: a patient added last thing yesterday is not dropped.
const dutyCarry = 7 * 24 * time.Hour

// DutyList reads a UK day's duty list, as the caller: those waiting
// first (in the order they were added), then those being called, then
// those done, missed or cancelled. Entries of the week before still
// waiting or being called are carried onto it, marked Earlier.
func DutyList(ctx context.Context, svc *service.Service, day time.Time) ([]DutyEntry, error) {
	y, m, d := day.In(clinical.UKTime).Date()
	start := time.Date(y, m, d, 0, 0, 0, 0, clinical.UKTime)
	end := start.AddDate(0, 0, 1)
	res, err := svc.Search(ctx, service.SearchRequest{Type: "Appointment", Params: url.Values{
		"service-type": {clinical.DutyListSystem + "|" + clinical.DutyListCode},
		"date":         {"ge" + start.UTC().Format(time.RFC3339), "lt" + end.UTC().Format(time.RFC3339)},
		"_count":       {fmt.Sprint(service.MaxSearchCount)}}})
	if err != nil {
		return nil, err
	}
	carried, err := svc.Search(ctx, service.SearchRequest{Type: "Appointment", Params: url.Values{
		"service-type": {clinical.DutyListSystem + "|" + clinical.DutyListCode},
		"date":         {"ge" + start.Add(-dutyCarry).UTC().Format(time.RFC3339), "lt" + start.UTC().Format(time.RFC3339)},
		"status":       {"booked,checked-in"},
		"_count":       {fmt.Sprint(service.MaxSearchCount)}}})
	if err != nil {
		return nil, err
	}
	earlier := map[string]bool{}
	all := Matches(res.Resource)
	for _, a := range Matches(carried.Resource) {
		earlier[a.ID()] = true
		all = append(all, a)
	}
	var out []DutyEntry
	var patients []string
	for _, a := range all {
		e := DutyEntry{Appointment: a.ID(), Status: str(a["status"]), Patient: clinical.AppointmentPatient(a),
			Reason: str(a["description"]), Callback: clinical.CallbackOf(a), Attempts: clinical.CallAttempts(a), Earlier: earlier[a.ID()]}
		fmt.Sscan(str(a.Meta()["versionId"]), &e.Version)
		e.Added, _ = time.Parse(time.RFC3339, str(a["created"]))
		e.Start, _ = time.Parse(time.RFC3339, str(a["start"]))
		e.End, _ = time.Parse(time.RFC3339, str(a["end"]))
		for _, p := range asList(a["participant"]) {
			pm, _ := p.(map[string]any)
			actor, _ := pm["actor"].(map[string]any)
			if ref := str(actor["reference"]); len(ref) > 13 && ref[:13] == "Practitioner/" {
				e.Clinician = str(actor["display"])
			}
		}
		out = append(out, e)
		if !slices.Contains(patients, e.Patient.Reference) {
			patients = append(patients, e.Patient.Reference)
		}
	}
	alerts, err := Alerts(ctx, svc, patients)
	if err != nil {
		return nil, err
	}
	order := map[string]int{"booked": 0, "arrived": 0, "checked-in": 1}
	rank := func(s string) int {
		if r, ok := order[s]; ok {
			return r
		}
		return 2
	}
	for i := range out {
		out[i].Alerts = alerts[out[i].Patient.Reference]
	}
	slices.SortStableFunc(out, func(a, b DutyEntry) int {
		if ra, rb := rank(a.Status), rank(b.Status); ra != rb {
			return ra - rb
		}
		return a.Added.Compare(b.Added)
	})
	return out, nil
}

// AddToDuty puts a patient on today's duty list, as the caller, and
// returns the entry's Appointment id.
func AddToDuty(ctx context.Context, svc *service.Service, req clinical.DutyRequest, now time.Time) (string, error) {
	out, err := svc.Create(ctx, "Appointment", req.Appointment(now), "")
	if err != nil {
		return "", err
	}
	return out.Version.ID, nil
}

// WorkDuty moves a duty-list entry on (clinical.WorkDuty), If-Match the
// version the list showed: a change made meanwhile is not overwritten.
func WorkDuty(ctx context.Context, svc *service.Service, id string, version int64, to string, now time.Time) error {
	out, err := svc.Read(ctx, "Appointment", id)
	if err != nil {
		return err
	}
	a, err := fhir.Unmarshal(out.Version.Body)
	if err != nil {
		return err
	}
	if !clinical.IsDutyList(a) {
		return fhir.Errorf(http.StatusUnprocessableEntity, fhir.CodeBusinessRule, "Appointment/%s is not on the duty list", id)
	}
	if err := clinical.WorkDuty(a, to, now); err != nil {
		return err
	}
	_, err = svc.Update(ctx, "Appointment", id, a, service.Precondition{Set: true, Version: version})
	return err
}
