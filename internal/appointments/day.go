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

// Slot states on the book.
const (
	Free      = "free"
	Booked    = "booked"
	Blocked   = "blocked"
	Embargoed = "embargoed"
	Past      = "past"
)

// BookSlot is one slot on the book, with its appointment when booked.
type BookSlot struct {
	ID         string
	Schedule   string // the Schedule's id
	Start, End time.Time
	Mode       string
	Category   string
	State      string
	Note       string // why blocked, or when released
	// The appointment holding the slot, when booked.
	Appointment string
	Status      string // the appointment's status
	Patient     clinical.Ref
	Alerts      []string // the patient's active alerts (Flags)
	// Clinician names the Schedule's clinician (the waiting list's).
	Clinician string
	// Displaced is the reason of the rota exception that now covers a
	// booked slot (the clinician is off): the patient must be moved.
	Displaced string
}

// Column is one Schedule's slots for the day.
type Column struct {
	Schedule string
	Name     string
	Slots    []BookSlot
}

// Book is a day of the appointment book.
type Book struct {
	Day     time.Time
	Columns []Column
	// Waiting are the arrived patients, in order of their appointments.
	Waiting []BookSlot
	// Displaced counts the day's booked appointments in time a rota
	// exception takes out.
	Displaced int
}

// Day reads the book for a UK day, as the caller: Schedules, their Slots,
// the Appointments holding them, their patients' alerts. A role that may
// not read alerts gets the book without them.
func Day(ctx context.Context, svc *service.Service, day time.Time, now time.Time) (*Book, error) {
	y, m, d := day.In(clinical.UKTime).Date()
	start := time.Date(y, m, d, 0, 0, 0, 0, clinical.UKTime)
	end := start.AddDate(0, 0, 1)
	book := &Book{Day: start}
	search := func(typ string, params url.Values) ([]fhir.Resource, error) {
		out, err := svc.Search(ctx, service.SearchRequest{Type: typ, Params: params})
		if err != nil {
			return nil, err
		}
		return Matches(out.Resource), nil
	}
	schedules, err := search("Schedule", url.Values{"_count": {"200"}, "active": {"true"}})
	if err != nil {
		return nil, err
	}
	names, err := practitionerNames(ctx, svc)
	if err != nil {
		return nil, err
	}
	// Sorted here, not by the store: a sort on the start parameter cost
	// as much again as the day's search (BenchmarkDay).
	slots, err := search("Slot", url.Values{"_count": {fmt.Sprint(service.MaxSearchCount)},
		"start": {"ge" + start.UTC().Format(time.RFC3339), "lt" + end.UTC().Format(time.RFC3339)}})
	if err != nil {
		return nil, err
	}
	appts, err := search("Appointment", url.Values{"_count": {fmt.Sprint(service.MaxSearchCount)},
		"date":       {"ge" + start.UTC().Format(time.RFC3339), "lt" + end.UTC().Format(time.RFC3339)},
		"status:not": {"cancelled"}})
	if err != nil {
		return nil, err
	}
	bySlot := map[string]fhir.Resource{}
	var patients []string
	for _, a := range appts {
		if s := str(a["status"]); s == "cancelled" || s == "entered-in-error" {
			continue
		}
		if id := clinical.AppointmentSlot(a); id != "" {
			bySlot[id] = a
		}
		if p := clinical.AppointmentPatient(a); p.Reference != "" && !slices.Contains(patients, p.Reference) {
			patients = append(patients, p.Reference)
		}
	}
	alerts, err := Alerts(ctx, svc, patients)
	if err != nil {
		return nil, err
	}
	columns := map[string]*Column{}
	exceptions := map[string][]clinical.Exception{}
	for _, s := range schedules {
		columns[s.ID()] = &Column{Schedule: s.ID(), Name: scheduleName(s, names)}
		_, exceptions[s.ID()] = clinical.RotaOf(s)
	}
	for _, slot := range slots {
		sched, _ := slot["schedule"].(map[string]any)
		id, _ := strings.CutPrefix(str(sched["reference"]), "Schedule/")
		c := columns[id]
		if c == nil {
			continue // a Schedule that is not active
		}
		bs := bookSlot(slot, bySlot[slot.ID()], alerts, now)
		if bs.Appointment != "" && (bs.Status == "booked" || bs.Status == "pending" || bs.Status == "arrived") {
			if reason, ok := clinical.CoveredBy(exceptions[id], bs.Start, bs.End); ok {
				bs.Displaced = reason
				book.Displaced++
			}
		}
		c.Slots = append(c.Slots, bs)
		if bs.Status == "arrived" || bs.Status == "checked-in" {
			bs.Clinician = c.Name
			book.Waiting = append(book.Waiting, bs)
		}
	}
	for _, c := range columns {
		slices.SortFunc(c.Slots, func(a, b BookSlot) int { return a.Start.Compare(b.Start) })
	}
	for _, s := range schedules {
		if c := columns[s.ID()]; len(c.Slots) > 0 {
			book.Columns = append(book.Columns, *c)
		}
	}
	slices.SortStableFunc(book.Columns, func(a, b Column) int { return strings.Compare(a.Name, b.Name) })
	// Each clinician's waiting patients together, in appointment order.
	slices.SortStableFunc(book.Waiting, func(a, b BookSlot) int {
		if c := strings.Compare(a.Clinician, b.Clinician); c != 0 {
			return c
		}
		return a.Start.Compare(b.Start)
	})
	return book, nil
}

