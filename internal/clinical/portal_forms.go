package clinical

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// The practice's own online-request form (CLINICAL.md, Patient portal
// 5). A practice adds its own questions to each kind of request; the
// red-flag questions and the base questions (what kind, how long, what
// about, the details) are gpcloud's clinically signed-off base and are
// not the practice's to delete, reword, reorder or make optional: the
// edit rules below refuse it, whatever the page offered. The portal asks
// the red flags from code (RedFlags) whatever a stored form says, so a
// form changed through the FHIR API cannot remove them either; a stored
// form whose red flags differ from the base is refused (ParseRequestForm)
// and the portal falls back to the base form.
//
// Each edit goes into a draft version (Questionnaire status draft); a
// clinician with the sign-off right (FormSignOffRole) publishes it: the
// draft becomes active with its approver and date, and the version it
// replaces is retired, never deleted, so that every response can be read
// against the exact questions its patient saw.

// Questionnaire statuses of a practice form's versions.
const (
	FormDraft   = "draft"
	FormActive  = "active"
	FormRetired = "retired"
)

// RequestExisting is a request about a health problem the patient has
// already asked about: the red flags are asked as for a new one.
const RequestExisting = "existing"

// RequestKinds are the kinds of request, in the order the portal offers
// them; each has its own practice questions.
var RequestKinds = []Choice{{RequestMedical, "A new health problem"}, {RequestExisting, "A health problem you already have"}, {RequestAdmin, "An admin request"}}

// IsHealthRequest reports whether a kind asks the red flags.
func IsHealthRequest(kind string) bool { return kind == RequestMedical || kind == RequestExisting }

// Practice question types (Questionnaire item types).
const (
	QuestionText   = "text"
	QuestionChoice = "choice"
	QuestionYesNo  = "boolean"
)

// QuestionTypes are offered on the editor, in this order.
var QuestionTypes = []Choice{{QuestionText, "Text (the patient types an answer)"}, {QuestionChoice, "Choice (the patient picks one option)"}, {QuestionYesNo, "Yes or no"}}

// Limits of a practice's form: a long form loses patients, and one of
// hundreds of questions is not an online request.
const (
	MaxFormQuestions   = 10 // per kind of request
	MaxQuestionText    = 200
	MaxQuestionHelp    = 500
	MaxQuestionOptions = 10
	MaxOptionText      = 100
	MaxFormAnswer      = 1000
)

// Extension naming who signed a form version off (Questionnaire has
// approvalDate but no approver).
const FormSignedOffBy = "https://gpcloud.dev/fhir/StructureDefinition/signed-off-by"

// ErrLockedQuestion refuses a change to a question of gpcloud's base.
var ErrLockedQuestion = errors.New("this question is part of gpcloud's clinically signed-off base and cannot be changed, moved or removed by the practice")

// ErrNotPracticeQuestion is an edit of a question the form does not have.
var ErrNotPracticeQuestion = errors.New("this question is not on the practice's form")

// FormSignOffRole is the role whose users publish a form version: a GP.
// The form is clinical content the patient reads before the practice
// does; its sign-off is a clinical judgement (does a question delay
// someone who needs help, or invite urgent symptoms into a queue read
// hours later), which a registered medical practitioner makes and a
// practice administrator is not trained for. Practice admins edit
// (the practice's wording is theirs to keep), GPs sign off: the two
// roles are different people, so nobody signs off their own edit.
const FormSignOffRole = "gp"

// FormEditRole is the role whose users edit drafts.
const FormEditRole = "practice-admin"

// LockedQuestion reports whether a linkId is gpcloud's: the kind, the
// red flags and the base questions.
func LockedQuestion(id string) bool {
	switch id {
	case "kind", "how-long", "topic", "details":
		return true
	}
	for _, f := range RedFlags {
		if f.ID == id {
			return true
		}
	}
	return false
}

