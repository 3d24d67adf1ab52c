package clinical

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/patientview"
)

// Online consultation (a patient asks the practice for help). The
// red-flag questions are clinical content: each stops the request and
// tells the patient where to get help now, because a practice reads
// online requests hours later and an emergency must not wait in a queue
// (hazard H-1001). They are fixed here, versioned with the code, not
// editable by a practice (CLINICAL.md, Patient portal 5); a change to
// them is a change to the hazard log.

// RedFlagsVersion is the version of the red-flag questions, written on
// every QuestionnaireResponse so that the practice knows which questions
// the patient answered.
//
// 2026-12-01.2: the kinds of request became three (a new health problem,
// one the patient already has, admin), so that a practice can ask
// different questions of each; the red flags did not change.
const RedFlagsVersion = "2026-12-01.2"

// OnlineRequestQuestionnaire is the canonical URL of the request form.
const OnlineRequestQuestionnaire = "https://gpcloud.dev/fhir/Questionnaire/online-request"

// OnlineRequestSystem identifies a request's reference number.
const OnlineRequestSystem = "https://gpcloud.dev/fhir/sid/online-request"

// Task codes of the portal's requests to the practice (the Task's code
// text, with a gpcloud code for filtering queues).
const (
	PortalTaskSystem    = patientview.PortalTaskSystem
	TaskOnlineRequest   = "online-request"
	TaskRepeatRequest   = "repeat-request"
	TaskContactChange   = "contact-details"
	taskContactChangeTx = "Change of contact details"
	taskOnlineRequestTx = "Online consultation request"
	taskRepeatRequestTx = "Repeat prescription request"
)

// Where a red flag sends the patient.
const (
	Advice999 = "999"
	Advice111 = "111"
)

// RedFlag is one yes/no question that, answered yes, stops the request.
type RedFlag struct {
	ID, Question, Hint string
	// Short names the question in an error message.
	Short  string
	Advice string // Advice999 or Advice111
	// Reason says in plain English why they must get help now.
	Reason string
}

// RedFlags are asked before every medical request, in this order.
var RedFlags = []RedFlag{
	{ID: "flag-chest", Short: "chest pain", Question: "Do you have chest pain or pressure right now?", Hint: "For example, pain that spreads to your arms, jaw, neck or back, or that feels tight or heavy.", Advice: Advice999,
		Reason: "Chest pain can be a sign of a heart attack."},
	{ID: "flag-breathing", Short: "struggling to breathe", Question: "Are you struggling to breathe?", Hint: "For example, you are choking, gasping or cannot finish a sentence.", Advice: Advice999,
		Reason: "Severe difficulty breathing needs help straight away."},
	{ID: "flag-stroke", Short: "your face, arms or speech", Question: "Has your face dropped on one side, can you not lift both arms, or is your speech slurred?", Advice: Advice999,
		Reason: "These can be signs of a stroke."},
	{ID: "flag-bleeding", Short: "heavy bleeding", Question: "Are you bleeding heavily and it will not stop?", Advice: Advice999,
		Reason: "Heavy bleeding that does not stop needs help straight away."},
	{ID: "flag-harm", Short: "thoughts of ending your life or harming yourself", Question: "Are you thinking about ending your life or seriously harming yourself?", Advice: Advice999,
		Reason: "You deserve help now. You do not have to wait for the practice."},
	{ID: "flag-rash", Short: "a rash that does not fade", Question: "Do you have a rash that does not fade when you press a glass against it, with a high temperature?", Advice: Advice999,
		Reason: "This can be a sign of meningitis or sepsis."},
	{ID: "flag-today", Short: "needing medical help today", Question: "Do you feel you need medical help today?", Hint: "For example, you feel very unwell or are getting worse quickly.", Advice: Advice111,
		Reason: "The practice may not read your request today."},
}

