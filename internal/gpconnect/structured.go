package gpconnect

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// Access Record Structured: Patient/$gpc.getstructuredrecord returns the
// record as a collection Bundle of STU3 resources grouped by coded Lists
// (one per clinical area asked for, SNOMED CT list codes). Entries marked
// entered in error are never sent; a patient the practice does not
// share is PATIENT_NOT_FOUND, one who dissented NO_PATIENT_CONSENT.

// List codes (SNOMED CT) and titles of the clinical areas.
var listCodes = map[string][2]string{
	"allergies":      {"886921000000105", "Allergies and adverse reactions"},
	"endedAllergies": {"1103671000000101", "Ended allergies"},
	"medications":    {"933361000000108", "Medications and medical devices"},
	"problems":       {"717711000000103", "Problems"},
	"immunisations":  {"1102181000000102", "Immunisations"},
	"consultations":  {"1149501000000101", "List of consultations"},
	"investigations": {"887191000000108", "Investigations and results"},
	"referrals":      {"792931000000107", "Outbound referral"},
	"diary":          {"714311000000108", "Patient recall administration"},
	"uncategorised":  {"826501000000100", "Miscellaneous record"},
}

// The parameters the operation takes.
var areaParams = map[string]string{
	"includeAllergies": "allergies", "includeMedication": "medications", "includeProblems": "problems",
	"includeImmunisations": "immunisations", "includeConsultations": "consultations",
	"includeInvestigations": "investigations", "includeReferrals": "referrals",
	"includeDiaryEntries": "diary", "includeUncategorisedData": "uncategorised",
}

// StructuredRequest is a parsed $gpc.getstructuredrecord Parameters.
type StructuredRequest struct {
	NHSNumber       string
	Areas           map[string]bool
	ResolvedAllergy bool   // includeAllergies.includeResolvedAllergies
	MedicationsFrom string // includeMedication.medicationSearchFromDate (YYYY-MM-DD)
	ProblemStatus   string // includeProblems.filterStatus: active | inactive | ""
	ProblemSignif   string // includeProblems.filterSignificance: major | minor | ""
	IncludeIssues   bool   // includeMedication.includePrescriptionIssues (true unless false)
	// ConsultationsMostRecent and ConsultationsFrom/To filter consultations
	// (includeConsultationsMostRecent; consultationSearchPeriod, dates).
	ConsultationsMostRecent            int
	ConsultationsFrom, ConsultationsTo string
	// UncategorisedFrom/To: includeUncategorisedData.uncategorisedDataSearchPeriod.
	UncategorisedFrom, UncategorisedTo string
	// InvestigationsFrom/To: includeInvestigations.investigationSearchPeriod;
	// ReferralsFrom/To: includeReferrals.referralSearchPeriod (whole dates).
	InvestigationsFrom, InvestigationsTo string
	ReferralsFrom, ReferralsTo           string
	// DiaryUntil: includeDiaryEntries.diaryEntriesSearchDate.
	DiaryUntil string
}

