package portal

import (
	"net/http"
	"net/url"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Repeat prescriptions: the patient's current repeats to choose from
// (clinical.PortalRepeats: repeats only, none asked for twice), a note,
// and the status of their requests. A request is a Task for the
// practice, based on the MedicationRequests asked for. The nominated
// pharmacy lives on PDS, which is not connected: it is shown read-only
// as not connected rather than as a local setting that would mislead.

type repeatsPage struct {
	page
	Repeats []clinical.PortalRepeat
	// Orderable are the repeats not already asked for; Waiting those
	// asked for (listed apart, without a checkbox).
	Orderable, Waiting []clinical.PortalRepeat
	Requests           []clinical.PortalTaskRow
	Order              clinical.RepeatOrder
	Sent               bool
}

// repeatsFor reads the patient's repeats and their requests.
func (pt *Portal) repeatsFor(r *http.Request, v *visit) ([]clinical.PortalRepeat, []fhir.Resource, error) {
	meds, err := pt.search(r, "MedicationRequest", url.Values{"patient": {"Patient/" + v.Patient.ID}, "status": {"active"}, "intent": {"order"}, "_count": {"200"}})
	if err != nil {
		return nil, nil, err
	}
	tasks, err := pt.search(r, "Task", url.Values{"patient": {"Patient/" + v.Patient.ID}, "_count": {"200"}})
	if err != nil {
		return nil, nil, err
	}
	return clinical.PortalRepeats(clinical.ForPatient(meds), clinical.PendingRepeats(tasks)), tasks, nil
}

func (pt *Portal) repeatsPage(r *http.Request, v *visit) (*repeatsPage, error) {
	repeats, tasks, err := pt.repeatsFor(r, v)
	if err != nil {
		return nil, err
	}
	p := &repeatsPage{page: pt.base(v, "Order a repeat prescription", "Prescriptions"), Repeats: repeats,
		Requests: clinical.PortalTaskRows(tasks, clinical.TaskRepeatRequest)}
	for _, m := range repeats {
		if m.Requested {
			p.Waiting = append(p.Waiting, m)
		} else {
			p.Orderable = append(p.Orderable, m)
		}
	}
	return p, nil
}

func (pt *Portal) repeats(w http.ResponseWriter, r *http.Request, v *visit) {
	p, err := pt.repeatsPage(r, v)
	if err != nil {
		pt.failed(w, r, v, err)
		return
	}
	p.Sent = r.URL.Query().Get("sent") == "1"
	pt.pages.Render(w, "repeats", http.StatusOK, p)
}

// orderRepeats sends the request, checked against the repeats as they
// are now.
func (pt *Portal) orderRepeats(w http.ResponseWriter, r *http.Request, v *visit) {
	p, err := pt.repeatsPage(r, v)
	if err != nil {
		pt.failed(w, r, v, err)
		return
	}
	p.Order = clinical.RepeatOrder{Chosen: r.PostForm["medicine"], Note: r.PostFormValue("note")}
	if errs := p.Order.Check(p.Repeats); len(errs) > 0 {
		if e := errs["medicines"]; e != "" {
			id := "medicines"
			if len(p.Orderable) > 0 {
				id = "medicine-" + p.Orderable[0].ID
			}
			p.AddError(id, e)
		}
		if e := errs["note"]; e != "" {
			p.AddError("note", e)
		}
		pt.pages.Render(w, "repeats", http.StatusUnprocessableEntity, p)
		return
	}
	task := p.Order.Task(pt.requester(v), p.Repeats, clinical.NewRequestReference("RX"), pt.opts.Now())
	if _, err := pt.opts.Service.Create(r.Context(), "Task", task, ""); err != nil {
		pt.failed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/patient/prescriptions?sent=1", http.StatusSeeOther)
}
