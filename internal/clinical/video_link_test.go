package clinical

import (
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

func TestVideoLinkMessages(t *testing.T) {
	now := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	appt := fhir.Resource{"resourceType": "Appointment", "start": "2026-06-01T10:00:00Z",
		"participant": []any{map[string]any{"actor": map[string]any{"reference": "Practitioner/d1", "display": "Dr Patel"}}}}
	consented := func(system, use, value string) map[string]any {
		return map[string]any{"system": system, "use": use, "value": value, "extension": []any{map[string]any{"url": ContactConsentURL, "valueBoolean": true}}}
	}
	patient := func(birth string, telecom ...map[string]any) fhir.Resource {
		p := fhir.Resource{"resourceType": "Patient", "birthDate": birth}
		var l []any
		for _, x := range telecom {
			l = append(l, x)
		}
		p["telecom"] = l
		return p
	}
	for _, tc := range []struct {
		name     string
		patient  fhir.Resource
		channels string
	}{
		{"email and mobile, agreed", patient("1980-01-01", consented("email", "home", "a@example.org"), consented("phone", "mobile", "07700900982")), "email,sms"},
		{"not agreed", patient("1980-01-01", map[string]any{"system": "email", "value": "a@example.org"}), ""},
		{"a child of 15", patient("2011-01-01", consented("email", "home", "a@example.org")), ""},
		{"no birth date", patient("", consented("email", "home", "a@example.org")), ""},
		{"died", func() fhir.Resource {
			p := patient("1980-01-01", consented("email", "home", "a@example.org"))
			p["deceasedBoolean"] = true
			return p
		}(), ""},
	} {
		msgs := VideoLinkMessages(appt, tc.patient, "https://gp.example/patient/video/TOKEN", "Riverside", now)
		var chs []string
		for _, m := range msgs {
			chs = append(chs, m.Channel)
			subject, body := AppointmentMessageText(m)
			if subject == "" || !strings.Contains(body, "https://gp.example/patient/video/TOKEN") || !strings.Contains(body, "Dr Patel") {
				t.Errorf("%s: %q %q", tc.name, subject, body)
			}
		}
		if got := strings.Join(chs, ","); got != tc.channels {
			t.Errorf("%s: channels %q, want %q", tc.name, got, tc.channels)
		}
	}
}
