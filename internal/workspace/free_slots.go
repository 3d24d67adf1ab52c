package workspace

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gpcloud/gpcloud/internal/appointments"
	"github.com/gpcloud/gpcloud/internal/clinical"
)

// FreeFilter is the "next free slot" filter shared by finding a slot to
// book and moving an appointment: clinician, mode and time of day (all
// in the URL: none of them is about a patient).
type FreeFilter struct {
	ClinicianID, Mode, TimeOfDay string
	Clinicians                   []option
	Modes                        []option
	Slots                        []freeSlot
	Days                         []freeDay
}

// freeSlot is a free slot with its clinician's name.
type freeSlot struct {
	appointments.BookSlot
	Clinician string
	Index     int // its place in the list, for radio ids across days
}

// freeDay groups the slots found by day.
type freeDay struct {
	Day   string
	Slots []freeSlot
}

// findFree reads the filter from the query and finds up to 30 slots.
func (ws *Workspace) findFree(r *http.Request, f *FreeFilter, defaultSchedule string) error {
	q := r.URL.Query()
	f.ClinicianID, f.Mode, f.TimeOfDay = q.Get("clinician"), q.Get("mode"), q.Get("time")
	if !q.Has("clinician") {
		f.ClinicianID = defaultSchedule
	}
	names, err := appointments.ScheduleNames(r.Context(), ws.opts.Service)
	if err != nil {
		return err
	}
	for id, name := range names {
		f.Clinicians = append(f.Clinicians, option{id, name})
	}
	slices.SortFunc(f.Clinicians, func(a, b option) int { return strings.Compare(a.Label, b.Label) })
	for _, m := range []string{"face-to-face", "telephone", "video", "home-visit"} {
		f.Modes = append(f.Modes, option{m, modeLabels[m]})
	}
	if _, ok := names[f.ClinicianID]; !ok {
		f.ClinicianID = ""
	}
	if !slices.Contains([]string{"", "face-to-face", "telephone", "video", "home-visit"}, f.Mode) {
		f.Mode = ""
	}
	if f.TimeOfDay != "morning" && f.TimeOfDay != "afternoon" {
		f.TimeOfDay = ""
	}
	now := ws.opts.Now()
	found, err := appointments.FreeSlots(r.Context(), ws.opts.Service, appointments.FreeQuery{
		Schedule: f.ClinicianID, Mode: f.Mode, TimeOfDay: f.TimeOfDay, From: now, Limit: 30}, now)
	if err != nil {
		return err
	}
	for _, s := range found {
		fs := freeSlot{BookSlot: s, Clinician: names[s.Schedule], Index: len(f.Slots)}
		f.Slots = append(f.Slots, fs)
		day := s.Start.In(clinical.UKTime).Format("Monday 2 January")
		if n := len(f.Days); n == 0 || f.Days[n-1].Day != day {
			f.Days = append(f.Days, freeDay{Day: day})
		}
		f.Days[len(f.Days)-1].Slots = append(f.Days[len(f.Days)-1].Slots, fs)
	}
	return nil
}

// freePage finds the next free slots to book.
type freePage struct {
	page
	FreeFilter
	Patient string // a patient chosen on their record, carried to the booking
}

func (ws *Workspace) freeSlotsPage(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &freePage{page: ws.base(v, "Find a free slot", "Appointments")}
	if id := r.URL.Query().Get("patient"); isID(id) {
		p.Patient = id
	}
	if err := ws.findFree(r, &p.FreeFilter, ""); err != nil {
		ws.failed(w, r, v, err)
		return
	}
	ws.pages.Render(w, "free-slots", http.StatusOK, p)
}

// bookLink is where booking a found slot goes, with the patient chosen.
func bookLink(slot, patient string) string {
	u := "/workspace/slots/" + slot
	if patient != "" {
		u += "?" + url.Values{"patient": {patient}}.Encode()
	}
	return u
}
