package clinical

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/patientview"
)

// Stored are the record's current resources a consultation was saved as,
// by reference ("Observation/id"), each with its meta.versionId: an
// amendment starts from them, so that what another system added to them
// is kept, and writes each one only when it changed, If-Match its version.
type Stored map[string]fhir.Resource

// Change is one resource a consultation writes.
type Change struct {
	// Ref is "Type/id", or a urn:uuid for a resource created.
	Ref      string
	Resource fhir.Resource
	// Version is the version replaced (0 for a create).
	Version string
}

// Plan is what saving a consultation writes: one transaction.
type Plan struct {
	Changes []Change
	// Retracted are resources an amendment emptied, marked entered in
	// error rather than deleted.
	Retracted []string
	// Nullify says the plan retracts (its Provenance is NULLIFY, not
	// UPDATE).
	Nullify bool
}

// Empty reports whether the plan writes nothing (an amendment that
// changed nothing).
func (p Plan) Empty() bool { return len(p.Changes) == 0 }

// PlanConsultation works out what saving c writes: the Encounter, the
// Composition (a section per topic, a sub-section per heading), an
// Observation per note, coded entry and measurement, a Condition per new
// problem and an updated existing problem when its episode changes it.
// stored holds the resources of c.Refs (an amendment) and the existing
// problems c links to. Each resource is written only when it differs from
// its stored version; a part emptied by an amendment is marked entered in
// error. now stamps Composition.date (when it was last edited).
func PlanConsultation(c *Consultation, stored Stored, now time.Time) (Plan, error) {
	b := &planner{c: c, stored: stored, now: now, refs: map[string]string{}}
	return b.plan()
}

type planner struct {
	c      *Consultation
	stored Stored
	now    time.Time
	plan_  Plan
	refs   map[string]string // slot → reference written (existing or urn)
	enc    string            // the Encounter's reference
}

