package clinical

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // the practice's clock is Europe/London on any host
)

// A consultation is recorded problem by problem (CLINICAL Workspace 7):
// each problem or topic has headings (History, Examination, ...), free
// text under each heading and coded entries under their heading. It is
// written as FHIR R4 in one transaction (see PlanConsultation) in the
// shape GP Connect returns consultations: an Encounter, a Composition
// whose sections are the topics and whose sub-sections are the headings
// (GP Connect's List(Topic) and List(Heading)), and the record entries
// the headings reference: Observations (free text as a "Comment note",
// coded entries, measurements) and Conditions (problems).

// SNOMED CT record artifacts of GP Connect's consultation structure.
const (
	ConsultationCode = "325851000000107" // Consultation encounter type (record artifact)
	TopicCode        = "25851000000105"  // Topic (EHR) (record artifact)
	CommentNoteCode  = "37331000000100"  // Comment note (record artifact): free text
)

// UK Core extensions and code systems the consultation writes.
const (
	ConditionEpisodeURL   = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-ConditionEpisode"
	ConditionEpisodicity  = "https://fhir.hl7.org.uk/CodeSystem/UKCore-ConditionEpisodicity"
	conditionClinicalURL  = "http://terminology.hl7.org/CodeSystem/condition-clinical"
	conditionVerification = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
	conditionCategoryURL  = "http://terminology.hl7.org/CodeSystem/condition-category"
	actCodeURL            = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
	participationTypeURL  = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
	observationCategory   = "http://terminology.hl7.org/CodeSystem/observation-category"
	listOrderURL          = "http://terminology.hl7.org/CodeSystem/list-order"
	ucum                  = "http://unitsofmeasure.org"
)

// London is the practice's time zone: consultation times are typed and
// shown in it.
var London = mustZone("Europe/London")

func mustZone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// ConsultationType is one way a consultation happens.
type ConsultationType struct {
	Key, Label string
	// Class is the Encounter.class (v3 ActCode): AMB, VR (virtual), HH
	// (home health).
	Class, ClassDisplay string
	// Code is the Encounter.type (SNOMED CT).
	Code, CodeDisplay string
}

// ConsultationTypes are the consultation types, in the order offered.
var ConsultationTypes = []ConsultationType{
	{"face-to-face", "Face to face", "AMB", "ambulatory", "11429006", "Consultation"},
	{"telephone", "Telephone", "VR", "virtual", "185317003", "Telephone encounter"},
	{"video", "Video", "VR", "virtual", "448337001", "Telemedicine consultation with patient"},
	{"home-visit", "Home visit", "HH", "home health", "439708006", "Home visit"},
}

// ConsultationTypeOf returns the type of a key, or of an Encounter.type
// code; ok is false when it is neither.
func ConsultationTypeOf(keyOrCode string) (ConsultationType, bool) {
	for _, t := range ConsultationTypes {
		if t.Key == keyOrCode || t.Code == keyOrCode {
			return t, true
		}
	}
	return ConsultationType{}, false
}

// Heading is one heading of a problem or topic.
type Heading struct{ Key, Title string }

// Headings are a topic's headings, in the order they are written and
// shown.
var Headings = []Heading{
	{"history", "History"},
	{"examination", "Examination"},
	{"family-social", "Family and social history"},
	{"comment", "Comment"},
	{"plan", "Plan"},
	{"safety-netting", "Safety-netting"},
	{"follow-up", "Follow-up"},
}

// HeadingOf returns the heading of a key or a title.
func HeadingOf(keyOrTitle string) (Heading, bool) {
	for _, h := range Headings {
		if h.Key == keyOrTitle || h.Title == keyOrTitle {
			return h, true
		}
	}
	return Heading{}, false
}

// Episodes are the episode types of a problem in a consultation (UK Core
// ConditionEpisodicity).
var Episodes = []struct{ Code, Label, Hint string }{
	{"first", "First", "the first time this problem is recorded"},
	{"new", "New episode", "a new episode of a problem recorded before"},
	{"review", "Review", "a review of an ongoing episode"},
	{"end", "Ends", "the problem has ended"},
}

// Chaperone codes. They are clinical content, to be checked against the
// terminology release when the terminology service lands (H-207).
const (
	ChaperoneOfferedCode = "1104081000000107" // Chaperone offered
	ChaperonePresentCode = "428929009"        // Chaperone present
)