// CheckRedFlags reads the answers ("yes" or "no", by question id). It
// returns the first flag answered yes (the request stops), and the
// questions not answered. A flag answered yes wins over any unanswered:
// the patient is told to get help whatever else they left blank.
func CheckRedFlags(answers map[string]string) (stop *RedFlag, errs map[string]string) {
	errs = map[string]string{}
	for i, f := range RedFlags {
		switch answers[f.ID] {
		case "yes":
			if stop == nil || f.Advice == Advice999 && stop.Advice != Advice999 {
				stop = &RedFlags[i]
			}
		case "no":
		default:
			errs[f.ID] = "Select yes or no for " + f.Short
		}
	}
	if stop != nil {
		return stop, nil
	}
	return nil, errs
}

// Request kinds.
const (
	RequestMedical = "medical"
	RequestAdmin   = "admin"
)

// HowLongChoices are the answers to "how long have you had it".
var HowLongChoices = []Choice{{"days", "Less than a week"}, {"weeks", "1 to 4 weeks"}, {"months", "1 to 6 months"}, {"longer", "More than 6 months"}}

// AdminChoices are what an admin request is about.
var AdminChoices = []Choice{{"fit-note", "A fit note (sick note)"}, {"letter", "A letter"}, {"test-result", "A question about a test result"}, {"other", "Something else"}}

// OnlineRequest is what the patient sends.
type OnlineRequest struct {
	Kind    string // a RequestKinds key
	Topic   string // an AdminChoices key, for admin requests
	Details string // symptoms, or what they need
	HowLong string // a HowLongChoices key, for medical requests
	// RedFlags are the answers to RedFlags, for medical requests.
	RedFlags map[string]string
	// Form is the practice's form version the patient answered (the
	// zero value is gpcloud's base form); Answers are the answers to its
	// questions, by linkId.
	Form    RequestForm
	Answers map[string]string
}

// MaxRequestDetails bounds the free text.
const MaxRequestDetails = 2000

// Check returns what is wrong, by field id. A medical request must have
// every red flag answered no: the caller checks CheckRedFlags first and
// never sends one answered yes; Check refuses it again so that a
// hand-made form post cannot skip the questions.
func (q OnlineRequest) Check() map[string]string {
	errs := map[string]string{}
	switch q.Kind {
	case RequestMedical, RequestExisting:
		if stop, flagErrs := CheckRedFlags(q.RedFlags); stop != nil {
			errs[stop.ID] = "This answer means you need help now, not an online request"
		} else {
			for k, v := range flagErrs {
				errs[k] = v
			}
		}
		if !portalHasChoice(HowLongChoices, q.HowLong) {
			errs["how-long"] = "Select how long you have had this"
		}
	case RequestAdmin:
		if !portalHasChoice(AdminChoices, q.Topic) {
			errs["topic"] = "Select what your request is about"
		}
	default:
		errs["kind"] = "Select what you need help with"
	}
	if _, formErrs := q.Form.FormAnswers(q.Kind, q.Answers); errs["kind"] == "" {
		for k, v := range formErrs {
			errs[k] = v
		}
	}
	d := strings.TrimSpace(q.Details)
	switch {
	case d == "":
		if IsHealthRequest(q.Kind) {
			errs["details"] = "Describe your symptoms"
		} else {
			errs["details"] = "Tell us what you need"
		}
	case len([]rune(d)) > MaxRequestDetails:
		errs["details"] = fmt.Sprintf("Your description must be %d characters or fewer", MaxRequestDetails)
	}
	return errs
}

func portalHasChoice(cs []Choice, key string) bool {
	for _, c := range cs {
		if c.Key == key {
			return true
		}
	}
	return false
}

// refAlphabet leaves out letters and digits read one for another (0/O,
// 1/I/L), because patients read the reference out on the phone.
const refAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// NewRequestReference is a reference number a patient can read out:
// "OC-" and eight characters in two groups (about 40 bits: unique enough
// within a practice, not an identifier of the patient).
func NewRequestReference(prefix string) string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	out := []byte(prefix + "-")
	for i, c := range b {
		if i == 4 {
			out = append(out, '-')
		}
		out = append(out, refAlphabet[int(c)%len(refAlphabet)])
	}
	return string(out)
}