func (b *planner) plan() (Plan, error) {
	c := b.c
	typ, ok := ConsultationTypeOf(c.Type)
	if !ok {
		return Plan{}, fmt.Errorf("consultation type %q", c.Type)
	}
	patient := map[string]any{"reference": "Patient/" + c.PatientID}
	when := c.Start.In(London).Format("2006-01-02T15:04:05-07:00")
	clinician := refMap(c.Clinician)

	// The Encounter.
	enc := b.start(SlotEncounter, "Encounter")
	b.enc = b.refs[SlotEncounter]
	enc["status"] = "finished"
	enc["class"] = map[string]any{"system": actCodeURL, "code": typ.Class, "display": typ.ClassDisplay}
	enc["type"] = []any{codeable(SNOMED, typ.Code, typ.CodeDisplay, typ.Label)}
	enc["subject"] = patient
	enc["participant"] = []any{map[string]any{
		"type":       []any{map[string]any{"coding": []any{map[string]any{"system": participationTypeURL, "code": "PPRF", "display": "primary performer"}}}},
		"individual": clinician}}
	period := mapOf(enc["period"])
	if period == nil {
		period = map[string]any{}
	}
	period["start"] = when
	if !c.End.IsZero() && c.End.After(c.Start) {
		period["end"] = c.End.In(London).Format("2006-01-02T15:04:05-07:00")
	}
	enc["period"] = period
	setOrDelete(enc, "location", c.Place.Display != "" || c.Place.Reference != "", func() any {
		return []any{map[string]any{"location": refMap(c.Place)}}
	})
	setOrDelete(enc, "appointment", c.Appointment != "", func() any {
		return []any{map[string]any{"reference": c.Appointment}}
	})
	setOrDelete(enc, "serviceProvider", c.Practice != "", func() any {
		return map[string]any{"reference": "Organization/" + c.Practice}
	})

	// The record entries, then the Composition that arranges them.
	obs := func(slot string, code map[string]any, fill func(fhir.Resource)) string {
		o := b.start(slot, "Observation")
		o["status"] = "final"
		o["code"] = code
		o["subject"] = patient
		o["encounter"] = map[string]any{"reference": b.enc}
		o["effectiveDateTime"] = when
		o["performer"] = []any{clinician}
		delete(o, "valueString")
		delete(o, "valueQuantity")
		delete(o, "component")
		delete(o, "note")
		fill(o)
		return b.finish(slot, o)
	}
	var topicSections []any
	var diagnoses []any
	for i, t := range c.Topics {
		if t.Empty() {
			continue
		}
		if strings.HasPrefix(t.Problem, "Condition/") && t.ProblemDisplay == "" {
			t.ProblemDisplay = conceptText(b.stored[t.Problem]["code"])
		}
		topic := map[string]any{
			"title":     topicTitle(t),
			"code":      codeable(SNOMED, TopicCode, "Topic (EHR)", ""),
			"mode":      "snapshot",
			"orderedBy": map[string]any{"coding": []any{map[string]any{"system": listOrderURL, "code": "system", "display": "Sorted by System"}}},
		}
		problem := b.problem(i, t, patient, clinician, when)
		if problem != "" {
			topic["focus"] = map[string]any{"reference": problem, "display": topicTitle(t)}
			diagnoses = append(diagnoses, map[string]any{"condition": map[string]any{"reference": problem, "display": topicTitle(t)}})
		}
		var headings []any
		for _, h := range Headings {
			var entries []any
			if text := strings.TrimSpace(t.Notes[h.Key]); text != "" {
				ref := obs(SlotNote(i, h.Key), codeable(SNOMED, CommentNoteCode, "Comment note", ""), func(o fhir.Resource) {
					o["valueString"] = text
				})
				entries = append(entries, map[string]any{"reference": ref})
			}
			for j, e := range t.Entries {
				if e.Empty() || e.Heading != h.Key {
					continue
				}
				ref := obs(SlotEntry(i, j), codeable(SNOMED, e.Code, e.Display, ""), func(o fhir.Resource) {
					if s := strings.TrimSpace(e.Comment); s != "" {
						o["note"] = []any{map[string]any{"text": s}}
					}
				})
				entries = append(entries, map[string]any{"reference": ref})
			}
			if h.Key == "examination" && i == b.firstTopic() {
				entries = append(entries, b.measurements(obs)...)
			}
			if len(entries) > 0 {
				headings = append(headings, map[string]any{"title": h.Title, "mode": "snapshot",
					"orderedBy": topic["orderedBy"], "entry": entries})
			}
		}
		switch {
		case len(headings) > 0:
			topic["section"] = headings
		case problem != "":
			topic["entry"] = []any{map[string]any{"reference": problem}}
		default:
			continue // a title alone records nothing
		}
		topicSections = append(topicSections, topic)
	}
	if b.firstTopic() < 0 {
		// Measurements without a topic: a topic of their own, as GP
		// Connect's flat consultations have.
		entries := b.measurements(obs)
		if len(entries) > 0 {
			topicSections = append(topicSections, map[string]any{
				"title": "Examination", "code": codeable(SNOMED, TopicCode, "Topic (EHR)", ""), "mode": "snapshot",
				"orderedBy": map[string]any{"coding": []any{map[string]any{"system": listOrderURL, "code": "system", "display": "Sorted by System"}}},
				"section":   []any{map[string]any{"title": "Examination", "mode": "snapshot", "entry": entries}}})
		}
	}
	setOrDelete(enc, "diagnosis", len(diagnoses) > 0, func() any { return diagnoses })
	b.finish(SlotEncounter, enc)

	// Parts an amendment emptied: entered in error, never deleted.
	for slot, ref := range c.Refs {
		if _, written := b.refs[slot]; written || slot == SlotComposition || slot == SlotEncounter {
			continue
		}
		res, ok := b.stored[ref]
		if !ok {
			continue
		}
		if isProblemSlot(slot) && !createdIn(res, b.enc) {
			continue // an existing problem is the patient's, not this consultation's
		}
		marked := cloneResource(res)
		if !MarkEnteredInError(marked) {
			continue
		}
		b.plan_.Changes = append(b.plan_.Changes, Change{Ref: ref, Resource: marked, Version: versionOf(res)})
		b.plan_.Retracted = append(b.plan_.Retracted, ref)
	}

	comp := b.start(SlotComposition, "Composition")
	status := "final"
	if c.EncounterID != "" {
		status = "amended"
	}
	comp["status"] = status
	comp["type"] = codeable(SNOMED, ConsultationCode, "Consultation encounter type", "")
	comp["subject"] = patient
	comp["encounter"] = map[string]any{"reference": b.enc}
	comp["author"] = []any{refMap(c.Author)}
	comp["title"] = typ.Label + " consultation"
	comp["section"] = topicSections
	if len(topicSections) == 0 {
		delete(comp, "section")
	}
	// Composition.date is when the consultation was last edited: set it
	// only when something else changed, so an unchanged amendment writes
	// nothing.
	if old, ok := b.stored[b.refs[SlotComposition]]; ok {
		comp["date"] = old["date"]
		comp["status"] = old["status"]
		if !sameResource(old, comp) || len(b.plan_.Changes) > 0 {
			comp["date"] = fhir.FormatInstant(b.now)
			comp["status"] = status
		}
	} else {
		comp["date"] = fhir.FormatInstant(b.now)
	}
	b.finish(SlotComposition, comp)
	return b.plan_, nil
}

