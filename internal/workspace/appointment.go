package workspace

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/appointments"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/video"
)

// appointmentPage is one appointment: who, when, with whom, how it was
// booked, the patient's alerts, and what can be done next (arrived, did
// not attend, seen, cancel).
type appointmentPage struct {
	page
	ID, Version      string
	Patient          clinical.Ref
	PatientID        string
	Start, End       time.Time
	Clinician        string
	Mode             string
	Status           string
	Method, BookedBy string
	Reason           string
	AheadReason      string // why booked more than two weeks ahead
	Callback         string // a duty-list entry's number to ring
	Cancellation     string
	Alerts           []string
	Moves            []move
	MayCancel        bool
	CancelledBy      []clinical.Concept
	By, CancelReason string
	Flash            string
	// MayConsult: a clinician may start the consultation from here.
	MayConsult bool
	// MissedPrompt asks staff to act on the patient's repeated missed
	// appointments (clinical.MissedPrompt).
	MissedPrompt string
	// Video: a video appointment of the signed-in clinician, whose call
	// they can open (video.go).
	Video bool
}

// move is a button that changes the appointment's status.
type move struct{ Status, Label, Class string }

var moveButtons = []move{
	{"arrived", "Arrived", ""},
	{"checked-in", "In consultation", "nhsuk-button--secondary"},
	{"fulfilled", "Seen", "nhsuk-button--secondary"},
	{"noshow", "Did not attend", "nhsuk-button--warning"},
	{"booked", "Undo: back to booked", "nhsuk-button--secondary"},
}

// appointmentView reads the appointment for its page.
func (ws *Workspace) appointmentView(w http.ResponseWriter, r *http.Request, v *visit) (*appointmentPage, fhir.Resource, bool) {
	out, err := ws.opts.Service.Read(r.Context(), "Appointment", r.PathValue("appt"))
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, nil, false
	}
	a, err := fhir.Unmarshal(out.Version.Body)
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, nil, false
	}
	p := &appointmentPage{page: ws.base(v, "Appointment", "Appointments"), ID: a.ID(), Version: strconv.FormatInt(out.Version.VersionID, 10),
		Patient: clinical.AppointmentPatient(a), CancelledBy: clinical.CancelledBy}
	p.PatientID = strings.TrimPrefix(p.Patient.Reference, "Patient/")
	p.Start, _ = time.Parse(time.RFC3339, text(a["start"]))
	p.End, _ = time.Parse(time.RFC3339, text(a["end"]))
	p.Status = text(a["status"])
	p.Reason = text(a["description"])
	p.Callback = clinical.CallbackOf(a)
	if t, _ := a["appointmentType"].(map[string]any); t != nil {
		p.Mode = text(t["text"])
	}
	for _, part := range list(a["participant"]) {
		actor, _ := part["actor"].(map[string]any)
		if strings.HasPrefix(text(actor["reference"]), "Practitioner/") {
			p.Clinician = text(actor["display"])
		}
	}
	for _, e := range list(a["extension"]) {
		switch text(e["url"]) {
		case clinical.BookingMethodURL:
			for _, m := range clinical.BookingMethods {
				if m.Code == text(e["valueCode"]) {
					p.Method = m.Display
				}
			}
		case clinical.AheadReasonURL:
			for _, c := range clinical.AheadReasons {
				if c.Code == text(e["valueCode"]) {
					p.AheadReason = c.Display
				}
			}
		case clinical.BookedByURL:
			ref, _ := e["valueReference"].(map[string]any)
			p.BookedBy = text(ref["display"])
		}
	}
	if cr, _ := a["cancelationReason"].(map[string]any); cr != nil {
		for _, c := range list(cr["coding"]) {
			for _, by := range clinical.CancelledBy {
				if by.Code == text(c["code"]) {
					p.Cancellation = "By the " + strings.ToLower(by.Display)
				}
			}
		}
		if t := text(cr["text"]); t != "" {
			p.Cancellation += ": " + t
		}
	}
	for _, m := range moveButtons {
		// Seen straight from booked is for a call (telephone, video): a
		// patient who comes in arrives first.
		if p.Status == "booked" && m.Status == "fulfilled" && p.Mode != "telephone" && p.Mode != "video" {
			continue
		}
		if m.Status != p.Status && clinical.CheckAppointmentMove(p.Status, m.Status) == nil {
			p.Moves = append(p.Moves, m)
		}
	}
	if spec, err := video.ForAppointment(a); err == nil && ws.opts.Video != nil && spec.Clinician == v.principal.FHIRUser &&
		(p.Status == "booked" || p.Status == "arrived" || p.Status == "checked-in") {
		p.Video = true
	}
	p.MayCancel = clinical.CheckAppointmentMove(p.Status, "cancelled") == nil && p.Status != "cancelled"
	p.MayConsult = mayConsult(v.principal) && (p.Status == "booked" || p.Status == "arrived" || p.Status == "checked-in")
	if p.Patient.Reference != "" {
		alerts, err := appointments.Alerts(r.Context(), ws.opts.Service, []string{p.Patient.Reference})
		if err != nil {
			ws.failed(w, r, v, err)
			return nil, nil, false
		}
		p.Alerts = alerts[p.Patient.Reference]
		missed, err := appointments.MissedOf(r.Context(), ws.opts.Service, p.PatientID, ws.opts.Now())
		if err != nil {
			ws.failed(w, r, v, err)
			return nil, nil, false
		}
		p.MissedPrompt = missed.Prompt
	}
	return p, a, true
}

