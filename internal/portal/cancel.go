package portal

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// cancelReasons are what a patient may say; the practice reads the label.
var cancelReasons = []clinical.Choice{
	{Key: "not-needed", Label: "I no longer need it"},
	{Key: "cannot-attend", Label: "I cannot make it"},
	{Key: "wrong-type", Label: "I booked the wrong type of appointment"},
	{Key: "other", Label: "Another reason"},
}

type cancelPage struct {
	page
	Appt    appt
	Version int64
	Reasons []clinical.Choice
	Reason  string
}

func (pt *Portal) cancelPageFor(w http.ResponseWriter, r *http.Request, v *visit) (*cancelPage, fhir.Resource, bool) {
	a, version, ok := pt.ownAppointment(w, r, v)
	if !ok {
		return nil, nil, false
	}
	p := &cancelPage{page: pt.base(v, "Why are you cancelling this appointment?", "Appointments"), Appt: apptOf(a, pt.opts.Now()), Version: version, Reasons: cancelReasons}
	if why := pt.settings(r, v).CancelOnline(p.Appt.Status, p.Appt.Start, pt.opts.Now()); why != "" {
		pt.message(w, v, http.StatusConflict, "You cannot cancel this appointment online", why)
		return nil, nil, false
	}
	return p, a, true
}

// cancelCutoff applies the practice's cancellation cut-off to an
// appointment shown: inside it, cancel is not offered and the page says
// to phone. The form and its POST check the same rule (cancelPageFor).
func (pt *Portal) cancelCutoff(r *http.Request, v *visit, a *appt) {
	if !a.CanCancel {
		return
	}
	if why := pt.settings(r, v).CancelOnline(a.Status, a.Start, pt.opts.Now()); why != "" {
		a.CanCancel, a.CancelClosed = false, why
	}
}

func (pt *Portal) cancelForm(w http.ResponseWriter, r *http.Request, v *visit) {
	if p, _, ok := pt.cancelPageFor(w, r, v); ok {
		pt.pages.Render(w, "cancel", http.StatusOK, p)
	}
}

// cancel cancels as the patient, with their reason, if the appointment
// is still as shown (If-Match); the service frees the slot.
func (pt *Portal) cancel(w http.ResponseWriter, r *http.Request, v *visit) {
	p, a, ok := pt.cancelPageFor(w, r, v)
	if !ok {
		return
	}
	p.Reason = r.PostFormValue("reason")
	label := clinical.ChoiceLabel(cancelReasons, p.Reason)
	if label == "" {
		p.AddError("reason-"+cancelReasons[0].Key, "Select why you are cancelling")
		pt.pages.Render(w, "cancel", http.StatusUnprocessableEntity, p)
		return
	}
	version, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil {
		http.Error(w, "bad version", http.StatusBadRequest)
		return
	}
	if err := clinical.Cancel(a, "pat", label); err != nil {
		pt.message(w, v, http.StatusConflict, "You cannot cancel this appointment online", "Contact your GP surgery.")
		return
	}
	clinical.MarkCancelledOnline(a) // for the portal's MI (clinical.TallyPortal)
	_, err = pt.opts.Service.Update(r.Context(), "Appointment", a.ID(), a, service.Precondition{Set: true, Version: version})
	var fe *fhir.Error
	switch {
	case errors.As(err, &fe) && (fe.Status == http.StatusPreconditionFailed || fe.Status == http.StatusConflict):
		pt.message(w, v, http.StatusConflict, "Your appointment has changed", "The practice changed this appointment a moment ago, so it was not cancelled. Check your appointments and try again.")
		return
	case err != nil:
		pt.failed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/patient/appointments?cancelled=1", http.StatusSeeOther)
}
