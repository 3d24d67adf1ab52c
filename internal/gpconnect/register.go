package gpconnect

import (
	"net/http"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// $gpc.registerpatient: another organisation (an extended-access hub, NHS
// 111) registers a patient who is not on the list as a temporary
// resident, so that it can book them in. The demographics must match a
// verified PDS trace; the registration is the practice's own
// (clinical.RegistrationBundle, type temporary: it ends after three
// months), written through the service in one transaction.

// registerPatient: POST Patient/$gpc.registerpatient.
func (p *Provider) registerPatient(w http.ResponseWriter, r *http.Request, c *call) *Error {
	body, e := decodeBody(r, "Parameters")
	if e != nil {
		return e
	}
	var in fhir.Resource
	for _, raw := range list(body["parameter"]) {
		pm := obj(raw)
		if str(pm["name"]) != "registerPatient" || in != nil {
			return errorf(InvalidParameter, "the only parameter is one registerPatient, not %q", str(pm["name"]))
		}
		in = fhir.Resource(obj(pm["resource"]))
	}
	if in == nil || in.Type() != "Patient" {
		return errorf(InvalidParameter, "registerPatient must carry a Patient resource")
	}
	nhs := ""
	for _, i := range list(in["identifier"]) {
		if str(obj(i)["system"]) == NHSNumberSystem {
			nhs = str(obj(i)["value"])
		}
	}
	if len(nhs) != 10 || !clinical.ValidNHSNumber(nhs) {
		return errorf(InvalidNHSNumber, "the Patient must carry a valid NHS number (%s)", NHSNumberSystem)
	}
	family, birth, gender := officialFamily(in), str(in["birthDate"]), str(in["gender"])
	if family == "" || birth == "" || gender == "" {
		return errorf(InvalidResource, "the Patient needs an official name with a family name, a birth date and a gender")
	}
	if p.opts.PDS == nil {
		return errorf(InvalidDemographics, "PDS is not connected: this provider cannot trace the patient")
	}
	trace, err := p.opts.PDS.Lookup(c.ctx, nhs)
	if err != nil {
		return errorf(InternalServerError, "the PDS trace failed")
	}
	if !trace.Verified && !p.opts.PDS.Connected() {
		return errorf(InvalidDemographics, "PDS is not connected: this provider cannot trace the patient, so registers no one")
	}
	if !trace.Verified || len(trace.Records) != 1 {
		return errorf(InvalidDemographics, "the NHS number could not be traced and verified on PDS")
	}
	pdsRec := trace.Records[0]
	switch {
	case !strings.EqualFold(officialFamily(pdsRec), family) || str(pdsRec["birthDate"]) != birth || str(pdsRec["gender"]) != gender:
		return errorf(InvalidDemographics, "the family name, birth date and gender must match the patient's PDS record")
	case pdsRec["deceasedBoolean"] == true || pdsRec["deceasedDateTime"] != nil:
		return errorf(InvalidDemographics, "the patient is recorded as deceased on PDS")
	}
	if existing, e := p.findPatient(c, nhs); e != nil {
		return e
	} else if existing != "" {
		return errorf(DuplicateRejected, "the practice already holds a record for this patient: ask the practice to register them")
	}
	org, _, e := c.read(p.opts.Service, "Organization", c.practice, NoRecordFound)
	if e != nil {
		return e
	}
	now := p.opts.Now()
	reg := clinical.Registration{Demographics: demographicsOf(pdsRec, nhs), Type: "temporary", Start: now.In(clinical.UKTime)}
	bundle := clinical.RegistrationBundle(reg, clinical.Practice{ID: c.practice, Name: str(org["name"])})
	for _, en := range list(bundle["entry"]) {
		res := obj(obj(en)["resource"])
		switch str(res["resourceType"]) {
		case "Patient":
			// PDS verified the number: stored as "present and verified".
			for _, i := range list(res["identifier"]) {
				id := obj(i)
				if str(id["system"]) == NHSNumberSystem {
					id["extension"] = []any{map[string]any{"url": clinical.NHSVerificationURL, "valueCodeableConcept": map[string]any{
						"coding": []any{map[string]any{"system": clinical.NHSVerificationSystem, "code": clinical.NHSVerified, "display": "Number present and verified"}}}}}
				}
			}
		case "EpisodeOfCare":
			if len(obj(res["careManager"])) == 0 {
				delete(res, "careManager") // no usual GP is named by another organisation
			}
		}
	}
	if _, err := p.opts.Service.ProcessBundle(c.ctx, bundle, service.BundleOptions{}); err != nil {
		return fromService(err, InternalServerError)
	}
	id, e := p.findPatient(c, nhs)
	if e != nil || id == "" {
		return errorf(InternalServerError, "the registered patient cannot be read back")
	}
	rec, e := p.loadPatient(c, id, false)
	if e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, searchset(c.base, []fhir.Resource{PatientSTU3(rec.patient, rec.registration)}))
	return nil
}

// officialFamily is a Patient's official (else first) family name.
func officialFamily(p fhir.Resource) string {
	names := list(p["name"])
	for _, n := range names {
		if str(obj(n)["use"]) == "official" {
			return str(obj(n)["family"])
		}
	}
	if len(names) > 0 {
		return str(obj(names[0])["family"])
	}
	return ""
}

// demographicsOf takes the registration's details from the PDS record.
func demographicsOf(p fhir.Resource, nhs string) clinical.Demographics {
	d := clinical.Demographics{Family: officialFamily(p), Sex: str(p["gender"]), NHSNumber: nhs, NHS: nhs}
	for _, n := range list(p["name"]) {
		nm := obj(n)
		if str(nm["family"]) == d.Family {
			var given []string
			for _, g := range list(nm["given"]) {
				given = append(given, str(g))
			}
			d.Given = strings.Join(given, " ")
			if pr := list(nm["prefix"]); len(pr) > 0 {
				d.Title = str(pr[0])
			}
			break
		}
	}
	if t, err := time.Parse("2006-01-02", str(p["birthDate"])); err == nil {
		d.BirthDate = t
	}
	if a := list(p["address"]); len(a) > 0 {
		addr := obj(a[0])
		lines := list(addr["line"])
		if len(lines) > 0 {
			d.Address1 = str(lines[0])
		}
		if len(lines) > 1 {
			d.Address2 = str(lines[1])
		}
		d.Town, d.Postcode = str(addr["city"]), str(addr["postalCode"])
	}
	return d
}
