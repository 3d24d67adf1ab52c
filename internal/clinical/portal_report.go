package clinical

import (
	"strconv"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Citizen-service MI (E00109; CLINICAL.md Patient portal 7): how much the
// practice's patients use the portal, per month: online requests
// (online consultations), repeat prescription requests, appointments
// booked and cancelled online, and messages both ways. Months are UK
// calendar months. A Task or a message counts in the month it was made;
// an appointment in the month it starts (as the GP Appointments Data
// counts it), booked online when its booking method says so, cancelled
// online when the portal marked its cancellation (CancelledOnlineURL).

// CancelledOnlineURL marks an appointment the patient (or a proxy)
// cancelled in the portal (valueBoolean true): the cancellation reason
// alone cannot tell the portal from a patient who phoned.
const CancelledOnlineURL = "https://gpcloud.dev/fhir/StructureDefinition/cancelled-online"

// MarkCancelledOnline marks an appointment cancelled in the portal.
func MarkCancelledOnline(a fhir.Resource) {
	a["extension"] = append(extensionsExcept(a, CancelledOnlineURL), map[string]any{"url": CancelledOnlineURL, "valueBoolean": true})
}

// PortalMonth is one month's use of the portal.
type PortalMonth struct {
	Month                                      string // YYYY-MM
	OnlineRequests, RepeatRequests             int
	BookedOnline, CancelledOnline              int
	PatientMessages, PracticeReplies, Contacts int
}

// PortalReportHeader names PortalMonth's columns.
var PortalReportHeader = []string{"month", "online requests", "repeat prescription requests", "appointments booked online",
	"appointments cancelled online", "messages from patients", "replies from the practice", "contact details changed online"}

// Fields is the month as a CSV row.
func (m PortalMonth) Fields() []string {
	n := strconv.Itoa
	return []string{m.Month, n(m.OnlineRequests), n(m.RepeatRequests), n(m.BookedOnline), n(m.CancelledOnline), n(m.PatientMessages), n(m.PracticeReplies), n(m.Contacts)}
}

// TallyPortal counts the portal's Tasks, Appointments and
// Communications by month, every month from from to to (both included,
// a month with nothing a row of zeros), in order.
func TallyPortal(tasks, appts, comms []fhir.Resource, from, to time.Time) []PortalMonth {
	var out []PortalMonth
	index := map[string]int{}
	first := time.Date(from.In(UKTime).Year(), from.In(UKTime).Month(), 1, 0, 0, 0, 0, UKTime)
	for m := first; !m.After(to); m = m.AddDate(0, 1, 0) {
		index[m.Format("2006-01")] = len(out)
		out = append(out, PortalMonth{Month: m.Format("2006-01")})
	}
	month := func(s string) *PortalMonth {
		t, ok := instantOf(s)
		if !ok {
			return nil
		}
		if i, ok := index[t.In(UKTime).Format("2006-01")]; ok {
			return &out[i]
		}
		return nil
	}
	for _, t := range tasks {
		m := month(str(t, "authoredOn"))
		switch {
		case m == nil:
		case IsPortalTask(t, TaskOnlineRequest):
			m.OnlineRequests++
		case IsPortalTask(t, TaskRepeatRequest):
			m.RepeatRequests++
		case IsPortalTask(t, TaskContactChange):
			m.Contacts++
		}
	}
	for _, a := range appts {
		m := month(str(a, "start"))
		if m == nil {
			continue
		}
		for _, e := range list(a, "extension") {
			switch {
			case str(e, "url") == BookingMethodURL && str(e, "valueCode") == BookedOnline:
				m.BookedOnline++
			case str(e, "url") == CancelledOnlineURL && e["valueBoolean"] == true:
				m.CancelledOnline++
			}
		}
	}
	for _, c := range comms {
		m := month(str(c, "sent"))
		switch {
		case m == nil:
		case MessageKindOf(c) == MessagePatient:
			m.PatientMessages++
		case MessageKindOf(c) == MessagePractice:
			m.PracticeReplies++
		}
	}
	return out
}
