package workspace

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// The patient's GP Connect sharing choice (CLINICAL.md GP Connect 2):
// a receptionist or clinician records that the patient does not want
// their record shared through GP Connect, or withdraws that dissent
// (clinical/sharing_choice.go). The GP Connect provider answers
// NO_PATIENT_CONSENT for their record while the dissent stands. Each
// change is a new version of the one Consent, written If-Match the
// version the form was shown with.

type sharingPage struct {
	page
	Choice    clinical.SharingChoice
	Choices   []clinical.Choice
	Form      clinical.SharingChange
	Version   string
	MayChange bool
}

// sharingChoice reads the patient's sharing-choice Consents as the user.
func (ws *Workspace) sharingChoice(r *http.Request, patientID string) (clinical.SharingChoice, map[string]fhir.Resource, error) {
	out, err := ws.opts.Service.Search(r.Context(), service.SearchRequest{Type: "Consent", Params: url.Values{
		"patient": {"Patient/" + patientID}, "category": {clinical.SharingChoiceSystem + "|" + clinical.SharingGPConnect}, "_count": {"100"}}})
	if err != nil {
		return clinical.SharingChoice{}, nil, err
	}
	consents := searchMatches(out.Resource)
	byID := map[string]fhir.Resource{}
	for _, c := range consents {
		byID[c.ID()] = c
	}
	return clinical.SharingChoiceOf(consents, ws.opts.Now()), byID, nil
}

// maySetSharing: the desk and clinicians, whoever may write Consents.
func maySetSharing(p *auth.Principal) bool {
	_, create := p.ReachFor("Consent", auth.Create)
	_, update := p.ReachFor("Consent", auth.Update)
	return create && update
}

func (ws *Workspace) sharingPageFor(w http.ResponseWriter, r *http.Request, v *visit) (*sharingPage, map[string]fhir.Resource, bool) {
	banner, _, ok := ws.patientResource(w, r, v)
	if !ok {
		return nil, nil, false
	}
	choice, consents, err := ws.sharingChoice(r, banner.ID)
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, nil, false
	}
	p := &sharingPage{page: ws.recordBase(v, "GP Connect sharing", "Registration", &banner), Choice: choice,
		Choices: clinical.SharingChoices, Version: choice.Version, MayChange: maySetSharing(v.principal)}
	return p, consents, true
}

// sharingForm: GET /workspace/patients/{id}/registration/sharing.
func (ws *Workspace) sharingForm(w http.ResponseWriter, r *http.Request, v *visit) {
	p, _, ok := ws.sharingPageFor(w, r, v)
	if !ok {
		return
	}
	ws.pages.Render(w, "sharing", http.StatusOK, p)
}

// saveSharing records the choice: an error summary and nothing written
// for a missing or unchanged answer; a conflict when someone changed the
// choice since the form was shown.
func (ws *Workspace) saveSharing(w http.ResponseWriter, r *http.Request, v *visit) {
	p, consents, ok := ws.sharingPageFor(w, r, v)
	if !ok || !ws.samePatient(w, r, v, *p.Banner) {
		return
	}
	if !p.MayChange {
		ws.message(w, r, v, http.StatusForbidden, "Not available to your role", "Your role cannot record sharing choices.")
		return
	}
	p.Form = clinical.SharingChange{Choice: r.PostFormValue("choice"), Note: r.PostFormValue("note")}
	if r.PostFormValue("version") != p.Choice.Version {
		p.AddError("choice", "Someone else changed this patient's sharing choice while you were working, so nothing was saved. The page now shows it as it is: choose again.")
		ws.pages.Render(w, "sharing", http.StatusConflict, p)
		return
	}
	if errs := p.Form.Check(p.Choice); len(errs) > 0 {
		fieldErrors(&p.page, errs, []string{"choice", "note"})
		ws.pages.Render(w, "sharing", http.StatusUnprocessableEntity, p)
		return
	}
	recorder := clinical.Ref{Reference: v.user.FHIRUser, Display: v.user.Name}
	existing := consents[p.Choice.ID]
	res := p.Form.Resource(existing, p.Banner.ID, v.user.Practice, recorder, ws.opts.Now())
	var err error
	if existing == nil {
		_, err = ws.opts.Service.Create(r.Context(), "Consent", res, "")
	} else {
		version, _ := strconv.ParseInt(p.Choice.Version, 10, 64)
		_, err = ws.opts.Service.Update(r.Context(), "Consent", existing.ID(), res, service.Precondition{Set: true, Version: version})
	}
	if isConflict(err) {
		p.AddError("choice", "Someone else changed this patient's sharing choice while you were working, so nothing was saved. Open the page again to see it, then choose again.")
		ws.pages.Render(w, "sharing", http.StatusConflict, p)
		return
	}
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/patients/"+p.Banner.ID+"/registration?done=sharing", http.StatusSeeOther)
}