// PortalRequester is who sent a request: the patient, or a proxy acting
// for them (named, so that the practice knows who to reply to).
type PortalRequester struct {
	PatientID, PatientName string
	// Proxy names the signed-in person when they act for someone else.
	Proxy string
	// Practice is the Organization id of the patient's practice, the
	// owner of the Task.
	Practice string
}

// Resources returns the request as a QuestionnaireResponse and a triage
// Task owned by the practice, linked by a urn for one transaction.
func (q OnlineRequest) Resources(by PortalRequester, ref string, now time.Time) (qr, task fhir.Resource, qrURN string) {
	qrURN = "urn:uuid:" + fhir.NewUUID()
	items := []any{item("kind", "What do you need help with?", valueString(choiceLabel(RequestKinds, q.Kind)))}
	if IsHealthRequest(q.Kind) {
		for _, f := range RedFlags {
			items = append(items, map[string]any{"linkId": f.ID, "text": f.Question, "answer": []any{map[string]any{"valueBoolean": q.RedFlags[f.ID] == "yes"}}})
		}
		items = append(items, item("how-long", "How long have you had it?", valueString(choiceLabel(HowLongChoices, q.HowLong))))
	} else {
		items = append(items, item("topic", "What is your request about?", valueString(choiceLabel(AdminChoices, q.Topic))))
	}
	items = append(items, item("details", "Details", valueString(strings.TrimSpace(q.Details))))
	answers, _ := q.Form.FormAnswers(q.Kind, q.Answers)
	items = append(items, q.Form.answerItems(q.Kind, answers)...)
	patient := map[string]any{"reference": "Patient/" + by.PatientID, "display": by.PatientName}
	author := patient
	if by.Proxy != "" {
		author = map[string]any{"display": by.Proxy + " (acting for " + by.PatientName + ")"}
	}
	authored := now.UTC().Format(time.RFC3339)
	qr = fhir.Resource{"resourceType": "QuestionnaireResponse", "status": "completed",
		"identifier":    map[string]any{"system": OnlineRequestSystem, "value": ref},
		"questionnaire": q.Form.Canonical(),
		"subject":       patient, "authored": authored, "author": author, "item": items}
	// The description is what a queue shows in one line: the kind, and
	// the start of the patient's words.
	desc := "Health problem (" + strings.ToLower(choiceLabel(HowLongChoices, q.HowLong)) + ")"
	if q.Kind == RequestExisting {
		desc = "Existing health problem (" + strings.ToLower(choiceLabel(HowLongChoices, q.HowLong)) + ")"
	}
	if q.Kind == RequestAdmin {
		desc = "Admin request: " + strings.ToLower(choiceLabel(AdminChoices, q.Topic))
	}
	desc += ": " + firstWords(strings.TrimSpace(q.Details), 80)
	task = portalTask(TaskOnlineRequest, taskOnlineRequestTx, by, ref, now)
	task["description"] = desc
	task["focus"] = map[string]any{"reference": qrURN}
	return qr, task, qrURN
}

// portalTask is a Task from the patient to the practice.
func portalTask(code, text string, by PortalRequester, ref string, now time.Time) fhir.Resource {
	t := fhir.Resource{"resourceType": "Task", "status": "requested", "intent": "order", "priority": "routine",
		"identifier": []any{map[string]any{"system": OnlineRequestSystem, "value": ref}},
		"code":       map[string]any{"coding": []any{map[string]any{"system": PortalTaskSystem, "code": code, "display": text}}, "text": text},
		"for":        map[string]any{"reference": "Patient/" + by.PatientID, "display": by.PatientName},
		"authoredOn": now.UTC().Format(time.RFC3339), "lastModified": now.UTC().Format(time.RFC3339),
	}
	if by.Proxy != "" {
		t["requester"] = map[string]any{"display": by.Proxy + " (acting for " + by.PatientName + ")"}
	} else {
		t["requester"] = map[string]any{"reference": "Patient/" + by.PatientID, "display": by.PatientName}
	}
	if by.Practice != "" {
		t["owner"] = map[string]any{"reference": "Organization/" + by.Practice}
	}
	return t
}

func item(id, text string, answer map[string]any) map[string]any {
	return map[string]any{"linkId": id, "text": text, "answer": []any{answer}}
}