// ParseStructuredRequest reads the Parameters resource; every part is
// checked (an unknown parameter or part is INVALID_PARAMETER).
func ParseStructuredRequest(params fhir.Resource) (*StructuredRequest, *Error) {
	if params.Type() != "Parameters" {
		return nil, errorf(InvalidResource, "the body must be a Parameters resource")
	}
	// Prescription issues are sent unless the consumer says not to.
	req := &StructuredRequest{Areas: map[string]bool{}, IncludeIssues: true}
	seen := map[string]bool{}
	for _, raw := range list(params["parameter"]) {
		p := obj(raw)
		name := str(p["name"])
		if seen[name] {
			return nil, errorf(InvalidParameter, "the parameter %q is given twice", name)
		}
		seen[name] = true
		if name == "patientNHSNumber" {
			v, e := patientNHSNumber(p, NHSNumberSystem)
			if e != nil {
				return nil, e
			}
			req.NHSNumber = v
			continue
		}
		area, ok := areaParams[name]
		if !ok {
			return nil, errorf(InvalidParameter, "the parameter %q is not known", name)
		}
		req.Areas[area] = true
		for _, rp := range list(p["part"]) {
			part := obj(rp)
			pn := str(part["name"])
			switch {
			case name == "includeAllergies" && pn == "includeResolvedAllergies":
				b, ok := part["valueBoolean"].(bool)
				if !ok {
					return nil, errorf(InvalidParameter, "includeResolvedAllergies needs valueBoolean")
				}
				req.ResolvedAllergy = b
			case name == "includeMedication" && pn == "includePrescriptionIssues":
				b, ok := part["valueBoolean"].(bool)
				if !ok {
					return nil, errorf(InvalidParameter, "includePrescriptionIssues needs valueBoolean")
				}
				req.IncludeIssues = b
			case name == "includeMedication" && pn == "medicationSearchFromDate":
				d := str(part["valueDate"])
				if _, err := time.Parse("2006-01-02", d); err != nil {
					return nil, errorf(InvalidParameter, "medicationSearchFromDate must be a full date (YYYY-MM-DD)")
				}
				req.MedicationsFrom = d
			case name == "includeProblems" && pn == "filterStatus":
				v := str(part["valueCode"])
				if v != "active" && v != "inactive" {
					return nil, errorf(InvalidParameter, "filterStatus must be active or inactive")
				}
				req.ProblemStatus = v
			case name == "includeProblems" && pn == "filterSignificance":
				v := str(part["valueCode"])
				if v != "major" && v != "minor" {
					return nil, errorf(InvalidParameter, "filterSignificance must be major or minor")
				}
				req.ProblemSignif = v
			case name == "includeConsultations" && pn == "includeConsultationsMostRecent":
				n, ok := part["valuePositiveInt"].(float64)
				if !ok || n < 1 || n != float64(int(n)) {
					return nil, errorf(InvalidParameter, "includeConsultationsMostRecent needs a valuePositiveInt")
				}
				req.ConsultationsMostRecent = int(n)
			case name == "includeConsultations" && pn == "consultationSearchPeriod":
				period := obj(part["valuePeriod"])
				req.ConsultationsFrom, req.ConsultationsTo = str(period["start"]), str(period["end"])
				if period == nil || req.ConsultationsFrom == "" && req.ConsultationsTo == "" ||
					req.ConsultationsFrom != "" && req.ConsultationsTo != "" && req.ConsultationsTo < req.ConsultationsFrom {
					return nil, errorf(InvalidParameter, "consultationSearchPeriod needs a valuePeriod with a start or an end, the end not before the start")
				}
			case name == "includeUncategorisedData" && pn == "uncategorisedDataSearchPeriod":
				period := obj(part["valuePeriod"])
				req.UncategorisedFrom, req.UncategorisedTo = str(period["start"]), str(period["end"])
				if period == nil || req.UncategorisedFrom == "" && req.UncategorisedTo == "" ||
					req.UncategorisedFrom != "" && req.UncategorisedTo != "" && req.UncategorisedTo < req.UncategorisedFrom {
					return nil, errorf(InvalidParameter, "uncategorisedDataSearchPeriod needs a valuePeriod with a start or an end, the end not before the start")
				}
			case name == "includeInvestigations" && pn == "investigationSearchPeriod":
				var e *Error
				if req.InvestigationsFrom, req.InvestigationsTo, e = wholeDatePeriod(part, pn); e != nil {
					return nil, e
				}
			case name == "includeReferrals" && pn == "referralSearchPeriod":
				var e *Error
				if req.ReferralsFrom, req.ReferralsTo, e = wholeDatePeriod(part, pn); e != nil {
					return nil, e
				}
			case name == "includeDiaryEntries" && pn == "diaryEntriesSearchDate":
				d := str(part["valueDate"])
				if _, err := time.Parse("2006-01-02", d); err != nil {
					return nil, errorf(InvalidParameter, "diaryEntriesSearchDate must be a whole date (YYYY-MM-DD)")
				}
				req.DiaryUntil = d
			default:
				return nil, errorf(InvalidParameter, "%s has no part %q", name, pn)
			}
		}
	}
	if req.ConsultationsMostRecent > 0 && (req.ConsultationsFrom != "" || req.ConsultationsTo != "") {
		return nil, errorf(InvalidParameter, "includeConsultationsMostRecent and consultationSearchPeriod cannot be used together")
	}
	if req.NHSNumber == "" {
		return nil, errorf(InvalidParameter, "patientNHSNumber is required")
	}
	return req, nil
}

