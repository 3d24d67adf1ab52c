package gpconnect

import (
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Consultations as GP Connect structures them: the "List of
// consultations" names each consultation's Encounter; each consultation
// is a List (325851000000107) of topic Lists (25851000000105, naming the
// problem dealt with), each a List of heading Lists (24781000000107,
// "Category (EHR)") of the entries written under that heading. gpcloud's
// consultation Composition (clinical/consultation_plan.go) is already
// that shape: a section per topic with its problem as focus, a
// sub-section per heading. It is mapped, not inferred: nothing is
// fabricated for a consultation that has no structure.

const (
	consultationListCode = "325851000000107"
	topicListCode        = "25851000000105"
	headingListCode      = "24781000000107"
	relatedProblemURL    = "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-RelatedProblemHeader-1"
	profileEncounter     = sd + "CareConnect-GPC-Encounter-1"
	profileObservation   = sd + "CareConnect-GPC-Observation-1"
)

func (p *Provider) consultations(c *call, b *structuredBundle, patientID string, req *StructuredRequest) *Error {
	comps, e := p.compartment(c, "Composition", patientID, url.Values{"type": {"http://snomed.info/sct|" + clinical.ConsultationCode}})
	if e != nil {
		return e
	}
	type consultation struct {
		comp, enc fhir.Resource
		start     string
	}
	var all []consultation
	for _, comp := range comps {
		if str(comp["status"]) == "entered-in-error" || withheld(comp) {
			continue
		}
		encID, ok := strings.CutPrefix(str(obj(comp["encounter"])["reference"]), "Encounter/")
		if !ok {
			continue
		}
		enc, _, e := c.read(p.opts.Service, "Encounter", encID, NoRecordFound)
		if e != nil {
			if e.Code == NoRecordFound {
				continue
			}
			return e
		}
		if str(enc["status"]) == "entered-in-error" || withheld(enc) {
			continue
		}
		start := str(obj(enc["period"])["start"])
		day := start[:min(10, len(start))]
		if req.ConsultationsFrom != "" && day < req.ConsultationsFrom[:min(10, len(req.ConsultationsFrom))] ||
			req.ConsultationsTo != "" && day > req.ConsultationsTo[:min(10, len(req.ConsultationsTo))] {
			continue
		}
		all = append(all, consultation{comp, enc, start})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].start > all[j].start })
	if n := req.ConsultationsMostRecent; n > 0 && len(all) > n {
		all = all[:n]
	}
	var encounters []fhir.Resource
	var rest []fhir.Resource // the consultation, topic and heading Lists and their items, after the top List
	for _, k := range all {
		enc := EncounterSTU3(k.enc)
		encounters = append(encounters, enc)
		for _, pt := range list(enc["participant"]) {
			b.notePractitioner(obj(pt)["individual"])
		}
		lists, items, e := p.consultationLists(c, b, k.comp, k.enc, patientID)
		if e != nil {
			return e
		}
		rest = append(rest, lists...)
		rest = append(rest, items...)
	}
	b.list("consultations", patientID, encounters)
	for _, r := range rest {
		b.add(r)
	}
	return nil
}