// FormQuestion is one of the practice's questions.
type FormQuestion struct {
	ID       string // the linkId, "q-" and random hex
	Kind     string // a RequestKinds key
	Text     string
	Help     string
	Type     string // QuestionText, QuestionChoice or QuestionYesNo
	Required bool
	Options  []string // for QuestionChoice
}

// RequestForm is one version of a practice's form.
type RequestForm struct {
	Practice string
	// ID and VersionID are the Questionnaire's, empty for the base.
	ID, VersionID string
	// Version counts the practice's versions from 1; 0 is gpcloud's
	// base form, which has no practice questions.
	Version      int
	Status       string
	Questions    []FormQuestion
	ApprovalDate string
	ApprovedBy   Ref
	// Edited is when the version was last changed.
	Edited string
}

// PracticeFormURL is the canonical URL of a practice's form: the base's,
// with the practice's Organization id.
func PracticeFormURL(practice string) string { return OnlineRequestQuestionnaire + "/" + practice }

// Canonical is how a QuestionnaireResponse names this version.
func (f RequestForm) Canonical() string {
	if f.Version == 0 {
		return OnlineRequestQuestionnaire + "|" + RedFlagsVersion
	}
	return PracticeFormURL(f.Practice) + "|" + strconv.Itoa(f.Version)
}

// For lists the practice's questions of one kind, in order.
func (f RequestForm) For(kind string) []FormQuestion {
	var out []FormQuestion
	for _, q := range f.Questions {
		if q.Kind == kind {
			out = append(out, q)
		}
	}
	return out
}

// Question finds a practice question by id.
func (f RequestForm) Question(id string) (FormQuestion, bool) {
	for _, q := range f.Questions {
		if q.ID == id {
			return q, true
		}
	}
	return FormQuestion{}, false
}

// QuestionForm is the editor's form for one question, as typed.
type QuestionForm struct {
	Kind, Text, Help, Type, Required string
	// Options are one per line.
	Options string
}

// Check returns the question, or what is wrong by field id.
func (qf QuestionForm) Check() (FormQuestion, map[string]string) {
	errs := map[string]string{}
	q := FormQuestion{Kind: qf.Kind, Text: strings.TrimSpace(qf.Text), Help: strings.TrimSpace(qf.Help), Type: qf.Type, Required: qf.Required == "yes"}
	if !portalHasChoice(RequestKinds, q.Kind) {
		errs["kind"] = "Select which kind of request the question is for"
	}
	switch n := len([]rune(q.Text)); {
	case n == 0:
		errs["text"] = "Enter the question"
	case n > MaxQuestionText:
		errs["text"] = fmt.Sprintf("The question must be %d characters or fewer", MaxQuestionText)
	}
	if len([]rune(q.Help)) > MaxQuestionHelp {
		errs["help"] = fmt.Sprintf("The help text must be %d characters or fewer", MaxQuestionHelp)
	}
	if qf.Required != "yes" && qf.Required != "no" {
		errs["required"] = "Select whether the patient must answer"
	}
	switch q.Type {
	case QuestionText, QuestionYesNo:
	case QuestionChoice:
		seen := map[string]bool{}
		for _, line := range strings.Split(qf.Options, "\n") {
			o := strings.TrimSpace(line)
			if o == "" {
				continue
			}
			switch {
			case len([]rune(o)) > MaxOptionText:
				errs["options"] = fmt.Sprintf("Each option must be %d characters or fewer", MaxOptionText)
			case seen[strings.ToLower(o)]:
				errs["options"] = "Each option must be different"
			}
			seen[strings.ToLower(o)] = true
			q.Options = append(q.Options, o)
		}
		if _, bad := errs["options"]; !bad && (len(q.Options) < 2 || len(q.Options) > MaxQuestionOptions) {
			errs["options"] = fmt.Sprintf("Enter between 2 and %d options, one on each line", MaxQuestionOptions)
		}
	default:
		errs["type"] = "Select the type of answer"
	}
	if len(errs) > 0 {
		return FormQuestion{}, errs
	}
	return q, nil
}

