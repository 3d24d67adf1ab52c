package workspace

import (
	"net/http"
	"strings"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// stopPage asks why a medicine is stopped: it is never deleted, it moves
// to past medication with the reason.
type stopPage struct {
	*entriesPage
	Row    clinical.MedicationRow
	Reason string
}

func (ws *Workspace) stopBase(w http.ResponseWriter, r *http.Request, v *visit) (*stopPage, bool) {
	base, ok := ws.entriesBase(w, r, v, "Stop a medicine", "Medication", "MedicationRequest")
	if !ok {
		return nil, false
	}
	if _, refusal := ws.prescriber(r.Context(), v); refusal != "" || !base.MayWrite {
		ws.message(w, r, v, http.StatusForbidden, "Not a prescriber", "Only a prescriber can stop a medicine. Your practice admin records who prescribes.")
		return nil, false
	}
	auth, err := ws.read(r.Context(), "MedicationRequest", r.PathValue("med"))
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, false
	}
	if _, issue := auth["basedOn"]; issue || !entryBelongsTo(auth, base.Banner.ID) {
		ws.message(w, r, v, http.StatusNotFound, "Record not found", "There is no such medicine in this patient's record.")
		return nil, false
	}
	l := clinical.MedicationListOf([]fhir.Resource{auth}, ws.opts.Now())
	p := &stopPage{entriesPage: base}
	for _, rows := range [][]clinical.MedicationRow{l.Acute, l.Repeats, l.Past} {
		if len(rows) > 0 {
			p.Row = rows[0]
		}
	}
	return p, true
}

func (ws *Workspace) stopForm(w http.ResponseWriter, r *http.Request, v *visit) {
	p, ok := ws.stopBase(w, r, v)
	if !ok {
		return
	}
	ws.pages.Render(w, "medication-stop", http.StatusOK, p)
}

// stopMedication stops an authorisation with a reason, If-Match the
// version shown, with a Provenance giving the reason.
func (ws *Workspace) stopMedication(w http.ResponseWriter, r *http.Request, v *visit) {
	p, ok := ws.stopBase(w, r, v)
	if !ok || !ws.samePatient(w, r, v, *p.Banner) {
		return
	}
	p.Reason = strings.TrimSpace(r.PostFormValue("reason"))
	if msg := clinical.CheckStopReason(p.Reason); msg != "" {
		fieldErrors(&p.page, map[string]string{"reason": msg}, []string{"reason"})
		ws.pages.Render(w, "medication-stop", http.StatusUnprocessableEntity, p)
		return
	}
	stop := func(a fhir.Resource) (fhir.Resource, bool) { return clinical.StopMedication(a, p.Reason), true }
	if err := ws.changeEntry(r.Context(), p.Banner.ID, "MedicationRequest", r.PathValue("med"), r.PostFormValue("version"), stop,
		ws.entryAuthor(r.Context(), v), "Stopped: "+p.Reason, false); err != nil {
		ws.entryFailed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/patients/"+p.Banner.ID+"/medication?saved=stopped", http.StatusSeeOther)
}
