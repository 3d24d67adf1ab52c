package appointments

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/service"
)

// Session is a run of back-to-back slots of one Schedule on one day of
// one mode and type (a morning surgery, a clinic), counted by state.
type Session struct {
	Start, End                                time.Time
	Mode, Category                            string
	Note                                      string // why slots are blocked (the exception's reason)
	Free, Booked, Embargoed, Blocked, Past, N int
}

// WeekDay is one day of a Schedule's week.
type WeekDay struct {
	Day      time.Time
	Sessions []Session
}

// Week is a clinician's (or room's) week at a glance.
type Week struct {
	Schedule string
	Monday   time.Time
	Days     []WeekDay // Monday to Sunday, each even when empty
}

// WeekOf reads the week (Monday to Sunday, UK) containing day of a
// Schedule, as the caller.
func WeekOf(ctx context.Context, svc *service.Service, scheduleID string, day, now time.Time) (*Week, error) {
	y, m, d := day.In(clinical.UKTime).Date()
	date := time.Date(y, m, d, 0, 0, 0, 0, clinical.UKTime)
	monday := date.AddDate(0, 0, -((int(date.Weekday()) + 6) % 7))
	w := &Week{Schedule: scheduleID, Monday: monday}
	for i := range 7 {
		w.Days = append(w.Days, WeekDay{Day: monday.AddDate(0, 0, i)})
	}
	res, err := svc.Search(ctx, service.SearchRequest{Type: "Slot", Params: url.Values{
		"schedule": {"Schedule/" + scheduleID}, "_count": {fmt.Sprint(service.MaxSearchCount)},
		"start": {"ge" + monday.UTC().Format(time.RFC3339), "lt" + monday.AddDate(0, 0, 7).UTC().Format(time.RFC3339)}}})
	if err != nil {
		return nil, err
	}
	var slots []BookSlot
	for _, s := range Matches(res.Resource) {
		slots = append(slots, bookSlot(s, nil, nil, now))
	}
	slices.SortFunc(slots, func(a, b BookSlot) int { return a.Start.Compare(b.Start) })
	for _, s := range slots {
		i := int(s.Start.In(clinical.UKTime).Sub(monday).Hours() / 24)
		if i < 0 || i > 6 {
			continue
		}
		wd := &w.Days[i]
		if n := len(wd.Sessions); n == 0 || !wd.Sessions[n-1].End.Equal(s.Start) || wd.Sessions[n-1].Mode != s.Mode || wd.Sessions[n-1].Category != s.Category {
			wd.Sessions = append(wd.Sessions, Session{Start: s.Start, Mode: s.Mode, Category: s.Category})
		}
		se := &wd.Sessions[len(wd.Sessions)-1]
		se.End = s.End
		se.N++
		switch s.State {
		case Free:
			se.Free++
		case Booked:
			se.Booked++
		case Embargoed:
			se.Embargoed++
		case Blocked:
			se.Blocked++
			if se.Note == "" {
				se.Note = s.Note
			}
		default:
			se.Past++
		}
	}
	return w, nil
}