// FormOf is the editor's form showing a question.
func (q FormQuestion) FormOf() QuestionForm {
	return QuestionForm{Kind: q.Kind, Text: q.Text, Help: q.Help, Type: q.Type, Required: map[bool]string{true: "yes", false: "no"}[q.Required], Options: strings.Join(q.Options, "\n")}
}

// Add appends a practice question to its kind. The new question gets a
// fresh id, so it can never take the place of a base question.
func (f RequestForm) Add(q FormQuestion) (RequestForm, error) {
	if len(f.For(q.Kind)) >= MaxFormQuestions {
		return f, fmt.Errorf("a kind of request has at most %d questions of the practice's own", MaxFormQuestions)
	}
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return f, err
	}
	q.ID = "q-" + hex.EncodeToString(b)
	f.Questions = append(append([]FormQuestion(nil), f.Questions...), q)
	return f, nil
}

// Edit replaces a practice question's wording, type and whether it must
// be answered. A base question (a red flag) is refused.
func (f RequestForm) Edit(id string, q FormQuestion) (RequestForm, error) {
	i, err := f.practiceIndex(id)
	if err != nil {
		return f, err
	}
	if q.Kind != f.Questions[i].Kind {
		return f, errors.New("a question stays with its kind of request: remove it and add it to the other")
	}
	q.ID = id
	f.Questions = append([]FormQuestion(nil), f.Questions...)
	f.Questions[i] = q
	return f, nil
}

// Remove takes a practice question off the form. A base question is
// refused.
func (f RequestForm) Remove(id string) (RequestForm, error) {
	i, err := f.practiceIndex(id)
	if err != nil {
		return f, err
	}
	f.Questions = append(append([]FormQuestion(nil), f.Questions[:i]...), f.Questions[i+1:]...)
	return f, nil
}

// Move moves a practice question up (delta -1) or down (+1) among its
// kind's questions; at either end it stays. The base questions keep
// their places before the practice's.
func (f RequestForm) Move(id string, delta int) (RequestForm, error) {
	i, err := f.practiceIndex(id)
	if err != nil {
		return f, err
	}
	if delta != -1 && delta != 1 {
		return f, errors.New("a question moves one place up or down")
	}
	j := i + delta
	for j >= 0 && j < len(f.Questions) && f.Questions[j].Kind != f.Questions[i].Kind {
		j += delta
	}
	if j < 0 || j >= len(f.Questions) {
		return f, nil
	}
	f.Questions = append([]FormQuestion(nil), f.Questions...)
	f.Questions[i], f.Questions[j] = f.Questions[j], f.Questions[i]
	return f, nil
}

func (f RequestForm) practiceIndex(id string) (int, error) {
	if LockedQuestion(id) {
		return 0, ErrLockedQuestion
	}
	for i, q := range f.Questions {
		if q.ID == id {
			return i, nil
		}
	}
	return 0, ErrNotPracticeQuestion
}

// NextDraft is the draft that a first edit makes from f (the active
// version, or the base): the same questions, the next version number.
func (f RequestForm) NextDraft(latest int, now time.Time) RequestForm {
	return RequestForm{Practice: f.Practice, Version: latest + 1, Status: FormDraft, Questions: append([]FormQuestion(nil), f.Questions...), Edited: now.UTC().Format(time.RFC3339)}
}

// CanPublish says why a user of role may not publish a draft, or "".
func CanPublish(role string, draft RequestForm) string {
	switch {
	case role != FormSignOffRole:
		return "Only a GP can sign off the practice's online request form."
	case draft.Status != FormDraft:
		return "There is no draft to sign off."
	}
	return ""
}

// Published is the draft signed off by who on now.
func (f RequestForm) Published(by Ref, now time.Time) RequestForm {
	f.Status, f.ApprovedBy, f.ApprovalDate = FormActive, by, now.In(UKTime).Format("2006-01-02")
	return f
}

