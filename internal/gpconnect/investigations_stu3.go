package gpconnect

import (
	"cmp"
	"net/url"
	"sort"
	"strings"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Investigations (GP Connect 1.6 "Investigations guidance"): each test
// report of the record is a CareConnect-GPC-DiagnosticReport-1 in the
// Investigations and results List (887191000000108), with its test
// results (CareConnect-GPC-Observation-1), a test group header when the
// report holds a group of tests, its specimens (CareConnect-GPC-Specimen-1),
// a filing comments Observation (Comment note 37331000000100: who filed
// it, when, with their comment) and the practice's test request as a
// ProcedureRequest (CareConnect-GPC-ProcedureRequest-1) when the report
// quotes its order number.
//
// Which reports: the specification says both "GP Connect will return any
// diagnosticReports ... whether they have been filed or not" (the
// investigations guidance) and "GP Connect will not return electronic
// data that has been received ... but has not yet been through the
// filing process" (the List page, with the data-awaiting-filing warning
// code). gpcloud follows the List page: a result waiting in the inbox has
// not been read by a clinician and is not yet the record, so it is left
// out and the List carries data-awaiting-filing (and the patient portal
// applies the same rule, clinical.PatientResults). A report that is not
// an inbox item at all (imported with the record) is the record.

const (
	profileDiagnosticReport = sd + "CareConnect-GPC-DiagnosticReport-1"
	profileSpecimen         = sd + "CareConnect-GPC-Specimen-1"
	profileProcedureRequest = sd + "CareConnect-GPC-ProcedureRequest-1"
	listWarningExtURL       = sd + "Extension-CareConnect-GPC-ListWarningCode-1"
	listWarningSystem       = "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-ListWarningCode-1"
	// diagnosticStudiesReport is the DiagnosticReport.code the
	// specification fixes (the tests' names are the Observations').
	diagnosticStudiesReport = "721981007"
)

// List warning codes and the text the specification gives each.
var listWarnings = map[string][2]string{
	"confidential-items":   {"Confidential Items", "Items excluded due to confidentiality and/or patient preferences."},
	"data-awaiting-filing": {"Data Awaiting Filing", "Patient record contains some items in the GP practice workflow that have not been reviewed for inclusion in this message."},
}

// warn adds a warning code to a List (once), with its text in the note.
func warn(l map[string]any, code string) {
	for _, e := range list(l["extension"]) {
		if obj(e)["valueCode"] == code {
			return
		}
	}
	w := listWarnings[code]
	l["extension"] = append(list(l["extension"]), map[string]any{"url": listWarningExtURL, "valueCode": code})
	notes := list(l["note"])
	if len(notes) == 1 && str(obj(notes[0])["text"]) == "Information not available" {
		notes = nil // the empty List's placeholder: the warning says why
	}
	l["note"] = append(notes, map[string]any{"text": w[1]})
}

// awaitingFiling reports a result still in the inbox: received, waiting
// to be matched or to be filed by a clinician.
func awaitingFiling(r fhir.Resource) bool {
	switch clinical.InboxState(r) {
	case clinical.InboxReceived, clinical.InboxToMatch, clinical.InboxToFile:
		return true
	}
	return false
}

// Investigation is a report as GP Connect sends it: the DiagnosticReport
// and the resources it references.
type Investigation struct {
	Report    fhir.Resource
	Resources []fhir.Resource // test group header, results, filing comments, specimens, request
}

// InvestigationSTU3 maps a filed report of patientID. external holds the
// result Observations it references by id (a report imported with the
// record), request the test request it quotes by order number (nil when
// none). Results entered in error or withheld are left out (withheld
// reports true then, for the List's warning).
func InvestigationSTU3(dr fhir.Resource, patientID string, external map[string]fhir.Resource, request fhir.Resource) (inv Investigation, withheldSome bool) {
	subject := map[string]any{"reference": "Patient/" + patientID}
	out := base(dr, "DiagnosticReport", profileDiagnosticReport)
	out["identifier"] = dataIdentifiers(dr, "report-"+dr.ID())
	out["status"] = cmp.Or(str(dr["status"]), "unknown")
	out["category"] = categorySTU3(firstOf(dr["category"]), "http://hl7.org/fhir/v2/0074", "LAB", "Laboratory")
	out["code"] = map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": diagnosticStudiesReport, "display": "Diagnostic studies report"}}}
	out["subject"] = subject
	if enc, ok := dr["encounter"]; ok {
		out["context"] = enc
	}
	issued := cmp.Or(str(dr["issued"]), str(dr["effectiveDateTime"]), str(obj(dr["effectivePeriod"])["start"]), str(dr.Meta()["lastUpdated"]))
	out["issued"] = issued
	var performers []any
	for _, pf := range list(dr["performer"]) {
		performers = append(performers, map[string]any{"actor": pf})
	}
	if performers != nil {
		out["performer"] = performers
	}
	copyKeys(out, dr, "conclusion")
	if cc, ok := dr["conclusionCode"]; ok {
		out["codedDiagnosis"] = cc
	}
	contained := map[string]map[string]any{}
	for _, c := range list(dr["contained"]) {
		contained["#"+str(obj(c)["id"])] = obj(c)
	}
	// Specimens the report holds.
	var specimenRefs []any
	for _, s := range list(dr["specimen"]) {
		sp := contained[str(obj(s)["reference"])]
		if sp == nil || str(sp["resourceType"]) != "Specimen" {
			continue
		}
		spec := SpecimenSTU3(sp, dr.ID()+"-"+str(sp["id"]), subject)
		inv.Resources = append(inv.Resources, spec)
		specimenRefs = append(specimenRefs, map[string]any{"reference": "Specimen/" + spec.ID()})
	}
	if specimenRefs != nil {
		out["specimen"] = specimenRefs
	}
	// The test results, contained (a lab message filed by the inbox) or
	// by reference (a report imported with the record).
	var results []fhir.Resource
	for _, r := range list(dr["result"]) {
		ref := str(obj(r)["reference"])
		var o fhir.Resource
		var id string
		if c := contained[ref]; c != nil && str(c["resourceType"]) == "Observation" {
			o, id = fhir.Resource(c), dr.ID()+"-"+str(c["id"])
		} else if ext := external[strings.TrimPrefix(ref, "Observation/")]; ext != nil {
			o, id = ext, ext.ID()
		} else {
			continue
		}
		if enteredInError(o) || withheld(o) {
			withheldSome = withheldSome || withheld(o)
			continue
		}
		results = append(results, TestResultSTU3(o, id, subject, issued, specimenRefs))
	}
	// A report of more than one test is a test group (the lab's panel):
	// the report's own name heads it (the record keeps the panel's tests
	// flattened under the report, its name on the report).
	var refs []any
	if len(results) > 1 && firstText(dr["code"]) != "" {
		group := base(dr, "Observation", profileObservation)
		group["id"] = dr.ID() + "-group"
		group["identifier"] = []any{map[string]any{"system": dataIdentifierSystem, "value": "group-" + dr.ID()}}
		group["status"] = out["status"]
		group["code"] = dr["code"]
		group["subject"] = subject
		group["issued"] = issued
		copyKeys(group, dr, "effectiveDateTime", "effectivePeriod")
		if performers != nil {
			group["performer"] = list(dr["performer"])
		}
		if len(specimenRefs) > 0 {
			group["specimen"] = specimenRefs[0]
		}
		var members []any
		for _, r := range results {
			members = append(members, map[string]any{"type": "has-member", "target": map[string]any{"reference": "Observation/" + r.ID()}})
			r["related"] = []any{map[string]any{"type": "derived-from", "target": map[string]any{"reference": "Observation/" + group.ID()}}}
		}
		group["related"] = members
		inv.Resources = append(inv.Resources, group)
		refs = append(refs, map[string]any{"reference": "Observation/" + group.ID()})
	} else {
		for _, r := range results {
			refs = append(refs, map[string]any{"reference": "Observation/" + r.ID()})
		}
	}
	for _, r := range results {
		inv.Resources = append(inv.Resources, r)
	}
	if f := FilingCommentSTU3(dr, subject); f != nil {
		inv.Resources = append(inv.Resources, f)
		refs = append(refs, map[string]any{"reference": "Observation/" + f.ID()})
	}
	if refs != nil {
		out["result"] = refs
	}
	if request != nil {
		pr := TestRequestSTU3(request, subject)
		inv.Resources = append(inv.Resources, pr)
		out["basedOn"] = []any{map[string]any{"reference": "ProcedureRequest/" + pr.ID()}}
	}
	inv.Report = out
	return inv, withheldSome
}

// TestResultSTU3 maps a test result Observation: the report's issued time
// when it has none, one interpretation, no basedOn, device or component.
func TestResultSTU3(o fhir.Resource, id string, subject map[string]any, issued string, specimens []any) fhir.Resource {
	out := base(o, "Observation", profileObservation)
	out["id"] = id
	copyKeys(out, o, "effectiveDateTime", "effectivePeriod", "valueQuantity", "valueString", "valueCodeableConcept", "valueBoolean",
		"valueRange", "valueRatio", "valuePeriod", "dataAbsentReason", "bodySite", "method", "referenceRange", "performer")
	out["identifier"] = dataIdentifiers(o, "result-"+id)
	out["status"] = cmp.Or(str(o["status"]), "unknown")
	var cats []any
	for _, c := range list(o["category"]) {
		cats = append(cats, categorySTU3(obj(c), "", "", ""))
	}
	if cats == nil {
		cats = []any{categorySTU3(nil, "http://hl7.org/fhir/observation-category", "laboratory", "Laboratory")}
	}
	out["category"] = cats
	out["code"] = o["code"]
	out["subject"] = subject
	out["issued"] = cmp.Or(str(o["issued"]), issued)
	if enc, ok := o["encounter"]; ok {
		out["context"] = enc
	}
	if i := firstOf(o["interpretation"]); i != nil {
		out["interpretation"] = i
	}
	if t := noteText(o["note"]); t != "" {
		out["comment"] = t
	}
	if len(specimens) == 1 {
		out["specimen"] = specimens[0]
	}
	return out
}

// FilingCommentSTU3 is the filing comments Observation of a filed report
// (who filed it, when, and their comment), nil when the record says
// nothing of its filing (a report imported with the record).
func FilingCommentSTU3(dr fhir.Resource, subject map[string]any) fhir.Resource {
	var f *clinical.Filing
	for _, e := range list(dr["extension"]) {
		if str(obj(e)["url"]) == clinical.FilingURL {
			in := clinical.IncomingOf(dr)
			f = &in.Filing
		}
	}
	if f == nil || f.At == "" {
		return nil
	}
	out := base(dr, "Observation", profileObservation)
	out["id"] = dr.ID() + "-filing"
	out["identifier"] = []any{map[string]any{"system": dataIdentifierSystem, "value": "filing-" + dr.ID()}}
	out["status"] = "unknown"
	out["code"] = map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": clinical.CommentNoteCode, "display": "Comment note"}}}
	out["subject"] = subject
	out["effectiveDateTime"] = f.At
	out["issued"] = f.At
	if f.By.Reference != "" {
		out["performer"] = []any{map[string]any{"reference": f.By.Reference}}
	}
	comment := f.ActionLabel()
	if f.Comment != "" {
		comment += ": " + f.Comment
	}
	if comment != "" {
		out["comment"] = comment
	}
	return out
}

// SpecimenSTU3 maps a Specimen the report holds.
func SpecimenSTU3(s map[string]any, id string, subject map[string]any) fhir.Resource {
	out := base(fhir.Resource(s), "Specimen", profileSpecimen)
	out["id"] = id
	copyKeys(out, s, "accessionIdentifier", "status", "type", "receivedTime")
	out["identifier"] = dataIdentifiers(s, "specimen-"+id)
	out["subject"] = subject
	if c := obj(s["collection"]); c != nil {
		nc := map[string]any{}
		for _, k := range []string{"collector", "collectedDateTime", "collectedPeriod", "quantity", "bodySite"} {
			if v, ok := c[k]; ok {
				nc[k] = v
			}
		}
		if len(nc) > 0 {
			out["collection"] = nc
		}
	}
	if t := noteText(s["note"]); t != "" {
		out["note"] = []any{map[string]any{"text": t}} // STU3: one note
	}
	return out
}

// TestRequestSTU3 maps the practice's test request (R4 ServiceRequest)
// to the ProcedureRequest the report is based on: status active and
// intent order as the specification fixes them.
func TestRequestSTU3(sr fhir.Resource, subject map[string]any) fhir.Resource {
	out := base(sr, "ProcedureRequest", profileProcedureRequest)
	out["identifier"] = dataIdentifiers(sr, "request-"+sr.ID())
	out["status"], out["intent"] = "active", "order"
	code := obj(sr["code"])
	if code == nil {
		code = map[string]any{"text": "No code available"}
	}
	out["code"] = code
	out["subject"] = subject
	if r, ok := sr["requester"]; ok {
		out["requester"] = map[string]any{"agent": r}
	}
	copyKeys(out, sr, "reasonCode", "note")
	return out
}

// investigations: the filed reports of the record, newest first, within
// investigationSearchPeriod (on the date the report was issued).
func (p *Provider) investigations(c *call, b *structuredBundle, patientID string, req *StructuredRequest, roles map[string]any) *Error {
	reports, e := p.record(c, b, "DiagnosticReport", patientID)
	if e != nil {
		return e
	}
	var keep []fhir.Resource
	var awaiting, confidential bool
	var externalIDs []string
	for _, dr := range reports {
		switch {
		case str(dr["status"]) == "entered-in-error" || str(dr["status"]) == "cancelled":
			continue
		case awaitingFiling(dr):
			awaiting = true
			continue
		case withheld(dr):
			confidential = true
			continue
		}
		day := dayOf(cmp.Or(str(dr["issued"]), str(dr["effectiveDateTime"]), str(obj(dr["effectivePeriod"])["start"])))
		if req.InvestigationsFrom != "" && day < req.InvestigationsFrom || req.InvestigationsTo != "" && day > req.InvestigationsTo {
			continue
		}
		keep = append(keep, dr)
		for _, r := range list(dr["result"]) {
			if id, ok := strings.CutPrefix(str(obj(r)["reference"]), "Observation/"); ok {
				externalIDs = append(externalIDs, id)
			}
		}
	}
	// The results a report names by id: from the patient's Observations
	// when uncategorised data read them already, else read by id.
	external := map[string]fhir.Resource{}
	if all, ok := b.records["Observation"]; ok {
		for _, o := range all {
			external[o.ID()] = o
		}
	} else if external, e = p.byID(c, "Observation", patientID, externalIDs); e != nil {
		return e
	}
	requests := map[string]fhir.Resource{}
	if len(keep) > 0 {
		srs, e := p.record(c, b, "ServiceRequest", patientID)
		if e != nil {
			return e
		}
		for _, sr := range srs {
			if n := clinical.TestRequestOf(sr).Number; n != "" && hasCategory(sr, clinical.LabCategoryToken) && !enteredInError(sr) && !withheld(sr) {
				requests[n] = sr
			}
		}
	}
	sort.SliceStable(keep, func(i, j int) bool { return str(keep[i]["issued"]) > str(keep[j]["issued"]) })
	var items []fhir.Resource
	var rest []fhir.Resource
	for _, dr := range keep {
		var request fhir.Resource
		for _, n := range clinical.OrderNumbers(dr) {
			if requests[n] != nil {
				request = requests[n]
				break
			}
		}
		inv, some := InvestigationSTU3(dr, patientID, external, request)
		confidential = confidential || some
		items = append(items, inv.Report)
		for _, r := range inv.Resources {
			p.agents(c, b, r, roles)
			rest = append(rest, r)
		}
	}
	l := b.list("investigations", patientID, items)
	for _, r := range rest {
		b.add(r)
	}
	if awaiting {
		warn(l, "data-awaiting-filing")
	}
	if confidential {
		warn(l, "confidential-items")
	}
	return nil
}

// record is the patient's resources of a type (the compartment search),
// read once per request: investigations, referrals and diary entries
// share the ServiceRequests, investigations the Observations
// uncategorised data read.
func (p *Provider) record(c *call, b *structuredBundle, typ, patientID string) ([]fhir.Resource, *Error) {
	if all, ok := b.records[typ]; ok {
		return all, nil
	}
	all, e := p.compartment(c, typ, patientID, nil)
	if e != nil {
		return nil, e
	}
	if b.records == nil {
		b.records = map[string][]fhir.Resource{}
	}
	b.records[typ] = all
	return all, nil
}

// hasCategory reports a resource with a category coding of the token
// ("system|code").
func hasCategory(r fhir.Resource, token string) bool {
	system, code, _ := strings.Cut(token, "|")
	for _, cat := range list(r["category"]) {
		for _, cd := range list(obj(cat)["coding"]) {
			if str(obj(cd)["system"]) == system && str(obj(cd)["code"]) == code {
				return true
			}
		}
	}
	return false
}

// byID reads resources of the patient's record by id, a hundred to a
// search, as the caller.
func (p *Provider) byID(c *call, typ, patientID string, ids []string) (map[string]fhir.Resource, *Error) {
	out := map[string]fhir.Resource{}
	for len(ids) > 0 {
		n := min(100, len(ids))
		found, e := p.compartment(c, typ, patientID, url.Values{"_id": {strings.Join(ids[:n], ",")}})
		if e != nil {
			return nil, e
		}
		for _, r := range found {
			out[r.ID()] = r
		}
		ids = ids[n:]
	}
	return out, nil
}

// agents makes the people an entry names Practitioners (a
// PractitionerRole read for its practitioner, as a MedicationRequest's
// recorder is) and notes them for the Bundle.
func (p *Provider) agents(c *call, b *structuredBundle, r fhir.Resource, roles map[string]any) {
	fix := func(ref any) any {
		id, ok := strings.CutPrefix(str(obj(ref)["reference"]), "PractitionerRole/")
		if !ok {
			b.notePractitioner(ref)
			return ref
		}
		pr := p.rolePractitioner(c, id, roles)
		b.notePractitioner(pr)
		return pr
	}
	var pfs []any
	for _, pf := range list(r["performer"]) {
		if v := fix(pf); v != nil {
			pfs = append(pfs, v)
		}
	}
	if pfs != nil {
		r["performer"] = pfs
	}
	if rq := obj(r["requester"]); rq != nil {
		if v := fix(rq["agent"]); v != nil {
			rq["agent"] = v
		} else {
			delete(r, "requester")
		}
	}
}

// dataIdentifiers are an entry's identifiers with the persistent one
// GP Connect asks for, scoped by the provider's namespace.
func dataIdentifiers(r map[string]any, value string) []any {
	return append(append([]any(nil), list(r["identifier"])...), map[string]any{"system": dataIdentifierSystem, "value": value})
}

// categorySTU3 is a category with R4's terminology.hl7.org system names
// as STU3 spells them, or the default given when there is none.
func categorySTU3(c map[string]any, system, code, display string) map[string]any {
	if c == nil {
		return map[string]any{"coding": []any{map[string]any{"system": system, "code": code, "display": display}}}
	}
	out := map[string]any{}
	for k, v := range c {
		out[k] = v
	}
	var codings []any
	for _, cd := range list(c["coding"]) {
		m := map[string]any{}
		for k, v := range obj(cd) {
			m[k] = v
		}
		if s, ok := strings.CutPrefix(str(m["system"]), "http://terminology.hl7.org/CodeSystem/"); ok {
			s = strings.Replace(s, "v2-", "v2/", 1)
			s = strings.Replace(s, "v3-", "v3/", 1)
			m["system"] = "http://hl7.org/fhir/" + s
		}
		codings = append(codings, m)
	}
	if codings != nil {
		out["coding"] = codings
	}
	return out
}

func firstOf(v any) map[string]any {
	if l := list(v); len(l) > 0 {
		return obj(l[0])
	}
	return nil
}

func firstText(v any) string {
	c := obj(v)
	if t := str(c["text"]); t != "" {
		return t
	}
	for _, cd := range list(c["coding"]) {
		if d := str(obj(cd)["display"]); d != "" {
			return d
		}
	}
	return ""
}

// dayOf is the date part of a FHIR date or dateTime.
func dayOf(s string) string { return s[:min(10, len(s))] }
