package appointments

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/service"
)

// FreeQuery asks for free slots: of a Schedule (or any), a mode, a time
// of day, from a time, as many as Limit.
type FreeQuery struct {
	Schedule  string // "" for every clinician
	Mode      string // "" for any
	TimeOfDay string // "", "morning" (before 12:00) or "afternoon"
	From, To  time.Time
	Limit     int
	// Channel, when set, keeps only the slots offered to that channel
	// now (clinical.CheckBookable): the patient portal asks for
	// clinical.BookedOnline, so that it never offers a practice-only slot.
	Channel string
}

// FreeSlots finds the first free slots matching q that the practice may book
// now (started and embargoed slots left out), earliest first.
func FreeSlots(ctx context.Context, svc *service.Service, q FreeQuery, now time.Time) ([]BookSlot, error) {
	if q.Limit <= 0 {
		q.Limit = 20
	}
	if q.From.Before(now) {
		q.From = now
	}
	if q.To.IsZero() {
		q.To = q.From.AddDate(0, 0, 28)
	}
	var out []BookSlot
	// A week at a time, so the first free slots come without reading
	// every slot of the month.
	for start := q.From; start.Before(q.To) && len(out) < q.Limit; start = start.AddDate(0, 0, 7) {
		end := start.AddDate(0, 0, 7)
		if end.After(q.To) {
			end = q.To
		}
		params := url.Values{"status": {"free"}, "_sort": {"start"}, "_count": {fmt.Sprint(service.MaxSearchCount)},
			"start": {"ge" + start.UTC().Format(time.RFC3339), "lt" + end.UTC().Format(time.RFC3339)}}
		if q.Schedule != "" {
			params.Set("schedule", "Schedule/"+q.Schedule)
		}
		res, err := svc.Search(ctx, service.SearchRequest{Type: "Slot", Params: params})
		if err != nil {
			return nil, err
		}
		for _, slot := range Matches(res.Resource) {
			bs := bookSlot(slot, nil, nil, now)
			if bs.State != Free || q.Mode != "" && bs.Mode != q.Mode {
				continue
			}
			if q.Channel != "" && clinical.CheckBookable(slot, q.Channel, now) != nil {
				continue
			}
			if h := bs.Start.In(clinical.UKTime).Hour(); q.TimeOfDay == "morning" && h >= 12 || q.TimeOfDay == "afternoon" && h < 12 {
				continue
			}
			out = append(out, bs)
			if len(out) == q.Limit {
				break
			}
		}
	}
	return out, nil
}
