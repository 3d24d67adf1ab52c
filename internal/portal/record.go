package portal

import (
	"net/http"
	"net/url"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// The record: what clinical.RecordAccess allows this viewer of this
// patient (a summary, or nothing with the reason), read as the user
// through the service, with entries labelled NOPAT left out everywhere.
// Test results are not shown: a result must be filed by a clinician
// before a patient sees it, and gpcloud does not yet record filing, so
// showing results would show unfiled ones (hazard H-1005).

type recordPage struct {
	page
	Level   string
	Why     string
	Summary clinical.Summary
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
	read := func(typ string, params url.Values) ([]fhir.Resource, error) {
		params.Set("patient", "Patient/"+v.Patient.ID)
		rs, err := pt.search(r, typ, params)
		return clinical.ForPatient(rs), err
	}
	var in clinical.SummaryInput
	var err error
	if in.Conditions, err = read("Condition", url.Values{"_count": {"100"}}); err != nil {
		pt.failed(w, r, v, err)
		return
	}
	if in.Medications, err = read("MedicationRequest", url.Values{"_count": {"100"}, "_sort": {"-authoredon"}}); err != nil {
		pt.failed(w, r, v, err)
		return
	}
	if in.Allergies, err = read("AllergyIntolerance", url.Values{"_count": {"100"}}); err != nil {
		pt.failed(w, r, v, err)
		return
	}
	if in.Observations, err = read("Observation", url.Values{"code": {clinical.SummaryObservationCodes()}, "_sort": {"-date"}, "_count": {"200"}}); err != nil {
		pt.failed(w, r, v, err)
		return
	}
	if in.Immunizations, err = read("Immunization", url.Values{"_sort": {"-date"}, "_count": {"50"}}); err != nil {
		pt.failed(w, r, v, err)
		return
	}
	p.Summary = clinical.Summarise(in, pt.opts.Now())
	pt.pages.Render(w, "record", http.StatusOK, p)
}
