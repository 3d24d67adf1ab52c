package workspace

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gpcloud/gpcloud/internal/audit"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fp10"
)

// printFP10 answers an issue as the FP10SS PDF to print on the practice's
// forms: until EPS is connected the legal route (CLINICAL.md Prescribing
// 2). Only a prescriber prints one; a cancelled issue, one without a
// prescription id and one whose prescriber has no professional code are
// refused with the reason. Each print is audited with the prescription
// id (the request's own audit names the patient and the issue read).
func (ws *Workspace) printFP10(w http.ResponseWriter, r *http.Request, v *visit) {
	banner, ok := ws.patient(w, r, v)
	if !ok {
		return
	}
	if _, refusal := ws.prescriber(r.Context(), v); refusal != "" {
		ws.message(w, r, v, http.StatusForbidden, "Not a prescriber", "Only a prescriber prints an FP10SS. "+refusal)
		return
	}
	issue, err := ws.read(r.Context(), "MedicationRequest", r.PathValue("issue"))
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	if !entryBelongsTo(issue, banner.ID) {
		ws.message(w, r, v, http.StatusNotFound, "Record not found", "There is no such prescription for this patient.")
		return
	}
	patient, err := ws.read(r.Context(), "Patient", banner.ID)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	practice, _ := ws.read(r.Context(), "Organization", v.user.Practice)
	form, refusal := clinical.FP10Of(issue, patient, practice)
	if refusal != "" {
		ws.auditPrint(r, v, banner.ID, "FP10SS refused: "+refusal, http.StatusConflict)
		ws.message(w, r, v, http.StatusConflict, "Cannot print an FP10SS", refusal)
		return
	}
	// An instalment prescription prints on the FP10MDA-SS layout
	// (fp10.Render chooses by form.Form), which refuses what would not
	// fit its boxes whole: the prescriber is told why.
	pdf, err := fp10.Render(form)
	var unfit *fp10.Unfit
	if errors.As(err, &unfit) {
		ws.auditPrint(r, v, banner.ID, form.Form+" refused: "+unfit.Reason, http.StatusConflict)
		ws.message(w, r, v, http.StatusConflict, "Cannot print an "+form.Form,
			"This prescription does not fit the "+form.Form+": "+unfit.Reason+" Write it by hand on the form, or change the prescription.")
		return
	}
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	ws.auditPrint(r, v, banner.ID, form.Form+" printed: prescription "+form.PrescriptionID, http.StatusOK)
	sendPDF(w, strings.ToLower(form.Form)+"-"+form.PrescriptionID+".pdf", pdf)
}

// auditPrint records an FP10SS printed (or refused) as an event of the
// patient's record, naming the issue: the practice and the patient see
// who printed a prescription and when.
func (ws *Workspace) auditPrint(r *http.Request, v *visit, patientID, detail string, status int) {
	if ws.opts.Audit == nil {
		return
	}
	e := audit.Describe(r, "read", v.principal)
	e.Status, e.Detail, e.Patients = status, detail, []string{patientID}
	e.Resources = []audit.Seen{{Type: "MedicationRequest", ID: r.PathValue("issue"), Owners: []string{patientID}, OwnersKnown: true}}
	ws.opts.Audit.Record(e)
}

// printFP10Alignment answers the alignment print (every box of the form
// outlined and named) for the clinical safety officer to check the
// layout against a real form before the practice prints on it: the
// FP10SS's, or with ?form=fp10mda-ss the FP10MDA-SS's; any other form is
// not found.
func (ws *Workspace) printFP10Alignment(w http.ResponseWriter, r *http.Request, v *visit) {
	switch r.URL.Query().Get("form") {
	case "", "fp10ss":
		sendPDF(w, "fp10ss-alignment.pdf", fp10.Alignment())
	case "fp10mda-ss":
		sendPDF(w, "fp10mda-ss-alignment.pdf", fp10.AlignmentMDA())
	default:
		ws.message(w, r, v, http.StatusNotFound, "No such form", "The alignment print is for the FP10SS or the FP10MDA-SS.")
	}
}

// sendPDF answers a PDF to open in the browser's viewer (and print from
// it); never cached, since a prescription is patient data.
func sendPDF(w http.ResponseWriter, name string, data []byte) {
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `inline; filename="`+name+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
}
