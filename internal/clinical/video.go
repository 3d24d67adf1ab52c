package clinical

import (
	"slices"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Video consultations: what the clinician checks at the start of a call
// (GMC: "appropriate identification of the right patient"; a link alone
// can reach a shared or outdated phone), and what a call writes to the
// record when it ends (an Encounter of class VR, "virtual").

// VideoIdentifiers are the identifiers a clinician may confirm; two are
// needed.
var VideoIdentifiers = []Concept{{"name", "Full name"}, {"birth-date", "Date of birth"}, {"address", "Address"}, {"nhs-number", "NHS number"}}

// VideoChecks are the start-of-call checks.
type VideoChecks struct {
	// Identifiers are the codes of VideoIdentifiers the patient gave
	// and the clinician matched with the record.
	Identifiers []string
	// Location is where the patient is now (for an ambulance, a
	// safeguarding concern); CallBack a number to call if the video
	// drops.
	Location, CallBack string
	// Present is who else is with the patient ("Nobody", or names and
	// relationships).
	Present string
	// Consent: "yes" the patient agrees to consult by video; "no" they
	// do not (the clinician switches to the phone or books face to face).
	Consent string
}

// Check returns what is wrong, by field id.
func (c VideoChecks) Check() map[string]string {
	errs := map[string]string{}
	n := 0
	for _, id := range c.Identifiers {
		if slices.ContainsFunc(VideoIdentifiers, func(x Concept) bool { return x.Code == id }) {
			n++
		}
	}
	if n < 2 {
		errs["id-name"] = "Confirm at least two identifiers with the patient"
	}
	if strings.TrimSpace(c.Location) == "" {
		errs["location"] = "Enter where the patient is now"
	} else if len(c.Location) > 500 {
		errs["location"] = "Where the patient is must be 500 characters or fewer"
	}
	if strings.TrimSpace(c.CallBack) == "" {
		errs["call-back"] = "Enter a phone number to call the patient back on"
	} else if _, ok := NormalizePhone(c.CallBack); !ok {
		errs["call-back"] = "Enter a UK phone number, like 01632 960 001 or 07700 900 982"
	}
	if strings.TrimSpace(c.Present) == "" {
		errs["present"] = "Enter who else is with the patient, or Nobody"
	} else if len(c.Present) > 500 {
		errs["present"] = "Who is present must be 500 characters or fewer"
	}
	if c.Consent != "yes" && c.Consent != "no" {
		errs["consent-yes"] = "Select whether the patient agrees to a video consultation"
	}
	return errs
}

// VideoChecksQuestionnaire is the canonical URL of the checks' form.
const VideoChecksQuestionnaire = "https://gpcloud.dev/fhir/Questionnaire/video-start-checks"

// QuestionnaireResponse records checks that passed Check: a completed
// QuestionnaireResponse about the call's Encounter, authored by the
// clinician, one item per check (linkIds "identifiers", "location",
// "call-back", "present", "consent").
func (c VideoChecks) QuestionnaireResponse(patientID, encounterID string, clinician Ref, now time.Time) fhir.Resource {
	var ids []any
	for _, x := range VideoIdentifiers {
		if slices.Contains(c.Identifiers, x.Code) {
			ids = append(ids, map[string]any{"valueCoding": map[string]any{"system": "https://gpcloud.dev/fhir/CodeSystem/video-identifier", "code": x.Code, "display": x.Display}})
		}
	}
	phone, _ := NormalizePhone(c.CallBack)
	str := func(s string) []any { return []any{map[string]any{"valueString": strings.TrimSpace(s)}} }
	qr := fhir.Resource{"resourceType": "QuestionnaireResponse", "status": "completed",
		"questionnaire": VideoChecksQuestionnaire,
		"subject":       map[string]any{"reference": "Patient/" + patientID},
		"authored":      now.UTC().Format(time.RFC3339),
		"author":        map[string]any{"reference": clinician.Reference, "display": clinician.Display},
		"item": []any{
			map[string]any{"linkId": "identifiers", "text": "Identity confirmed by", "answer": ids},
			map[string]any{"linkId": "location", "text": "Patient's location now", "answer": str(c.Location)},
			map[string]any{"linkId": "call-back", "text": "Call-back number", "answer": str(FormatPhone(phone))},
			map[string]any{"linkId": "present", "text": "Others present", "answer": str(c.Present)},
			map[string]any{"linkId": "consent", "text": "Agrees to a video consultation", "answer": []any{map[string]any{"valueBoolean": c.Consent == "yes"}}},
		},
	}
	if encounterID != "" {
		qr["encounter"] = map[string]any{"reference": "Encounter/" + encounterID}
	}
	return qr
}

// VideoCall is what a call writes when it starts and ends.
type VideoCall struct {
	AppointmentID, PatientID string
	Clinician                Ref
	// Others are the other people who took part (the patient first,
	// then interpreters and others by name).
	Others     []string
	Start, End time.Time // End zero while the call goes on
	// Mode is "video", or "telephone" when it went on by phone.
	Mode string
}

// ActualDurationURL is an Appointment's actual length (valueDuration in
// minutes), as against the slot booked: what a video call took.
const ActualDurationURL = "https://gpcloud.dev/fhir/StructureDefinition/actual-duration"

// SwitchedToPhoneURL marks an Encounter of a video appointment that went
// on by telephone.
const SwitchedToPhoneURL = "https://gpcloud.dev/fhir/StructureDefinition/switched-to-telephone"

// Encounter is the call's Encounter: class VR (virtual), the type of a
// video or (switched) telephone consultation, the appointment it was,
// its period, length in minutes and participants. In progress until End
// is set, then finished.
func (v VideoCall) Encounter() fhir.Resource {
	key := "video"
	if v.Mode == "telephone" {
		key = "telephone"
	}
	t, _ := ConsultationTypeOf(key)
	e := fhir.Resource{"resourceType": "Encounter", "status": "in-progress",
		"meta":        map[string]any{"tag": []any{map[string]any{"system": RecordKindSystem, "code": VideoCallTag, "display": "Record of a video call"}}},
		"class":       map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": t.Class, "display": t.ClassDisplay},
		"type":        []any{map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": t.Code, "display": t.CodeDisplay}}, "text": t.Label}},
		"subject":     map[string]any{"reference": "Patient/" + v.PatientID},
		"appointment": []any{map[string]any{"reference": "Appointment/" + v.AppointmentID}},
		"period":      map[string]any{"start": v.Start.UTC().Format(time.RFC3339)},
		"participant": []any{map[string]any{
			"type":       []any{map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "PPRF", "display": "primary performer"}}}},
			"individual": map[string]any{"reference": v.Clinician.Reference, "display": v.Clinician.Display}}},
	}
	for _, name := range v.Others {
		// People without a resource of their own (an interpreter) are
		// named; the patient is the subject.
		e["participant"] = append(e["participant"].([]any), map[string]any{
			"type":       []any{map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "PART", "display": "Participation"}}}},
			"individual": map[string]any{"display": name}})
	}
	if v.Mode == "telephone" {
		e["extension"] = []any{map[string]any{"url": SwitchedToPhoneURL, "valueBoolean": true}}
	}
	if !v.End.IsZero() {
		e["status"] = "finished"
		e["period"].(map[string]any)["end"] = v.End.UTC().Format(time.RFC3339)
		e["length"] = map[string]any{"value": float64(VideoMinutes(v.Start, v.End)), "unit": "min", "system": "http://unitsofmeasure.org", "code": "min"}
	}
	return e
}

