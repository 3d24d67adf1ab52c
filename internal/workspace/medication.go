package workspace

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/eps"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// The Medication tab (this file), prescribing with its safety warnings
// (medication_prescribe.go), issuing repeats (medication_issue.go),
// stopping a medicine (medication_stop.go) and the printed token
// (medication_print.go). The rules, the FHIR shapes and the checks live
// in clinical (prescribing.go, safety.go, medicines.go).

// medicationPage is the Medication tab: current acutes, repeats with the
// issues left and their review dates, and the past.
type medicationPage struct {
	*entriesPage
	List clinical.MedicationList
	// NamesOnly: the user's role reads repeat names only (a receptionist).
	NamesOnly bool
	// Prescriber: the user may issue; Refusal says why not.
	Prescriber bool
	Refusal    string
	Notice     string
	// MayPrepare: a clinician who is not a prescriber may prepare a
	// prescription; Prepared are those waiting for a prescriber.
	MayPrepare bool
	Prepared   []clinical.PreparedRow
	// EPSNotice says that prescriptions are not sent to pharmacies while
	// EPS is not connected.
	EPSNotice string
	// The issue form shown again: the repeats selected, the warnings an
	// issue raises, their digest and the override reason.
	Selected      map[string]bool
	IssueWarnings []clinical.Warning
	Seen, Reason  string
	// Medicines from elsewhere, and the form recording one.
	Elsewhere             []clinical.ElsewhereRow
	MayRecordElsewhere    bool
	ElsewhereCode         rxCode
	ElsewhereDose, Source string
	Sources               []clinical.Choice
	// Review is the last medication review and whether the user may
	// record one (medication_review.go).
	Review reviewSummary
	// Given are the medicines given in the practice in the last 12
	// months; MayAdminister: the user may record one
	// (medication_administer.go).
	Given         []clinical.AdministrationRow
	MayAdminister bool
	// meds and statements are what the page read, for the checks of an
	// issue made from it (read once).
	meds, statements []fhir.Resource
}

// medicationRoutes lists the medication pages, one handler per task.
func (ws *Workspace) medicationRoutes() {
	m := ws.mux
	m.HandleFunc("GET /workspace/patients/{id}/medication", ws.staff("search-type", ws.medication))
	m.HandleFunc("GET /workspace/patients/{id}/medication/new", ws.staff("read", ws.prescribeForm))
	m.HandleFunc("POST /workspace/patients/{id}/medication/new", ws.staff("transaction", ws.prescribe))
	m.HandleFunc("POST /workspace/patients/{id}/medication/issue", ws.staff("transaction", ws.issueRepeats))
	m.HandleFunc("GET /workspace/patients/{id}/medication/{med}/stop", ws.staff("read", ws.stopForm))
	m.HandleFunc("POST /workspace/patients/{id}/medication/{med}/stop", ws.staff("update", ws.stopMedication))
	m.HandleFunc("GET /workspace/patients/{id}/medication/issues/{issue}/print", ws.staff("read", ws.printToken))
	m.HandleFunc("POST /workspace/patients/{id}/medication/issues/{issue}/cancel", ws.staff("update", ws.cancelIssue))
	m.HandleFunc("GET /workspace/patients/{id}/medication/issues/{issue}/fp10ss", ws.staff("read", ws.printFP10))
	m.HandleFunc("GET /workspace/fp10ss-alignment", ws.staff("read", ws.printFP10Alignment))
	m.HandleFunc("POST /workspace/patients/{id}/medication/elsewhere", ws.staff("create", ws.addElsewhere))
	m.HandleFunc("POST /workspace/patients/{id}/medication-elsewhere/{entry}", ws.staff("update", ws.endElsewhere))
	ws.doseAndReviewRoutes()
	ws.administerRoutes()
}

func (ws *Workspace) medication(w http.ResponseWriter, r *http.Request, v *visit) {
	p, ok := ws.medicationPage(w, r, v)
	if !ok {
		return
	}
	ws.pages.Render(w, "medication", http.StatusOK, p)
}