// consultationLists maps one Composition to its consultation, topic and
// heading Lists, and returns them with the items they refer to.
func (p *Provider) consultationLists(c *call, b *structuredBundle, comp, enc fhir.Resource, patientID string) (lists, items []fhir.Resource, e *Error) {
	encRef := map[string]any{"reference": "Encounter/" + enc.ID()}
	subject := map[string]any{"reference": "Patient/" + patientID}
	newList := func(id, code, display, title string, entries []any) fhir.Resource {
		l := fhir.Resource{"resourceType": "List", "id": id, "meta": map[string]any{"profile": []any{profileList}},
			"status": "current", "mode": "snapshot", "title": title, "subject": subject, "encounter": encRef,
			"code": map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": code, "display": display}}}}
		if d := str(comp["date"]); d != "" {
			l["date"] = d
		}
		if len(entries) > 0 {
			l["entry"] = entries
		}
		return l
	}
	// item maps a referenced entry, or returns nil when it is not shared.
	item := func(ref string) (fhir.Resource, *Error) {
		typ, id, _ := strings.Cut(ref, "/")
		if typ != "Observation" && typ != "Condition" {
			return nil, nil
		}
		res, _, e := c.read(p.opts.Service, typ, id, NoRecordFound)
		if e != nil {
			if e.Code == NoRecordFound {
				return nil, nil
			}
			return nil, e
		}
		if enteredInError(res) || withheld(res) {
			return nil, nil
		}
		if typ == "Condition" {
			m := ProblemSTU3(res)
			b.notePractitioner(m["asserter"])
			return m, nil
		}
		m := ObservationSTU3(res)
		for _, pf := range list(m["performer"]) {
			b.notePractitioner(pf)
		}
		return m, nil
	}
	entriesOf := func(refs []any) ([]any, *Error) {
		var out []any
		for _, r := range refs {
			m, e := item(str(obj(r)["reference"]))
			if e != nil {
				return nil, e
			}
			if m == nil {
				continue
			}
			items = append(items, m)
			out = append(out, map[string]any{"item": map[string]any{"reference": m.Type() + "/" + m.ID()}})
		}
		return out, nil
	}
	var topicEntries []any
	for ti, s := range list(comp["section"]) {
		topic := obj(s)
		topicID := "topic-" + comp.ID() + "-" + strconv.Itoa(ti)
		var topicItems []any
		for hi, h := range list(topic["section"]) {
			heading := obj(h)
			entries, e := entriesOf(list(heading["entry"]))
			if e != nil {
				return nil, nil, e
			}
			if len(entries) == 0 {
				continue // every entry under it withheld or retracted
			}
			hl := newList("heading-"+comp.ID()+"-"+strconv.Itoa(ti)+"-"+strconv.Itoa(hi), headingListCode, "Category (EHR)", str(heading["title"]), entries)
			lists = append(lists, hl)
			topicItems = append(topicItems, map[string]any{"item": map[string]any{"reference": "List/" + hl.ID()}})
		}
		direct, e := entriesOf(list(topic["entry"]))
		if e != nil {
			return nil, nil, e
		}
		topicItems = append(topicItems, direct...)
		if len(topicItems) == 0 {
			continue
		}
		tl := newList(topicID, topicListCode, "Topic (EHR)", str(topic["title"]), topicItems)
		if focus := str(obj(topic["focus"])["reference"]); strings.HasPrefix(focus, "Condition/") {
			if m, e := item(focus); e != nil {
				return nil, nil, e
			} else if m != nil {
				items = append(items, m)
				tl["extension"] = []any{map[string]any{"url": relatedProblemURL, "extension": []any{
					map[string]any{"url": "target", "valueReference": map[string]any{"reference": focus}}}}}
			}
		}
		lists = append(lists, tl)
		topicEntries = append(topicEntries, map[string]any{"item": map[string]any{"reference": "List/" + topicID}})
	}
	cl := newList("consultation-"+comp.ID(), consultationListCode, "Consultation", str(comp["title"]), topicEntries)
	if len(topicEntries) == 0 {
		cl["emptyReason"] = map[string]any{"coding": []any{map[string]any{"system": listEmptyReasonCS, "code": "no-content-recorded", "display": "No content recorded"}}}
	}
	return append([]fhir.Resource{cl}, lists...), items, nil
}

// EncounterSTU3 maps a consultation's Encounter.
func EncounterSTU3(e fhir.Resource) fhir.Resource {
	out := base(e, "Encounter", profileEncounter)
	copyKeys(out, e, "identifier", "status", "class", "type", "subject", "period", "location", "serviceProvider")
	dataIdentifier(out, e)
	var parts []any
	for _, p := range list(e["participant"]) {
		pm := obj(p)
		np := map[string]any{}
		for _, k := range []string{"type", "period", "individual"} {
			if v, ok := pm[k]; ok {
				np[k] = v
			}
		}
		parts = append(parts, np)
	}
	if len(parts) > 0 {
		out["participant"] = parts
	}
	return out
}

// ObservationSTU3 maps an Observation: STU3 calls the encounter context
// and has one comment where R4 has notes.
func ObservationSTU3(o fhir.Resource) fhir.Resource {
	out := base(o, "Observation", profileObservation)
	copyKeys(out, o, "identifier", "status", "category", "code", "subject", "effectiveDateTime", "effectivePeriod", "issued", "performer",
		"valueString", "valueQuantity", "valueCodeableConcept", "interpretation", "referenceRange", "component")
	dataIdentifier(out, o)
	if _, ok := out["issued"]; !ok {
		if d := recordedAt(o); d != "" {
			out["issued"] = d // 1..1: when it was recorded
		}
	}
	if enc, ok := o["encounter"]; ok {
		out["context"] = enc
	}
	if t := noteText(o["note"]); t != "" {
		out["comment"] = t
	}
	return out
}

// noteText is R4 Annotations' texts as one string, a line each (STU3
// has one comment, or one note, where R4 has many).
func noteText(notes any) string {
	var texts []string
	for _, n := range list(notes) {
		if t := str(obj(n)["text"]); t != "" {
			texts = append(texts, t)
		}
	}
	return strings.Join(texts, "\n")
}
