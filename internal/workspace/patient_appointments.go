package workspace

import (
	"net/http"
	"net/url"
	"time"

	"github.com/gpcloud/gpcloud/internal/appointments"
	"github.com/gpcloud/gpcloud/internal/service"
)

// patientAppointmentsPage is a patient's appointments: those to come and
// those past or done with (seen, missed, cancelled), with how many they missed in the last year (a pattern of
// missed appointments is a safeguarding signal).
type patientAppointmentsPage struct {
	page
	Upcoming, Past []apptRow
	DNAYear        int
	// MissedPrompt asks staff to act on repeated missed appointments
	// (a child not brought: safeguarding).
	MissedPrompt string
}

// apptRow is one appointment in the patient's list.
type apptRow struct {
	ID, Status, Mode, Clinician string
	Start                       time.Time
}

func (ws *Workspace) patientAppointments(w http.ResponseWriter, r *http.Request, v *visit) {
	patient, ok := ws.patient(w, r, v)
	if !ok {
		return
	}
	p := &patientAppointmentsPage{page: ws.recordBase(v, "Appointments", "Appointments", &patient)}
	out, err := ws.opts.Service.Search(r.Context(), service.SearchRequest{Type: "Appointment",
		Params: url.Values{"patient": {patient.ID}, "_sort": {"-date"}, "_count": {"200"}}})
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	now := ws.opts.Now()
	for _, a := range appointments.Matches(out.Resource) {
		row := apptRow{ID: a.ID(), Status: text(a["status"])}
		row.Start, _ = time.Parse(time.RFC3339, text(a["start"]))
		if t, _ := a["appointmentType"].(map[string]any); t != nil {
			row.Mode = text(t["text"])
		}
		for _, part := range list(a["participant"]) {
			actor, _ := part["actor"].(map[string]any)
			if ref := text(actor["reference"]); len(ref) > 13 && ref[:13] == "Practitioner/" {
				row.Clinician = text(actor["display"])
			}
		}
		if row.Start.After(now) && (row.Status == "booked" || row.Status == "pending" || row.Status == "arrived" || row.Status == "checked-in") {
			p.Upcoming = append([]apptRow{row}, p.Upcoming...) // soonest first
		} else {
			p.Past = append(p.Past, row)
		}
	}
	missed, err := appointments.MissedOf(r.Context(), ws.opts.Service, patient.ID, now)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	p.DNAYear, p.MissedPrompt = len(missed.Times), missed.Prompt
	ws.pages.Render(w, "patient-appointments", http.StatusOK, p)
}