// RecordKindSystem tags what wrote a resource; VideoCallTag marks the
// Encounter a video call writes (its period, length and participants),
// as against the consultation the clinician records.
const (
	RecordKindSystem = "https://gpcloud.dev/fhir/CodeSystem/record-kind"
	VideoCallTag     = "video-call"
)

// WithoutCoveredCalls leaves out of a list of Encounters the record of a
// video call whose appointment also has a consultation in the list: the
// journal shows the consultation (with its notes) once, not the call
// beside it. A call nobody wrote a consultation for stays.
func WithoutCoveredCalls(encs []fhir.Resource) []fhir.Resource {
	consulted := map[string]bool{}
	for _, e := range encs {
		if !isVideoCall(e) {
			for _, a := range anyList(e["appointment"]) {
				m, _ := a.(map[string]any)
				consulted[text(m["reference"])] = true
			}
		}
	}
	out := encs[:0:0]
	for _, e := range encs {
		covered := false
		if isVideoCall(e) {
			for _, a := range anyList(e["appointment"]) {
				m, _ := a.(map[string]any)
				covered = covered || consulted[text(m["reference"])]
			}
		}
		if !covered {
			out = append(out, e)
		}
	}
	return out
}

func isVideoCall(e fhir.Resource) bool {
	meta, _ := e["meta"].(map[string]any)
	for _, t := range anyList(meta["tag"]) {
		m, _ := t.(map[string]any)
		if text(m["system"]) == RecordKindSystem && text(m["code"]) == VideoCallTag {
			return true
		}
	}
	return false
}

// VideoMinutes is a call's length in whole minutes, at least 1.
func VideoMinutes(start, end time.Time) int {
	m := int((end.Sub(start) + 30*time.Second) / time.Minute)
	return max(m, 1)
}