// structuredRecord: POST Patient/$gpc.getstructuredrecord.
func (p *Provider) structuredRecord(w http.ResponseWriter, r *http.Request, c *call) *Error {
	body, e := decodeBody(r, "Parameters")
	if e != nil {
		return e
	}
	req, e := ParseStructuredRequest(body)
	if e != nil {
		return e
	}
	today := p.opts.Now().In(clinical.London).Format("2006-01-02")
	if req.MedicationsFrom > today {
		return errorf(InvalidParameter, "medicationSearchFromDate must not be after today")
	}
	if req.InvestigationsFrom > today || req.InvestigationsTo > today || req.ReferralsFrom > today || req.ReferralsTo > today {
		return errorf(InvalidParameter, "investigationSearchPeriod and referralSearchPeriod must not be after today")
	}
	if req.DiaryUntil != "" && req.DiaryUntil < today {
		return errorf(InvalidParameter, "diaryEntriesSearchDate must be today or later")
	}
	id, rec, e := p.sharedByNHSNumber(c, req.NHSNumber)
	if e != nil {
		return e
	}
	b := &structuredBundle{base: c.base, practice: c.practice}
	b.add(PatientSTU3(rec.patient, rec.registration))
	if org, _, e := c.read(p.opts.Service, "Organization", c.practice, NoRecordFound); e == nil {
		b.add(OrganizationSTU3(org))
	}
	if req.Areas["allergies"] {
		if e := p.allergies(c, b, id, req); e != nil {
			return e
		}
	}
	if req.Areas["medications"] {
		if e := p.medications(c, b, id, req); e != nil {
			return e
		}
	}
	if req.Areas["problems"] {
		if e := p.problems(c, b, id, req); e != nil {
			return e
		}
	}
	if req.Areas["immunisations"] {
		if e := p.immunisations(c, b, id); e != nil {
			return e
		}
	}
	if req.Areas["consultations"] {
		if e := p.consultations(c, b, id, req); e != nil {
			return e
		}
	}
	if req.Areas["uncategorised"] {
		if e := p.uncategorised(c, b, id, req); e != nil {
			return e
		}
	}
	roles := map[string]any{}
	for _, area := range []struct {
		name string
		add  func(*call, *structuredBundle, string, *StructuredRequest, map[string]any) *Error
	}{{"investigations", p.investigations}, {"referrals", p.referrals}, {"diary", p.diary}} {
		if req.Areas[area.name] {
			if e := area.add(c, b, id, req, roles); e != nil {
				return e
			}
		}
	}
	if e := p.practitioners(c, b); e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, fhir.Resource{"resourceType": "Bundle", "meta": map[string]any{"profile": []any{profileStructured}},
		"type": "collection", "entry": b.entries})
	return nil
}

// structuredBundle gathers the entries and the Practitioners they name.
type structuredBundle struct {
	base     string
	practice string // the practice's Organization id
	entries  []any
	refs     []string // Practitioner ids referenced
	added    map[string]bool
	records  map[string][]fhir.Resource // the record by type, read once (record)
}

// add puts r in the Bundle once.
func (b *structuredBundle) add(r fhir.Resource) {
	key := r.Type() + "/" + r.ID()
	if b.added[key] {
		return
	}
	if b.added == nil {
		b.added = map[string]bool{}
	}
	b.added[key] = true
	b.entries = append(b.entries, map[string]any{"fullUrl": b.base + "/" + r.Type() + "/" + r.ID(), "resource": r})
}

// resource is the entry of that type and id, nil when not in the Bundle.
func (b *structuredBundle) resource(typ, id string) fhir.Resource {
	if !b.added[typ+"/"+id] {
		return nil
	}
	for _, e := range b.entries {
		if r, _ := obj(e)["resource"].(fhir.Resource); r.Type() == typ && r.ID() == id {
			return r
		}
	}
	return nil
}

