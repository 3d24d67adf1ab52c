package gpconnect

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// searchset builds an STU3 searchset Bundle of mapped resources.
// GPConnect-Searchset-Bundle-1 has no total, and FHIR JSON no empty
// arrays: no match is a Bundle without entries.
func searchset(base string, rs []fhir.Resource) fhir.Resource {
	b := fhir.Resource{"resourceType": "Bundle", "meta": map[string]any{"profile": []any{profileSearchset}}, "type": "searchset"}
	if len(rs) == 0 {
		return b
	}
	entries := make([]any, 0, len(rs))
	for _, r := range rs {
		entries = append(entries, map[string]any{"fullUrl": base + "/" + r.Type() + "/" + r.ID(), "resource": r})
	}
	b["entry"] = entries
	return b
}

// patientRecord is a patient with what decides whether they are shared.
type patientRecord struct {
	patient      fhir.Resource
	registration fhir.Resource // the current registration at the practice, if any
	sharing      clinical.Sharing
	why          string
}

// loadPatient reads a patient, their registrations and consents as the
// caller and decides whether GP Connect shares them. A patient the
// caller cannot read is nil (as if not there).
//
// forRecord applies the structured record's stricter rule (a regular
// registration only); Foundations and appointments accept a temporary
// resident too.
func (p *Provider) loadPatient(c *call, id string, forRecord bool) (*patientRecord, *Error) {
	pat, _, e := c.read(p.opts.Service, "Patient", id, PatientNotFound)
	if e != nil {
		if e.Code == PatientNotFound {
			return &patientRecord{sharing: clinical.NotShared, why: "no such patient"}, nil
		}
		return nil, e
	}
	in := clinical.SharingInput{Patient: pat, Practice: c.practice, AnyRegistration: !forRecord}
	if b, e := c.search(p.opts.Service, "EpisodeOfCare", url.Values{"patient": {"Patient/" + id}, "_count": {"100"}}); e == nil {
		in.Episodes = matches(b)
	} else {
		return nil, e
	}
	if b, e := c.search(p.opts.Service, "Consent", url.Values{"patient": {"Patient/" + id}, "_count": {"100"}}); e == nil {
		in.Consents = matches(b)
	} else {
		return nil, e
	}
	rec := &patientRecord{patient: pat}
	rec.sharing, rec.why = clinical.GPConnectSharing(in, p.opts.Now())
	for _, ep := range in.Episodes {
		if str(ep["status"]) == "active" && str(obj(ep["managingOrganization"])["reference"]) == "Organization/"+c.practice {
			rec.registration = ep
		}
	}
	return rec, nil
}

// nhsNumberParam checks an identifier parameter "system|value" naming an
// NHS number and returns the number.
func nhsNumberParam(v string) (string, *Error) {
	system, value, ok := strings.Cut(v, "|")
	switch {
	case !ok || system == "" || value == "":
		return "", errorf(InvalidParameter, "identifier must be %s|<NHS number>", NHSNumberSystem)
	case system != NHSNumberSystem:
		return "", errorf(InvalidIdentifierSystem, "the identifier system must be %s, not %q", NHSNumberSystem, system)
	case !clinical.ValidNHSNumber(value) || len(value) != 10:
		return "", errorf(InvalidNHSNumber, "%q is not a valid NHS number", value)
	}
	return value, nil
}

// findPatient finds the practice's patient with an NHS number ("" if none).
func (p *Provider) findPatient(c *call, nhs string) (string, *Error) {
	b, e := c.search(p.opts.Service, "Patient", url.Values{"identifier": {NHSNumberSystem + "|" + nhs}, "_count": {"2"}})
	if e != nil {
		return "", e
	}
	ms := matches(b)
	if len(ms) > 1 {
		// Two records with one NHS number is a duplicate to merge, not
		// a choice for the consumer to make.
		return "", errorf(InternalServerError, "more than one record holds this NHS number")
	}
	if len(ms) == 0 {
		return "", nil
	}
	return ms[0].ID(), nil
}