// Questionnaire is the version as FHIR: gpcloud's base items (the kind,
// the red flags, the base questions) then the practice's, each enabled
// for its kind; help text as a display item (itemControl help).
func (f RequestForm) Questionnaire() fhir.Resource {
	q := OnlineRequestForm()
	if f.Version == 0 {
		return q
	}
	items, _ := q["item"].([]any)
	for _, pq := range f.Questions {
		it := map[string]any{"linkId": pq.ID, "text": pq.Text, "type": pq.Type, "required": pq.Required,
			"enableWhen": []any{map[string]any{"question": "kind", "operator": "=", "answerString": ChoiceLabel(RequestKinds, pq.Kind)}}}
		if pq.Type == QuestionText {
			it["maxLength"] = json.Number(strconv.Itoa(MaxFormAnswer))
		}
		for _, o := range pq.Options {
			opts, _ := it["answerOption"].([]any)
			it["answerOption"] = append(opts, map[string]any{"valueString": o})
		}
		if pq.Help != "" {
			it["item"] = []any{map[string]any{"linkId": pq.ID + "-help", "text": pq.Help, "type": "display",
				"extension": []any{map[string]any{"url": "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl",
					"valueCodeableConcept": map[string]any{"coding": []any{map[string]any{"system": "http://hl7.org/fhir/questionnaire-item-control", "code": "help"}}}}}}}
		}
		items = append(items, it)
	}
	q["item"] = items
	q["url"] = PracticeFormURL(f.Practice)
	q["version"] = strconv.Itoa(f.Version)
	q["status"] = f.Status
	q["name"] = "OnlineRequestPractice"
	q["derivedFrom"] = []any{OnlineRequestQuestionnaire + "|" + RedFlagsVersion}
	q["description"] = "The practice's online request form: gpcloud's base (red flags fixed, hazard H-1001) with the practice's own questions."
	if f.Edited != "" {
		q["date"] = f.Edited
	}
	if f.ApprovalDate != "" {
		q["approvalDate"] = f.ApprovalDate
		by := map[string]any{"display": f.ApprovedBy.Display}
		if f.ApprovedBy.Reference != "" {
			by["reference"] = f.ApprovedBy.Reference
		}
		q["extension"] = []any{map[string]any{"url": FormSignedOffBy, "valueReference": by}}
	}
	if f.ID != "" {
		q["id"] = f.ID
	}
	return q
}