func (ws *Workspace) appointment(w http.ResponseWriter, r *http.Request, v *visit) {
	p, _, ok := ws.appointmentView(w, r, v)
	if !ok {
		return
	}
	switch {
	case r.URL.Query().Get("booked") == "1":
		p.Flash = "The appointment is booked."
	case r.URL.Query().Get("moved") == "1":
		p.Flash = "The appointment is moved."
	case r.URL.Query().Get("changed") == "1":
		p.Flash = "The appointment is now " + strings.ToLower(clinical.AppointmentStatusLabels[p.Status]) + "."
	}
	ws.pages.Render(w, "appointment", http.StatusOK, p)
}

// appointmentStatus moves the appointment through the day. A did-not-
// attend also writes the coded entry in the record (the service does it
// for every writer).
func (ws *Workspace) appointmentStatus(w http.ResponseWriter, r *http.Request, v *visit) {
	p, a, ok := ws.appointmentView(w, r, v)
	if !ok {
		return
	}
	to := r.PostFormValue("status")
	if err := clinical.CheckAppointmentMove(p.Status, to); err != nil || to == "cancelled" {
		p.AddError("moves", "This appointment cannot be marked that way now.")
		ws.pages.Render(w, "appointment", http.StatusUnprocessableEntity, p)
		return
	}
	a["status"] = to
	ws.saveAppointment(w, r, v, p, a)
}

// cancelAppointment cancels, by the patient or the practice, with a
// reason; the slot is freed (the service does it).
func (ws *Workspace) cancelAppointment(w http.ResponseWriter, r *http.Request, v *visit) {
	p, a, ok := ws.appointmentView(w, r, v)
	if !ok {
		return
	}
	p.By, p.CancelReason = r.PostFormValue("by"), r.PostFormValue("cancel-reason")
	if p.By != "pat" && p.By != "prov" {
		p.AddError("by-pat", "Choose who cancelled")
	}
	if len(p.CancelReason) > 500 {
		p.AddError("cancel-reason", "The reason must be 500 characters or fewer")
	}
	if len(p.Errors) > 0 {
		ws.pages.Render(w, "appointment", http.StatusUnprocessableEntity, p)
		return
	}
	if err := clinical.Cancel(a, p.By, p.CancelReason); err != nil {
		p.AddError("by-pat", "This appointment can no longer be cancelled.")
		ws.pages.Render(w, "appointment", http.StatusUnprocessableEntity, p)
		return
	}
	ws.saveAppointment(w, r, v, p, a)
}

// saveAppointment writes the change if the appointment is still at the
// version the form showed: a change made meanwhile is not overwritten.
func (ws *Workspace) saveAppointment(w http.ResponseWriter, r *http.Request, v *visit, p *appointmentPage, a fhir.Resource) {
	version, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil {
		http.Error(w, "bad version", http.StatusBadRequest)
		return
	}
	_, err = ws.opts.Service.Update(r.Context(), "Appointment", a.ID(), a, service.Precondition{Set: true, Version: version})
	if err == nil && text(a["status"]) == "cancelled" {
		ws.reblock(r, clinical.AppointmentSlot(a))
	}
	var fe *fhir.Error
	switch {
	case errors.As(err, &fe) && (fe.Status == http.StatusPreconditionFailed || fe.Status == http.StatusConflict):
		p.AddError("moves", "Someone else changed this appointment a moment ago, so nothing was changed. It is shown as it is now.")
		fresh, _, ok := ws.appointmentView(w, r, v)
		if !ok {
			return
		}
		fresh.Errors = p.Errors
		ws.pages.Render(w, "appointment", http.StatusConflict, fresh)
		return
	case errors.As(err, &fe) && fe.Status == http.StatusUnprocessableEntity:
		p.AddError("moves", fe.Issues[0].Diagnostics)
		ws.pages.Render(w, "appointment", http.StatusUnprocessableEntity, p)
		return
	case err != nil:
		ws.failed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/appointments/"+a.ID()+"?changed=1", http.StatusSeeOther)
}

// reblock blocks a slot freed in time its clinician's rota takes out
// (a displaced patient moved or cancelled), so that nobody is booked with
// a clinician who is off. A failure is logged: the change itself stands.
func (ws *Workspace) reblock(r *http.Request, slotID string) {
	if err := appointments.Reblock(r.Context(), ws.opts.Service, slotID); err != nil && ws.opts.Logger != nil {
		ws.opts.Logger.Warn("a freed slot in an exception was not blocked again: make the rota's slots", "slot", slotID, "err", err)
	}
}

func text(v any) string { s, _ := v.(string); return s }

func list(v any) []map[string]any {
	var out []map[string]any
	l, _ := v.([]any)
	for _, x := range l {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}