// bookSlot is a Slot as the book shows it.
func bookSlot(slot, appt fhir.Resource, alerts map[string][]string, now time.Time) BookSlot {
	bs := BookSlot{ID: slot.ID(), State: Free}
	sched, _ := slot["schedule"].(map[string]any)
	bs.Schedule, _ = strings.CutPrefix(str(sched["reference"]), "Schedule/")
	bs.Start, _ = time.Parse(time.RFC3339, str(slot["start"]))
	bs.End, _ = time.Parse(time.RFC3339, str(slot["end"]))
	if modes := extensionCodes(slot, clinical.SlotModeURL); len(modes) > 0 {
		bs.Mode = modes[0]
	}
	for _, c := range asList(slot["serviceCategory"]) {
		cm, _ := c.(map[string]any)
		for _, cd := range asList(cm["coding"]) {
			m, _ := cd.(map[string]any)
			bs.Category = str(m["display"])
		}
	}
	switch status := str(slot["status"]); {
	case appt != nil:
		bs.State, bs.Appointment, bs.Status = Booked, appt.ID(), str(appt["status"])
		bs.Patient = clinical.AppointmentPatient(appt)
		bs.Alerts = alerts[bs.Patient.Reference]
	case status == "busy-unavailable":
		bs.State, bs.Note = Blocked, str(slot["comment"])
	case status == "busy" || status == "busy-tentative":
		bs.State = Booked // held by an appointment on another day's list (or being booked)
	case !bs.Start.After(now):
		bs.State = Past
	default:
		if err := clinical.CheckBookable(slot, clinical.BookedByPractice, now); err != nil && strings.Contains(err.Error(), "embargoed") {
			bs.State = Embargoed
			if at, ok := releasedAt(slot); ok {
				bs.Note = "Released " + at.In(clinical.UKTime).Format("Mon 15:04")
			}
		}
	}
	return bs
}

// Alerts reads the active Flags of the patients, as the caller; a
// role that may not read them gets none (the book still shows).
func Alerts(ctx context.Context, svc *service.Service, patients []string) (map[string][]string, error) {
	out := map[string][]string{}
	for i := 0; i < len(patients); i += 100 {
		batch := patients[i:min(i+100, len(patients))]
		res, err := svc.Search(ctx, service.SearchRequest{Type: "Flag", Params: url.Values{
			"status": {"active"}, "patient": {strings.Join(batch, ",")}, "_count": {fmt.Sprint(service.MaxSearchCount)}}})
		var fe *fhir.Error
		if errors.As(err, &fe) && fe.Status == http.StatusForbidden {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		for _, f := range Matches(res.Resource) {
			subj, _ := f["subject"].(map[string]any)
			code, _ := f["code"].(map[string]any)
			text := str(code["text"])
			if text == "" {
				for _, c := range asList(code["coding"]) {
					m, _ := c.(map[string]any)
					text = str(m["display"])
				}
			}
			out[str(subj["reference"])] = append(out[str(subj["reference"])], text)
		}
	}
	return out, nil
}

// practitionerNames maps "Practitioner/id" to a name.
func practitionerNames(ctx context.Context, svc *service.Service) (map[string]string, error) {
	res, err := svc.Search(ctx, service.SearchRequest{Type: "Practitioner", Params: url.Values{"_count": {"500"}}})
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, p := range Matches(res.Resource) {
		names["Practitioner/"+p.ID()] = clinical.PractitionerName(p)
	}
	return names, nil
}

// scheduleName names a Schedule by its actor.
func scheduleName(s fhir.Resource, names map[string]string) string {
	for _, a := range asList(s["actor"]) {
		m, _ := a.(map[string]any)
		if n := names[str(m["reference"])]; n != "" {
			return n
		}
		if d := str(m["display"]); d != "" {
			return d
		}
	}
	if c := str(s["comment"]); c != "" {
		return c
	}
	return "Schedule " + s.ID()
}

func extensionCodes(r fhir.Resource, url string) []string {
	var out []string
	for _, e := range asList(r["extension"]) {
		m, _ := e.(map[string]any)
		if str(m["url"]) == url && str(m["valueCode"]) != "" {
			out = append(out, str(m["valueCode"]))
		}
	}
	return out
}

func releasedAt(slot fhir.Resource) (time.Time, bool) {
	for _, e := range asList(slot["extension"]) {
		m, _ := e.(map[string]any)
		if str(m["url"]) == clinical.SlotReleasedURL {
			t, err := time.Parse(time.RFC3339, str(m["valueDateTime"]))
			return t, err == nil
		}
	}
	return time.Time{}, false
}

func asList(v any) []any { l, _ := v.([]any); return l }

// ScheduleNames maps the practice's active Schedules' ids to their
// clinicians' names, as the caller.
func ScheduleNames(ctx context.Context, svc *service.Service) (map[string]string, error) {
	res, err := svc.Search(ctx, service.SearchRequest{Type: "Schedule", Params: url.Values{"_count": {"200"}, "active": {"true"}}})
	if err != nil {
		return nil, err
	}
	names, err := practitionerNames(ctx, svc)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, s := range Matches(res.Resource) {
		out[s.ID()] = scheduleName(s, names)
	}
	return out, nil
}