// ParseRequestForm reads a practice's form version from its
// Questionnaire. It refuses one whose base items (kind, red flags, base
// questions) are not exactly gpcloud's, or whose practice items break
// the editor's rules: such a form was not made by the editor and must
// not reach a patient.
func ParseRequestForm(res fhir.Resource) (RequestForm, error) {
	if s, _ := res["resourceType"].(string); s != "Questionnaire" {
		return RequestForm{}, errors.New("not a Questionnaire")
	}
	url, _ := res["url"].(string)
	practice, ok := strings.CutPrefix(url, OnlineRequestQuestionnaire+"/")
	if !ok || practice == "" || strings.Contains(practice, "/") {
		return RequestForm{}, errors.New("not a practice's online request form")
	}
	vs, _ := res["version"].(string)
	version, err := strconv.Atoi(vs)
	if err != nil || version < 1 || strconv.Itoa(version) != vs {
		return RequestForm{}, errors.New("the form's version is not a number from 1")
	}
	f := RequestForm{Practice: practice, Version: version}
	f.ID, _ = res["id"].(string)
	if meta, ok := res["meta"].(map[string]any); ok {
		f.VersionID, _ = meta["versionId"].(string)
	}
	f.Status, _ = res["status"].(string)
	switch f.Status {
	case FormDraft, FormActive, FormRetired:
	default:
		return RequestForm{}, fmt.Errorf("status %q is not draft, active or retired", f.Status)
	}
	f.Edited, _ = res["date"].(string)
	f.ApprovalDate, _ = res["approvalDate"].(string)
	exts, _ := res["extension"].([]any)
	for _, x := range exts {
		e, _ := x.(map[string]any)
		if u, _ := e["url"].(string); u == FormSignedOffBy {
			by, _ := e["valueReference"].(map[string]any)
			f.ApprovedBy.Reference, _ = by["reference"].(string)
			f.ApprovedBy.Display, _ = by["display"].(string)
		}
	}
	base, _ := OnlineRequestForm()["item"].([]any)
	items, _ := res["item"].([]any)
	if len(items) < len(base) {
		return RequestForm{}, errors.New("gpcloud's base questions are missing")
	}
	for i, b := range base {
		if !sameItem(b, items[i]) {
			bm, _ := b.(map[string]any)
			return RequestForm{}, fmt.Errorf("base question %v was changed or moved", bm["linkId"])
		}
	}
	kinds := map[string]string{}
	for _, k := range RequestKinds {
		kinds[k.Label] = k.Key
	}
	for _, x := range items[len(base):] {
		it, _ := x.(map[string]any)
		q := FormQuestion{}
		q.ID, _ = it["linkId"].(string)
		q.Text, _ = it["text"].(string)
		q.Type, _ = it["type"].(string)
		q.Required, _ = it["required"].(bool)
		if !strings.HasPrefix(q.ID, "q-") || LockedQuestion(q.ID) {
			return RequestForm{}, fmt.Errorf("question %q is not the practice's", q.ID)
		}
		if _, dup := f.Question(q.ID); dup {
			return RequestForm{}, fmt.Errorf("question %q is on the form twice", q.ID)
		}
		ew, _ := it["enableWhen"].([]any)
		if len(ew) != 1 {
			return RequestForm{}, fmt.Errorf("question %q is not for one kind of request", q.ID)
		}
		w, _ := ew[0].(map[string]any)
		label, _ := w["answerString"].(string)
		if w["question"] != "kind" || kinds[label] == "" {
			return RequestForm{}, fmt.Errorf("question %q is not for a kind of request", q.ID)
		}
		q.Kind = kinds[label]
		opts, _ := it["answerOption"].([]any)
		var lines []string
		for _, o := range opts {
			om, _ := o.(map[string]any)
			s, _ := om["valueString"].(string)
			lines = append(lines, s)
		}
		if sub, _ := it["item"].([]any); len(sub) > 0 {
			h, _ := sub[0].(map[string]any)
			q.Help, _ = h["text"].(string)
		}
		// The editor's own checks, so that a hand-made form is held to
		// the same limits.
		checked, errs := QuestionForm{Kind: q.Kind, Text: q.Text, Help: q.Help, Type: q.Type, Required: map[bool]string{true: "yes", false: "no"}[q.Required], Options: strings.Join(lines, "\n")}.Check()
		if len(errs) > 0 || strings.Contains(strings.Join(lines, ""), "\n") {
			return RequestForm{}, fmt.Errorf("question %q breaks the form's rules", q.ID)
		}
		checked.ID = q.ID
		if len(f.For(q.Kind)) >= MaxFormQuestions {
			return RequestForm{}, fmt.Errorf("more than %d questions for one kind of request", MaxFormQuestions)
		}
		f.Questions = append(f.Questions, checked)
	}
	return f, nil
}

// sameItem compares a base item with a stored one by what the patient
// sees and must answer: linkId, text, type, required, options, when.
func sameItem(base, got any) bool {
	b, _ := base.(map[string]any)
	g, _ := got.(map[string]any)
	if g == nil {
		return false
	}
	for _, k := range []string{"linkId", "text", "type", "required", "answerOption", "enableWhen", "enableBehavior"} {
		if fmt.Sprint(b[k]) != fmt.Sprint(g[k]) {
			return false
		}
	}
	return true
}