// notePractitioner remembers a Practitioner reference for inclusion.
func (b *structuredBundle) notePractitioner(ref any) {
	if id, ok := strings.CutPrefix(str(obj(ref)["reference"]), "Practitioner/"); ok && id != "" {
		for _, r := range b.refs {
			if r == id {
				return
			}
		}
		b.refs = append(b.refs, id)
	}
}

// list adds a coded List of the area referencing items, and returns it.
func (b *structuredBundle) list(area, patientID string, items []fhir.Resource) map[string]any {
	code := listCodes[area]
	var entries []any
	for _, it := range items {
		entries = append(entries, map[string]any{"item": map[string]any{"reference": it.Type() + "/" + it.ID()}})
	}
	l := fhir.Resource{"resourceType": "List", "id": area + "-" + patientID,
		"meta":    map[string]any{"profile": []any{profileList}},
		"status":  "current",
		"mode":    "snapshot",
		"title":   code[1],
		"code":    map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": code[0], "display": code[1]}}},
		"subject": map[string]any{"reference": "Patient/" + patientID},
		"orderedBy": map[string]any{"coding": []any{map[string]any{
			"system": "http://hl7.org/fhir/list-order", "code": "event-date", "display": "Sorted by Event Date"}}},
	}
	if len(entries) > 0 {
		l["entry"] = entries
	} else {
		l["emptyReason"] = map[string]any{"coding": []any{map[string]any{"system": listEmptyReasonCS, "code": "no-content-recorded", "display": "No content recorded"}}}
		l["note"] = []any{map[string]any{"text": "Information not available"}}
	}
	b.add(l)
	for _, it := range items {
		b.add(it)
	}
	return l
}

// compartment searches a type in the patient's record as the caller.
func (p *Provider) compartment(c *call, typ, patientID string, extra url.Values) ([]fhir.Resource, *Error) {
	params := url.Values{"patient": {"Patient/" + patientID}, "_count": {strconv.Itoa(service.MaxSearchCount)}}
	for k, v := range extra {
		params[k] = v
	}
	b, e := c.search(p.opts.Service, typ, params)
	if e != nil {
		return nil, e
	}
	ms := matches(b)
	c.noteWithheld(typ, ms)
	return ms, nil
}

func (p *Provider) practitioners(c *call, b *structuredBundle) *Error {
	for _, id := range b.refs {
		pr, _, e := c.read(p.opts.Service, "Practitioner", id, NoRecordFound)
		if e != nil {
			if e.Code == NoRecordFound {
				continue
			}
			return e
		}
		b.add(PractitionerSTU3(pr))
	}
	return nil
}

func enteredInError(r fhir.Resource) bool {
	return str(r["status"]) == "entered-in-error" || firstCode(r["verificationStatus"]) == "entered-in-error"
}

// withheld reports an entry the record marks not to be shared outside
// the practice: meta.security v3-Confidentiality R or V on the entry
// itself (CLINICAL.md GP Connect 3).
func withheld(r fhir.Resource) bool {
	for _, l := range list(r.Meta()["security"]) {
		m := obj(l)
		if str(m["system"]) == "http://terminology.hl7.org/CodeSystem/v3-Confidentiality" && (m["code"] == "R" || m["code"] == "V") {
			return true
		}
	}
	return false
}

func (p *Provider) allergies(c *call, b *structuredBundle, patientID string, req *StructuredRequest) *Error {
	all, e := p.compartment(c, "AllergyIntolerance", patientID, nil)
	if e != nil {
		return e
	}
	var current, ended []fhir.Resource
	for _, a := range all {
		if enteredInError(a) || withheld(a) {
			continue
		}
		m := AllergySTU3(a)
		b.notePractitioner(m["recorder"])
		if str(m["clinicalStatus"]) == "resolved" || str(m["clinicalStatus"]) == "inactive" {
			ended = append(ended, m)
		} else {
			current = append(current, m)
		}
	}
	b.list("allergies", patientID, current)
	if req.ResolvedAllergy {
		b.list("endedAllergies", patientID, ended)
	}
	return nil
}