func (ws *Workspace) medicationPage(w http.ResponseWriter, r *http.Request, v *visit) (*medicationPage, bool) {
	base, ok := ws.entriesBase(w, r, v, "Medication", "Medication", "MedicationRequest")
	if !ok {
		return nil, false
	}
	p := &medicationPage{entriesPage: base, Notice: clinical.InteractionsNotice}
	if !ws.eps().Connected() {
		p.EPSNotice = eps.Notice
	}
	if s, ok := medicationSaved[r.URL.Query().Get("saved")]; ok {
		p.Saved = s
	}
	p.NamesOnly = slices.Contains(auth.NamesOnly[v.principal.Role], "MedicationRequest")
	meds, _, err := ws.allMedicationEntries(r.Context(), "MedicationRequest", base.Banner.ID)
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, false
	}
	p.List, p.meds = clinical.MedicationListOf(meds, ws.opts.Now()), meds
	if !p.NamesOnly {
		sts, hidden, err := ws.allMedicationEntries(r.Context(), "MedicationStatement", base.Banner.ID)
		if err != nil {
			ws.failed(w, r, v, err)
			return nil, false
		}
		p.Elsewhere, p.Sources, p.statements = clinical.ElsewhereRows(sts), clinical.ElsewhereSources, sts
		_, may := v.principal.ReachFor("MedicationStatement", auth.Create)
		p.MayRecordElsewhere = may && !hidden && v.user.Role.IsClinician()
		given, hidden, err := ws.givenEntries(r, base.Banner.ID)
		if err != nil {
			ws.failed(w, r, v, err)
			return nil, false
		}
		p.Given, p.MayAdminister = clinical.AdministrationRows(given, ws.opts.Now()), !hidden && mayAdminister(v)
	}
	if p.NamesOnly {
		// Repeats by name: acute and past medicines are not theirs to see.
		p.List.Acute, p.List.Past = nil, nil
	}
	_, p.Refusal = ws.prescriber(r.Context(), v)
	p.Prescriber = p.Refusal == ""
	p.MayPrepare = !p.Prescriber && v.user.Role.IsClinician() && base.MayWrite && !p.NamesOnly
	if !p.NamesOnly {
		p.Prepared = clinical.PreparedRows(meds)
	}
	if !p.NamesOnly {
		if p.Review, err = ws.reviewSummary(r.Context(), v, base.Banner.ID, p.Prescriber); err != nil {
			ws.failed(w, r, v, err)
			return nil, false
		}
	}
	return p, true
}

// medicationSaved are what a redirect after a prescribing action says.
var medicationSaved = map[string]string{
	"prescribed":   "Prescribed and issued. Print the prescription token from the list.",
	"authorised":   "Repeat authorised. Issue it from the list of repeats when the patient needs it.",
	"reauthorised": "Repeat reauthorised. The earlier authorisation is kept under past medicines.",
	"prepared":     "Prepared. A prescriber checks it and authorises it from this tab: it is not a prescription until then.",
	"issued":       "Issued. Print the prescription tokens from the list of repeats.",
	"stopped":      "Stopped. It stays in the record under past medication, with your reason.",
	"dose":         "Dose changed. The next issue carries the new dose; issues already made keep theirs.",
	"reviewed":     "Medication review recorded. The review date of the repeats reviewed is moved.",
	"requested":    "Repeat request recorded. It is in the prescriptions queue for a prescriber.",
	"given":        "Recorded as given in the practice. It is listed under Given in the practice and counted in the safety checks.",
}

