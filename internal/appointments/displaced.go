package appointments

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// DisplacedAppointment is a booked appointment (or one whose patient has
// arrived) in time its clinician's rota now takes out (sickness on the
// day, leave): on the worklist until it is moved or cancelled.
type DisplacedAppointment struct {
	Appointment string
	Version     int64
	Schedule    string
	Start, End  time.Time
	Mode        string
	Patient     clinical.Ref
	Reason      string // the exception's
	Alerts      []string
	// Contacted says when someone recorded speaking to the patient
	// ("" when nobody has yet).
	Contacted string
}

// Worklist is every Schedule's displaced appointments from the start of
// today, earliest first, with the Schedules' names.
type Worklist struct {
	Items []DisplacedAppointment
	Names map[string]string
}

// DisplacedOf reads the displaced appointments, as the caller, of every
// active Schedule (scheduleID "") or one, from the start of today UK.
func DisplacedOf(ctx context.Context, svc *service.Service, scheduleID string, now time.Time) (*Worklist, error) {
	y, m, d := now.In(clinical.UKTime).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, clinical.UKTime)
	params := url.Values{"_count": {"200"}, "active": {"true"}}
	if scheduleID != "" {
		params = url.Values{"_id": {scheduleID}}
	}
	res, err := svc.Search(ctx, service.SearchRequest{Type: "Schedule", Params: params})
	if err != nil {
		return nil, err
	}
	names, err := ScheduleNames(ctx, svc)
	if err != nil {
		return nil, err
	}
	wl := &Worklist{Names: names}
	for _, s := range Matches(res.Resource) {
		_, exceptions := clinical.RotaOf(s)
		var slotIDs []string
		for _, x := range exceptions {
			from, to := x.From, x.To
			if from.Before(today) {
				from = today
			}
			if limit := today.AddDate(1, 0, 0); to.After(limit) {
				to = limit
			}
			if !from.Before(to) {
				continue
			}
			slots, err := slotsOf(ctx, svc, s.ID(), from, to)
			if err != nil {
				return nil, err
			}
			for _, slot := range slots {
				if st := str(slot["status"]); st == "busy" || st == "busy-tentative" {
					slotIDs = append(slotIDs, "Slot/"+slot.ID())
				}
			}
		}
		items, err := heldAppointments(ctx, svc, s.ID(), slotIDs, exceptions)
		if err != nil {
			return nil, err
		}
		wl.Items = append(wl.Items, items...)
	}
	var patients []string
	for _, it := range wl.Items {
		if !slices.Contains(patients, it.Patient.Reference) {
			patients = append(patients, it.Patient.Reference)
		}
	}
	alerts, err := Alerts(ctx, svc, patients)
	if err != nil {
		return nil, err
	}
	for i := range wl.Items {
		wl.Items[i].Alerts = alerts[wl.Items[i].Patient.Reference]
	}
	slices.SortStableFunc(wl.Items, func(a, b DisplacedAppointment) int { return a.Start.Compare(b.Start) })
	return wl, nil
}

// heldAppointments reads the booked Appointments holding the Slots.
func heldAppointments(ctx context.Context, svc *service.Service, schedule string, slotRefs []string, exceptions []clinical.Exception) ([]DisplacedAppointment, error) {
	var out []DisplacedAppointment
	for i := 0; i < len(slotRefs); i += 100 {
		batch := slotRefs[i:min(i+100, len(slotRefs))]
		res, err := svc.Search(ctx, service.SearchRequest{Type: "Appointment", Params: url.Values{
			"slot": {strings.Join(batch, ",")}, "status": {"booked,pending,arrived"}, "_count": {fmt.Sprint(service.MaxSearchCount)}}})
		if err != nil {
			return nil, err
		}
		for _, a := range Matches(res.Resource) {
			out = append(out, displacedOf(a, schedule, exceptions))
		}
	}
	return out, nil
}

