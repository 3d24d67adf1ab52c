package workspace

import (
	"html/template"
	"net/http"
	"slices"
	"time"

	"github.com/gpcloud/gpcloud/internal/appointments"
	"github.com/gpcloud/gpcloud/internal/clinical"
)

// bookPage is a day of the appointment book: a column per clinician (or
// room) with every slot, free, booked, blocked or embargoed, at a glance,
// and the patients waiting.
type bookPage struct {
	page
	Book                  *appointments.Book
	Date                  string // 2026-12-02, for links
	Heading               string // Wednesday 2 December 2026
	Prev, Next, Today     string
	IsToday               bool
	Jump                  string
	Booked, Free, Waiting int
	// VideoWaiting names the appointments whose patient is in a video
	// call's waiting room now (video.go), for a link to the call.
	VideoWaiting map[string]string
}

// book shows a day of the book: ?date=YYYY-MM-DD (a date, not clinical
// data), today by default; the "Go to" box takes a date as staff type it.
func (ws *Workspace) book(w http.ResponseWriter, r *http.Request, v *visit) {
	now := ws.opts.Now()
	day := now.In(clinical.UKTime)
	p := &bookPage{page: ws.base(v, "Appointments", "Appointments")}
	if d := r.URL.Query().Get("date"); d != "" {
		t, err := time.ParseInLocation("2006-01-02", d, clinical.UKTime)
		if err != nil {
			p.AddError("jump", "Enter a real date, like 15/03/2027")
		} else {
			day = t
		}
	}
	if j := r.URL.Query().Get("jump"); j != "" {
		// Any date in the next five years: ParseDate refuses the future.
		if d, ok := clinical.ParseDate(j, now.AddDate(5, 0, 0)); ok {
			day, _ = time.ParseInLocation("2006-01-02", d, clinical.UKTime)
		} else {
			p.Jump = j
			p.AddError("jump", "Enter a real date, like 15/03/2027")
		}
	}
	book, err := appointments.Day(r.Context(), ws.opts.Service, day, now)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	p.Book = book
	p.VideoWaiting = ws.videoWaiting(r, v, book)
	p.Date = book.Day.Format("2006-01-02")
	p.Heading = book.Day.Format("Monday 2 January 2006")
	p.Prev = book.Day.AddDate(0, 0, -1).Format("2006-01-02")
	p.Next = book.Day.AddDate(0, 0, 1).Format("2006-01-02")
	p.Today = now.In(clinical.UKTime).Format("2006-01-02")
	p.IsToday = p.Date == p.Today
	for _, c := range book.Columns {
		for _, s := range c.Slots {
			switch s.State {
			case appointments.Booked:
				p.Booked++
			case appointments.Free:
				p.Free++
			}
		}
	}
	p.Waiting = len(book.Waiting)
	ws.pages.Render(w, "book", http.StatusOK, p)
}

// The book's words for slots and appointments.
var modeLabels = map[string]string{"face-to-face": "Face to face", "telephone": "Telephone", "video": "Video", "home-visit": "Home visit", "written": "Written (online)"}

var statusTags = map[string]string{"booked": "nhsuk-tag--blue", "arrived": "nhsuk-tag--green", "checked-in": "nhsuk-tag--purple",
	"fulfilled": "nhsuk-tag--white", "noshow": "nhsuk-tag--orange"}

// bookFuncs are the appointment pages' template functions.
var bookFuncs = template.FuncMap{
	"hhmm":        func(t time.Time) string { return t.In(clinical.UKTime).Format("15:04") },
	"modeLabel":   func(m string) string { return modeLabels[m] },
	"statusLabel": func(s string) string { return clinical.AppointmentStatusLabels[s] },
	"statusTag":   func(s string) string { return statusTags[s] },
	"longDate":    func(t time.Time) string { return t.In(clinical.UKTime).Format("Monday 2 January 2006") },
	"isoDate":     func(t time.Time) string { return t.In(clinical.UKTime).Format("2006-01-02") },
	"bookLink":    bookLink,
	"has":         func(l []string, s string) bool { return slices.Contains(l, s) },
	"dutyActions": func(status string) []move { return dutyActions[status] },
}

// pageFuncs are every workspace page's template functions: a variable
// built from the others, so that page sets made at package start
// (adminPages) see them all.
var pageFuncs = func() template.FuncMap {
	out := template.FuncMap{}
	for _, m := range []template.FuncMap{consultFuncs, bookFuncs, trendFuncs, redactFuncs} {
		for k, f := range m {
			out[k] = f
		}
	}
	return out
}()