// Ref is a FHIR reference as the screens show it.
type Ref struct{ Reference, Display string }

// Concept is a coded concept (SNOMED CT).
type Concept struct{ Code, Display string }

// Consultation is what a clinician records: the form's content, and for
// an amendment the record's resources each part was saved as.
type Consultation struct {
	// EncounterID is set when the consultation was saved before (an
	// amendment).
	EncounterID string
	PatientID   string
	// Practice is the Organization id of the practice (serviceProvider).
	Practice string
	Type     string // a ConsultationTypes key
	Start    time.Time
	// End is when the consultation was saved, when that is its actual
	// end (zero when it was written up later): with Start, the actual
	// times the GP Appointments Data asks of a booked appointment.
	End time.Time
	// Clinician is the Practitioner who consulted; Author the user who
	// writes it (the clinician, or who records for them).
	Clinician, Author Ref
	Place             Ref
	// Appointment is "Appointment/id" when the consultation was booked.
	Appointment  string
	Measurements Measurements
	// Chaperone is "", "offered" (offered, declined) or "present";
	// ChaperoneName who.
	Chaperone, ChaperoneName string
	Topics                   []Topic
	// Refs are the resources each part was saved as, by slot (see
	// Slot*): what an amendment updates.
	Refs map[string]string
}

// Topic is one problem or topic of a consultation.
type Topic struct {
	// Title is the topic's name: the problem's term, or words typed when
	// the topic is not a coded problem.
	Title string
	Code  Concept
	// Problem links the topic to a problem: "" none, "new" (record the
	// topic's code as a new problem), or "Condition/id" (an existing one,
	// named by ProblemDisplay).
	Problem, ProblemDisplay string
	// Episode is an Episodes code.
	Episode string
	// Notes are the free text under each heading, by heading key.
	Notes map[string]string
	// Entries are coded entries, each under a heading.
	Entries []CodedEntry
}

// CodedEntry is one coded entry of a topic.
type CodedEntry struct {
	Heading string // a heading key
	Concept
	Comment string
	// Typed is what was typed to find the code, when none was chosen yet.
	Typed string
}

// Empty reports whether a coded entry has nothing in it.
func (e CodedEntry) Empty() bool {
	return e.Code == "" && strings.TrimSpace(e.Comment) == "" && strings.TrimSpace(e.Typed) == ""
}

// Slots name each part of a consultation for Refs.
func SlotNote(topic int, heading string) string { return fmt.Sprintf("t%d/%s", topic, heading) }
func SlotEntry(topic, entry int) string         { return fmt.Sprintf("t%d/e%d", topic, entry) }
func SlotProblem(topic int) string              { return fmt.Sprintf("t%d/problem", topic) }

// Slots of the measurements and the chaperone.
const (
	SlotEncounter   = "encounter"
	SlotComposition = "composition"
	SlotBP          = "bp"
	SlotPulse       = "pulse"
	SlotWeight      = "weight"
	SlotHeight      = "height"
	SlotBMI         = "bmi"
	SlotChaperone   = "chaperone"
)

// Form field names the checks key their errors by (the workspace's form
// uses the same).
func TopicField(topic int, name string) string { return fmt.Sprintf("t%d-%s", topic, name) }
func EntryField(topic, entry int, name string) string {
	return fmt.Sprintf("t%d-e%d-%s", topic, entry, name)
}

// Empty reports whether a topic has nothing recorded.
func (t Topic) Empty() bool {
	if t.Code.Code != "" || strings.TrimSpace(t.Title) != "" || t.Problem != "" {
		return false
	}
	for _, n := range t.Notes {
		if strings.TrimSpace(n) != "" {
			return false
		}
	}
	for _, e := range t.Entries {
		if !e.Empty() {
			return false
		}
	}
	return true
}

// maxNote is the longest free text under one heading.
const maxNote = 20000