// firstTopic is the index of the first topic with content (measurements
// go under its Examination), or -1.
func (b *planner) firstTopic() int {
	for i, t := range b.c.Topics {
		if !t.Empty() {
			return i
		}
	}
	return -1
}

// measurements writes the measurements and the chaperone, returning
// their references for the Examination heading.
func (b *planner) measurements(obs func(string, map[string]any, func(fhir.Resource)) string) []any {
	m := b.c.Measurements
	var out []any
	vital := func(o fhir.Resource) {
		o["category"] = []any{map[string]any{"coding": []any{map[string]any{"system": observationCategory, "code": "vital-signs", "display": "Vital Signs"}}}}
	}
	add := func(ref string) { out = append(out, map[string]any{"reference": ref}) }
	if m.Systolic != 0 && m.Diastolic != 0 {
		add(obs(SlotBP, twoCodes("75367002", "Blood pressure", "85354-9", "Blood pressure panel with all children optional"), func(o fhir.Resource) {
			vital(o)
			o["component"] = []any{
				map[string]any{"code": twoCodes("271649006", "Systolic blood pressure", "8480-6", "Systolic blood pressure"), "valueQuantity": quantity(float64(m.Systolic), "mmHg", "mm[Hg]")},
				map[string]any{"code": twoCodes("271650006", "Diastolic blood pressure", "8462-4", "Diastolic blood pressure"), "valueQuantity": quantity(float64(m.Diastolic), "mmHg", "mm[Hg]")}}
		}))
	}
	if m.Pulse != 0 {
		add(obs(SlotPulse, twoCodes("364075005", "Heart rate", "8867-4", "Heart rate"), func(o fhir.Resource) {
			vital(o)
			o["valueQuantity"] = quantity(float64(m.Pulse), "beats/minute", "/min")
		}))
	}
	if m.WeightKg != 0 {
		add(obs(SlotWeight, twoCodes("27113001", "Body weight", "29463-7", "Body weight"), func(o fhir.Resource) {
			vital(o)
			o["valueQuantity"] = quantity(m.WeightKg, "kg", "kg")
		}))
	}
	if m.HeightCm != 0 {
		add(obs(SlotHeight, twoCodes("50373000", "Body height", "8302-2", "Body height"), func(o fhir.Resource) {
			vital(o)
			o["valueQuantity"] = quantity(m.HeightCm, "cm", "cm")
		}))
	}
	if bmi, ok := m.BMI(); ok {
		weight, height := b.refs[SlotWeight], b.refs[SlotHeight]
		add(obs(SlotBMI, twoCodes("60621009", "Body mass index", "39156-5", "Body mass index (BMI) [Ratio]"), func(o fhir.Resource) {
			vital(o)
			o["valueQuantity"] = quantity(bmi, "kg/m2", "kg/m2")
			// Computed from this weight and height, never typed.
			o["derivedFrom"] = []any{map[string]any{"reference": weight}, map[string]any{"reference": height}}
		}))
	}
	switch b.c.Chaperone {
	case "offered":
		add(obs(SlotChaperone, codeable(SNOMED, ChaperoneOfferedCode, "Chaperone offered", ""), func(o fhir.Resource) {
			o["note"] = []any{map[string]any{"text": "Offered and declined"}}
		}))
	case "present":
		add(obs(SlotChaperone, codeable(SNOMED, ChaperonePresentCode, "Chaperone present", ""), func(o fhir.Resource) {
			o["note"] = []any{map[string]any{"text": strings.TrimSpace(b.c.ChaperoneName)}}
		}))
	}
	return out
}

