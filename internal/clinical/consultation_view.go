package clinical

import (
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/redaction"
)

// ConsultationView is a saved consultation as the journal shows it.
type ConsultationView struct {
	ID, Version string
	Type        string // the type's label
	TypeCode    string
	When        string // "27-Mar-2025 09:30"
	sortKey     string
	Clinician   string
	Place       string
	Appointment string
	// Status is "", "amended" or "entered-in-error".
	Status string
	// Changes are the amendments and retractions, newest first.
	Changes []ChangeNote
	Topics  []TopicView
	// Problems are the Condition references the topics link to.
	Problems []string
}

// TopicView is one topic of a saved consultation.
type TopicView struct {
	Title, Problem, Episode string
	Entries                 []EntryView // a topic without headings
	Headings                []HeadingView
}

// HeadingView is one heading with its entries.
type HeadingView struct {
	Title   string
	Entries []EntryView
}

// EntryView is one record entry: a note, a coded entry, a measurement or
// a problem.
type EntryView struct {
	Ref, Version string
	Kind         string // note, coded, measurement, problem
	Text, Detail string
	// Redacted are the words removed from online access within the
	// entry (package redaction): staff see them highlighted.
	Redacted []string
	// RedactionsMissing are removed words the entry no longer holds (an
	// amendment rewrote them): the clinician is told, not left unaware.
	RedactionsMissing int
	Amended           bool
	Retracted         bool
	// Change is the latest amendment or retraction: who, when, why.
	Change *ChangeNote
}

// ChangeNote is one Provenance: who changed something, when and why.
type ChangeNote struct {
	Activity string // "Amended" or "Entered in error"
	Who      string
	When     string
	Reason   string
	sortKey  string
}

// Changes indexes Provenances by the resource they changed ("Type/id").
func Changes(provenances []fhir.Resource) map[string][]ChangeNote {
	out := map[string][]ChangeNote{}
	for _, p := range provenances {
		note := ChangeNote{Activity: "Amended", When: dayTime(str(p, "recorded")), sortKey: str(p, "recorded")}
		if conceptCode(p["activity"]) == "NULLIFY" {
			note.Activity = "Entered in error"
		}
		for _, r := range list(p, "reason") {
			note.Reason = firstNonEmpty(str(r, "text"), conceptText(r))
		}
		for _, a := range list(p, "agent") {
			note.Who = refDisplay(a["who"])
		}
		for _, t := range list(p, "target") {
			ref := str(t, "reference")
			if base, _, ok := strings.Cut(ref, "/_history/"); ok {
				ref = base
			}
			if !strings.HasPrefix(ref, "Patient/") {
				out[ref] = append(out[ref], note)
			}
		}
	}
	for ref := range out {
		sort.SliceStable(out[ref], func(i, j int) bool { return out[ref][i].sortKey > out[ref][j].sortKey })
	}
	return out
}

// ViewConsultation builds the view of a consultation from its Encounter,
// its Composition (nil when none), the resources the Composition refers
// to (by "Type/id") and the changes made to them.
func ViewConsultation(enc, comp fhir.Resource, byRef map[string]fhir.Resource, changes map[string][]ChangeNote) ConsultationView {
	start := str(mapOf(enc["period"]), "start")
	v := ConsultationView{ID: enc.ID(), Version: versionOf(enc), When: dayTime(start), sortKey: start,
		Status: str(enc, "status"), Appointment: str(firstMap(enc["appointment"]), "reference")}
	if v.Status == "finished" {
		v.Status = ""
	}
	if comp != nil && str(comp, "status") == "amended" && v.Status == "" {
		v.Status = "amended"
	}
	v.TypeCode = conceptCode(firstOf(enc["type"]))
	if t, ok := ConsultationTypeOf(v.TypeCode); ok {
		v.Type = t.Label
	} else {
		v.Type = firstNonEmpty(conceptText(firstOf(enc["type"])), str(mapOf(enc["class"]), "display"), "Consultation")
	}
	for _, p := range list(enc, "participant") {
		if d := refDisplay(p["individual"]); d != "" {
			v.Clinician = d
			break
		}
	}
	for _, l := range list(enc, "location") {
		v.Place = refDisplay(l["location"])
	}
	v.Changes = append(v.Changes, changes["Encounter/"+enc.ID()]...)
	if comp != nil {
		v.Changes = append(v.Changes, changes["Composition/"+comp.ID()]...)
	}
	entry := func(ref string) EntryView {
		res, ok := byRef[ref]
		e := EntryView{Ref: ref}
		if !ok {
			e.Kind, e.Text = "note", "(not available)"
			return e
		}
		e.Version = versionOf(res)
		e.Kind, e.Text, e.Detail = describeEntry(res)
		e.Redacted, e.RedactionsMissing = redaction.Phrases(res), len(redaction.Missing(res))
		e.Retracted = EnteredInError(res)
		e.Amended = str(res, "status") == "amended"
		if cs := changes[ref]; len(cs) > 0 {
			e.Change = &cs[0]
			if !e.Retracted {
				e.Amended = true
			}
		}
		return e
	}
	if comp == nil {
		return v
	}
	for _, s := range list(comp, "section") {
		t := TopicView{Title: str(s, "title")}
		if f := str(mapOf(s["focus"]), "reference"); f != "" {
			v.Problems = append(v.Problems, f)
			if cond, ok := byRef[f]; ok {
				t.Problem = conceptText(cond["code"])
				t.Episode = episodeLabel(cond)
				if EnteredInError(cond) {
					t.Problem += " (entered in error)"
				}
			} else {
				t.Problem = refDisplay(s["focus"])
			}
		}
		for _, e := range list(s, "entry") {
			t.Entries = append(t.Entries, entry(str(e, "reference")))
		}
		for _, h := range list(s, "section") {
			hv := HeadingView{Title: str(h, "title")}
			for _, e := range list(h, "entry") {
				hv.Entries = append(hv.Entries, entry(str(e, "reference")))
			}
			t.Headings = append(t.Headings, hv)
		}
		v.Topics = append(v.Topics, t)
	}
	return v
}