func displacedOf(a fhir.Resource, schedule string, exceptions []clinical.Exception) DisplacedAppointment {
	d := DisplacedAppointment{Appointment: a.ID(), Schedule: schedule, Patient: clinical.AppointmentPatient(a)}
	fmt.Sscan(str(a.Meta()["versionId"]), &d.Version)
	d.Start, _ = time.Parse(time.RFC3339, str(a["start"]))
	d.End, _ = time.Parse(time.RFC3339, str(a["end"]))
	if t, _ := a["appointmentType"].(map[string]any); t != nil {
		d.Mode = str(t["text"])
	}
	d.Reason, _ = clinical.CoveredBy(exceptions, d.Start, d.End)
	if at, ok := clinical.ContactedAt(a); ok {
		d.Contacted = at.In(clinical.UKTime).Format("02-Jan-2006 15:04")
	}
	return d
}

// Rebooked is one displaced appointment moved.
type Rebooked struct {
	DisplacedAppointment
	To time.Time
}

// NotRebooked is one displaced appointment left where it was, and why.
type NotRebooked struct {
	DisplacedAppointment
	Why string
}

// RebookResult says what a bulk move did, patient by patient.
type RebookResult struct {
	Target string // the Schedule moved to
	Moved  []Rebooked
	Failed []NotRebooked
}

// Rebook moves the chosen displaced appointments of a Schedule into the
// free slots of another (target) on the same days, as the caller. Which
// patient goes where is clinical.PlanRebooking's; each move is one write
// through the service's booking rules (the old slot freed and the new
// taken in one transaction, If-Match the version the caller was shown:
// chosen maps each appointment to it), so a patient is
// moved entirely or not at all, and one refused move leaves the others
// done. Those not moved are listed with the reason; the patients moved
// are told by the appointment messages (a new time is a confirmation).
func Rebook(ctx context.Context, svc *service.Service, source, target string, chosen map[string]int64, now time.Time) (*RebookResult, error) {
	if source == target {
		return nil, fhir.Errorf(http.StatusUnprocessableEntity, fhir.CodeBusinessRule, "choose another clinician to move the patients to")
	}
	wl, err := DisplacedOf(ctx, svc, source, now)
	if err != nil {
		return nil, err
	}
	byID := map[string]DisplacedAppointment{}
	var want []clinical.Displaced
	days := map[string]time.Time{}
	result := &RebookResult{Target: target}
	for _, it := range wl.Items {
		v, ok := chosen[it.Appointment]
		if !ok {
			continue
		}
		byID[it.Appointment] = it
		if v != it.Version {
			result.Failed = append(result.Failed, NotRebooked{it, "changed by someone else since the list was shown: look at it again"})
			continue
		}
		want = append(want, clinical.Displaced{Appointment: it.Appointment, Start: it.Start, Mode: it.Mode})
		y, m, d := it.Start.In(clinical.UKTime).Date()
		day := time.Date(y, m, d, 0, 0, 0, 0, clinical.UKTime)
		days[day.Format("2006-01-02")] = day
	}
	var open []clinical.OpenSlot
	for _, day := range days {
		free, err := FreeSlots(ctx, svc, FreeQuery{Schedule: target, From: day, To: day.AddDate(0, 0, 1), Limit: service.MaxSearchCount,
			Channel: clinical.BookedByPractice}, now)
		if err != nil {
			return nil, err
		}
		for _, f := range free {
			open = append(open, clinical.OpenSlot{ID: f.ID, Start: f.Start, Mode: f.Mode})
		}
	}
	placed, unplaced := clinical.PlanRebooking(want, open, now)
	for _, u := range unplaced {
		result.Failed = append(result.Failed, NotRebooked{byID[u.Appointment], "no free slot of the same kind that day, close enough to the time"})
	}
	for _, p := range placed {
		it := byID[p.Appointment]
		to, why := moveOne(ctx, svc, it, p.Slot, now)
		if why != "" {
			result.Failed = append(result.Failed, NotRebooked{it, why})
			continue
		}
		result.Moved = append(result.Moved, Rebooked{it, to})
	}
	// A freed slot in the exception's time is free to book until the
	// rota blocks it again: block it now, not at the next generation.
	for _, day := range days {
		if len(result.Moved) == 0 {
			break
		}
		if _, err := Generate(ctx, svc, source, day, day.AddDate(0, 0, 1)); err != nil {
			return result, fmt.Errorf("the patients were moved but their old slots are not blocked yet (make the slots again): %w", err)
		}
	}
	for id := range chosen {
		if _, ok := byID[id]; !ok {
			result.Failed = append(result.Failed, NotRebooked{DisplacedAppointment{Appointment: id},
				"no longer on the list: moved, cancelled or changed by someone else"})
		}
	}
	return result, nil
}