// problem writes a topic's problem: a new Condition, or an existing one
// changed by the episode (a new episode reopens it, "ends" resolves it).
// It returns the problem's reference, or "".
func (b *planner) problem(i int, t Topic, patient, clinician map[string]any, when string) string {
	slot := SlotProblem(i)
	switch {
	case t.Problem == "new":
		cond := b.start(slot, "Condition")
		cond["category"] = []any{map[string]any{"coding": []any{map[string]any{"system": conditionCategoryURL, "code": "problem-list-item", "display": "Problem List Item"}}}}
		cond["verificationStatus"] = codeable(conditionVerification, "confirmed", "Confirmed", "")
		cond["code"] = codeable(SNOMED, t.Code.Code, t.Code.Display, "")
		cond["subject"] = patient
		cond["encounter"] = map[string]any{"reference": b.enc}
		if _, ok := cond["onsetDateTime"]; !ok {
			cond["onsetDateTime"] = when
		}
		cond["recordedDate"] = when
		cond["recorder"] = clinician
		episode := t.Episode
		if episode == "" {
			episode = "first"
		}
		b.episode(cond, episode, when)
		return b.finish(slot, cond)
	case strings.HasPrefix(t.Problem, "Condition/"):
		old, ok := b.stored[t.Problem]
		if !ok {
			return t.Problem
		}
		if t.Episode != "new" && t.Episode != "end" {
			return t.Problem // a review changes nothing on the problem
		}
		cond := cloneResource(old)
		b.episode(cond, t.Episode, when)
		b.refs[slot] = t.Problem
		if !sameResource(old, cond) {
			b.plan_.Changes = append(b.plan_.Changes, Change{Ref: t.Problem, Resource: cond, Version: versionOf(old)})
		}
		return t.Problem
	}
	return ""
}

// episode records an episode on a problem: its UK Core episodicity, and
// the clinical status it implies.
func (b *planner) episode(cond fhir.Resource, episode, when string) {
	var exts []any
	for _, x := range list(cond, "extension") {
		if x["url"] != ConditionEpisodeURL {
			exts = append(exts, x)
		}
	}
	label := episode
	for _, e := range Episodes {
		if e.Code == episode {
			label = e.Label
		}
	}
	exts = append(exts, map[string]any{"url": ConditionEpisodeURL,
		"valueCodeableConcept": codeable(ConditionEpisodicity, episode, label, "")})
	cond["extension"] = exts
	switch episode {
	case "end":
		cond["clinicalStatus"] = codeable(conditionClinicalURL, "resolved", "Resolved", "")
		cond["abatementDateTime"] = when
	case "new":
		status := clinicalStatus(cond)
		if status == "resolved" || status == "inactive" || status == "remission" {
			cond["clinicalStatus"] = codeable(conditionClinicalURL, "recurrence", "Recurrence", "")
		} else if status == "" {
			cond["clinicalStatus"] = codeable(conditionClinicalURL, "active", "Active", "")
		}
		delete(cond, "abatementDateTime")
	default:
		if clinicalStatus(cond) == "" {
			cond["clinicalStatus"] = codeable(conditionClinicalURL, "active", "Active", "")
		}
	}
}

// start returns the resource a slot is written as: a copy of the stored
// one (an amendment keeps what other systems added) or a new one.
func (b *planner) start(slot, typ string) fhir.Resource {
	if ref, ok := b.c.Refs[slot]; ok {
		if old, ok := b.stored[ref]; ok && old.Type() == typ {
			b.refs[slot] = ref
			return cloneResource(old)
		}
	}
	b.refs[slot] = "urn:uuid:" + fhir.NewUUID()
	return fhir.Resource{"resourceType": typ}
}

