package workspace

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
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
	m.HandleFunc("POST /workspace/patients/{id}/medication/elsewhere", ws.staff("create", ws.addElsewhere))
	m.HandleFunc("POST /workspace/patients/{id}/medication-elsewhere/{entry}", ws.staff("update", ws.endElsewhere))
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
	if s, ok := medicationSaved[r.URL.Query().Get("saved")]; ok {
		p.Saved = s
	}
	p.NamesOnly = slices.Contains(auth.NamesOnly[v.principal.Role], "MedicationRequest")
	meds, err := ws.recordEntries(r.Context(), "MedicationRequest", base.Banner.ID, url.Values{"_count": {"500"}})
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, false
	}
	p.List = clinical.MedicationListOf(meds, ws.opts.Now())
	if !p.NamesOnly {
		sts, hidden, err := ws.patientEntries(r.Context(), "MedicationStatement", base.Banner.ID, url.Values{"_count": {"200"}})
		if err != nil {
			ws.failed(w, r, v, err)
			return nil, false
		}
		p.Elsewhere, p.Sources = clinical.ElsewhereRows(sts), clinical.ElsewhereSources
		_, may := v.principal.ReachFor("MedicationStatement", auth.Create)
		p.MayRecordElsewhere = may && !hidden && v.user.Role.IsClinician()
	}
	if p.NamesOnly {
		// Repeats by name: acute and past medicines are not theirs to see.
		p.List.Acute, p.List.Past = nil, nil
	}
	_, p.Refusal = ws.prescriber(r.Context(), v)
	p.Prescriber = p.Refusal == ""
	return p, true
}

// medicationSaved are what a redirect after a prescribing action says.
var medicationSaved = map[string]string{
	"prescribed":   "Prescribed and issued. Print the prescription token from the list.",
	"authorised":   "Repeat authorised. Issue it from the list of repeats when the patient needs it.",
	"reauthorised": "Repeat reauthorised. The earlier authorisation is kept under past medicines.",
	"issued":       "Issued. Print the prescription tokens from the list of repeats.",
	"stopped":      "Stopped. It stays in the record under past medication, with your reason.",
}

// prescriber returns the user as a prescriber (their PractitionerRole),
// or why they may not
// prescribe: a GP or nurse whose PractitionerRole at the practice carries
// the prescriber capability (set by the practice admin, admin_staff*.go).
func (ws *Workspace) prescriber(ctx context.Context, v *visit) (clinical.Ref, string) {
	const refusal = "Only a prescriber can issue medicines. Your practice admin records who prescribes."
	if !v.user.Role.IsClinician() {
		return clinical.Ref{}, refusal
	}
	if _, ok := strings.CutPrefix(v.principal.FHIRUser, "Practitioner/"); !ok {
		return clinical.Ref{}, refusal
	}
	out, err := ws.opts.Service.Search(ctx, service.SearchRequest{Type: "PractitionerRole",
		Params: url.Values{"practitioner": {v.principal.FHIRUser}, "_count": {"20"}}})
	if err != nil {
		return clinical.Ref{}, refusal
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
			// and the prescriber capability, so each prescription records
			// who prescribed in which capacity.
			return clinical.Ref{Reference: "PractitionerRole/" + role.ID(), Display: ws.authorRef(ctx, v).Display}, ""
		}
	}
	return clinical.Ref{}, refusal
}

// interactions is the interaction checker: the local stand-in until a
// licensed drug database is connected behind clinical.Interactions.
func (ws *Workspace) interactions() clinical.Interactions { return clinical.LocalInteractions{} }

// safetyInput gathers what the safety checks look at: the patient's
// allergies, medicines, age and a recorded pregnancy, read as the user.
func (ws *Workspace) safetyInput(ctx context.Context, patient clinical.Banner) (clinical.SafetyInput, error) {
	in := clinical.SafetyInput{Now: ws.opts.Now()}
	var err error
	if in.Allergies, err = ws.recordEntries(ctx, "AllergyIntolerance", patient.ID, url.Values{"_count": {"200"}}); err != nil {
		return in, err
	}
	if in.Medications, err = ws.recordEntries(ctx, "MedicationRequest", patient.ID, url.Values{"_count": {"500"}}); err != nil {
		return in, err
	}
	conds, err := ws.recordEntries(ctx, "Condition", patient.ID, url.Values{"_count": {"200"}})
	if err != nil {
		return in, err
	}
	in.Pregnant, in.Conditions = clinical.IsPregnant(conds), conds
	// Medicines from elsewhere are in every check (E00102).
	sts, _, err := ws.patientEntries(ctx, "MedicationStatement", patient.ID, url.Values{"_count": {"200"}})
	if err != nil {
		return in, err
	}
	in.Medications = append(in.Medications, sts...)
	if t, err := time.Parse("02-Jan-2006", patient.BirthDate); err == nil {
		in.BirthDate = t
	}
	return in, nil
}
