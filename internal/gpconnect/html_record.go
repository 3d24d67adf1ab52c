package gpconnect

import (
	"net/http"
	"slices"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Access Record HTML: Patient/$gpc.getcarerecord returns one section of
// the record (recordSection SUM, ENC, CLI, PRB, ALL, MED, REF, OBS, IMM,
// ADM) as the HTML the specification lays out (nhsconnect/gpconnect
// "Access Record HTML": tables, banners), in a Composition's
// section.text.div. The HTML is rendered from the structured record's
// own readers (structured.go): what is withheld, retracted or not shared
// there is withheld here, and the record is read one way only.

// Access Record HTML's identifiers (specification 0.7, still the current
// HTML specification; its older NHS number system is accepted too).
const (
	recordSectionSystem = "http://fhir.nhs.net/ValueSet/gpconnect-record-section-1"
	legacyNHSNumber     = "http://fhir.nhs.net/Id/nhs-number"
	profileCareRecord   = "http://fhir.nhs.net/StructureDefinition/gpconnect-carerecord-composition-1"
)

var itCareRecord = interaction{urn + "fhir:operation:gpc.getcarerecord", "patient/*.read", itStructured.r4Scopes}

// careSections are the section codes with their titles and whether a
// consumer may give a timePeriod ("Per section default time frames":
// Summary, Allergies and Immunisations take none).
var careSections = map[string]struct {
	title  string
	period bool
}{
	"SUM": {"Summary", false}, "ENC": {"Encounters", true}, "CLI": {"Clinical Items", true},
	"PRB": {"Problems and Issues", true}, "ALL": {"Allergies and Adverse Reactions", false},
	"MED": {"Medications", true}, "REF": {"Referrals", true}, "OBS": {"Observations", true},
	"IMM": {"Immunisations", false}, "ADM": {"Administrative Items", true},
}

// CareRecordRequest is a parsed $gpc.getcarerecord Parameters.
type CareRecordRequest struct {
	NHSNumber string
	Section   string // a careSections code
	From, To  string // timePeriod as days (YYYY-MM-DD), either may be ""
}

// ParseCareRecordRequest reads the Parameters: patientNHSNumber and
// recordSection once each, timePeriod at most once and only for a
// section that takes one, its end not before its start.
func ParseCareRecordRequest(params fhir.Resource) (*CareRecordRequest, *Error) {
	if params.Type() != "Parameters" {
		return nil, errorf(InvalidResource, "the body must be a Parameters resource")
	}
	req := &CareRecordRequest{}
	seen := map[string]bool{}
	period := false
	for _, raw := range list(params["parameter"]) {
		p := obj(raw)
		name := str(p["name"])
		if seen[name] {
			return nil, errorf(InvalidParameter, "the parameter %q is given twice", name)
		}
		seen[name] = true
		switch name {
		case "patientNHSNumber":
			v, e := patientNHSNumber(p, NHSNumberSystem, legacyNHSNumber)
			if e != nil {
				return nil, e
			}
			req.NHSNumber = v
		case "recordSection":
			codings := list(obj(p["valueCodeableConcept"])["coding"])
			if len(codings) != 1 {
				return nil, errorf(InvalidParameter, "recordSection needs one coding from %s", recordSectionSystem)
			}
			c := obj(codings[0])
			code := str(c["code"])
			if _, ok := careSections[code]; !ok || str(c["system"]) != recordSectionSystem {
				return nil, errorf(InvalidParameter, "recordSection %q is not a code of %s", code, recordSectionSystem)
			}
			req.Section = code
		case "timePeriod":
			pv, ok := p["valuePeriod"].(map[string]any)
			if !ok {
				return nil, errorf(InvalidParameter, "timePeriod needs a valuePeriod")
			}
			var e *Error
			if req.From, e = periodDay(pv, "start"); e != nil {
				return nil, e
			}
			if req.To, e = periodDay(pv, "end"); e != nil {
				return nil, e
			}
			if req.From == "" && req.To == "" || req.From != "" && req.To != "" && req.To < req.From {
				return nil, errorf(InvalidParameter, "timePeriod needs a start or an end, the end not before the start")
			}
			period = true
		default:
			return nil, errorf(InvalidParameter, "the parameter %q is not known", name)
		}
	}
	switch {
	case req.NHSNumber == "":
		return nil, errorf(InvalidParameter, "patientNHSNumber is required")
	case req.Section == "":
		return nil, errorf(InvalidParameter, "recordSection is required")
	case period && !careSections[req.Section].period:
		// The layout guide: a date range for a section that takes none is
		// a Bad Request (400).
		return nil, errorf(BadRequest, "the %s section does not take a timePeriod", careSections[req.Section].title)
	}
	return req, nil
}

// patientNHSNumber checks a patientNHSNumber parameter: one of the
// systems, a valid ten-digit number.
func patientNHSNumber(p map[string]any, systems ...string) (string, *Error) {
	id := obj(p["valueIdentifier"])
	if !slices.Contains(systems, str(id["system"])) {
		return "", errorf(InvalidIdentifierSystem, "patientNHSNumber must have system %s", NHSNumberSystem)
	}
	v := str(id["value"])
	if len(v) != 10 || !clinical.ValidNHSNumber(v) {
		return "", errorf(InvalidNHSNumber, "%q is not a valid NHS number", v)
	}
	return v, nil
}

// sharedByNHSNumber finds the practice's patient with an NHS number
// whose record may be shared (sharedRecord: clinical.GPConnectSharing):
// PATIENT_NOT_FOUND for one not registered here or not shared,
// NO_PATIENT_CONSENT for one who dissented.
func (p *Provider) sharedByNHSNumber(c *call, nhs string) (string, *patientRecord, *Error) {
	id, e := p.findPatient(c, nhs)
	if e != nil {
		return "", nil, e
	}
	if id == "" {
		return "", nil, errorf(PatientNotFound, "no patient with this NHS number is registered at the practice")
	}
	rec, e := p.sharedRecord(c, id)
	return id, rec, e
}

// periodDay is the day of a period bound: a date or a dateTime (read in
// London, where the practice's days are).
func periodDay(p map[string]any, key string) (string, *Error) {
	v, present := p[key]
	s, _ := v.(string)
	if !present {
		return "", nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.Format("2006-01-02"), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.In(clinical.London).Format("2006-01-02"), nil
	}
	return "", errorf(InvalidParameter, "timePeriod.%s must be a date (YYYY-MM-DD) or a dateTime", key)
}

// careRecord: POST Patient/$gpc.getcarerecord on the Foundations base.
func (p *Provider) careRecord(w http.ResponseWriter, r *http.Request, c *call) *Error {
	body, e := decodeBody(r, "Parameters")
	if e != nil {
		return e
	}
	req, e := ParseCareRecordRequest(body)
	if e != nil {
		return e
	}
	id, rec, e := p.sharedByNHSNumber(c, req.NHSNumber)
	if e != nil {
		return e
	}
	c.withheldSeen = map[string]int{}
	b := &structuredBundle{base: c.base}
	if e := p.readSection(c, b, id, req); e != nil {
		return e
	}
	if e := p.practitioners(c, b); e != nil {
		return e
	}
	org, _, oe := c.read(p.opts.Service, "Organization", c.practice, NoRecordFound)
	if oe != nil && oe.Code != NoRecordFound {
		return oe
	}
	view := careView{req: req, b: b, withheld: c.withheldSeen, registration: rec.registration, patientID: id,
		practice: str(org["name"]), today: p.opts.Now().In(clinical.London).Format("2006-01-02")}
	div, err := view.render()
	if err != nil {
		return errorf(InternalServerError, "rendering the %s section: %v", req.Section, err)
	}
	patient := PatientSTU3(rec.patient, rec.registration)
	title := careSections[req.Section].title
	comp := fhir.Resource{"resourceType": "Composition", "id": "carerecord-" + id + "-" + req.Section,
		"meta":   map[string]any{"profile": []any{profileCareRecord}},
		"status": "final", "type": map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": "425173008", "display": "record extract (record artifact)"}}, "text": "Patient Care Record"},
		"date": p.opts.Now().UTC().Format(time.RFC3339), "title": "Patient Care Record",
		"subject": map[string]any{"reference": "Patient/" + id},
		// The author is the system that wrote the extract (0.7's
		// gpconnect-device-1): STU3 allows no Organization here.
		"author":    []any{map[string]any{"reference": "Device/" + providerDevice["id"].(string)}},
		"custodian": map[string]any{"reference": "Organization/" + c.practice},
		"section": []any{map[string]any{"title": title,
			"code": map[string]any{"coding": []any{map[string]any{"system": recordSectionSystem, "code": req.Section}}, "text": title},
			"text": map[string]any{"status": "generated", "div": div}}},
	}
	out := &structuredBundle{base: c.base}
	out.add(comp)
	out.add(patient)
	out.add(providerDevice)
	if org != nil {
		out.add(OrganizationSTU3(org))
	}
	for _, e := range b.entries {
		if r, _ := obj(e)["resource"].(fhir.Resource); r.Type() == "Practitioner" {
			out.add(r)
		}
	}
	writeJSON(w, http.StatusOK, fhir.Resource{"resourceType": "Bundle", "type": "searchset", "total": len(out.entries), "entry": out.entries})
	return nil
}

// providerDevice is gpcloud as the author of a care record extract.
var providerDevice = fhir.Resource{"resourceType": "Device", "id": "gpcloud",
	"type":         map[string]any{"text": "GP clinical system (GP Connect provider)"},
	"manufacturer": "gpcloud"}

// readSection runs the structured record's readers a section needs into
// b, with the section's time period where the reader applies one.
func (p *Provider) readSection(c *call, b *structuredBundle, id string, req *CareRecordRequest) *Error {
	sr := &StructuredRequest{NHSNumber: req.NHSNumber, Areas: map[string]bool{}, IncludeIssues: true, ResolvedAllergy: true}
	var readers []func() *Error
	allergies := func() *Error { return p.allergies(c, b, id, sr) }
	problems := func() *Error { return p.problems(c, b, id, sr) }
	medications := func() *Error { return p.medications(c, b, id, sr) }
	consultations := func() *Error { return p.consultations(c, b, id, sr) }
	switch req.Section {
	case "SUM":
		sr.ResolvedAllergy, sr.ConsultationsMostRecent = false, 3
		readers = append(readers, consultations, problems, allergies, medications)
	case "PRB":
		readers = append(readers, problems)
	case "ALL":
		readers = append(readers, allergies)
	case "MED":
		readers = append(readers, medications)
	case "ENC":
		sr.ConsultationsFrom, sr.ConsultationsTo = req.From, req.To
		readers = append(readers, consultations)
	case "CLI", "OBS":
		sr.UncategorisedFrom, sr.UncategorisedTo = req.From, req.To
		readers = append(readers, func() *Error { return p.uncategorised(c, b, id, sr) })
	case "IMM":
		readers = append(readers, func() *Error { return p.immunisations(c, b, id) })
	case "REF":
		sr.ReferralsFrom, sr.ReferralsTo = req.From, req.To
		readers = append(readers, func() *Error { return p.referrals(c, b, id, sr, map[string]any{}) })
	}
	for _, read := range readers {
		if e := read(); e != nil {
			return e
		}
	}
	return nil
}

// noteWithheld counts the entries of a compartment search withheld as
// confidential (not those entered in error, which are no longer part of
// the record), so that the HTML can say items were excluded.
func (c *call) noteWithheld(typ string, rs []fhir.Resource) {
	if c.withheldSeen == nil {
		return
	}
	for _, r := range rs {
		if withheld(r) && !enteredInError(r) {
			c.withheldSeen[typ]++
		}
	}
}

// The Foundations CapabilityStatement's entry for Access Record HTML.
var careRecordOperation = map[string]any{"name": "gpc.getcarerecord",
	"definition": map[string]any{"reference": "http://fhir.nhs.net/OperationDefinition/gpconnect-carerecord-operation-1"}}

const careRecordDescription = "Access Record HTML ($gpc.getcarerecord): every section (SUM ENC CLI PRB ALL MED REF OBS IMM ADM); " +
	"Referrals answer that the system cannot yet retrieve them; the Summary has no emergency codes."
