package workspace

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gpcloud/gpcloud/internal/appointments"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// movePage moves an appointment to another free slot: the same
// clinician's first, or another's, a mode, a time of day.
type movePage struct {
	appointmentPage
	FreeFilter
}

func (ws *Workspace) moveView(w http.ResponseWriter, r *http.Request, v *visit) (*movePage, fhir.Resource, bool) {
	ap, a, ok := ws.appointmentView(w, r, v)
	if !ok {
		return nil, nil, false
	}
	p := &movePage{appointmentPage: *ap}
	p.Title = "Move the appointment"
	current := ""
	if id := slotOf(a); id != "" {
		if info, err := appointments.ReadSlot(r.Context(), ws.opts.Service, id, ws.opts.Now()); err == nil {
			current = info.Book.Schedule
		}
	}
	if err := ws.findFree(r, &p.FreeFilter, current); err != nil {
		ws.failed(w, r, v, err)
		return nil, nil, false
	}
	return p, a, true
}

func (ws *Workspace) moveForm(w http.ResponseWriter, r *http.Request, v *visit) {
	p, _, ok := ws.moveView(w, r, v)
	if !ok {
		return
	}
	if p.Status != "booked" {
		ws.message(w, r, v, http.StatusConflict, "Cannot be moved", "Only a booked appointment can be moved.")
		return
	}
	ws.pages.Render(w, "appointment-move", http.StatusOK, p)
}

// move puts the appointment in the slot chosen: the service frees the
// old slot and takes the new one in one transaction, or refuses (409)
// when the new one was taken meanwhile.
func (ws *Workspace) move(w http.ResponseWriter, r *http.Request, v *visit) {
	p, a, ok := ws.moveView(w, r, v)
	if !ok {
		return
	}
	slotID := r.PostFormValue("slot")
	if !isID(slotID) {
		p.AddError("slot-0", "Choose the slot to move the appointment to")
		ws.pages.Render(w, "appointment-move", http.StatusUnprocessableEntity, p)
		return
	}
	info, err := appointments.ReadSlot(r.Context(), ws.opts.Service, slotID, ws.opts.Now())
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	if info.Book.State != appointments.Free {
		p.AddError("slot-0", "That slot was taken a moment ago. Choose another.")
		ws.pages.Render(w, "appointment-move", http.StatusConflict, p)
		return
	}
	oldSlot := slotOf(a)
	appointments.MoveTo(a, info)
	version, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil {
		http.Error(w, "bad version", http.StatusBadRequest)
		return
	}
	_, err = ws.opts.Service.Update(r.Context(), "Appointment", a.ID(), a, service.Precondition{Set: true, Version: version})
	var fe *fhir.Error
	switch {
	case errors.As(err, &fe) && fe.Status == http.StatusConflict:
		p.AddError("slot-0", "That slot was taken a moment ago, so the appointment was not moved. Choose another.")
		ws.pages.Render(w, "appointment-move", http.StatusConflict, p)
		return
	case errors.As(err, &fe) && fe.Status == http.StatusPreconditionFailed:
		p.AddError("slot-0", "Someone else changed this appointment a moment ago, so it was not moved. Open it again.")
		ws.pages.Render(w, "appointment-move", http.StatusConflict, p)
		return
	case errors.As(err, &fe) && fe.Status == http.StatusUnprocessableEntity:
		p.AddError("slot-0", fe.Issues[0].Diagnostics)
		ws.pages.Render(w, "appointment-move", http.StatusUnprocessableEntity, p)
		return
	case err != nil:
		ws.failed(w, r, v, err)
		return
	}
	ws.reblock(r, oldSlot)
	http.Redirect(w, r, "/workspace/appointments/"+a.ID()+"?moved=1", http.StatusSeeOther)
}

// slotOf is the appointment's first slot.
func slotOf(a fhir.Resource) string {
	for _, s := range list(a["slot"]) {
		if id, ok := strings.CutPrefix(text(s["reference"]), "Slot/"); ok {
			return id
		}
	}
	return ""
}
