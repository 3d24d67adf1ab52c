package clinical

import (
	"reflect"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

func TestTallyVideo(t *testing.T) {
	appt := func(start, mode, status string, exts ...map[string]any) fhir.Resource {
		a := fhir.Resource{"resourceType": "Appointment", "start": start, "status": status, "appointmentType": map[string]any{"text": mode}}
		var l []any
		for _, e := range exts {
			l = append(l, e)
		}
		if l != nil {
			a["extension"] = l
		}
		return a
	}
	minutes := func(n float64) map[string]any {
		return map[string]any{"url": ActualDurationURL, "valueDuration": map[string]any{"value": n, "unit": "min"}}
	}
	switched := map[string]any{"url": SwitchedFromModeURL, "valueCode": "video"}
	got := TallyVideo([]fhir.Resource{
		appt("2026-03-02T09:00:00Z", "video", "fulfilled", minutes(12)),
		appt("2026-03-02T09:15:00Z", "video", "fulfilled", minutes(7)),
		appt("2026-03-02T09:30:00Z", "telephone", "fulfilled", switched, minutes(5)),
		appt("2026-03-02T09:45:00Z", "video", "noshow"),
		appt("2026-03-02T10:00:00Z", "telephone", "fulfilled"), // booked by phone: not counted
		appt("2026-03-02T10:15:00Z", "face-to-face", "fulfilled"),
		appt("2026-03-02T23:30:00Z", "video", "cancelled"), // 23:30 UTC in March is 23:30 UK: same day
		appt("2026-07-01T23:30:00Z", "video", "booked"),    // 00:30 BST: the next day
	})
	want := []VideoDay{
		{Date: "2026-03-02", Booked: 5, Held: 2, SwitchedToPhone: 1, DNA: 1, Cancelled: 1, Minutes: 19},
		{Date: "2026-07-02", Booked: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v", got)
	}
}