func valueString(s string) map[string]any { return map[string]any{"valueString": s} }

// ReplyBy says when the practice will look at a request sent at now:
// online requests stay open in core hours (08:00 to 18:30 on weekdays,
// the GP contract since October 2025) and are answered by the end of the
// next working day; outside core hours the practice reads them when it
// opens. Bank holidays are not known here (the practice's closed days
// are a later issue), so the answer says "working day".
func ReplyBy(now time.Time) (open bool, msg string) {
	t := now.In(UKTime)
	open = InCoreHours(t)
	next := nextWorkingDay(t)
	if open {
		return true, "The practice will reply by the end of " + next.Format("Monday 2 January") + "."
	}
	opens := t
	if t.Weekday() == time.Saturday || t.Weekday() == time.Sunday || t.Hour()*60+t.Minute() >= 18*60+30 {
		opens = next
	}
	return false, "The practice is closed now. It opens at 8am on " + opens.Format("Monday 2 January") + " and will read your request then."
}

// InCoreHours reports 08:00 to 18:30, Monday to Friday, UK time.
func InCoreHours(t time.Time) bool {
	t = t.In(UKTime)
	if t.Weekday() == time.Saturday || t.Weekday() == time.Sunday {
		return false
	}
	m := t.Hour()*60 + t.Minute()
	return m >= 8*60 && m < 18*60+30
}

func nextWorkingDay(t time.Time) time.Time {
	d := t.AddDate(0, 0, 1)
	for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

// firstWords is s cut to about n characters at a space, with "…".
func firstWords(s string, n int) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) <= n {
		return string(r)
	}
	cut := n
	for cut > n/2 && r[cut] != ' ' {
		cut--
	}
	return strings.TrimSpace(string(r[:cut])) + "…"
}

// OnlineRequestForm is the request form as a FHIR Questionnaire, so that
// another FHIR client reads each QuestionnaireResponse with the
// questions the patient saw (their canonical names this version). The
// red flags are enabled for health problems only, as on the pages.
func OnlineRequestForm() fhir.Resource {
	choice := func(cs []Choice) []any {
		var out []any
		for _, c := range cs {
			out = append(out, map[string]any{"valueString": c.Label})
		}
		return out
	}
	// A health problem, new or existing: the red flags and how long.
	medical := []any{map[string]any{"question": "kind", "operator": "=", "answerString": ChoiceLabel(RequestKinds, RequestMedical)},
		map[string]any{"question": "kind", "operator": "=", "answerString": ChoiceLabel(RequestKinds, RequestExisting)}}
	items := []any{map[string]any{"linkId": "kind", "text": "What do you need help with?", "type": "choice", "required": true,
		"answerOption": choice(RequestKinds)}}
	for _, f := range RedFlags {
		items = append(items, map[string]any{"linkId": f.ID, "text": f.Question, "type": "boolean", "required": true, "enableWhen": medical, "enableBehavior": "any"})
	}
	items = append(items,
		map[string]any{"linkId": "how-long", "text": "How long have you had it?", "type": "choice", "required": true, "enableWhen": medical, "enableBehavior": "any", "answerOption": choice(HowLongChoices)},
		map[string]any{"linkId": "topic", "text": "What is your request about?", "type": "choice", "required": true,
			"enableWhen": []any{map[string]any{"question": "kind", "operator": "=", "answerString": ChoiceLabel(RequestKinds, RequestAdmin)}}, "answerOption": choice(AdminChoices)},
		map[string]any{"linkId": "details", "text": "Details", "type": "text", "required": true, "maxLength": json.Number(fmt.Sprint(MaxRequestDetails))})
	return fhir.Resource{"resourceType": "Questionnaire", "url": OnlineRequestQuestionnaire, "version": RedFlagsVersion,
		"name": "OnlineRequest", "title": "Ask your GP surgery for help", "status": "active", "subjectType": []any{"Patient"},
		"description": "gpcloud's online consultation form. The red-flag questions stop the request when answered yes (hazard H-1001); they are fixed in code and change only with a new version.",
		"item":        items}
}
