package video

import (
	"errors"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// ErrNotVideo: the appointment is not a video appointment.
var ErrNotVideo = errors.New("video: not a video appointment")

// ForAppointment is the call of a video appointment: its patient, its
// clinician and its window. The appointment must be by video and not
// cancelled.
func ForAppointment(a fhir.Resource) (Call, error) {
	c := Call{ID: a.ID(), Mode: "video"}
	if t, _ := a["appointmentType"].(map[string]any); t == nil || t["text"] != "video" {
		// A call switched to the phone stays the call it was.
		if !switched(a) {
			return c, ErrNotVideo
		}
	}
	if s, _ := a["status"].(string); s == "cancelled" || s == "entered-in-error" {
		return c, ErrNotVideo
	}
	p := clinical.AppointmentPatient(a)
	c.Patient, c.PatientName = strings.TrimPrefix(p.Reference, "Patient/"), p.Display
	parts, _ := a["participant"].([]any)
	for _, x := range parts {
		m, _ := x.(map[string]any)
		actor, _ := m["actor"].(map[string]any)
		if ref, _ := actor["reference"].(string); strings.HasPrefix(ref, "Practitioner/") {
			c.Clinician = ref
			c.ClinicianName, _ = actor["display"].(string)
		}
	}
	start, err1 := time.Parse(time.RFC3339, str(a["start"]))
	end, err2 := time.Parse(time.RFC3339, str(a["end"]))
	if err1 != nil || err2 != nil || c.Patient == "" {
		return c, ErrNotVideo
	}
	c.Opens, c.Closes = Window(start, end)
	return c, nil
}

// SwitchedURL marks an appointment whose video call went on by phone
// (valueCode "video": the mode it was booked as).
const SwitchedURL = clinical.SwitchedFromModeURL

func switched(a fhir.Resource) bool {
	exts, _ := a["extension"].([]any)
	for _, x := range exts {
		if m, _ := x.(map[string]any); m["url"] == SwitchedURL {
			return true
		}
	}
	return false
}

func str(v any) string { s, _ := v.(string); return s }