// finish adds a slot's resource to the plan when it is new or changed,
// and returns its reference.
func (b *planner) finish(slot string, res fhir.Resource) string {
	ref := b.refs[slot]
	if old, ok := b.stored[ref]; ok {
		if old.Type() == "Observation" && old["status"] == "amended" && res["status"] == "final" {
			res["status"] = "amended" // once amended, always amended
		}
		if old.Type() == "Observation" && old["status"] == "final" && !sameResource(old, res) {
			res["status"] = "amended"
		}
		if !sameResource(old, res) {
			b.plan_.Changes = append(b.plan_.Changes, Change{Ref: ref, Resource: res, Version: versionOf(old)})
		}
		return ref
	}
	b.plan_.Changes = append(b.plan_.Changes, Change{Ref: ref, Resource: res})
	return ref
}

// Bundle is the plan as a FHIR transaction, with a Provenance saying who
// amended what and why when it changes resources saved before.
func (p Plan) Bundle(patientID string, who Ref, reason string, now time.Time) (fhir.Resource, error) {
	var entries []any
	var targets []any
	for _, ch := range p.Changes {
		e := map[string]any{"resource": map[string]any(ch.Resource)}
		if strings.HasPrefix(ch.Ref, "urn:uuid:") {
			e["fullUrl"] = ch.Ref
			e["request"] = map[string]any{"method": "POST", "url": ch.Resource.Type()}
		} else {
			_, id, _ := strings.Cut(ch.Ref, "/")
			ch.Resource["id"] = id
			delete(ch.Resource, "meta")
			e["request"] = map[string]any{"method": "PUT", "url": ch.Ref, "ifMatch": `W/"` + ch.Version + `"`}
			targets = append(targets, map[string]any{"reference": ch.Ref + "/_history/" + nextVersion(ch.Version)})
		}
		entries = append(entries, e)
	}
	if len(targets) > 0 {
		for _, ch := range p.Changes {
			if strings.HasPrefix(ch.Ref, "urn:uuid:") {
				targets = append(targets, map[string]any{"reference": ch.Ref})
			}
		}
		activity := "UPDATE"
		if p.Nullify || len(p.Retracted) == len(p.Changes) {
			activity = "NULLIFY"
		}
		entries = append(entries, map[string]any{"fullUrl": "urn:uuid:" + fhir.NewUUID(),
			"resource": map[string]any(ProvenanceOf(patientID, targets, who, reason, activity, now)),
			"request":  map[string]any{"method": "POST", "url": "Provenance"}})
	}
	return normalised(fhir.Resource{"resourceType": "Bundle", "type": "transaction", "entry": entries})
}

// ProvenanceOf says who changed the targets, when and why: UPDATE for an
// amendment, NULLIFY for a retraction. The Patient is a target too, so
// that the Provenance is in the patient's compartment and reached (and
// refused) exactly as the record is.
func ProvenanceOf(patientID string, targets []any, who Ref, reason, activity string, now time.Time) fhir.Resource {
	display := map[string]string{"UPDATE": "revise", "NULLIFY": "nullify"}[activity]
	return fhir.Resource{"resourceType": "Provenance",
		"target":   append(targets, map[string]any{"reference": "Patient/" + patientID}),
		"recorded": fhir.FormatInstant(now),
		"activity": map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-DataOperation", "code": activity, "display": display}}},
		"reason":   []any{map[string]any{"text": reason}},
		"agent": []any{map[string]any{
			"type": map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type", "code": "author", "display": "Author"}}},
			"who":  refMap(who)}}}
}

