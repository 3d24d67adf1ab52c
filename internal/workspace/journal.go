package workspace

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// journalPage is the journal: every consultation, newest first, filtered
// by clinician, type, problem and date (the filters are ids and dates in
// the URL, never clinical text).
type journalPage struct {
	page
	Consultations            []clinical.ConsultationView
	Clinician, Type, Problem string
	From, To                 string
	Clinicians, Problems     []option
	Types                    []clinical.ConsultationType
	MayConsult               bool
	// MayCall offers an ad hoc video call (video.go).
	MayCall bool
	// Saved is set after a save or a change, for the notice.
	Saved string
	// GivenIn is the consultation a medicine given in the practice may
	// be recorded in (its Encounter id; medication_administer.go), ""
	// when the user may not record one.
	GivenIn string
}

// journalSize is how many consultations the journal lists; a filter
// finds older ones.
const journalSize = 50

func (ws *Workspace) journal(w http.ResponseWriter, r *http.Request, v *visit) {
	patient, ok := ws.patient(w, r, v)
	if !ok {
		return
	}
	q := r.URL.Query()
	p := &journalPage{page: ws.recordBase(v, "Consultations", "Consultations", &patient),
		Clinician: q.Get("clinician"), Type: q.Get("type"), Problem: q.Get("problem"), From: q.Get("from"), To: q.Get("to"),
		Types: clinical.ConsultationTypes, MayConsult: mayConsult(v.principal)}
	p.MayCall = p.MayConsult && ws.opts.Video != nil && strings.HasPrefix(v.principal.FHIRUser, "Practitioner/")
	params := url.Values{"patient": {patient.ID}, "_sort": {"-date"}, "_count": {"50"}}
	if isID(p.Clinician) {
		params.Set("participant", "Practitioner/"+p.Clinician)
	}
	if t, ok := clinical.ConsultationTypeOf(p.Type); ok {
		params.Set("type", clinical.SNOMED+"|"+t.Code)
	}
	if isID(p.Problem) {
		params.Set("diagnosis", "Condition/"+p.Problem)
	}
	// Dates are typed as staff write them (15/03/2025); one that is not a
	// real date is an error on the page, never silently ignored, which
	// would show more consultations than the filter says.
	now := time.Now()
	if p.From != "" {
		if d, ok := clinical.ParseDate(p.From, now); ok {
			params.Add("date", "ge"+d)
		} else {
			p.AddError("from", "From must be a real date in the past, like 15/03/2025")
		}
	}
	if p.To != "" {
		if d, ok := clinical.ParseDate(p.To, now); ok {
			params.Add("date", "le"+d)
		} else {
			p.AddError("to", "To must be a real date in the past, like 15/03/2025")
		}
	}
	// The Encounters first: a role that may not read them (reception)
	// is refused here, before any content is read.
	out, err := ws.opts.Service.Search(r.Context(), service.SearchRequest{Type: "Encounter", Params: params})
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	// A video call's own record is left out where the clinician wrote
	// the consultation of its appointment (the consultation shows once).
	views, problems, err := ws.consultations(r.Context(), patient.ID, clinical.WithoutCoveredCalls(searchMatches(out.Resource)))
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	p.Consultations = views
	for _, cond := range problems {
		if !clinical.EnteredInError(cond) {
			p.Problems = append(p.Problems, option{cond.ID(), clinical.ProblemLabel(cond)})
		}
	}
	var cp consultPage
	if err := ws.consultChoices(r.Context(), v, &cp, patient.ID); err != nil {
		ws.failed(w, r, v, err)
		return
	}
	for _, c := range cp.Clinicians {
		p.Clinicians = append(p.Clinicians, option{strings.TrimPrefix(c.Value, "Practitioner/"), c.Label})
	}
	ws.pages.Render(w, "journal", http.StatusOK, p)
}

// consultations reads what the Encounters' consultations are made of
// (their Compositions, the entries they list, the patient's problems and
// the changes made) and builds their views, newest first. Each search runs
// as the user.
func (ws *Workspace) consultations(ctx context.Context, patientID string, encs []fhir.Resource) ([]clinical.ConsultationView, []fhir.Resource, error) {
	search := func(typ string, params url.Values) ([]fhir.Resource, error) {
		params.Set("patient", patientID)
		out, err := ws.opts.Service.Search(ctx, service.SearchRequest{Type: typ, Params: params})
		if err != nil {
			return nil, err
		}
		return searchMatches(out.Resource), nil
	}
	problems, err := search("Condition", url.Values{"_count": {"500"}})
	if err != nil {
		return nil, nil, err
	}
	if len(encs) == 0 {
		return nil, problems, nil
	}
	var refs []string
	for _, e := range encs {
		refs = append(refs, "Encounter/"+e.ID())
	}
	encParam := strings.Join(refs, ",")
	comps, err := search("Composition", url.Values{"encounter": {encParam}, "_count": {"100"}})
	if err != nil {
		return nil, nil, err
	}
	obs, err := search("Observation", url.Values{"encounter": {encParam}, "_count": {"1000"}})
	if err != nil {
		return nil, nil, err
	}
	provs, err := search("Provenance", url.Values{"_count": {"1000"}})
	if err != nil {
		return nil, nil, err
	}
	byRef := map[string]fhir.Resource{}
	for _, list := range [][]fhir.Resource{problems, obs} {
		for _, res := range list {
			byRef[res.Type()+"/"+res.ID()] = res
		}
	}
	compOf := map[string]fhir.Resource{}
	for _, c := range comps {
		enc, _ := c["encounter"].(map[string]any)
		ref, _ := enc["reference"].(string)
		compOf[ref] = c
	}
	changes := clinical.Changes(provs)
	var views []clinical.ConsultationView
	for _, e := range encs {
		views = append(views, clinical.ViewConsultation(e, compOf["Encounter/"+e.ID()], byRef, changes))
	}
	clinical.SortJournal(views)
	return views, problems, nil
}

// viewConsultation shows one consultation, with what can be done to it.
func (ws *Workspace) viewConsultation(w http.ResponseWriter, r *http.Request, v *visit) {
	patient, ok := ws.patient(w, r, v)
	if !ok {
		return
	}
	enc, err := ws.encounterOf(r.Context(), patient.ID, r.PathValue("enc"))
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	views, _, err := ws.consultations(r.Context(), patient.ID, []fhir.Resource{enc})
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	p := &journalPage{page: ws.recordBase(v, "Consultation", "Consultations", &patient), Consultations: views,
		MayConsult: mayConsult(v.principal), Saved: r.URL.Query().Get("saved")}
	if mayAdminister(v) {
		p.GivenIn = enc.ID()
	}
	ws.pages.Render(w, "consultation-view", http.StatusOK, p)
}

// encounterOf reads a consultation's Encounter as the user, refusing one
// of another patient (a 404, as for what is not there).
func (ws *Workspace) encounterOf(ctx context.Context, patientID, id string) (fhir.Resource, error) {
	enc, err := ws.read(ctx, "Encounter", id)
	if err != nil {
		return nil, err
	}
	subj, _ := enc["subject"].(map[string]any)
	if subj["reference"] != "Patient/"+patientID {
		return nil, fhir.Errorf(http.StatusNotFound, fhir.CodeNotFound, "no such consultation")
	}
	return enc, nil
}

func isID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}