// medications: one MedicationStatement and plan per authorisation and per
// medicine recorded as prescribed elsewhere (the List's entries), the orders of its issues unless
// includePrescriptionIssues is false, courses ended before
// medicationSearchFromDate left out. A prescription prepared and not
// authorised (intent proposal) is not medication; an issue entered in
// error or withheld is left out, as is an authorisation and its issues.
func (p *Provider) medications(c *call, b *structuredBundle, patientID string, req *StructuredRequest) *Error {
	all, e := p.record(c, b, "MedicationRequest", patientID)
	if e != nil {
		return e
	}
	var auths []fhir.Resource
	issues := map[string][]fhir.Resource{}
	for _, m := range all {
		if enteredInError(m) || withheld(m) {
			continue
		}
		switch based := basedOnRequest(m); {
		case str(m["intent"]) == "proposal":
		case str(m["intent"]) == "order" && based != "":
			issues[based] = append(issues[based], m)
		case str(m["intent"]) == "plan" || str(m["intent"]) == "order":
			auths = append(auths, m)
		}
	}
	now := p.opts.Now()
	roles := map[string]any{}
	var items []fhir.Resource
	for _, auth := range auths {
		course := MedicationSTU3(auth, issues[auth.ID()], now)
		if !course.ActiveFrom(req.MedicationsFrom) {
			continue
		}
		items = append(items, course.Statement)
		b.add(course.Plan)
		b.add(course.Medication)
		p.recorder(c, b, course.Plan, roles)
		if req.IncludeIssues {
			for _, o := range course.Orders {
				p.recorder(c, b, o, roles)
				b.add(o)
			}
		}
	}
	// A reauthorisation names the authorisation it replaced: kept only when
	// that one is sent too (medicationSearchFromDate may leave it out).
	for _, it := range items {
		plan := b.resource("MedicationRequest", str(obj(list(it["basedOn"])[0])["reference"])[len("MedicationRequest/"):])
		if prior := str(obj(plan["priorPrescription"])["reference"]); prior != "" && b.resource("MedicationRequest", prior[len("MedicationRequest/"):]) == nil {
			delete(plan, "priorPrescription")
		}
	}
	// Medicines recorded as prescribed elsewhere (hospital, over the
	// counter): a statement and plan each, no orders.
	elsewhere, e := p.compartment(c, "MedicationStatement", patientID, nil)
	if e != nil {
		return e
	}
	for _, st := range elsewhere {
		if enteredInError(st) || withheld(st) {
			continue
		}
		course := ElsewhereSTU3(st)
		if !course.ActiveFrom(req.MedicationsFrom) {
			continue
		}
		items = append(items, course.Statement)
		b.add(course.Plan)
		b.add(course.Medication)
		p.recorder(c, b, course.Plan, roles)
	}
	b.list("medications", patientID, items)
	return nil
}

// basedOnRequest is the id of the MedicationRequest an issue is based on.
func basedOnRequest(m fhir.Resource) string {
	for _, r := range list(m["basedOn"]) {
		if id, ok := strings.CutPrefix(str(obj(r)["reference"]), "MedicationRequest/"); ok {
			return id
		}
	}
	return ""
}

// recorder makes a MedicationRequest's recorder a Practitioner, as GP
// Connect has it: gpcloud records a prescriber as their PractitionerRole,
// read here (once per request) for its practitioner. A role that cannot be
// read leaves the recorder out rather than naming the wrong person.
func (p *Provider) recorder(c *call, b *structuredBundle, m fhir.Resource, roles map[string]any) {
	id, ok := strings.CutPrefix(str(obj(m["recorder"])["reference"]), "PractitionerRole/")
	if ok {
		pr := p.rolePractitioner(c, id, roles)
		if pr == nil {
			delete(m, "recorder")
			return
		}
		m["recorder"] = pr
	}
	b.notePractitioner(m["recorder"])
}

// rolePractitioner is the Practitioner reference of a PractitionerRole,
// read once per request (roles), nil when it cannot be read: the entry
// then names no one rather than the wrong person.
func (p *Provider) rolePractitioner(c *call, id string, roles map[string]any) any {
	pr, seen := roles[id]
	if !seen {
		if role, _, e := c.read(p.opts.Service, "PractitionerRole", id, NoRecordFound); e == nil {
			if r := str(obj(role["practitioner"])["reference"]); r != "" {
				pr = map[string]any{"reference": r}
			}
		}
		roles[id] = pr
	}
	return pr
}

