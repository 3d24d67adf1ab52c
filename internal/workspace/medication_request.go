package workspace

import (
	"net/http"
	"net/url"

	"github.com/gpcloud/gpcloud/internal/clinical"
)

// Recording a repeat request made at the desk or by phone (issue 17):
// reception (or anyone who may create Tasks) chooses from the patient's
// current repeats (clinical.DeskRepeats) and the request becomes the
// same Task the portal makes, with its channel, so it joins the
// prescriptions queue and the patient sees its status in the portal.

type requestFormPage struct {
	entriesPage
	Repeats []clinical.PortalRepeat
	Request clinical.RecordedRequest
	// Chosen marks the repeats ticked, for the form kept after an error.
	Chosen   map[string]bool
	Channels []clinical.Choice
}

func (ws *Workspace) requestFormOf(w http.ResponseWriter, r *http.Request, v *visit) (*requestFormPage, bool) {
	base, ok := ws.entriesBase(w, r, v, "Record a repeat request", "Medication", "Task")
	if !ok {
		return nil, false
	}
	if !base.MayWrite {
		ws.message(w, r, v, http.StatusForbidden, "Not allowed", "Your role cannot record requests.")
		return nil, false
	}
	meds, _, err := ws.allMedicationEntries(r.Context(), "MedicationRequest", base.Banner.ID)
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, false
	}
	tasks, _, err := ws.medicationEntries(r.Context(), "Task", base.Banner.ID, url.Values{"code": {clinical.PortalTaskSystem + "|" + clinical.TaskRepeatRequest}})
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, false
	}
	return &requestFormPage{entriesPage: *base, Repeats: clinical.DeskRepeats(meds, clinical.PendingRepeats(tasks), ws.opts.Now()),
		Chosen: map[string]bool{}, Channels: clinical.RequestChannels}, true
}

func (ws *Workspace) recordRequestForm(w http.ResponseWriter, r *http.Request, v *visit) {
	p, ok := ws.requestFormOf(w, r, v)
	if !ok {
		return
	}
	ws.pages.Render(w, "medication-request", http.StatusOK, p)
}

// recordRequest creates the request, checked against the repeats as they
// are now.
func (ws *Workspace) recordRequest(w http.ResponseWriter, r *http.Request, v *visit) {
	p, ok := ws.requestFormOf(w, r, v)
	if !ok || !ws.samePatient(w, r, v, *p.Banner) {
		return
	}
	p.Request = clinical.RecordedRequest{Chosen: r.PostForm["medicine"], Channel: r.PostFormValue("channel"), Note: r.PostFormValue("note")}
	for _, id := range p.Request.Chosen {
		p.Chosen[id] = true
	}
	if errs := p.Request.Check(p.Repeats); len(errs) > 0 {
		if e, ok := errs["medicines"]; ok {
			id := "medicines"
			for _, m := range p.Repeats {
				if m.Orderable() {
					id = "medicine-" + m.ID
					break
				}
			}
			p.AddError(id, e)
		}
		if e, ok := errs["channel"]; ok {
			p.AddError("channel", e)
		}
		if e, ok := errs["note"]; ok {
			p.AddError("note", e)
		}
		ws.pages.Render(w, "medication-request", http.StatusUnprocessableEntity, p)
		return
	}
	staff := ws.authorRef(r.Context(), v)
	by := clinical.PortalRequester{PatientID: p.Banner.ID, PatientName: p.Banner.Name, Practice: v.user.Practice}
	task := p.Request.Task(by, staff, p.Repeats, clinical.NewRequestReference("RX"), ws.opts.Now())
	if _, err := ws.opts.Service.Create(r.Context(), "Task", task, ""); err != nil {
		ws.failed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/patients/"+p.Banner.ID+"/medication?saved=requested", http.StatusSeeOther)
}
