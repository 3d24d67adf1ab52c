package workspace

import (
	"net/http"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// retractEntryPage marks a problem, allergy, immunisation, alert or a
// medicine given in the practice as
// entered in error: never deleted, struck through where it is listed,
// with the user's reason in a Provenance (NULLIFY).
type retractEntryPage struct {
	page
	Type, ID, Version, Text, Back, Reason string
}

// retractable are the types this page retracts, with their section.
var retractable = map[string]struct{ tab, path string }{
	"Condition":          {"Problems", "/problems"},
	"AllergyIntolerance": {"Allergies", "/allergies"},
	"Immunization":       {"Immunisations", "/immunisations"},
	"Flag":               {"Alerts", "/alerts"},
	// A medicine given in the practice (medication_administer.go).
	"MedicationAdministration": {"Medication", "/medication"},
}

func (ws *Workspace) retractEntryForm(w http.ResponseWriter, r *http.Request, v *visit) {
	ws.retractEntryStep(w, r, v, false)
}

func (ws *Workspace) retractEntry(w http.ResponseWriter, r *http.Request, v *visit) {
	ws.retractEntryStep(w, r, v, true)
}

func (ws *Workspace) retractEntryStep(w http.ResponseWriter, r *http.Request, v *visit, post bool) {
	typ := r.PathValue("type")
	section, ok := retractable[typ]
	if !ok {
		ws.message(w, r, v, http.StatusNotFound, "Record not found", "There is no such record, or it is not one you can open.")
		return
	}
	patient, ok := ws.patient(w, r, v)
	if !ok {
		return
	}
	if _, may := v.principal.ReachFor(typ, auth.Update); !may {
		ws.message(w, r, v, http.StatusForbidden, "Not available to your role", "Your role cannot change this part of the record.")
		return
	}
	res, err := ws.read(r.Context(), typ, r.PathValue("entry"))
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	if !entryBelongsTo(res, patient.ID) {
		ws.entryFailed(w, r, v, errWrongPatient)
		return
	}
	p := &retractEntryPage{page: ws.recordBase(v, "Mark as entered in error", section.tab, &patient), Type: typ, ID: res.ID(),
		Version: versionOf(res), Text: entryText(res), Back: "/workspace/patients/" + patient.ID + section.path}
	if !post {
		ws.pages.Render(w, "retract-entry", http.StatusOK, p)
		return
	}
	if !ws.samePatient(w, r, v, patient) {
		return
	}
	p.Reason, p.Version = r.PostFormValue("reason"), r.PostFormValue("version")
	if msg := clinical.CheckRetractReason(p.Reason); msg != "" {
		p.AddError("reason", msg)
		ws.pages.Render(w, "retract-entry", http.StatusUnprocessableEntity, p)
		return
	}
	if err := ws.changeEntry(r.Context(), patient.ID, typ, p.ID, p.Version, clinical.RetractEntry, ws.entryAuthor(r.Context(), v), p.Reason, true); err != nil {
		ws.entryFailed(w, r, v, err)
		return
	}
	http.Redirect(w, r, p.Back+"?saved=error", http.StatusSeeOther)
}

// entryText names an entry on the page.
func entryText(res fhir.Resource) string {
	for _, k := range []string{"code", "vaccineCode", "medicationCodeableConcept"} {
		if c, ok := res[k].(map[string]any); ok {
			if t, _ := c["text"].(string); t != "" {
				return t
			}
			for _, cd := range entryCodings(c["coding"]) {
				if d, _ := cd["display"].(string); d != "" {
					return d
				}
			}
		}
	}
	return res.Type()
}

func entryCodings(v any) []map[string]any {
	l, _ := v.([]any)
	var out []map[string]any
	for _, x := range l {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}