// SortJournal puts consultations newest first.
func SortJournal(vs []ConsultationView) {
	sort.SliceStable(vs, func(i, j int) bool { return vs[i].sortKey > vs[j].sortKey })
}

// describeEntry says what a record entry is, in words.
func describeEntry(res fhir.Resource) (kind, text, detail string) {
	if res.Type() == "Condition" {
		return "problem", conceptText(res["code"]), episodeLabel(res)
	}
	codes := codesOf(res["code"])
	for _, c := range codes {
		if c == CommentNoteCode {
			return "note", str(res, "valueString"), ""
		}
	}
	notes := func() string {
		var out []string
		for _, n := range list(res, "note") {
			if t := str(n, "text"); t != "" {
				out = append(out, t)
			}
		}
		return strings.Join(out, "; ")
	}
	switch key := measureOf(codes); key {
	case "bp":
		var sys, dia string
		for _, c := range list(res, "component") {
			switch measureOf(codesOf(c["code"])) {
			case "systolic":
				sys = quantityText(mapOf(c["valueQuantity"]), false)
			case "diastolic":
				dia = quantityText(mapOf(c["valueQuantity"]), false)
			}
		}
		return "measurement", "Blood pressure", sys + "/" + dia + " mmHg"
	case "":
	default:
		return "measurement", labelOf(key), quantityText(mapOf(res["valueQuantity"]), true)
	}
	return "coded", conceptText(res["code"]), notes()
}

func episodeLabel(cond fhir.Resource) string {
	for _, x := range list(cond, "extension") {
		if x["url"] == ConditionEpisodeURL {
			return conceptText(x["valueCodeableConcept"])
		}
	}
	return ""
}