// MarkEnteredInError marks a resource as recorded in error, as its type
// says it; false when the type has no such status.
func MarkEnteredInError(res fhir.Resource) bool {
	switch res.Type() {
	case "Observation", "Encounter", "Composition", "DocumentReference", "AllergyIntolerance", "Immunization", "MedicationRequest":
		if res.Type() == "Composition" || res.Type() == "DocumentReference" || res.Type() == "Observation" || res.Type() == "Encounter" || res.Type() == "Immunization" || res.Type() == "MedicationRequest" {
			res["status"] = "entered-in-error"
		}
		if res.Type() == "AllergyIntolerance" {
			res["verificationStatus"] = codeable("http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "entered-in-error", "Entered in Error", "")
			delete(res, "clinicalStatus")
		}
		return true
	case "Condition":
		res["verificationStatus"] = codeable(conditionVerification, "entered-in-error", "Entered in Error", "")
		delete(res, "clinicalStatus") // con-5: none when entered in error
		return true
	}
	return false
}

// EnteredInError reports whether a resource is marked entered in error.
func EnteredInError(res fhir.Resource) bool { return patientview.EnteredInError(res) }

// createdIn reports whether a resource was recorded in the encounter.
func createdIn(res fhir.Resource, enc string) bool {
	return str(mapOf(res["encounter"]), "reference") == enc
}

func isProblemSlot(slot string) bool { return strings.HasSuffix(slot, "/problem") }

func topicTitle(t Topic) string {
	if s := strings.TrimSpace(t.Title); s != "" {
		return s
	}
	return firstNonEmpty(t.Code.Display, t.ProblemDisplay, "Problem")
}

func codeable(system, code, display, text string) map[string]any {
	c := map[string]any{"coding": []any{map[string]any{"system": system, "code": code, "display": display}}}
	if text != "" {
		c["text"] = text
	}
	return c
}

func twoCodes(snomed, snomedDisplay, loinc, loincDisplay string) map[string]any {
	return map[string]any{"coding": []any{
		map[string]any{"system": SNOMED, "code": snomed, "display": snomedDisplay},
		map[string]any{"system": LOINC, "code": loinc, "display": loincDisplay}}, "text": snomedDisplay}
}

func quantity(v float64, unit, code string) map[string]any {
	return map[string]any{"value": json.Number(trimFloat(v)), "unit": unit, "system": ucum, "code": code}
}

func refMap(r Ref) map[string]any {
	m := map[string]any{}
	if r.Reference != "" {
		m["reference"] = r.Reference
	}
	if r.Display != "" {
		m["display"] = r.Display
	}
	return m
}

func setOrDelete(res fhir.Resource, key string, set bool, value func() any) {
	if set {
		res[key] = value()
	} else {
		delete(res, key)
	}
}

func versionOf(res fhir.Resource) string { return str(mapOf(res["meta"]), "versionId") }

func nextVersion(v string) string {
	var n int
	fmt.Sscan(v, &n)
	return fmt.Sprint(n + 1)
}

// sameResource compares two resources as JSON, leaving out meta and the
// narrative (what the server stamps).
func sameResource(a, b fhir.Resource) bool {
	strip := func(r fhir.Resource) any {
		c := cloneResource(r)
		delete(c, "meta")
		delete(c, "text")
		delete(c, "id")
		return normalise(c)
	}
	return reflect.DeepEqual(strip(a), strip(b))
}

// normalise round-trips through JSON so that numbers and maps compare
// alike however they were built.
func normalise(v any) any {
	body, _ := json.Marshal(v)
	var out any
	d := json.NewDecoder(strings.NewReader(string(body)))
	d.UseNumber()
	_ = d.Decode(&out)
	return out
}

func cloneResource(r fhir.Resource) fhir.Resource {
	out, _ := normalise(map[string]any(r)).(map[string]any)
	return out
}

func normalised(r fhir.Resource) (fhir.Resource, error) {
	body, err := fhir.Marshal(r)
	if err != nil {
		return nil, err
	}
	return fhir.Unmarshal(body)
}

// PlanRetraction marks resources entered in error (never deleted) and
// touches the consultation's Composition (its date: it was last edited
// now), so that an amendment begun before is told it changed.
func PlanRetraction(targets []fhir.Resource, comp fhir.Resource, now time.Time) Plan {
	p := Plan{Nullify: true}
	for _, res := range targets {
		marked := cloneResource(res)
		if !MarkEnteredInError(marked) || sameResource(res, marked) {
			continue
		}
		ref := res.Type() + "/" + res.ID()
		p.Changes = append(p.Changes, Change{Ref: ref, Resource: marked, Version: versionOf(res)})
		p.Retracted = append(p.Retracted, ref)
	}
	if comp != nil && len(p.Changes) > 0 && str(comp, "status") != "entered-in-error" && !slices.Contains(p.Retracted, "Composition/"+comp.ID()) {
		touched := cloneResource(comp)
		touched["date"] = fhir.FormatInstant(now)
		if str(touched, "status") == "final" {
			touched["status"] = "amended"
		}
		p.Changes = append(p.Changes, Change{Ref: "Composition/" + comp.ID(), Resource: touched, Version: versionOf(comp)})
	}
	return p
}