// prescriber returns the user as a prescriber (their PractitionerRole,
// type and registration), or why they may not prescribe: a clinician
// whose PractitionerRole at the practice carries the prescriber
// capability (set by the practice admin, admin_staff*.go).
func (ws *Workspace) prescriber(ctx context.Context, v *visit) (clinical.Prescriber, string) {
	const refusal = "Only a prescriber can issue medicines. Your practice admin records who prescribes."
	if !v.user.Role.IsClinician() {
		return clinical.Prescriber{}, refusal
	}
	id, ok := strings.CutPrefix(v.principal.FHIRUser, "Practitioner/")
	if !ok {
		return clinical.Prescriber{}, refusal
	}
	out, err := ws.opts.Service.Search(ctx, service.SearchRequest{Type: "PractitionerRole",
		Params: url.Values{"practitioner": {v.principal.FHIRUser}, "_count": {"20"}}})
	if err != nil {
		return clinical.Prescriber{}, refusal
	}
	for _, role := range searchMatches(out.Resource) {
		if active, ok := role["active"].(bool); ok && !active {
			continue
		}
		if org, _ := role["organization"].(map[string]any); org != nil && v.user.Practice != "" && org["reference"] != "Organization/"+v.user.Practice {
			continue
		}
		if clinical.IsPrescriber(role) {
			// The prescriber as their PractitionerRole (as EPS has it): the
			// role carries their registration's practitioner, the practice
			// and the prescriber capability and type, so each prescription
			// records who prescribed in which capacity.
			p := clinical.Prescriber{Ref: clinical.Ref{Reference: "PractitionerRole/" + role.ID(), Display: ws.authorRef(ctx, v).Display}}
			register := ""
			if prac, err := ws.read(ctx, "Practitioner", id); err == nil {
				var number string
				register, number = clinical.RegistrationOf(prac)
				if reg, ok := clinical.RegisterOf(register); ok {
					p.CodeSystem, p.Code = reg.System, number
				}
			}
			p.Type, _ = clinical.PrescriberTypeOf(clinical.PrescriberTypeOfRole(role, register))
			return p, ""
		}
	}
	return clinical.Prescriber{}, refusal
}

// interactions is the interaction checker: the local stand-in until a
// licensed drug database is connected behind clinical.Interactions.
func (ws *Workspace) interactions() clinical.Interactions { return clinical.LocalInteractions{} }

// safetyInput gathers what the safety checks look at: the patient's
// allergies, current medicines, age and a recorded pregnancy, read as the
// user.
func (ws *Workspace) safetyInput(ctx context.Context, patient clinical.Banner) (clinical.SafetyInput, error) {
	meds, sts, err := ws.currentMedication(ctx, patient.ID)
	if err != nil {
		return clinical.SafetyInput{}, err
	}
	return ws.safetyInputWith(ctx, patient, meds, sts)
}

// currentMedication reads what the checks compare a medicine with, and
// no more: the active authorisations (repeats), the completed ones of the
// last year (acutes of the last three months, repeat-dispensing batches
// still being dispensed: clinical.SafetyChecks picks the current), the
// active medicines from elsewhere, and the doses given in the practice
// that still act (a depot: clinical.AdministrationEffectDays), returned
// with the medicines from elsewhere.
// A patient's history of issues, years of them, is not read: the
// checks of an issue that need its last issue read it from the
// authorisation (clinical.LastIssueOf).
func (ws *Workspace) currentMedication(ctx context.Context, patientID string) (meds, sts []fhir.Resource, err error) {
	since := ws.opts.Now().AddDate(-1, 0, -1).In(clinical.London).Format("2006-01-02")
	active, _, err := ws.medicationEntries(ctx, "MedicationRequest", patientID, url.Values{"intent": {"plan"}, "status": {"active"}})
	if err != nil {
		return nil, nil, err
	}
	recent, _, err := ws.medicationEntries(ctx, "MedicationRequest", patientID, url.Values{"intent": {"plan"}, "status": {"completed"}, "authoredon": {"ge" + since}})
	if err != nil {
		return nil, nil, err
	}
	sts, _, err = ws.medicationEntries(ctx, "MedicationStatement", patientID, url.Values{"status": {"active"}})
	if err != nil {
		return nil, nil, err
	}
	acting := ws.opts.Now().AddDate(0, 0, -clinical.AdministrationEffectDays-1).In(clinical.London).Format("2006-01-02")
	given, _, err := ws.medicationEntries(ctx, "MedicationAdministration", patientID, url.Values{"status": {"completed"}, "effective-time": {"ge" + acting}})
	if err != nil {
		return nil, nil, err
	}
	return append(active, recent...), append(sts, given...), nil
}