// searchPatient: GET Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|n.
// A patient the practice does not share is not found (an empty Bundle).
func (p *Provider) searchPatient(w http.ResponseWriter, r *http.Request, c *call) *Error {
	q := r.URL.Query()
	for k := range q {
		if k != "identifier" && k != "_format" {
			return errorf(InvalidParameter, "the search parameter %q is not supported", k)
		}
	}
	if len(q["identifier"]) != 1 {
		return errorf(InvalidParameter, "exactly one identifier parameter is required")
	}
	nhs, e := nhsNumberParam(q.Get("identifier"))
	if e != nil {
		return e
	}
	id, e := p.findPatient(c, nhs)
	if e != nil {
		return e
	}
	var out []fhir.Resource
	if id != "" {
		rec, e := p.loadPatient(c, id, false)
		if e != nil {
			return e
		}
		if rec.sharing != clinical.NotShared {
			out = append(out, PatientSTU3(rec.patient, rec.registration))
		}
	}
	writeJSON(w, http.StatusOK, searchset(c.base, out))
	return nil
}

// readPatient: GET Patient/{id}.
func (p *Provider) readPatient(w http.ResponseWriter, r *http.Request, c *call) *Error {
	rec, e := p.loadPatient(c, r.PathValue("id"), false)
	if e != nil {
		return e
	}
	if rec.sharing == clinical.NotShared {
		return errorf(PatientNotFound, "no patient with this id is shared by the practice")
	}
	writeResource(w, PatientSTU3(rec.patient, rec.registration))
	return nil
}

// writeResource answers 200 with a resource and its ETag.
func writeResource(w http.ResponseWriter, res fhir.Resource) {
	if v := str(obj(res["meta"])["versionId"]); v != "" {
		w.Header().Set("ETag", `W/"`+v+`"`)
	}
	writeJSON(w, http.StatusOK, res)
}

func (p *Provider) readPractitioner(w http.ResponseWriter, r *http.Request, c *call) *Error {
	res, _, e := c.read(p.opts.Service, "Practitioner", r.PathValue("id"), NoRecordFound)
	if e != nil {
		return e
	}
	writeResource(w, PractitionerSTU3(res))
	return nil
}

// searchPractitioner: GET Practitioner?identifier=https://fhir.nhs.uk/Id/sds-user-id|x.
func (p *Provider) searchPractitioner(w http.ResponseWriter, r *http.Request, c *call) *Error {
	system, value, ok := strings.Cut(r.URL.Query().Get("identifier"), "|")
	switch {
	case !ok || value == "":
		return errorf(InvalidParameter, "identifier must be %s|<SDS user id>", SDSUserSystem)
	case system != SDSUserSystem:
		return errorf(InvalidIdentifierSystem, "the identifier system must be %s", SDSUserSystem)
	}
	b, e := c.search(p.opts.Service, "Practitioner", url.Values{"identifier": {system + "|" + value}})
	if e != nil {
		return e
	}
	var out []fhir.Resource
	for _, m := range matches(b) {
		out = append(out, PractitionerSTU3(m))
	}
	writeJSON(w, http.StatusOK, searchset(c.base, out))
	return nil
}

func (p *Provider) readOrganization(w http.ResponseWriter, r *http.Request, c *call) *Error {
	res, _, e := c.read(p.opts.Service, "Organization", r.PathValue("id"), NoRecordFound)
	if e != nil {
		return e
	}
	writeResource(w, OrganizationSTU3(res))
	return nil
}

// searchOrganization: GET Organization?identifier=https://fhir.nhs.uk/Id/ods-organization-code|x.
func (p *Provider) searchOrganization(w http.ResponseWriter, r *http.Request, c *call) *Error {
	system, value, ok := strings.Cut(r.URL.Query().Get("identifier"), "|")
	switch {
	case !ok || value == "":
		return errorf(InvalidParameter, "identifier must be %s|<ODS code>", ODSSystem)
	case system != ODSSystem:
		return errorf(InvalidIdentifierSystem, "the identifier system must be %s", ODSSystem)
	}
	b, e := c.search(p.opts.Service, "Organization", url.Values{"identifier": {system + "|" + value}})
	if e != nil {
		return e
	}
	var out []fhir.Resource
	for _, m := range matches(b) {
		out = append(out, OrganizationSTU3(m))
	}
	writeJSON(w, http.StatusOK, searchset(c.base, out))
	return nil
}

func (p *Provider) readLocation(w http.ResponseWriter, r *http.Request, c *call) *Error {
	res, _, e := c.read(p.opts.Service, "Location", r.PathValue("id"), NoRecordFound)
	if e != nil {
		return e
	}
	writeResource(w, LocationSTU3(res))
	return nil
}
