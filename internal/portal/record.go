package portal

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// The record: what clinical.RecordAccessOf allows this viewer of this
// patient (the practice's level for the patient, or the GP contract's
// default; prospective access from a day; nothing with the reason), read
// as the user through the service, with entries labelled NOPAT left out
// everywhere. Each part is shown only as the scope allows: the summary
// (allergies, medicines, problems), the coded record (vaccinations,
// measurements, test results), the full record (consultation notes,
// filed documents). Test results are shown once a clinician has filed
// them, with what the practice decided (clinical.PatientResults): never
// one waiting in the inbox (hazard H-1005).

type recordPage struct {
	page
	Scope         clinical.RecordScope
	Summary       clinical.Summary
	Results       []clinical.PatientResult
	Consultations []clinical.PatientConsultation
	Documents     []clinical.PatientDocument
	// Coded and Full: the parts shown whole by level; otherwise only
	// their entries from the first day of prospective access.
	Coded, Full bool
}

// recordScope is what the viewer sees of the record in use: the
// service decides it (service.PatientAccess: the practice's decision,
// any enhanced-review entry, identity proof, a proxy's grant, by
// clinical.RecordAccessOf), and applies the same to every read the page
// makes as the user.
//
// The patient's Conditions (the summary's problems) are read here too
// and returned, for the page to show what the scope allows, so that the
// page does not search them twice.
func (pt *Portal) recordScope(r *http.Request, v *visit) (clinical.RecordScope, []fhir.Resource, error) {
	access, err := pt.opts.Service.PatientAccess(r.Context(), v.Patient.ID)
	if err != nil {
		return clinical.RecordScope{}, nil, err
	}
	scope := access.Record
	if scope.None() {
		// Nothing read: the audit trail (and "who has viewed") must not
		// show them reading it.
		return scope, nil, nil
	}
	conds, err := pt.search(r, "Condition", url.Values{"patient": {"Patient/" + v.Patient.ID}, "_count": {"500"}})
	return scope, conds, err
}

// searchAll runs the searches of the record in use at once, as the user:
// a page waits for the slowest, not the sum (the largest records'
// Observations and medicines take most of it). keep, when given, filters
// each search's results by its part.
func (pt *Portal) searchAll(r *http.Request, v *visit, queries []recordQuery, keep func(part string, rs []fhir.Resource) []fhir.Resource) error {
	errs := make([]error, len(queries))
	var wg sync.WaitGroup
	for i, q := range queries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q.params.Set("patient", "Patient/"+v.Patient.ID)
			rs, err := pt.search(r, q.typ, q.params)
			if keep != nil {
				rs = keep(q.part, rs)
			}
			*q.into, errs[i] = rs, err
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// recordQuery is one search of the record page, into the part it shows.
type recordQuery struct {
	typ    string
	params url.Values
	into   *[]fhir.Resource
	part   string
	// byDate: when the part is not shown whole, the search itself asks
	// for entries from the first day of prospective access (its "date"
	// is the date the page shows); the others are filtered once read.
	byDate bool
}

func (pt *Portal) record(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &recordPage{page: pt.base(v, "Your GP health record", "Health record")}
	if v.Proxy {
		p.Title = "GP health record" // the person is named above the page, not in its title
	}
	scope, conds, err := pt.recordScope(r, v)
	if err != nil {
		pt.failed(w, r, v, err)
		return
	}
	p.Scope = scope
	if scope.None() {
		pt.pages.Render(w, "record", http.StatusOK, p)
		return
	}
	p.Coded, p.Full = scope.Whole(clinical.PartCoded), scope.Whole(clinical.PartFull)
	var in clinical.SummaryInput
	var reports, encs, docs []fhir.Resource
	queries := []recordQuery{
		{"MedicationRequest", url.Values{"_count": {"100"}, "_sort": {"-authoredon"}}, &in.Medications, clinical.PartSummary, false},
		{"AllergyIntolerance", url.Values{"_count": {"100"}}, &in.Allergies, clinical.PartSummary, false},
		{"Observation", url.Values{"code": {clinical.SummaryObservationCodes()}, "_sort": {"-date"}, "_count": {"200"}}, &in.Observations, clinical.PartCoded, true},
		{"Immunization", url.Values{"_sort": {"-date"}, "_count": {"50"}}, &in.Immunizations, clinical.PartCoded, true},
		{"DiagnosticReport", url.Values{"_tag": {clinical.InboxTagSystem + "|" + clinical.InboxFiled}, "_sort": {"-issued"}, "_count": {"20"}}, &reports, clinical.PartCoded, false},
		{"Encounter", url.Values{"_sort": {"-date"}, "_count": {"20"}}, &encs, clinical.PartFull, true},
		{"DocumentReference", url.Values{"_tag": {clinical.InboxTagSystem + "|" + clinical.InboxFiled}, "_sort": {"-date"}, "_count": {"20"}}, &docs, clinical.PartFull, true},
	}
	// A part not shown whole is read only from the first day of
	// prospective access, or not at all: most of a long record is older.
	queries = slices.DeleteFunc(queries, func(q recordQuery) bool { return !scope.Whole(q.part) && scope.From.IsZero() })
	for _, q := range queries {
		if !scope.Whole(q.part) && q.byDate {
			q.params.Set("date", "ge"+scope.From.In(clinical.UKTime).Format("2006-01-02"))
		}
	}
	if err := pt.searchAll(r, v, queries, func(part string, rs []fhir.Resource) []fhir.Resource {
		return scope.ShownEntries(part, clinical.ForPatient(rs))
	}); err != nil {
		pt.failed(w, r, v, err)
		return
	}
	in.Conditions = scope.ShownEntries(clinical.PartSummary, clinical.ForPatient(conds))
	p.Summary = clinical.Summarise(in, pt.opts.Now())
	var filed []clinical.Incoming
	for _, r := range reports { // NOPAT ones are already left out
		filed = append(filed, clinical.IncomingOf(r))
	}
	p.Results = clinical.PatientResults(filed, nil)
	if len(encs) > 0 {
		if p.Consultations, err = pt.consultations(r, v, scope, encs, conds); err != nil {
			pt.failed(w, r, v, err)
			return
		}
	}
	p.Documents = clinical.PatientDocuments(scope, docs)
	pt.pages.Render(w, "record", http.StatusOK, p)
}

// consultations reads what the shown Encounters' consultations are made
// of (their Compositions and the entries written in them), as the user;
// conds are the patient's Conditions recordScope read, not searched again.
func (pt *Portal) consultations(r *http.Request, v *visit, scope clinical.RecordScope, encs, conds []fhir.Resource) ([]clinical.PatientConsultation, error) {
	var refs []string
	for _, e := range encs {
		refs = append(refs, "Encounter/"+e.ID())
	}
	params := func() url.Values {
		return url.Values{"encounter": {strings.Join(refs, ",")}, "_count": {"500"}}
	}
	var comps, obs []fhir.Resource
	if err := pt.searchAll(r, v, []recordQuery{
		{typ: "Composition", params: params(), into: &comps},
		{typ: "Observation", params: params(), into: &obs},
	}, nil); err != nil {
		return nil, err
	}
	return clinical.PatientConsultations(scope, encs, comps, append(obs, conds...)), nil
}