func (p *Provider) problems(c *call, b *structuredBundle, patientID string, req *StructuredRequest) *Error {
	all, e := p.compartment(c, "Condition", patientID, url.Values{"category": {"problem-list-item"}})
	if e != nil {
		return e
	}
	var items []fhir.Resource
	for _, cond := range all {
		if enteredInError(cond) || withheld(cond) {
			continue
		}
		m := ProblemSTU3(cond)
		active := str(m["clinicalStatus"]) == "active"
		if req.ProblemStatus == "active" && !active || req.ProblemStatus == "inactive" && active {
			continue
		}
		if req.ProblemSignif != "" && str(extValue(m, problemSignifExtURL, "valueCode")) != req.ProblemSignif {
			continue
		}
		b.notePractitioner(m["asserter"])
		items = append(items, m)
	}
	b.list("problems", patientID, items)
	return nil
}

func (p *Provider) immunisations(c *call, b *structuredBundle, patientID string) *Error {
	all, e := p.compartment(c, "Immunization", patientID, nil)
	if e != nil {
		return e
	}
	var items []fhir.Resource
	for _, im := range all {
		if enteredInError(im) || withheld(im) {
			continue
		}
		m := ImmunizationSTU3(im)
		for _, pr := range list(m["practitioner"]) {
			b.notePractitioner(obj(pr)["actor"])
		}
		items = append(items, m)
	}
	b.list("immunisations", patientID, items)
	return nil
}

// uncategorised: the coded Observations of the record that belong to no
// other clinical area (measurements, a did-not-attend, coded entries of
// consultations), not the consultations' free-text notes (those are the
// consultation's), nor results (investigations).
func (p *Provider) uncategorised(c *call, b *structuredBundle, patientID string, req *StructuredRequest) *Error {
	all, e := p.record(c, b, "Observation", patientID)
	if e != nil {
		return e
	}
	var items []fhir.Resource
	for _, o := range all {
		if enteredInError(o) || withheld(o) || firstCode(o["code"]) == clinical.CommentNoteCode {
			continue
		}
		if isResult(o) {
			continue
		}
		when := str(o["effectiveDateTime"])
		if when == "" {
			when = str(obj(o["effectivePeriod"])["start"])
		}
		day := when[:min(10, len(when))]
		if req.UncategorisedFrom != "" && day < req.UncategorisedFrom[:min(10, len(req.UncategorisedFrom))] ||
			req.UncategorisedTo != "" && day > req.UncategorisedTo[:min(10, len(req.UncategorisedTo))] {
			continue
		}
		m := ObservationSTU3(o)
		for _, pf := range list(m["performer"]) {
			b.notePractitioner(pf)
		}
		items = append(items, m)
	}
	sort.SliceStable(items, func(i, j int) bool { return str(items[i]["effectiveDateTime"]) > str(items[j]["effectiveDateTime"]) })
	b.list("uncategorised", patientID, items)
	return nil
}

// isResult reports an Observation that is a test result (laboratory or
// imaging): sent with its report under investigations, not as
// uncategorised data.
func isResult(o fhir.Resource) bool {
	for _, cat := range list(o["category"]) {
		switch firstCode(cat) {
		case "laboratory", "imaging":
			return true
		}
	}
	return false
}

// wholeDatePeriod reads a search period part: a valuePeriod of whole
// dates (no time, no offset), a start or an end, the end not before the
// start.
func wholeDatePeriod(part map[string]any, name string) (from, to string, e *Error) {
	period := obj(part["valuePeriod"])
	from, to = str(period["start"]), str(period["end"])
	for _, d := range []string{from, to} {
		if _, err := time.Parse("2006-01-02", d); d != "" && err != nil {
			return "", "", errorf(InvalidParameter, "%s must be whole dates (YYYY-MM-DD)", name)
		}
	}
	if period == nil || from == "" && to == "" || from != "" && to != "" && to < from {
		return "", "", errorf(InvalidParameter, "%s needs a valuePeriod with a start or an end, the end not before the start", name)
	}
	return from, to, nil
}