// moveOne moves one appointment, returning its new start or why not.
func moveOne(ctx context.Context, svc *service.Service, it DisplacedAppointment, slotID string, now time.Time) (time.Time, string) {
	out, err := svc.Read(ctx, "Appointment", it.Appointment)
	if err != nil {
		return time.Time{}, err.Error()
	}
	a, err := fhir.Unmarshal(out.Version.Body)
	if err != nil {
		return time.Time{}, err.Error()
	}
	if out.Version.VersionID != it.Version {
		return time.Time{}, "changed by someone else a moment ago: open it to move it"
	}
	info, err := ReadSlot(ctx, svc, slotID, now)
	if err != nil {
		return time.Time{}, err.Error()
	}
	MoveTo(a, info)
	_, err = svc.Update(ctx, "Appointment", it.Appointment, a, service.Precondition{Set: true, Version: it.Version})
	var fe *fhir.Error
	switch {
	case errors.As(err, &fe) && fe.Status == http.StatusConflict:
		return time.Time{}, "the free slot was taken a moment ago"
	case errors.As(err, &fe) && fe.Status == http.StatusPreconditionFailed:
		return time.Time{}, "changed by someone else a moment ago: open it to move it"
	case errors.As(err, &fe) && len(fe.Issues) > 0:
		return time.Time{}, fe.Issues[0].Diagnostics
	case err != nil:
		return time.Time{}, err.Error()
	}
	return info.Book.Start, ""
}

// MarkContacted records that someone spoke to a displaced appointment's
// patient (If-Match the version listed): the worklist shows it, and the
// appointment stays on it until it is moved or cancelled.
func MarkContacted(ctx context.Context, svc *service.Service, id string, version int64, now time.Time) error {
	out, err := svc.Read(ctx, "Appointment", id)
	if err != nil {
		return err
	}
	a, err := fhir.Unmarshal(out.Version.Body)
	if err != nil {
		return err
	}
	clinical.SetContacted(a, now)
	_, err = svc.Update(ctx, "Appointment", id, a, service.Precondition{Set: true, Version: version})
	return err
}

// Reblock blocks a freed Slot again when a rota exception covers it (the
// patient of a clinician who is off was moved or cancelled): the slot is
// not to be booked into the absent clinician's time. It generates the
// Schedule's slots for that day, which changes nothing when no exception
// covers it.
func Reblock(ctx context.Context, svc *service.Service, slotID string) error {
	if slotID == "" {
		return nil
	}
	out, err := svc.Read(ctx, "Slot", slotID)
	if err != nil {
		return err
	}
	slot, err := fhir.Unmarshal(out.Version.Body)
	if err != nil {
		return err
	}
	if str(slot["status"]) != "free" {
		return nil
	}
	sched, _ := slot["schedule"].(map[string]any)
	sid, ok := strings.CutPrefix(str(sched["reference"]), "Schedule/")
	if !ok {
		return nil
	}
	so, err := svc.Read(ctx, "Schedule", sid)
	if err != nil {
		return err
	}
	schedule, err := fhir.Unmarshal(so.Version.Body)
	if err != nil {
		return err
	}
	start, _ := time.Parse(time.RFC3339, str(slot["start"]))
	end, _ := time.Parse(time.RFC3339, str(slot["end"]))
	_, exceptions := clinical.RotaOf(schedule)
	if _, covered := clinical.CoveredBy(exceptions, start, end); !covered {
		return nil
	}
	y, m, d := start.In(clinical.UKTime).Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, clinical.UKTime)
	_, err = Generate(ctx, svc, sid, day, day.AddDate(0, 0, 1))
	return err
}