// FormAnswers checks the patient's answers to the practice's questions
// of kind, by linkId. It returns the answers kept (trimmed, an empty
// optional one left out) and what is wrong by linkId.
func (f RequestForm) FormAnswers(kind string, in map[string]string) (map[string]string, map[string]string) {
	out, errs := map[string]string{}, map[string]string{}
	for _, q := range f.For(kind) {
		a := strings.TrimSpace(in[q.ID])
		switch {
		case a == "":
			if q.Required {
				switch q.Type {
				case QuestionText:
					errs[q.ID] = "Answer the question: " + q.Text
				default:
					errs[q.ID] = "Select an answer: " + q.Text
				}
			}
			continue
		case q.Type == QuestionYesNo && a != "yes" && a != "no":
			errs[q.ID] = "Select yes or no: " + q.Text
		case q.Type == QuestionChoice && !hasString(q.Options, a):
			errs[q.ID] = "Select one of the options: " + q.Text
		case q.Type == QuestionText && len([]rune(a)) > MaxFormAnswer:
			errs[q.ID] = fmt.Sprintf("Your answer must be %d characters or fewer", MaxFormAnswer)
		}
		out[q.ID] = a
	}
	return out, errs
}

func hasString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// answerItems are the QuestionnaireResponse items of the practice's
// questions answered, each with the question's text as the patient saw
// it.
func (f RequestForm) answerItems(kind string, answers map[string]string) []any {
	var items []any
	for _, q := range f.For(kind) {
		a, ok := answers[q.ID]
		if !ok {
			continue
		}
		var v map[string]any
		if q.Type == QuestionYesNo {
			v = map[string]any{"valueBoolean": a == "yes"}
		} else {
			v = valueString(a)
		}
		items = append(items, item(q.ID, q.Text, v))
	}
	return items
}

// PracticeForms are a practice's form versions as the store holds them.
type PracticeForms struct {
	// Active is the version the portal serves: the practice's active
	// version, else gpcloud's base (Version 0).
	Active RequestForm
	// Draft is the version being edited, if any.
	Draft *RequestForm
	// Latest is the highest version number made.
	Latest int
	// All are every readable version, newest first.
	All []RequestForm
	// Refused counts stored versions that broke the rules (not served).
	Refused int
}

// PickForms sorts a search of a practice's form versions (url
// PracticeFormURL). A version that does not parse is left out and
// counted, never served; with no active version the base is served.
func PickForms(practice string, found []fhir.Resource) PracticeForms {
	out := PracticeForms{Active: RequestForm{Practice: practice, Status: FormActive}}
	for _, res := range found {
		f, err := ParseRequestForm(res)
		if err != nil || f.Practice != practice {
			out.Refused++
			continue
		}
		out.All = append(out.All, f)
		out.Latest = max(out.Latest, f.Version)
		switch f.Status {
		case FormActive:
			if f.Version > out.Active.Version {
				out.Active = f
			}
		case FormDraft:
			if out.Draft == nil || f.Version > out.Draft.Version {
				d := f
				out.Draft = &d
			}
		}
	}
	sort.Slice(out.All, func(i, j int) bool { return out.All[i].Version > out.All[j].Version })
	return out
}

// Version finds a version a patient may have answered: active or
// retired (never a draft, which no patient was shown), or the base (0).
func (p PracticeForms) Version(n int) (RequestForm, bool) {
	if n == 0 {
		return RequestForm{Practice: p.Active.Practice, Status: FormActive}, true
	}
	for _, f := range p.All {
		if f.Version == n && f.Status != FormDraft {
			return f, true
		}
	}
	return RequestForm{}, false
}

// FieldID is the id of the question's first input on a page, where an
// error summary links.
func (q FormQuestion) FieldID() string {
	switch q.Type {
	case QuestionYesNo:
		return q.ID + "-yes"
	case QuestionChoice:
		return q.ID + "-0"
	}
	return q.ID
}
