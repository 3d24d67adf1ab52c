package workspace

import (
	"net/http"
	"strings"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// tokenPage is one issue laid out to print (print stylesheet): a token
// for the patient, clearly not an EPS prescription nor an FP10SS.
type tokenPage struct {
	*entriesPage
	Token    clinical.Token
	Practice string
	// Prescriber: the user may cancel the issue; Reason is theirs.
	Prescriber bool
	Reason     string
}

// printToken shows an issue of the patient's as a printable token.
func (ws *Workspace) printToken(w http.ResponseWriter, r *http.Request, v *visit) {
	base, ok := ws.entriesBase(w, r, v, "Prescription token", "Medication", "MedicationRequest")
	if !ok {
		return
	}
	issue, err := ws.read(r.Context(), "MedicationRequest", r.PathValue("issue"))
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	tok, ok := clinical.TokenOf(issue)
	if !ok || !entryBelongsTo(issue, base.Banner.ID) {
		ws.message(w, r, v, http.StatusNotFound, "Record not found", "There is no such prescription for this patient.")
		return
	}
	p := &tokenPage{entriesPage: base, Token: tok}
	_, refusal := ws.prescriber(r.Context(), v)
	p.Prescriber = refusal == ""
	if org, err := ws.read(r.Context(), "Organization", v.user.Practice); err == nil {
		p.Practice, _ = org["name"].(string)
	}
	ws.pages.Render(w, "medication-print", http.StatusOK, p)
}

// cancelIssue cancels an issued prescription with a reason (E00104),
// If-Match the version shown, with a Provenance; the token then says it
// is cancelled. Only a prescriber cancels.
func (ws *Workspace) cancelIssue(w http.ResponseWriter, r *http.Request, v *visit) {
	patient, ok := ws.patient(w, r, v)
	if !ok || !ws.samePatient(w, r, v, patient) {
		return
	}
	who, refusal := ws.prescriber(r.Context(), v)
	if refusal != "" {
		ws.message(w, r, v, http.StatusForbidden, "Not a prescriber", refusal)
		return
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if msg := clinical.CheckStopReason(reason); msg != "" {
		base, ok := ws.entriesBase(w, r, v, "Prescription token", "Medication", "MedicationRequest")
		if !ok {
			return
		}
		issue, err := ws.read(r.Context(), "MedicationRequest", r.PathValue("issue"))
		if err != nil {
			ws.failed(w, r, v, err)
			return
		}
		tok, _ := clinical.TokenOf(issue)
		p := &tokenPage{entriesPage: base, Token: tok, Reason: reason, Prescriber: true}
		fieldErrors(&p.page, map[string]string{"reason": strings.Replace(msg, "the medicine is stopped", "the prescription is cancelled", 1)}, []string{"reason"})
		ws.pages.Render(w, "medication-print", http.StatusUnprocessableEntity, p)
		return
	}
	cancel := func(res fhir.Resource) (fhir.Resource, bool) { return clinical.CancelIssue(res, reason) }
	if err := ws.changeEntry(r.Context(), patient.ID, "MedicationRequest", r.PathValue("issue"), r.PostFormValue("version"), cancel,
		who.Ref, "Prescription cancelled: "+reason, false); err != nil {
		ws.entryFailed(w, r, v, err)
		return
	}
	if ws.eps().Connected() {
		// Once EPS is connected, the pharmacy is told too (E00104); the
		// record's cancellation stands either way.
		if issue, err := ws.read(r.Context(), "MedicationRequest", r.PathValue("issue")); err == nil {
			if id := clinical.PrescriptionIDOf(issue); id != "" {
				if err := ws.eps().Cancel(r.Context(), id, reason); err != nil {
					ws.opts.Logger.Warn("eps cancel failed", "err", err)
				}
			}
		}
	}
	http.Redirect(w, r, "/workspace/patients/"+patient.ID+"/medication/issues/"+r.PathValue("issue")+"/print", http.StatusSeeOther)
}
