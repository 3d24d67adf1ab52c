package portal

import (
	"errors"
	"net/http"
	"net/url"
	"sync"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// The record: what clinical.RecordAccess allows this viewer of this
// patient (a summary, or nothing with the reason), read as the user
// through the service, with entries labelled NOPAT left out everywhere.
// Test results are shown once a clinician has filed them, with what the
// practice decided (clinical.PatientResults): never one waiting in the
// inbox (hazard H-1005).

type recordPage struct {
	page
	Level   string
	Why     string
	Summary clinical.Summary
	Results []clinical.PatientResult
}

func (pt *Portal) record(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &recordPage{page: pt.base(v, "Your GP health record", "Health record")}
	if v.Proxy {
		p.Title = "GP health record" // the person is named above the page, not in its title
	}
	p.Level, p.Why = clinical.RecordAccess(v.Proxy, v.user.IdentityProof, v.BirthDate, pt.opts.Now())
	if v.Proxy {
		p.Level, p.Why = clinical.ProxyRecordAccess(v.Grant, v.user.IdentityProof, v.BirthDate, pt.opts.Now())
	}
	if p.Level == clinical.RecordNone {
		pt.pages.Render(w, "record", http.StatusOK, p)
		return
	}
	// The searches run at once: the page waits for the slowest,
	// not the sum (the largest records' Observations and medicines take
	// most of it).
	var in clinical.SummaryInput
	var reports []fhir.Resource
	queries := []struct {
		typ    string
		params url.Values
		into   *[]fhir.Resource
	}{
		{"Condition", url.Values{"_count": {"100"}}, &in.Conditions},
		{"MedicationRequest", url.Values{"_count": {"100"}, "_sort": {"-authoredon"}}, &in.Medications},
		{"AllergyIntolerance", url.Values{"_count": {"100"}}, &in.Allergies},
		{"Observation", url.Values{"code": {clinical.SummaryObservationCodes()}, "_sort": {"-date"}, "_count": {"200"}}, &in.Observations},
		{"Immunization", url.Values{"_sort": {"-date"}, "_count": {"50"}}, &in.Immunizations},
		{"DiagnosticReport", url.Values{"_tag": {clinical.InboxTagSystem + "|" + clinical.InboxFiled}, "_sort": {"-issued"}, "_count": {"20"}}, &reports},
	}
	errs := make([]error, len(queries))
	var wg sync.WaitGroup
	for i, q := range queries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q.params.Set("patient", "Patient/"+v.Patient.ID)
			rs, err := pt.search(r, q.typ, q.params)
			*q.into, errs[i] = clinical.ForPatient(rs), err
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		pt.failed(w, r, v, err)
		return
	}
	p.Summary = clinical.Summarise(in, pt.opts.Now())
	var filed []clinical.Incoming
	for _, r := range reports { // NOPAT ones are already left out
		filed = append(filed, clinical.IncomingOf(r))
	}
	p.Results = clinical.PatientResults(filed, nil)
	pt.pages.Render(w, "record", http.StatusOK, p)
}
