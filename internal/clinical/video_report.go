package clinical

import (
	"strconv"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// SwitchedFromModeURL marks an appointment that went on in another mode
// than it was booked in (valueCode: the booked mode, "video").
const SwitchedFromModeURL = "https://gpcloud.dev/fhir/StructureDefinition/switched-from-mode"

// VideoDay counts one day's video appointments for E00617 (Video
// Consultations data collection): how many were booked by video, held
// by video, went on by phone, were missed or cancelled, and the minutes
// the held calls took.
type VideoDay struct {
	Date                                          string // YYYY-MM-DD, UK
	Booked, Held, SwitchedToPhone, DNA, Cancelled int
	Minutes                                       int
}

// VideoReportHeader names VideoDay's columns.
var VideoReportHeader = []string{"date", "video appointments", "held by video", "switched to phone", "did not attend", "cancelled", "minutes of video"}

// Fields is the day as a CSV row.
func (d VideoDay) Fields() []string {
	n := strconv.Itoa
	return []string{d.Date, n(d.Booked), n(d.Held), n(d.SwitchedToPhone), n(d.DNA), n(d.Cancelled), n(d.Minutes)}
}

// TallyVideo counts appointments booked by video (including those
// switched to the phone) by day, in order; other appointments are left
// out.
func TallyVideo(appts []fhir.Resource) []VideoDay {
	var out []VideoDay
	index := map[string]int{}
	for _, a := range appts {
		mode := ""
		if t, _ := a["appointmentType"].(map[string]any); t != nil {
			mode = text(t["text"])
		}
		switched := false
		minutes := 0
		for _, x := range anyList(a["extension"]) {
			e, _ := x.(map[string]any)
			switch text(e["url"]) {
			case SwitchedFromModeURL:
				switched = text(e["valueCode"]) == "video"
			case ActualDurationURL:
				if d, _ := e["valueDuration"].(map[string]any); d != nil {
					if v, ok := d["value"].(float64); ok {
						minutes = int(v)
					}
				}
			}
		}
		if mode != "video" && !switched {
			continue
		}
		start, err := time.Parse(time.RFC3339, text(a["start"]))
		if err != nil {
			continue
		}
		day := start.In(UKTime).Format("2006-01-02")
		i, ok := index[day]
		if !ok {
			i = len(out)
			index[day] = i
			out = append(out, VideoDay{Date: day})
		}
		d := &out[i]
		d.Booked++
		switch text(a["status"]) {
		case "fulfilled", "arrived", "checked-in":
			if switched {
				d.SwitchedToPhone++
			} else {
				d.Held++
				d.Minutes += minutes
			}
		case "noshow":
			d.DNA++
		case "cancelled":
			d.Cancelled++
		}
	}
	return out
}
