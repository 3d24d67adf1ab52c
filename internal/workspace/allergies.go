package workspace

import (
	"net/http"
	"net/url"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/codes"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// allergiesPage lists allergies and intolerances (active first) and adds
// one, or "no known allergies", which the rules in clinical refuse while
// it contradicts the record.
type allergiesPage struct {
	*entriesPage
	Allergies []clinical.AllergyRow
	stored    []fhir.Resource
	// The add form.
	What                                 string // "allergy" or "none-known"
	Substance                            rxCode
	Type, Category, Reaction, Severity   string
	Certainty                            string
	Whats, Types, Categories, Severities []clinical.Choice
	Certainties                          []clinical.Choice
}

func (ws *Workspace) allergies(w http.ResponseWriter, r *http.Request, v *visit) {
	p, ok := ws.allergiesPage(w, r, v)
	if !ok {
		return
	}
	p.What, p.Type, p.Certainty = "allergy", "allergy", "confirmed"
	ws.pages.Render(w, "allergies", http.StatusOK, p)
}

func (ws *Workspace) allergiesPage(w http.ResponseWriter, r *http.Request, v *visit) (*allergiesPage, bool) {
	base, ok := ws.entriesBase(w, r, v, "Allergies", "Allergies", "AllergyIntolerance")
	if !ok {
		return nil, false
	}
	stored, err := ws.recordEntries(r.Context(), "AllergyIntolerance", base.Banner.ID, url.Values{"_count": {"200"}})
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, false
	}
	return &allergiesPage{entriesPage: base, Allergies: clinical.AllergyRows(stored), stored: stored,
		Whats: []clinical.Choice{{Key: "allergy", Label: "An allergy or intolerance"}, {Key: "none-known", Label: "No known allergies"}},
		Types: clinical.AllergyTypes, Categories: clinical.AllergyCategories, Severities: clinical.AllergySeverities,
		Certainties: clinical.AllergyCertainties}, true
}

func (ws *Workspace) addAllergy(w http.ResponseWriter, r *http.Request, v *visit) {
	p, ok := ws.allergiesPage(w, r, v)
	if !ok || !ws.samePatient(w, r, v, *p.Banner) {
		return
	}
	if !p.MayWrite {
		ws.message(w, r, v, http.StatusForbidden, "Not available to your role", "Your role cannot record allergies.")
		return
	}
	f := r.PostForm
	p.What = f.Get("none-known")
	p.Substance = ws.parseRecordCode(r.Context(), f, "substance", codes.Allergens)
	p.Type, p.Category, p.Reaction, p.Severity, p.Certainty = f.Get("type"), f.Get("category"), f.Get("reaction"), f.Get("severity"), f.Get("certainty")
	if rxFinding(f) {
		ws.pages.Render(w, "allergies", http.StatusOK, p)
		return
	}
	a := clinical.NewAllergy{NoneKnown: p.What == "none-known", Substance: p.Substance.Chosen, Type: p.Type, Category: p.Category,
		Reaction: p.Reaction, Severity: p.Severity, Certainty: p.Certainty}
	errs := a.Check(p.stored)
	if p.What != "allergy" && p.What != "none-known" {
		errs["none-known"] = "Select an allergy or no known allergies"
	}
	if len(errs) > 0 {
		fieldErrors(&p.page, errs, []string{"none-known", "substance", "type", "category", "reaction", "severity", "certainty"})
		ws.pages.Render(w, "allergies", http.StatusUnprocessableEntity, p)
		return
	}
	who := ws.entryAuthor(r.Context(), v)
	if err := ws.addEntry(r.Context(), p.Banner.ID, a.Resource(p.Banner.ID, who, ws.opts.Now()), who); err != nil {
		ws.entryFailed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/patients/"+p.Banner.ID+"/allergies?saved=added", http.StatusSeeOther)
}

// endAllergy marks an allergy (or "no known allergies") resolved.
func (ws *Workspace) endAllergy(w http.ResponseWriter, r *http.Request, v *visit) {
	patient, ok := ws.patient(w, r, v)
	if !ok || !ws.samePatient(w, r, v, patient) {
		return
	}
	if r.PostFormValue("do") != "end" {
		http.Error(w, "unknown action", http.StatusBadRequest)
		return
	}
	end := func(a fhir.Resource) (fhir.Resource, bool) { return clinical.EndAllergy(a), true }
	if err := ws.changeEntry(r.Context(), patient.ID, "AllergyIntolerance", r.PathValue("entry"), r.PostFormValue("version"), end, ws.entryAuthor(r.Context(), v), "No longer active", false); err != nil {
		ws.entryFailed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/patients/"+patient.ID+"/allergies?saved=ended", http.StatusSeeOther)
}
