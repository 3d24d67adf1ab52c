package clinical

import (
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// What the practice tells a patient about an appointment, and when: a
// confirmation when it is booked, a reminder the day before, a message
// when it is cancelled. The rules that keep messages safe are here, once:
// nothing to a patient who has died, nothing on a channel the patient has
// not agreed to, nothing to a child's own phone (messages for under-16s
// go to the person with parental responsibility, which gpcloud does not
// record yet: none are sent), and for a sensitive service the text names
// neither the clinic nor the clinician.

// AppointmentMessage is one message to send.
type AppointmentMessage struct {
	Kind      string // "confirmation", "reminder", "cancellation" or "video-link"
	Channel   string // "email" or "sms"
	To        string
	NotBefore time.Time
	// Fields fill the practice's templates.
	Fields map[string]string
}

// ReminderLead is how long before an appointment its reminder goes.
const ReminderLead = 24 * time.Hour

// SensitiveServiceURL marks a Slot or Appointment of a sensitive service
// (sexual health, mental health, safeguarding): its messages say only
// the date and time.
const SensitiveServiceURL = "https://gpcloud.dev/fhir/StructureDefinition/sensitive-service"

// AppointmentMessages returns the messages an appointment's new version
// calls for, given the version before it (nil when it is new) and the
// patient. practice names the sender.
func AppointmentMessages(appt, before, patient fhir.Resource, practice string, now time.Time) []AppointmentMessage {
	if patient == nil || patient["deceasedBoolean"] == true || patient["deceasedDateTime"] != nil {
		return nil
	}
	if b, err := time.Parse("2006-01-02", text(patient["birthDate"])); err == nil && b.AddDate(16, 0, 0).After(now) {
		return nil
	}
	status, was := text(appt["status"]), ""
	if before != nil {
		was = text(before["status"])
	}
	start, err := time.Parse(time.RFC3339, text(appt["start"]))
	if err != nil {
		return nil
	}
	// Moved: another time, or another slot at the same time (a patient
	// moved to another clinician when theirs is off must be told who).
	moved := before != nil && (text(before["start"]) != text(appt["start"]) || AppointmentSlot(before) != AppointmentSlot(appt))
	var kinds []string
	switch {
	case status == "booked" && (was == "" || was == "pending" || moved):
		kinds = append(kinds, "confirmation")
		if start.Sub(now) > ReminderLead+time.Hour {
			kinds = append(kinds, "reminder")
		}
	case status == "cancelled" && was != "cancelled" && was != "":
		if start.After(now) {
			kinds = append(kinds, "cancellation")
		}
	}
	if len(kinds) == 0 {
		return nil
	}
	fields := map[string]string{
		"practice": practice,
		"date":     start.In(UKTime).Format("Monday 2 January 2006"),
		"time":     start.In(UKTime).Format("15:04"),
	}
	if !sensitive(appt) {
		for _, p := range anyList(appt["participant"]) {
			m, _ := p.(map[string]any)
			actor, _ := m["actor"].(map[string]any)
			if strings.HasPrefix(text(actor["reference"]), "Practitioner/") && text(actor["display"]) != "" {
				fields["clinician"] = text(actor["display"])
			}
		}
		if t, _ := appt["appointmentType"].(map[string]any); t != nil {
			fields["how"] = strings.ReplaceAll(text(t["text"]), "-", " ")
		}
	}
	var out []AppointmentMessage
	for _, ch := range contactChannels(patient) {
		for _, k := range kinds {
			m := AppointmentMessage{Kind: k, Channel: ch.channel, To: ch.to, Fields: fields}
			if k == "reminder" {
				m.NotBefore = start.Add(-ReminderLead)
			}
			out = append(out, m)
		}
	}
	return out
}

func sensitive(appt fhir.Resource) bool {
	for _, e := range anyList(appt["extension"]) {
		m, _ := e.(map[string]any)
		if text(m["url"]) == SensitiveServiceURL && m["valueBoolean"] == true {
			return true
		}
	}
	return false
}

type contact struct{ channel, to string }

// contactChannels are the patient's mobile and email that carry consent
// to be contacted so (the registration form records it on each).
func contactChannels(patient fhir.Resource) []contact {
	var out []contact
	for _, t := range anyList(patient["telecom"]) {
		m, _ := t.(map[string]any)
		consent := false
		for _, e := range anyList(m["extension"]) {
			em, _ := e.(map[string]any)
			if text(em["url"]) == ContactConsentURL && em["valueBoolean"] == true {
				consent = true
			}
		}
		if !consent || text(m["value"]) == "" {
			continue
		}
		switch {
		case text(m["system"]) == "email":
			out = append(out, contact{"email", text(m["value"])})
		case text(m["system"]) == "phone" && text(m["use"]) == "mobile" || text(m["system"]) == "sms":
			out = append(out, contact{"sms", text(m["value"])})
		}
	}
	return out
}

// AppointmentMessageText is the text of a message as the practice sends
// it by email or as an SMS without a provider template.
func AppointmentMessageText(m AppointmentMessage) (subject, body string) {
	f := m.Fields
	when := f["date"] + " at " + f["time"]
	with := ""
	if f["clinician"] != "" {
		with = " with " + f["clinician"]
	}
	if f["how"] != "" {
		with += " (" + f["how"] + ")"
	}
	switch m.Kind {
	case "confirmation":
		return "Your appointment is booked", "Your appointment" + with + " is booked for " + when + ".\n\nIf you cannot come, please tell us so that someone else can have it.\n\n" + f["practice"]
	case "video-link":
		return "Your video appointment: how to join", "Join your video appointment" + with + " on " + when + " here:\n" + f["link"] +
			"\n\nSign in to the practice's online services when asked. The link works once, from 30 minutes before the appointment.\n\n" + f["practice"]
	case "reminder":
		return "Reminder: your appointment tomorrow", "A reminder of your appointment" + with + " on " + when + ".\n\nIf you cannot come, please tell us so that someone else can have it.\n\n" + f["practice"]
	default:
		return "Your appointment is cancelled", "Your appointment" + with + " on " + when + " is cancelled.\n\nContact us to book another if you need one.\n\n" + f["practice"]
	}
}
