package appointments

import (
	"strings"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// MoveTo points an Appointment at another Slot: its times, mode and
// national category become the slot's, and its clinician the slot's
// Schedule's (other participants, the patient first, are kept). The
// service then frees the old Slot and takes the new one in the write's
// transaction, or refuses with 409 when the new one was taken.
func MoveTo(a fhir.Resource, info *SlotInfo) {
	a["slot"] = []any{map[string]any{"reference": "Slot/" + info.Slot.ID()}}
	// A duty-list entry given a slot is a booked appointment now, off
	// the list.
	if clinical.IsDutyList(a) {
		delete(a, "serviceType")
	}
	a["start"], a["end"] = info.Slot["start"], info.Slot["end"]
	if info.Book.Mode != "" {
		a["appointmentType"] = map[string]any{"text": info.Book.Mode}
	}
	if cat, ok := info.Slot["serviceCategory"]; ok {
		a["serviceCategory"] = cat
	}
	var parts []any
	for _, part := range asList(a["participant"]) {
		m, _ := part.(map[string]any)
		actor, _ := m["actor"].(map[string]any)
		if !strings.HasPrefix(str(actor["reference"]), "Practitioner/") {
			parts = append(parts, part)
		}
	}
	if info.Clinician.Reference != "" {
		actor := map[string]any{"reference": info.Clinician.Reference}
		if info.Clinician.Display != "" {
			actor["display"] = info.Clinician.Display
		}
		parts = append(parts, map[string]any{"actor": actor, "status": "accepted", "required": "required"})
	}
	a["participant"] = parts
}
