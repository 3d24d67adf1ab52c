package portal

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/gpcloud/gpcloud/internal/appointments"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Booking online: choose the type of appointment, then a time, then
// confirm. Only slots the practice offers online are listed
// (FreeQuery.Channel); the booking itself goes through the service,
// whose booking rules (clinical.BookingRules) refuse a practice-only,
// embargoed or taken slot whatever the page sent.

// bookWindow is how far ahead a patient sees free slots.
const bookWindow = 28 * 24 * time.Hour

type bookModePage struct {
	page
	Modes []string
}

// bookMode asks what type of appointment: the modes with online slots.
func (pt *Portal) bookMode(w http.ResponseWriter, r *http.Request, v *visit) {
	now := pt.opts.Now()
	free, err := appointments.FreeSlots(r.Context(), pt.opts.Service, appointments.FreeQuery{Channel: clinical.BookedOnline, To: now.Add(bookWindow), Limit: 200}, now)
	if err != nil {
		pt.failed(w, r, v, err)
		return
	}
	p := &bookModePage{page: pt.base(v, "What type of appointment do you need?", "Appointments")}
	for _, s := range free {
		if s.Mode != "" && !slices.Contains(p.Modes, s.Mode) {
			p.Modes = append(p.Modes, s.Mode)
		}
	}
	slices.Sort(p.Modes)
	if r.URL.Query().Has("none") {
		p.AddError("mode-"+first(p.Modes), "Select the type of appointment")
	}
	pt.pages.Render(w, "book-mode", http.StatusOK, p)
}

func first(xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	return xs[0]
}

type bookDay struct {
	Day   time.Time
	Slots []appointments.BookSlot
}

type bookTimesPage struct {
	page
	Mode string
	// Days are the days with free times (no day chosen), or the chosen
	// day with its times.
	Days   []bookDay
	Chosen bool
}

// bookTimes lists the days with free online slots of a mode; with a day
// chosen (?day=2006-01-02), that day's times, one button per time (two
// clinicians free at 9:00 are one choice for the patient; the
// confirmation names the clinician). One thing per page: a phone shows
// a short list either way.
func (pt *Portal) bookTimes(w http.ResponseWriter, r *http.Request, v *visit) {
	mode := r.URL.Query().Get("mode")
	if _, ok := modeLabels[mode]; !ok {
		http.Redirect(w, r, "/patient/book?none=1", http.StatusSeeOther)
		return
	}
	now := pt.opts.Now()
	q := appointments.FreeQuery{Channel: clinical.BookedOnline, Mode: mode, To: now.Add(bookWindow), Limit: 1500}
	var chosen time.Time
	if d, err := time.ParseInLocation("2006-01-02", r.URL.Query().Get("day"), clinical.UKTime); err == nil {
		chosen = d
		q.From, q.To = d, d.AddDate(0, 0, 1)
	}
	free, err := appointments.FreeSlots(r.Context(), pt.opts.Service, q, now)
	if err != nil {
		pt.failed(w, r, v, err)
		return
	}
	p := &bookTimesPage{page: pt.base(v, "Choose a day", "Appointments"), Mode: mode, Chosen: !chosen.IsZero()}
	if p.Chosen {
		p.Title = "Choose a time"
	}
	for _, s := range free {
		y, m, d := s.Start.In(clinical.UKTime).Date()
		day := time.Date(y, m, d, 0, 0, 0, 0, clinical.UKTime)
		if n := len(p.Days); n == 0 || !p.Days[n-1].Day.Equal(day) {
			p.Days = append(p.Days, bookDay{Day: day})
		}
		today := &p.Days[len(p.Days)-1]
		if n := len(today.Slots); n > 0 && today.Slots[n-1].Start.Equal(s.Start) {
			continue
		}
		today.Slots = append(today.Slots, s)
	}
	pt.pages.Render(w, "book-times", http.StatusOK, p)
}

type bookConfirmPage struct {
	page
	Info   *appointments.SlotInfo
	Reason string
	// Refused says why the slot cannot be booked online.
	Refused string
}

