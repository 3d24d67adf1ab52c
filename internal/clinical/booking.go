package clinical

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Who may take a slot, and from when. A Slot says it with two extensions
// (none means the practice only, released at once):
//
//	slot-bookable-by  valueCode, repeated: practice | online | gp-connect
//	slot-released     valueDateTime: the embargo, before which nobody books
//
// The national GP Appointments Data needs the same facts per slot type;
// they are written on each Slot when its rota generates it, so a booking
// by any route (a page, the API, GP Connect) is judged by the Slot alone.
const (
	SlotBookableByURL = "https://gpcloud.dev/fhir/StructureDefinition/slot-bookable-by"
	SlotReleasedURL   = "https://gpcloud.dev/fhir/StructureDefinition/slot-released"
)

// Booking channels.
const (
	BookedByPractice  = "practice"   // staff at the desk or on the phone
	BookedOnline      = "online"     // patients and proxies, portal or NHS App
	BookedByGPConnect = "gp-connect" // another organisation (NHS 111, a hub)
)

// ChannelOf is the channel a caller books through.
func ChannelOf(p *auth.Principal) string {
	switch {
	case p.Role == auth.RolePatient || p.Role == auth.RoleProxy:
		return BookedOnline
	case p.Role.IsStaff():
		return BookedByPractice
	default:
		return BookedByGPConnect
	}
}

// BookingRules is the practice's booking policy (service.BookingPolicy):
// a slot that has started cannot be booked, nor one still embargoed, nor
// one not offered to the caller's channel.
type BookingRules struct{}

// MayBook answers nil or a 422 saying why the slot cannot be taken.
// A GP Connect consumer must also be one the slot is released to (its
// requesting organisation's ODS code and the booking organisation's type).
func (BookingRules) MayBook(_ context.Context, p *auth.Principal, slot fhir.Resource, now time.Time) error {
	channel := ChannelOf(p)
	if err := CheckBookable(slot, channel, now); err != nil {
		return err
	}
	if channel == BookedByGPConnect {
		var c GPConnectConsumer
		if p.Consumer != nil {
			c = GPConnectConsumer{ODS: p.Consumer.Organization, Type: p.Consumer.OrganizationType}
		}
		return CheckReleasedTo(slot, c)
	}
	return nil
}

// MayMove is CheckAppointmentMove.
func (BookingRules) MayMove(from, to string) error { return CheckAppointmentMove(from, to) }

// Recorded adds the did-not-attend entry when an appointment is marked
// as not attended.
func (BookingRules) Recorded(appt, patient fhir.Resource, from, to string, now time.Time) []fhir.Resource {
	if to != "noshow" || patient == nil {
		return nil
	}
	birth, _ := patient["birthDate"].(string)
	return []fhir.Resource{DNA(patient.ID(), appt.ID(), birth, now)}
}

// CheckBookable is MayBook for a channel.
func CheckBookable(slot fhir.Resource, channel string, now time.Time) error {
	start, err := time.Parse(time.RFC3339, text(slot["start"]))
	if err != nil {
		return refuse("the slot has no valid start time")
	}
	if !start.After(now) {
		return refuse("the slot starts at %s, which has passed", start.In(UKTime).Format("02-Jan-2006 15:04"))
	}
	by := extensionCodes(slot, SlotBookableByURL)
	if len(by) == 0 {
		by = []string{BookedByPractice}
	}
	if !slices.Contains(by, channel) {
		return refuse("the slot is not offered for booking %s", channelPhrase(channel))
	}
	if released, ok := extensionTime(slot, SlotReleasedURL); ok && now.Before(released) {
		return refuse("the slot is embargoed until %s", released.In(UKTime).Format("02-Jan-2006 15:04"))
	}
	return nil
}

func channelPhrase(c string) string {
	switch c {
	case BookedOnline:
		return "online"
	case BookedByGPConnect:
		return "by other organisations"
	}
	return "by the practice"
}

func refuse(format string, args ...any) error {
	return fhir.Errorf(http.StatusUnprocessableEntity, fhir.CodeBusinessRule, format, args...).At("Appointment.slot")
}

func text(v any) string { s, _ := v.(string); return s }

// extensionCodes returns the valueCodes of r's extensions with url.
func extensionCodes(r fhir.Resource, url string) []string {
	var out []string
	exts, _ := r["extension"].([]any)
	for _, e := range exts {
		m, _ := e.(map[string]any)
		if text(m["url"]) == url && text(m["valueCode"]) != "" {
			out = append(out, text(m["valueCode"]))
		}
	}
	return out
}

// extensionTime returns the valueDateTime of r's extension with url.
func extensionTime(r fhir.Resource, url string) (time.Time, bool) {
	exts, _ := r["extension"].([]any)
	for _, e := range exts {
		m, _ := e.(map[string]any)
		if text(m["url"]) == url {
			t, err := time.Parse(time.RFC3339, text(m["valueDateTime"]))
			return t, err == nil
		}
	}
	return time.Time{}, false
}

// FreedStatus is the status a Slot takes when its appointment lets it go
// (service.SlotFreer): blocked, with the exception's reason, when the
// Schedule's rota takes that time out (the clinician is off), else free.
func (BookingRules) FreedStatus(slot, schedule fhir.Resource) (string, string) {
	if schedule == nil {
		return "free", ""
	}
	start, err1 := time.Parse(time.RFC3339, text(slot["start"]))
	end, err2 := time.Parse(time.RFC3339, text(slot["end"]))
	if err1 != nil || err2 != nil {
		return "free", ""
	}
	_, exceptions := RotaOf(schedule)
	// As PlanSlots: an exception blocks by its reason.
	if reason, ok := CoveredBy(exceptions, start, end); ok && reason != "" {
		return "busy-unavailable", reason
	}
	return "free", ""
}
