package clinical

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

var consultNow = time.Date(2025, 3, 27, 10, 0, 0, 0, time.UTC)

func sampleConsultation() *Consultation {
	return &Consultation{
		PatientID: "p1", Practice: "org1", Type: "face-to-face",
		Start:     time.Date(2025, 3, 27, 9, 30, 0, 0, London),
		Clinician: Ref{"Practitioner/pr1", "Dr Anita Patel"}, Author: Ref{"Practitioner/pr1", "Dr Anita Patel"},
		Place:        Ref{Display: "Riverside Medical Practice"},
		Measurements: Measurements{Systolic: 148, Diastolic: 92, WeightKg: 80, HeightCm: 175},
		Chaperone:    "present", ChaperoneName: "Grace Okafor",
		Topics: []Topic{{
			Code: Concept{"38341003", "Hypertension"}, Problem: "new", Episode: "first",
			Notes:   map[string]string{"history": "Headaches for two weeks.", "plan": "Home BP monitoring."},
			Entries: []CodedEntry{{Heading: "examination", Concept: Concept{"25064002", "Headache"}, Comment: "frontal"}},
		}},
	}
}

// saved stores a plan as the server would: ids for urn:uuids, version 1,
// references rewritten. It returns the stored resources and the slots'
// references.
func saved(t *testing.T, c *Consultation, p Plan) (Stored, map[string]string) {
	t.Helper()
	ids := map[string]string{}
	stored := Stored{}
	for i, ch := range p.Changes {
		ref := ch.Ref
		if strings.HasPrefix(ref, "urn:uuid:") {
			ref = fmt.Sprintf("%s/x%d", ch.Resource.Type(), i)
			ids[ch.Ref] = ref
		}
	}
	for _, ch := range p.Changes {
		res := cloneResource(ch.Resource)
		fhir.WalkReferences(map[string]any(res), func(r string) (string, bool) { to, ok := ids[r]; return to, ok })
		ref := ch.Ref
		if to, ok := ids[ref]; ok {
			ref = to
		}
		_, id, _ := strings.Cut(ref, "/")
		res["id"] = id
		v := 1
		if ch.Version != "" {
			fmt.Sscan(ch.Version, &v)
			v++
		}
		res["meta"] = map[string]any{"versionId": fmt.Sprint(v)}
		stored[ref] = res
	}
	return stored, ids
}

func TestConsultationWrites(t *testing.T) {
	c := sampleConsultation()
	if errs := c.Check(consultNow); len(errs) > 0 {
		t.Fatalf("check: %v", errs)
	}
	p, err := PlanConsultation(c, nil, consultNow)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	var comp, enc, bmi, cond fhir.Resource
	for _, ch := range p.Changes {
		if !strings.HasPrefix(ch.Ref, "urn:uuid:") {
			t.Errorf("a new consultation updates %s", ch.Ref)
		}
		count[ch.Resource.Type()]++
		switch ch.Resource.Type() {
		case "Composition":
			comp = ch.Resource
		case "Encounter":
			enc = ch.Resource
		case "Condition":
			cond = ch.Resource
		case "Observation":
			if measureOf(codesOf(ch.Resource["code"])) == "bmi" {
				bmi = ch.Resource
			}
		}
	}
	// 2 notes, 1 coded entry, BP, weight, height, BMI, chaperone.
	if want := map[string]int{"Encounter": 1, "Composition": 1, "Condition": 1, "Observation": 8}; fmt.Sprint(count) != fmt.Sprint(want) {
		t.Errorf("writes %v, want %v", count, want)
	}
	if got := fmt.Sprint(mapOf(bmi["valueQuantity"])["value"]); got != "26.1" {
		t.Errorf("BMI %s, want 26.1 (80 kg, 175 cm)", got)
	}
	if len(list(bmi, "derivedFrom")) != 2 {
		t.Error("the BMI does not say it was derived from the weight and height")
	}
	if str(mapOf(enc["period"]), "start") != "2025-03-27T09:30:00+00:00" {
		t.Errorf("encounter start %v", enc["period"])
	}
	if len(list(enc, "diagnosis")) != 1 {
		t.Error("the encounter does not name the problem it dealt with")
	}
	if clinicalStatus(cond) != "active" || episodeLabel(cond) != "First" || str(mapOf(cond["encounter"]), "reference") != str(mapOf(comp["encounter"]), "reference") {
		t.Errorf("the new problem: %v", cond)
	}
	// The Composition: one topic, titled by the problem, focus on it, with
	// History, Examination and Plan in the order of the headings.
	if conceptCode(comp["type"]) != ConsultationCode || comp["status"] != "final" {
		t.Errorf("composition type/status %v %v", comp["type"], comp["status"])
	}
	topics := list(comp, "section")
	if len(topics) != 1 || topics[0]["title"] != "Hypertension" || conceptCode(topics[0]["code"]) != TopicCode || mapOf(topics[0]["focus"]) == nil {
		t.Fatalf("topics %v", topics)
	}
	var titles []string
	for _, h := range list(topics[0], "section") {
		titles = append(titles, fmt.Sprintf("%s:%d", h["title"], len(list(h, "entry"))))
	}
	// Examination: the coded entry, BP, weight, height, BMI, chaperone.
	if got := strings.Join(titles, ","); got != "History:1,Examination:6,Plan:1" {
		t.Errorf("headings %s", got)
	}
	b, err := p.Bundle("p1", c.Author, "", consultNow)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range list(b, "entry") {
		if mapOf(e["resource"])["resourceType"] == "Provenance" {
			t.Error("a first save writes a Provenance: the Composition's author and date say who and when")
		}
	}
}