func (pt *Portal) slotPage(w http.ResponseWriter, r *http.Request, v *visit) (*bookConfirmPage, bool) {
	info, err := appointments.ReadSlot(r.Context(), pt.opts.Service, r.PathValue("slot"), pt.opts.Now())
	if err != nil {
		pt.failed(w, r, v, err)
		return nil, false
	}
	if info.Clinician.Reference == "" {
		// A patient's reach has no practice, so the service hides the
		// slot's Schedule (an entry of the patient compartment owned by no
		// patient) from them. The slot was read as the patient above; the
		// server names its clinician itself, so that the confirmation
		// says who the appointment is with and the Appointment names
		// them as it does when staff book.
		if named, err := appointments.ReadSlot(context.Background(), pt.opts.Service, info.Book.ID, pt.opts.Now()); err == nil {
			info.Clinician = named.Clinician
		}
	}
	return &bookConfirmPage{page: pt.base(v, "Check your appointment", "Appointments"), Info: info}, true
}

// bookConfirm shows the chosen slot to confirm; a slot that cannot be
// booked online (taken, practice only, embargoed) says so, by the same
// rule the service applies.
func (pt *Portal) bookConfirm(w http.ResponseWriter, r *http.Request, v *visit) {
	p, ok := pt.slotPage(w, r, v)
	if !ok {
		return
	}
	if p.Info.Book.State != appointments.Free {
		pt.message(w, v, http.StatusConflict, "This time is no longer available", "Someone else has booked this time. Go back and choose another time.")
		return
	}
	if err := clinical.CheckBookable(p.Info.Slot, clinical.BookedOnline, pt.opts.Now()); err != nil {
		pt.message(w, v, http.StatusUnprocessableEntity, "You cannot book this appointment online", refusal(err))
		return
	}
	pt.pages.Render(w, "book-confirm", http.StatusOK, p)
}

// refusal is the booking rule's reason, in a sentence for the patient.
func refusal(err error) string {
	var fe *fhir.Error
	if errors.As(err, &fe) && len(fe.Issues) > 0 {
		return "This appointment cannot be booked online: " + fe.Issues[0].Diagnostics + ". Nothing was booked. Choose another time, or contact your GP surgery."
	}
	return "This appointment cannot be booked online. Nothing was booked. Choose another time, or contact your GP surgery."
}

// book books the slot as the patient, through the service.
func (pt *Portal) book(w http.ResponseWriter, r *http.Request, v *visit) {
	p, ok := pt.slotPage(w, r, v)
	if !ok {
		return
	}
	p.Reason = r.PostFormValue("reason")
	b := clinical.Booking{PatientID: v.Patient.ID, PatientName: v.Patient.Name, Slot: p.Info.Slot, Clinician: p.Info.Clinician,
		Reason: p.Reason, Method: clinical.BookedOnline, BookedBy: clinical.Ref{Display: v.user.Name}}
	b.PatientChoseDate(pt.opts.Now())
	if errs := b.Check(); errs["reason"] != "" {
		p.AddError("reason", errs["reason"])
		pt.pages.Render(w, "book-confirm", http.StatusUnprocessableEntity, p)
		return
	}
	out, err := pt.opts.Service.Create(r.Context(), "Appointment", b.Appointment(pt.opts.Now()), "")
	var fe *fhir.Error
	switch {
	case errors.As(err, &fe) && fe.Status == http.StatusConflict:
		pt.message(w, v, http.StatusConflict, "This time is no longer available", "Someone else booked this time a moment ago, so nothing was booked. Go back and choose another time.")
		return
	case errors.As(err, &fe) && (fe.Status == http.StatusUnprocessableEntity || fe.Status == http.StatusForbidden):
		pt.message(w, v, http.StatusUnprocessableEntity, "You cannot book this appointment online", refusal(err))
		return
	case err != nil:
		pt.failed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/patient/appointments/"+out.Version.ID+"?booked=1", http.StatusSeeOther)
}
