package workspace

import (
	"net/http"

	"github.com/gpcloud/gpcloud/internal/clinical"
)

// tokenPage is one issue laid out to print (print stylesheet): a token
// for the patient, clearly not an EPS prescription nor an FP10SS.
type tokenPage struct {
	*entriesPage
	Token    clinical.Token
	Practice string
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
	if org, err := ws.read(r.Context(), "Organization", v.user.Practice); err == nil {
		p.Practice, _ = org["name"].(string)
	}
	ws.pages.Render(w, "medication-print", http.StatusOK, p)
}