// ReadConsultation turns a saved consultation back into the form's
// content, each part remembering the resource it was saved as (for an
// amendment): the inverse of PlanConsultation.
func ReadConsultation(enc, comp fhir.Resource, byRef map[string]fhir.Resource) Consultation {
	c := Consultation{EncounterID: enc.ID(), Refs: map[string]string{SlotEncounter: "Encounter/" + enc.ID()}}
	c.PatientID = strings.TrimPrefix(str(mapOf(enc["subject"]), "reference"), "Patient/")
	c.Practice = strings.TrimPrefix(str(mapOf(enc["serviceProvider"]), "reference"), "Organization/")
	if t, ok := ConsultationTypeOf(conceptCode(firstOf(enc["type"]))); ok {
		c.Type = t.Key
	}
	if t, err := time.Parse(time.RFC3339, str(mapOf(enc["period"]), "start")); err == nil {
		c.Start = t.In(London)
	}
	for _, p := range list(enc, "participant") {
		ind := mapOf(p["individual"])
		c.Clinician = Ref{str(ind, "reference"), str(ind, "display")}
		break
	}
	for _, l := range list(enc, "location") {
		loc := mapOf(l["location"])
		c.Place = Ref{str(loc, "reference"), str(loc, "display")}
	}
	c.Appointment = str(firstMap(enc["appointment"]), "reference")
	if comp == nil {
		return c
	}
	c.Refs[SlotComposition] = "Composition/" + comp.ID()
	for _, a := range list(comp, "author") {
		c.Author = Ref{str(a, "reference"), str(a, "display")}
	}
	for i, s := range list(comp, "section") {
		t := Topic{Title: str(s, "title"), Notes: map[string]string{}}
		if f := str(mapOf(s["focus"]), "reference"); f != "" {
			if cond, ok := byRef[f]; ok {
				codes := codesOf(cond["code"])
				if len(codes) > 0 {
					t.Code = Concept{codes[0], conceptText(cond["code"])}
				}
				if createdIn(cond, "Encounter/"+enc.ID()) {
					t.Problem = "new"
					c.Refs[SlotProblem(i)] = f
				} else {
					t.Problem, t.ProblemDisplay = f, conceptText(cond["code"])
				}
				for _, x := range list(cond, "extension") {
					if x["url"] == ConditionEpisodeURL {
						t.Episode = conceptCode(x["valueCodeableConcept"])
					}
				}
			}
			if t.Title == t.Code.Display {
				t.Title = ""
			}
		}
		for _, h := range list(s, "section") {
			heading, ok := HeadingOf(str(h, "title"))
			if !ok {
				continue
			}
			for _, e := range list(h, "entry") {
				ref := str(e, "reference")
				res, ok := byRef[ref]
				if !ok || EnteredInError(res) {
					continue
				}
				c.readEntry(i, &t, heading.Key, ref, res)
			}
		}
		c.Topics = append(c.Topics, t)
	}
	return c
}

// readEntry puts one saved entry back into its slot.
func (c *Consultation) readEntry(i int, t *Topic, heading, ref string, res fhir.Resource) {
	codes := codesOf(res["code"])
	qty := func() float64 {
		f, _ := toFloat(mapOf(res["valueQuantity"])["value"])
		return f
	}
	switch {
	case len(codes) > 0 && codes[0] == CommentNoteCode:
		t.Notes[heading] = str(res, "valueString")
		c.Refs[SlotNote(i, heading)] = ref
	case len(codes) > 0 && codes[0] == ChaperoneOfferedCode:
		c.Chaperone = "offered"
		c.Refs[SlotChaperone] = ref
	case len(codes) > 0 && codes[0] == ChaperonePresentCode:
		c.Chaperone = "present"
		for _, n := range list(res, "note") {
			c.ChaperoneName = str(n, "text")
		}
		c.Refs[SlotChaperone] = ref
	default:
		switch measureOf(codes) {
		case "bp":
			for _, comp := range list(res, "component") {
				v, _ := toFloat(mapOf(comp["valueQuantity"])["value"])
				switch measureOf(codesOf(comp["code"])) {
				case "systolic":
					c.Measurements.Systolic = int(v)
				case "diastolic":
					c.Measurements.Diastolic = int(v)
				}
			}
			c.Refs[SlotBP] = ref
		case "pulse":
			c.Measurements.Pulse = int(qty())
			c.Refs[SlotPulse] = ref
		case "weight":
			c.Measurements.WeightKg = qty()
			c.Refs[SlotWeight] = ref
		case "height":
			c.Measurements.HeightCm = qty()
			c.Refs[SlotHeight] = ref
		case "bmi":
			c.Refs[SlotBMI] = ref
		default:
			e := CodedEntry{Heading: heading}
			if len(codes) > 0 {
				e.Concept = Concept{codes[0], conceptText(res["code"])}
			}
			for _, n := range list(res, "note") {
				e.Comment = str(n, "text")
			}
			c.Refs[SlotEntry(i, len(t.Entries))] = ref
			t.Entries = append(t.Entries, e)
		}
	}
}

func firstMap(v any) map[string]any { return mapOf(firstOf(v)) }

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// dayTime writes a dateTime as "27-Mar-2025 09:30" in the practice's
// zone ("" stays "").
func dayTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return day(s)
	}
	return t.In(London).Format("02-Jan-2006 15:04")
}

// toFloat reads a JSON number however it was decoded.
func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

// ProblemLabel names a problem for a choice: its term and whether it is
// active or ended.
func ProblemLabel(cond fhir.Resource) string {
	text := conceptText(cond["code"])
	switch clinicalStatus(cond) {
	case "active", "recurrence", "relapse", "":
		return text + " (active)"
	}
	if d := day(str(cond, "abatementDateTime")); d != "" {
		return text + " (ended " + d + ")"
	}
	return text + " (past)"
}
