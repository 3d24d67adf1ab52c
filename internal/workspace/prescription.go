package workspace

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// One repeat request from the prescriptions queue, under the patient's
// banner: the repeats asked for, the patient's note, and what the issue's
// checks say. A clean request is approved here as in bulk; a request
// with warnings is issued only with the prescriber's reason (kept as a
// DetectedIssue on each issue, as on the Medication tab); a request that
// cannot be issued (out of issues, past review) is reauthorised on the
// Medication tab or rejected. Rejecting needs a message, which the
// patient reads in the portal.

type prescriptionPage struct {
	page
	Request rxRequest
	// Seen is the digest of the warnings shown; Reason the override's
	// reason and Message the rejection's, as typed.
	Seen, Reason, Message string
	Conflict              bool
}

// requestOf reads the request and checks it (at the versions posted,
// when version is set), under its patient's banner.
func (ws *Workspace) requestOf(w http.ResponseWriter, r *http.Request, v *visit, version func(string) string) (*prescriptionPage, bool) {
	if _, refusal := ws.prescriber(r.Context(), v); refusal != "" {
		ws.message(w, r, v, http.StatusForbidden, "Not a prescriber", refusal)
		return nil, false
	}
	res, err := ws.read(r.Context(), "Task", r.PathValue("task"))
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, false
	}
	if !clinical.IsPortalTask(res, clinical.TaskRepeatRequest) {
		ws.message(w, r, v, http.StatusNotFound, "Not a repeat request", "This task is not a repeat prescription request. Open it from the task lists.")
		return nil, false
	}
	id, _ := strings.CutPrefix(clinical.TaskOf(res).Patient.Reference, "Patient/")
	r.SetPathValue("id", id)
	patient, ok := ws.patient(w, r, v) // the banner; asks a sealed record's reason
	if !ok {
		return nil, false
	}
	q := ws.checkRequest(r.Context(), res, version)
	q.Patient = patient
	p := &prescriptionPage{page: ws.recordBase(v, "Repeat prescription request", "", &patient), Request: q, Seen: warningsDigest(q.Warnings)}
	p.Nav = ws.base(v, "", prescriptionsNavLabel).Nav
	return p, true
}

func (ws *Workspace) repeatRequest(w http.ResponseWriter, r *http.Request, v *visit) {
	p, ok := ws.requestOf(w, r, v, nil)
	if !ok {
		return
	}
	ws.pages.Render(w, "prescription", http.StatusOK, p)
}

// stillOpen says whether the request is as the page showed it; when not,
// the page is shown again saying so and nothing is written.
func (ws *Workspace) stillOpen(w http.ResponseWriter, r *http.Request, p *prescriptionPage) bool {
	if p.Request.Task.Open() && r.PostFormValue("task-version") == p.Request.Task.Version {
		return true
	}
	p.Conflict = true
	ws.pages.Render(w, "prescription", http.StatusConflict, p)
	return false
}

// issueRequest issues the request's repeats (with the reason when the
// checks warn) and completes it, in one transaction.
func (ws *Workspace) issueRequest(w http.ResponseWriter, r *http.Request, v *visit) {
	p, ok := ws.requestOf(w, r, v, func(id string) string { return r.PostFormValue("version-" + id) })
	if !ok || !ws.samePatient(w, r, v, *p.Banner) || !ws.stillOpen(w, r, p) {
		return
	}
	who, _ := ws.prescriber(r.Context(), v)
	q := p.Request
	p.Reason = strings.TrimSpace(r.PostFormValue("reason"))
	switch {
	case q.Unchecked != "":
		p.AddError("issue", "Nothing was issued. "+q.Unchecked)
		ws.pages.Render(w, "prescription", http.StatusUnprocessableEntity, p)
		return
	case len(q.Problems) > 0:
		p.AddError("issue", "Nothing was issued. "+q.Problems[0])
		ws.pages.Render(w, "prescription", http.StatusUnprocessableEntity, p)
		return
	case len(q.Warnings) > 0 && r.PostFormValue("seen") != p.Seen:
		// The warnings changed since the page (or were never shown).
		ws.pages.Render(w, "prescription", http.StatusOK, p)
		return
	case len(q.Warnings) > 0:
		if msg := clinical.CheckOverrideReason(p.Reason); msg != "" {
			p.AddError("reason", msg)
			ws.pages.Render(w, "prescription", http.StatusUnprocessableEntity, p)
			return
		}
	}
	if err := ws.writeApproval(r.Context(), v, q, who, p.Reason); err != nil {
		ws.requestWriteFailed(w, r, v, p, err)
		return
	}
	http.Redirect(w, r, "/workspace/prescriptions?approved=1", http.StatusSeeOther)
}

// rejectRequest turns the request down with the message to the patient.
func (ws *Workspace) rejectRequest(w http.ResponseWriter, r *http.Request, v *visit) {
	p, ok := ws.requestOf(w, r, v, nil)
	if !ok || !ws.samePatient(w, r, v, *p.Banner) || !ws.stillOpen(w, r, p) {
		return
	}
	who, _ := ws.prescriber(r.Context(), v)
	p.Message = r.PostFormValue("message")
	if msg := clinical.CheckRejectReason(p.Message); msg != "" {
		p.AddError("message", msg)
		ws.pages.Render(w, "prescription", http.StatusUnprocessableEntity, p)
		return
	}
	now := ws.opts.Now()
	plan := clinical.Plan{Changes: []clinical.Change{{Ref: "Task/" + p.Request.Task.ID,
		Resource: clinical.RejectedRequest(p.Request.res, p.Message, ws.authorRef(r.Context(), v), now), Version: p.Request.Task.Version}}}
	if _, err := ws.write(r.Context(), plan, p.Banner.ID, who.Ref, "Repeat request rejected"); err != nil {
		ws.requestWriteFailed(w, r, v, p, err)
		return
	}
	http.Redirect(w, r, "/workspace/prescriptions?rejected=1", http.StatusSeeOther)
}

// requestWriteFailed answers a write the service refused: someone dealt
// with the request or issued a repeat meanwhile (If-Match), or as failed
// says.
func (ws *Workspace) requestWriteFailed(w http.ResponseWriter, r *http.Request, v *visit, p *prescriptionPage, err error) {
	var fe *fhir.Error
	if errors.As(err, &fe) && (fe.Status == http.StatusConflict || fe.Status == http.StatusPreconditionFailed) {
		p.Conflict = true
		ws.pages.Render(w, "prescription", http.StatusConflict, p)
		return
	}
	ws.failed(w, r, v, err)
}
