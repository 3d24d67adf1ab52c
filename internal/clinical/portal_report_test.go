package clinical

import (
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// TallyPortal counts each kind in its month, every month of the range
// (empty months as zeros), nothing outside it, and not a telephone
// booking or a cancellation by phone.
func TestTallyPortal(t *testing.T) {
	nov := time.Date(2026, 11, 20, 10, 0, 0, 0, UKTime)
	dec := time.Date(2026, 12, 3, 10, 0, 0, 0, UKTime)
	by := PortalRequester{PatientID: "p", PatientName: "P", Practice: "o"}
	repeat := RepeatOrder{Chosen: []string{"m"}}.Task(by, []PortalRepeat{{ID: "m", Name: "Ramipril"}}, "RX-AAAA-BBBB", nov)
	contact := ContactChange{Mobile: "07700 900982"}.Task(by, ContactChange{}, "CD-AAAA-BBBB", dec)
	online := portalTask(TaskOnlineRequest, "Online request", by, "OC-AAAA-BBBB", dec)
	outside := portalTask(TaskOnlineRequest, "Online request", by, "OC-CCCC-DDDD", dec.AddDate(0, 2, 0))
	other := fhir.Resource{"resourceType": "Task", "authoredOn": dec.Format(time.RFC3339)}
	appt := func(method string, at time.Time, cancelledOnline bool) fhir.Resource {
		a := fhir.Resource{"resourceType": "Appointment", "start": at.Format(time.RFC3339),
			"extension": []any{map[string]any{"url": BookingMethodURL, "valueCode": method}}}
		if cancelledOnline {
			_ = Cancel(a, "pat", "I cannot make it")
			MarkCancelledOnline(a)
		}
		return a
	}
	msg, _, _ := NewMessage{Text: "Hello"}.Resources(MessageSender{PortalRequester: by}, dec)
	reply := Reply{Text: "Hi", PatientID: "p", From: Ref{Display: "Dr A"}, Practice: "o"}.Resource(dec)
	got := TallyPortal([]fhir.Resource{repeat, contact, online, outside, other},
		[]fhir.Resource{appt(BookedOnline, nov, false), appt(BookedOnline, dec, true), appt("telephone", dec, false)},
		[]fhir.Resource{msg, reply}, time.Date(2026, 10, 1, 0, 0, 0, 0, UKTime), time.Date(2026, 12, 31, 0, 0, 0, 0, UKTime))
	want := []PortalMonth{
		{Month: "2026-10"},
		{Month: "2026-11", RepeatRequests: 1, BookedOnline: 1},
		{Month: "2026-12", OnlineRequests: 1, BookedOnline: 1, CancelledOnline: 1, PatientMessages: 1, PracticeReplies: 1, Contacts: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("%+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("month %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if f := got[2].Fields(); len(f) != len(PortalReportHeader) || f[0] != "2026-12" || f[1] != "1" {
		t.Errorf("fields %v", f)
	}
}