func TestConsultationAmend(t *testing.T) {
	c := sampleConsultation()
	p, _ := PlanConsultation(c, nil, consultNow)
	stored, ids := saved(t, c, p)
	var encID, compID string
	for ref, res := range stored {
		switch res.Type() {
		case "Encounter":
			encID = res.ID()
		case "Composition":
			compID = ref
		}
	}
	byRef := map[string]fhir.Resource(stored)
	read := ReadConsultation(stored["Encounter/"+encID], stored[compID], byRef)
	_ = ids

	// Read back unchanged: nothing to write.
	again, err := PlanConsultation(&read, stored, consultNow.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !again.Empty() {
		for _, ch := range again.Changes {
			t.Errorf("an unchanged amendment writes %s: %v", ch.Ref, ch.Resource)
		}
	}

	// Change the history, clear the coded entry: the note gets a new
	// version (status amended), the entry is entered in error, the
	// Composition is amended; the Provenance names them and why.
	read.Topics[0].Notes["history"] = "Headaches for three weeks."
	read.Topics[0].Entries[0] = CodedEntry{Heading: "examination"}
	amend, err := PlanConsultation(&read, stored, consultNow.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	changed := map[string]string{}
	for _, ch := range amend.Changes {
		if strings.HasPrefix(ch.Ref, "urn:uuid:") {
			t.Errorf("the amendment creates %v", ch.Resource)
		}
		changed[ch.Resource.Type()+":"+describeKind(ch.Resource)] = str(ch.Resource, "status")
	}
	want := map[string]string{"Observation:note": "amended", "Observation:coded": "entered-in-error", "Composition:": "amended"}
	if fmt.Sprint(changed) != fmt.Sprint(want) {
		t.Errorf("amendment writes %v, want %v", changed, want)
	}
	b, err := amend.Bundle("p1", Ref{"Practitioner/pr1", "Dr Anita Patel"}, "Typed the wrong duration", consultNow)
	if err != nil {
		t.Fatal(err)
	}
	var prov fhir.Resource
	for _, e := range list(b, "entry") {
		req := mapOf(e["request"])
		if str(req, "method") == "PUT" && !strings.HasPrefix(str(req, "ifMatch"), `W/"1"`) {
			t.Errorf("an update without If-Match of the version read: %v", req)
		}
		if r := mapOf(e["resource"]); r["resourceType"] == "Provenance" {
			prov = r
		}
	}
	if prov == nil {
		t.Fatal("no Provenance for the amendment")
	}
	notes := Changes([]fhir.Resource{prov})
	if len(notes) != 3 { // note, entry, composition (not the patient)
		t.Errorf("provenance targets %v", notes)
	}
	for _, n := range notes {
		if n[0].Reason != "Typed the wrong duration" || n[0].Who != "Dr Anita Patel" || n[0].Activity != "Amended" {
			t.Errorf("change note %+v", n[0])
		}
	}
}

func describeKind(r fhir.Resource) string {
	if r.Type() != "Observation" {
		return ""
	}
	k, _, _ := describeEntry(r)
	return k
}

func TestConsultationExistingProblem(t *testing.T) {
	old := fhir.Resource{"resourceType": "Condition", "id": "c9", "meta": map[string]any{"versionId": "4"},
		"clinicalStatus": codeable(conditionClinicalURL, "active", "Active", ""),
		"code":           codeable(SNOMED, "195967001", "Asthma", ""), "subject": map[string]any{"reference": "Patient/p1"}}
	for _, tc := range []struct {
		episode, status string
		writes          bool
	}{
		{"review", "active", false},
		{"end", "resolved", true},
		{"new", "active", true},
	} {
		c := sampleConsultation()
		c.Topics[0] = Topic{Problem: "Condition/c9", Episode: tc.episode, Notes: map[string]string{"comment": "Stable."}}
		if errs := c.Check(consultNow); len(errs) > 0 {
			t.Fatalf("%s: %v", tc.episode, errs)
		}
		p, _ := PlanConsultation(c, Stored{"Condition/c9": old}, consultNow)
		var got fhir.Resource
		for _, ch := range p.Changes {
			if ch.Ref == "Condition/c9" {
				got = ch.Resource
				if ch.Version != "4" {
					t.Errorf("%s: If-Match %s, want 4", tc.episode, ch.Version)
				}
			}
		}
		if (got != nil) != tc.writes {
			t.Fatalf("%s: writes the problem %v, want %v", tc.episode, got != nil, tc.writes)
		}
		if got != nil && clinicalStatus(got) != tc.status {
			t.Errorf("%s: status %s, want %s", tc.episode, clinicalStatus(got), tc.status)
		}
	}
}

func TestConsultationCheck(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(c *Consultation)
		want   map[string]string
	}{
		{"good", func(c *Consultation) {}, nil},
		{"no type", func(c *Consultation) { c.Type = "" }, map[string]string{"type": "Select the type of consultation"}},
		{"future", func(c *Consultation) { c.Start = consultNow.Add(time.Hour) },
			map[string]string{"date": "The consultation's date and time must not be in the future"}},
		{"no clinician", func(c *Consultation) { c.Clinician = Ref{} }, map[string]string{"clinician": "Select the clinician who consulted"}},
		{"empty", func(c *Consultation) { c.Topics = nil; c.Measurements = Measurements{}; c.Chaperone = "" },
			map[string]string{"t0-q": "Record something: a problem or topic, a note, a coded entry or a measurement"}},
		{"new problem uncoded", func(c *Consultation) { c.Topics[0].Code = Concept{}; c.Topics[0].Title = "Tired" },
			map[string]string{"t0-q": "Choose a code for the new problem in the first problem or topic, from the list of matches"}},
		{"existing problem first", func(c *Consultation) { c.Topics[0].Problem = "Condition/c1" },
			map[string]string{"t0-episode": "This problem was recorded before: choose new episode, review or ends, or record it as a new problem"}},
		{"episode without problem", func(c *Consultation) { c.Topics[0].Problem = "" },
			map[string]string{"t0-episode": "An episode needs a problem: link the topic to a problem, or clear the episode"}},
		{"entry uncoded", func(c *Consultation) { c.Topics[0].Entries[0].Code = "" },
			map[string]string{"t0-e0-q": "Choose a code from the list of matches, or clear the coded entry"}},
		{"chaperone unnamed", func(c *Consultation) { c.ChaperoneName = " " },
			map[string]string{"chaperone-name": "Enter the name of the chaperone who was present"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := sampleConsultation()
			tc.change(c)
			errs := c.Check(consultNow)
			if fmt.Sprint(errs) != fmt.Sprint(tc.want) && !(len(errs) == 0 && len(tc.want) == 0) {
				t.Errorf("errors %v, want %v", errs, tc.want)
			}
		})
	}
}

func TestParseConsultationTime(t *testing.T) {
	for _, tc := range []struct {
		d, m, y, clock string
		want, err      string
	}{
		{"27", "3", "2025", "09:30", "2025-03-27T09:30:00Z", ""},
		{"27", "6", "2025", "9.30", "2025-06-27T09:30:00+01:00", ""},
		{"27", "6", "2025", "1415", "2025-06-27T14:15:00+01:00", ""},
		{"31", "2", "2025", "09:30", "", "The date of the consultation must be a real date, like 27 3 2025"},
		{"", "2", "2025", "09:30", "", "Enter the date of the consultation: day, month and year"},
		{"1", "2", "2025", "", "", "Enter the time of the consultation, like 09:30"},
		{"1", "2", "2025", "25:00", "", "The time of the consultation must be a time of day, like 09:30"},
	} {
		got, err := ParseConsultationTime(tc.d, tc.m, tc.y, tc.clock)
		if err != tc.err || (err == "" && got.Format(time.RFC3339) != tc.want) {
			t.Errorf("%v: %v %q, want %s %q", tc, got.Format(time.RFC3339), err, tc.want, tc.err)
		}
	}
}

func TestRetractMarks(t *testing.T) {
	for _, tc := range []struct {
		res  fhir.Resource
		want bool
	}{
		{fhir.Resource{"resourceType": "Observation", "status": "final"}, true},
		{fhir.Resource{"resourceType": "Condition", "clinicalStatus": codeable(conditionClinicalURL, "active", "", "")}, true},
		{fhir.Resource{"resourceType": "Encounter", "status": "finished"}, true},
		{fhir.Resource{"resourceType": "Patient"}, false},
	} {
		if got := MarkEnteredInError(tc.res); got != tc.want || (got && !EnteredInError(tc.res)) {
			t.Errorf("%s: marked %v", tc.res.Type(), got)
		}
		if tc.res.Type() == "Condition" && tc.res["clinicalStatus"] != nil {
			t.Error("an entered-in-error Condition keeps a clinical status (con-5)")
		}
	}
}