// safetyInputWith is safetyInput with the patient's MedicationRequests
// and MedicationStatements already read.
func (ws *Workspace) safetyInputWith(ctx context.Context, patient clinical.Banner, meds, sts []fhir.Resource) (clinical.SafetyInput, error) {
	in := clinical.SafetyInput{Now: ws.opts.Now(), Medications: append(slices.Clone(meds), sts...)}
	var err error
	if in.Allergies, err = ws.recordEntries(ctx, "AllergyIntolerance", patient.ID, url.Values{"_count": {"200"}}); err != nil {
		return in, err
	}
	conds, err := ws.recordEntries(ctx, "Condition", patient.ID, url.Values{"_count": {"200"}})
	if err != nil {
		return in, err
	}
	in.Pregnant, in.Conditions = clinical.IsPregnant(conds), conds
	if in.Known, err = ws.knownMedicines(ctx, in.Medications); err != nil {
		return in, err
	}
	// Medicines from elsewhere (sts) are in every check (E00102).
	if t, err := time.Parse("02-Jan-2006", patient.BirthDate); err == nil {
		in.BirthDate = t
	}
	return in, nil
}

// readMonitoringResults fills in.Results with the patient's results of
// the last two years (the newest 200), read only when one of the
// medicines is a high-risk drug whose tests the monitoring warning reads
// (clinical.MonitoringTestsOf): the checks of every other prescription
// read nothing more. It marks them read (ResultsRead), without which the
// warning names the tests only. Results are found by name as well as by
// LOINC (a laboratory's may carry a local code), so the search is not
// narrowed by code. A role that may not read Observations gets none, and
// the warning says no result is recorded: it is raised, never lowered,
// by what cannot be read.
func (ws *Workspace) readMonitoringResults(ctx context.Context, in *clinical.SafetyInput, patientID string, ms ...clinical.Medicine) error {
	in.ResultsRead = true
	if len(clinical.MonitoringTestsOf(ws.interactions(), ms...)) == 0 {
		return nil
	}
	since := ws.opts.Now().AddDate(-2, 0, 0).In(clinical.London).Format("2006-01-02")
	res, err := ws.opts.Service.Search(ctx, service.SearchRequest{Type: "Observation", Params: url.Values{
		"patient": {patientID}, "date": {"ge" + since}, "_sort": {"-date"}, "_count": {"200"}}})
	var fe *fhir.Error
	if errors.As(err, &fe) && fe.Status == http.StatusForbidden {
		return nil
	}
	if err != nil {
		return err
	}
	in.Results = searchMatches(res.Resource)
	return nil
}

// allMedicationEntries reads every one of the patient's resources of a
// type as the user, following the search's pages: a patient with years
// of issues has more than one page, and a medicine left off the last
// page would be missing from the list and from the safety checks.
// hidden is true (and no error) when the role may not read the type.
func (ws *Workspace) allMedicationEntries(ctx context.Context, typ, patientID string) ([]fhir.Resource, bool, error) {
	return ws.medicationEntries(ctx, typ, patientID, nil)
}

// medicationEntries is allMedicationEntries narrowed by more search
// parameters (status, intent, date).
func (ws *Workspace) medicationEntries(ctx context.Context, typ, patientID string, more url.Values) ([]fhir.Resource, bool, error) {
	params := url.Values{"patient": {patientID}, "_count": {"500"}}
	for k, v := range more {
		params[k] = v
	}
	out, err := ws.opts.Service.SearchAll(ctx, service.SearchRequest{Type: typ, Params: params}, 100)
	var fe *fhir.Error
	if errors.As(err, &fe) && fe.Status == http.StatusForbidden {
		return nil, true, nil
	}
	return out, false, err
}
