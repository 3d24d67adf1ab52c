package workspace

import (
	"errors"
	"net/http"

	"github.com/gpcloud/gpcloud/internal/appointments"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// bookSlotPage books one free slot: find the patient, say how the
// appointment was booked and why, book. The patient's alerts show as soon
// as they are chosen (an interpreter, a staff-safety marker).
type bookSlotPage struct {
	page
	Info     *appointments.SlotInfo
	Query    string
	Results  []clinical.Banner
	Searched bool
	Patient  *clinical.Banner
	Alerts   []string
	Methods  []clinical.Concept
	Method   string
	Reason   string
	// Ahead: the slot is more than two weeks away, so the form asks why
	// (GPAD's exception reason).
	Ahead        bool
	AheadReasons []clinical.Concept
	AheadReason  string
	// MissedPrompt is the chosen patient's missed-appointments prompt.
	MissedPrompt string
}

func (ws *Workspace) slotPage(w http.ResponseWriter, r *http.Request, v *visit) (*bookSlotPage, bool) {
	info, err := appointments.ReadSlot(r.Context(), ws.opts.Service, r.PathValue("slot"), ws.opts.Now())
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, false
	}
	p := &bookSlotPage{page: ws.base(v, "Book an appointment", "Appointments"), Info: info, Methods: clinical.BookingMethods, Method: "telephone"}
	if info.Book.State != appointments.Free {
		ws.message(w, r, v, http.StatusConflict, "Slot not free", "This slot is no longer free. Go back to the appointment book and choose another.")
		return nil, false
	}
	p.Ahead = clinical.Booking{Slot: info.Slot}.NeedsAheadReason(ws.opts.Now())
	p.AheadReasons = clinical.AheadReasons
	return p, true
}

// bookSlotForm shows the form; ?patient=ID (from a record) chooses the
// patient.
func (ws *Workspace) bookSlotForm(w http.ResponseWriter, r *http.Request, v *visit) {
	p, ok := ws.slotPage(w, r, v)
	if !ok {
		return
	}
	if id := r.URL.Query().Get("patient"); id != "" && ws.choosePatient(r, p, id) != nil {
		ws.message(w, r, v, http.StatusNotFound, "Record not found", "There is no such patient, or it is not one you can open.")
		return
	}
	ws.pages.Render(w, "book-slot", http.StatusOK, p)
}

// choosePatient reads the chosen patient's banner and alerts.
func (ws *Workspace) choosePatient(r *http.Request, p *bookSlotPage, id string) error {
	out, err := ws.opts.Service.Read(r.Context(), "Patient", id)
	if err != nil {
		return err
	}
	res, err := fhir.Unmarshal(out.Version.Body)
	if err != nil {
		return err
	}
	b := clinical.BannerOf(res, ws.opts.Now())
	p.Patient = &b
	alerts, err := appointments.Alerts(r.Context(), ws.opts.Service, []string{"Patient/" + id})
	if err != nil {
		return err
	}
	p.Alerts = alerts["Patient/"+id]
	missed, err := appointments.MissedOf(r.Context(), ws.opts.Service, id, ws.opts.Now())
	if err != nil {
		return err
	}
	p.MissedPrompt = missed.Prompt
	return nil
}

// bookSlot takes the form: "find" searches for the patient (the query
// in the body, never the URL), "book" books.
func (ws *Workspace) bookSlot(w http.ResponseWriter, r *http.Request, v *visit) {
	p, ok := ws.slotPage(w, r, v)
	if !ok {
		return
	}
	p.Query, p.Method, p.Reason = r.PostFormValue("q"), r.PostFormValue("method"), r.PostFormValue("reason")
	p.AheadReason = r.PostFormValue("ahead-reason")
	if id := r.PostFormValue("patient"); id != "" && isID(id) {
		if err := ws.choosePatient(r, p, id); err != nil {
			p.AddError("q", "That patient could not be opened: search again")
			p.Patient = nil
		}
	}
	if r.PostFormValue("action") == "find" {
		p.Patient, p.Alerts = nil, nil
		q := clinical.ParsePatientQuery(p.Query, ws.opts.Now())
		if q.Empty() {
			p.AddError("q", "Enter a name, date of birth, NHS number or postcode")
		} else {
			results, err := ws.findPatients(r.Context(), q)
			if err != nil {
				ws.failed(w, r, v, err)
				return
			}
			p.Results, p.Searched = results, true
			if len(results) == 1 {
				_ = ws.choosePatient(r, p, results[0].ID)
			}
		}
		ws.pages.Render(w, "book-slot", http.StatusOK, p)
		return
	}
	b := clinical.Booking{Slot: p.Info.Slot, Clinician: p.Info.Clinician, Reason: p.Reason, Method: p.Method,
		BookedBy: clinical.Ref{Reference: v.principal.FHIRUser, Display: v.user.Name}, AheadReason: p.AheadReason}
	if p.Patient != nil {
		b.PatientID, b.PatientName = p.Patient.ID, p.Patient.Name
	}
	if errs := b.CheckAt(ws.opts.Now()); len(errs) > 0 {
		if errs["patient"] != "" {
			errs["q"] = "Find and choose the patient"
			delete(errs, "patient")
		}
		if errs["ahead-reason"] != "" {
			errs["ahead-reason-"+clinical.AheadReasons[0].Code] = errs["ahead-reason"]
			delete(errs, "ahead-reason")
		}
		fieldErrors(&p.page, errs, []string{"q", "method", "ahead-reason-" + clinical.AheadReasons[0].Code, "reason"})
		ws.pages.Render(w, "book-slot", http.StatusUnprocessableEntity, p)
		return
	}
	out, err := ws.opts.Service.Create(r.Context(), "Appointment", b.Appointment(ws.opts.Now()), "")
	var fe *fhir.Error
	switch {
	case errors.As(err, &fe) && fe.Status == http.StatusConflict:
		p.AddError("q", "Someone else booked this slot a moment ago, so nothing was booked. Go back to the book and choose another slot.")
		ws.pages.Render(w, "book-slot", http.StatusConflict, p)
		return
	case errors.As(err, &fe) && fe.Status == http.StatusUnprocessableEntity:
		p.AddError("q", "This slot cannot be booked: "+fe.Issues[0].Diagnostics+". Nothing was booked.")
		ws.pages.Render(w, "book-slot", http.StatusUnprocessableEntity, p)
		return
	case err != nil:
		ws.failed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/appointments/"+out.Version.ID+"?booked=1", http.StatusSeeOther)
}
