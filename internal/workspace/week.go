package workspace

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/appointments"
	"github.com/gpcloud/gpcloud/internal/clinical"
)

// weekPage is one clinician's (or room's) week at a glance: each day's
// sessions with how many slots are free, booked, embargoed and blocked,
// each day a link to the day's book.
type weekPage struct {
	page
	Week                *appointments.Week
	Clinicians          []option
	Clinician, Name     string
	Heading             string
	Prev, Next, ThisDay string
}

// week shows ?clinician=<Schedule id>&date=YYYY-MM-DD (ids and a date,
// not clinical data): the week containing the date, the first clinician
// by name when none is asked for.
func (ws *Workspace) week(w http.ResponseWriter, r *http.Request, v *visit) {
	now := ws.opts.Now()
	p := &weekPage{page: ws.base(v, "Appointments: week", "Appointments")}
	names, err := appointments.ScheduleNames(r.Context(), ws.opts.Service)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	for id, name := range names {
		p.Clinicians = append(p.Clinicians, option{id, name})
	}
	slices.SortFunc(p.Clinicians, func(a, b option) int { return strings.Compare(a.Label, b.Label) })
	p.Clinician = r.URL.Query().Get("clinician")
	if _, ok := names[p.Clinician]; !ok {
		p.Clinician = ""
		if len(p.Clinicians) > 0 {
			p.Clinician = p.Clinicians[0].Value
		}
	}
	p.Name = names[p.Clinician]
	day := now
	if d := r.URL.Query().Get("date"); d != "" {
		if t, err := time.ParseInLocation("2006-01-02", d, clinical.UKTime); err == nil {
			day = t
		}
	}
	if p.Clinician != "" {
		wk, err := appointments.WeekOf(r.Context(), ws.opts.Service, p.Clinician, day, now)
		if err != nil {
			ws.failed(w, r, v, err)
			return
		}
		p.Week = wk
		p.Heading = "Week of " + wk.Monday.Format("Monday 2 January 2006")
		p.Prev = wk.Monday.AddDate(0, 0, -7).Format("2006-01-02")
		p.Next = wk.Monday.AddDate(0, 0, 7).Format("2006-01-02")
		p.ThisDay = now.In(clinical.UKTime).Format("2006-01-02")
	}
	ws.pages.Render(w, "week", http.StatusOK, p)
}