// Check returns the consultation's problems, keyed by form field, each a
// sentence that says what to do; none means it may be saved.
func (c *Consultation) Check(now time.Time) map[string]string {
	errs := map[string]string{}
	if _, ok := ConsultationTypeOf(c.Type); !ok {
		errs["type"] = "Select the type of consultation"
	}
	switch {
	case c.Start.IsZero():
		if _, set := errs["date"]; !set {
			errs["date"] = "Enter the date and time of the consultation"
		}
	case c.Start.After(now.Add(5 * time.Minute)):
		errs["date"] = "The consultation's date and time must not be in the future"
	case c.Start.Before(now.AddDate(-120, 0, 0)):
		errs["date"] = "Check the year of the consultation"
	}
	if c.Clinician.Reference == "" {
		errs["clinician"] = "Select the clinician who consulted"
	}
	if c.Chaperone == "present" && strings.TrimSpace(c.ChaperoneName) == "" {
		errs["chaperone-name"] = "Enter the name of the chaperone who was present"
	}
	recorded := !c.Measurements.Empty() || c.Chaperone != ""
	for i, t := range c.Topics {
		if t.Empty() {
			continue
		}
		recorded = true
		if strings.TrimSpace(t.Title) == "" && t.Code.Code == "" && !strings.HasPrefix(t.Problem, "Condition/") {
			errs[TopicField(i, "q")] = fmt.Sprintf("Enter the problem or topic of %s", ordinalTopic(i))
		}
		switch {
		case t.Problem == "new" && t.Code.Code == "":
			errs[TopicField(i, "q")] = fmt.Sprintf("Choose a code for the new problem in %s, from the list of matches", ordinalTopic(i))
		case t.Problem == "new" && t.Episode != "" && t.Episode != "first" && t.Episode != "new" && t.Episode != "end":
			errs[TopicField(i, "episode")] = "A new problem is a first or a new episode (or one that has ended)"
		case strings.HasPrefix(t.Problem, "Condition/") && t.Episode == "first":
			errs[TopicField(i, "episode")] = "This problem was recorded before: choose new episode, review or ends, or record it as a new problem"
		case t.Problem == "" && t.Episode != "":
			errs[TopicField(i, "episode")] = "An episode needs a problem: link the topic to a problem, or clear the episode"
		}
		for h, text := range t.Notes {
			if len(text) > maxNote {
				errs[TopicField(i, h)] = fmt.Sprintf("The note under %s must be %d characters or fewer", headingTitle(h), maxNote)
			}
		}
		for j, e := range t.Entries {
			if e.Empty() {
				continue
			}
			if e.Code == "" {
				errs[EntryField(i, j, "q")] = "Choose a code from the list of matches, or clear the coded entry"
			}
			if _, ok := HeadingOf(e.Heading); !ok {
				errs[EntryField(i, j, "heading")] = "Select the heading the coded entry goes under"
			}
		}
	}
	if !recorded {
		errs[TopicField(0, "q")] = "Record something: a problem or topic, a note, a coded entry or a measurement"
	}
	return errs
}

func ordinalTopic(i int) string {
	if i == 0 {
		return "the first problem or topic"
	}
	return fmt.Sprintf("problem or topic %d", i+1)
}

func headingTitle(key string) string {
	if h, ok := HeadingOf(key); ok {
		return h.Title
	}
	return key
}

// ParseConsultationTime reads a date (day, month, year) and a time
// ("09:30", "9.30", "930") typed in the practice's zone.
func ParseConsultationTime(day, month, year, clock string) (time.Time, string) {
	d, m, y := strings.TrimSpace(day), strings.TrimSpace(month), strings.TrimSpace(year)
	if d == "" || m == "" || y == "" {
		return time.Time{}, "Enter the date of the consultation: day, month and year"
	}
	var di, mi, yi int
	if _, err := fmt.Sscanf(d+" "+m+" "+y, "%d %d %d", &di, &mi, &yi); err != nil || yi < 1900 || mi < 1 || mi > 12 || di < 1 || di > 31 {
		return time.Time{}, "The date of the consultation must be a real date, like 27 3 2025"
	}
	date := time.Date(yi, time.Month(mi), di, 0, 0, 0, 0, London)
	if date.Day() != di {
		return time.Time{}, "The date of the consultation must be a real date, like 27 3 2025"
	}
	c := strings.NewReplacer(".", ":", " ", "").Replace(strings.TrimSpace(clock))
	if c == "" {
		return time.Time{}, "Enter the time of the consultation, like 09:30"
	}
	if !strings.Contains(c, ":") && len(c) >= 3 {
		c = c[:len(c)-2] + ":" + c[len(c)-2:]
	}
	var hh, mm int
	if _, err := fmt.Sscanf(c, "%d:%d", &hh, &mm); err != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 || len(c) > 5 {
		return time.Time{}, "The time of the consultation must be a time of day, like 09:30"
	}
	return time.Date(yi, time.Month(mi), di, hh, mm, 0, 0, London), ""
}
