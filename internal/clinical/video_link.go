package clinical

import (
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// VideoLinkMessages are the messages that send a patient the one-time
// link to their video appointment, under the same rules as every
// appointment message (AppointmentMessages): nothing to a patient who
// has died, nothing to a child under 16 (their parent is not recorded
// yet), only on a channel the patient agreed to, and for a sensitive
// service no clinician named. The link carries no clinical data.
func VideoLinkMessages(appt, patient fhir.Resource, link, practice string, now time.Time) []AppointmentMessage {
	if patient == nil || patient["deceasedBoolean"] == true || patient["deceasedDateTime"] != nil {
		return nil
	}
	if b, err := time.Parse("2006-01-02", text(patient["birthDate"])); err != nil || b.AddDate(16, 0, 0).After(now) {
		return nil
	}
	start, err := time.Parse(time.RFC3339, text(appt["start"]))
	if err != nil {
		return nil
	}
	fields := map[string]string{"practice": practice, "link": link,
		"date": start.In(UKTime).Format("Monday 2 January 2006"), "time": start.In(UKTime).Format("15:04")}
	if !sensitive(appt) {
		for _, p := range anyList(appt["participant"]) {
			m, _ := p.(map[string]any)
			actor, _ := m["actor"].(map[string]any)
			if ref := text(actor["reference"]); len(ref) > 13 && ref[:13] == "Practitioner/" && text(actor["display"]) != "" {
				fields["clinician"] = text(actor["display"])
			}
		}
	}
	var out []AppointmentMessage
	for _, ch := range contactChannels(patient) {
		out = append(out, AppointmentMessage{Kind: "video-link", Channel: ch.channel, To: ch.to, Fields: fields})
	}
	return out
}
