package clinical

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// practiceForm is a form with one practice question per kind.
func practiceForm(t *testing.T) RequestForm {
	t.Helper()
	f := RequestForm{Practice: "org1"}.NextDraft(0, time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	for _, qf := range []QuestionForm{
		{Kind: RequestMedical, Text: "Have you taken anything for it?", Help: "Medicines from a shop count.", Type: QuestionText, Required: "no"},
		{Kind: RequestMedical, Text: "Are you pregnant?", Type: QuestionYesNo, Required: "yes"},
		{Kind: RequestExisting, Text: "Which clinician did you see?", Type: QuestionChoice, Required: "yes", Options: "A GP\nA nurse\nNot sure"},
		{Kind: RequestAdmin, Text: "Your employer's name", Type: QuestionText, Required: "no"},
	} {
		q, errs := qf.Check()
		if len(errs) > 0 {
			t.Fatalf("%q: %v", qf.Text, errs)
		}
		var err error
		if f, err = f.Add(q); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// The practice edits its own questions; every change to gpcloud's base
// (a red flag, the kind, how long, the details) is refused by the rule,
// whatever a page posts.
func TestFormEditRules(t *testing.T) {
	f := practiceForm(t)
	mine := f.For(RequestMedical)[0]
	pregnant := f.For(RequestMedical)[1]
	reworded := FormQuestion{Kind: RequestMedical, Text: "Do you have chest pain?", Type: QuestionYesNo, Required: false}
	tests := []struct {
		name  string
		edit  func(RequestForm) (RequestForm, error)
		want  error // nil: allowed
		check func(RequestForm) string
	}{
		{"edit own question", func(f RequestForm) (RequestForm, error) {
			q := mine
			q.Text, q.Required = "Have you taken any medicines for it?", true
			return f.Edit(mine.ID, q)
		}, nil, func(f RequestForm) string {
			if q, _ := f.Question(mine.ID); q.Text != "Have you taken any medicines for it?" || !q.Required {
				return "not edited"
			}
			return ""
		}},
		{"remove own question", func(f RequestForm) (RequestForm, error) { return f.Remove(pregnant.ID) }, nil, func(f RequestForm) string {
			if _, ok := f.Question(pregnant.ID); ok {
				return "still there"
			}
			return ""
		}},
		{"move own question up", func(f RequestForm) (RequestForm, error) { return f.Move(pregnant.ID, -1) }, nil, func(f RequestForm) string {
			if f.For(RequestMedical)[0].ID != pregnant.ID {
				return "not moved"
			}
			return ""
		}},
		{"move first up stays", func(f RequestForm) (RequestForm, error) { return f.Move(mine.ID, -1) }, nil, func(f RequestForm) string {
			if f.For(RequestMedical)[0].ID != mine.ID {
				return "moved past the top"
			}
			return ""
		}},
		{"move skips other kinds", func(f RequestForm) (RequestForm, error) { return f.Move(pregnant.ID, 1) }, nil, func(f RequestForm) string {
			if f.For(RequestMedical)[1].ID != pregnant.ID {
				return "moved past the end of its kind"
			}
			return ""
		}},
		{"reword red flag", func(f RequestForm) (RequestForm, error) { return f.Edit("flag-chest", reworded) }, ErrLockedQuestion, nil},
		{"make red flag optional", func(f RequestForm) (RequestForm, error) {
			return f.Edit("flag-breathing", FormQuestion{Kind: RequestMedical, Text: RedFlags[1].Question, Type: QuestionYesNo})
		}, ErrLockedQuestion, nil},
		{"delete red flag", func(f RequestForm) (RequestForm, error) { return f.Remove("flag-harm") }, ErrLockedQuestion, nil},
		{"move red flag", func(f RequestForm) (RequestForm, error) { return f.Move("flag-today", -1) }, ErrLockedQuestion, nil},
		{"delete details", func(f RequestForm) (RequestForm, error) { return f.Remove("details") }, ErrLockedQuestion, nil},
		{"edit kind question", func(f RequestForm) (RequestForm, error) { return f.Edit("kind", reworded) }, ErrLockedQuestion, nil},
		{"unknown question", func(f RequestForm) (RequestForm, error) { return f.Remove("q-000000000000") }, ErrNotPracticeQuestion, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.edit(f)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
			if err != nil {
				if len(got.Questions) != len(f.Questions) {
					t.Errorf("a refused edit changed the form")
				}
				return
			}
			if msg := tt.check(got); msg != "" {
				t.Error(msg)
			}
			if len(f.For(RequestMedical)) != 2 || f.For(RequestMedical)[0].ID != mine.ID {
				t.Error("the edit changed the form it was made from")
			}
		})
	}
	// A question moves to another kind only by being removed and added.
	q := mine
	q.Kind = RequestAdmin
	if _, err := f.Edit(mine.ID, q); err == nil {
		t.Error("a question changed its kind")
	}
	// Added questions never take a base id.
	for _, q := range f.Questions {
		if LockedQuestion(q.ID) || !strings.HasPrefix(q.ID, "q-") {
			t.Errorf("added question has id %q", q.ID)
		}
	}
}

func TestQuestionFormCheck(t *testing.T) {
	long := strings.Repeat("a", MaxQuestionText+1)
	tests := []struct {
		name string
		in   QuestionForm
		want []string
	}{
		{"text ok", QuestionForm{Kind: RequestAdmin, Text: "Employer", Type: QuestionText, Required: "no"}, nil},
		{"choice ok", QuestionForm{Kind: RequestMedical, Text: "Which side?", Type: QuestionChoice, Required: "yes", Options: "Left\r\nRight\n\n"}, nil},
		{"no kind", QuestionForm{Text: "x", Type: QuestionText, Required: "no"}, []string{"kind"}},
		{"no text", QuestionForm{Kind: RequestAdmin, Text: "  ", Type: QuestionText, Required: "no"}, []string{"text"}},
		{"long text", QuestionForm{Kind: RequestAdmin, Text: long, Type: QuestionText, Required: "no"}, []string{"text"}},
		{"long help", QuestionForm{Kind: RequestAdmin, Text: "x", Help: strings.Repeat("h", MaxQuestionHelp+1), Type: QuestionText, Required: "no"}, []string{"help"}},
		{"no required", QuestionForm{Kind: RequestAdmin, Text: "x", Type: QuestionText}, []string{"required"}},
		{"bad type", QuestionForm{Kind: RequestAdmin, Text: "x", Type: "date", Required: "no"}, []string{"type"}},
		{"one option", QuestionForm{Kind: RequestAdmin, Text: "x", Type: QuestionChoice, Required: "no", Options: "Only"}, []string{"options"}},
		{"same options", QuestionForm{Kind: RequestAdmin, Text: "x", Type: QuestionChoice, Required: "no", Options: "A\na"}, []string{"options"}},
		{"too many options", QuestionForm{Kind: RequestAdmin, Text: "x", Type: QuestionChoice, Required: "no", Options: "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11"}, []string{"options"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, errs := tt.in.Check()
			if len(errs) != len(tt.want) {
				t.Fatalf("errors %v, want %v", errs, tt.want)
			}
			for _, k := range tt.want {
				if errs[k] == "" {
					t.Errorf("no error for %s: %v", k, errs)
				}
			}
			if tt.want == nil && tt.in.Type == QuestionChoice && strings.Join(q.Options, "|") != "Left|Right" {
				t.Errorf("options %q", q.Options)
			}
		})
	}
	f := RequestForm{Practice: "o"}
	for i := 0; i < MaxFormQuestions; i++ {
		f, _ = f.Add(FormQuestion{Kind: RequestAdmin, Text: "x", Type: QuestionText})
	}
	if _, err := f.Add(FormQuestion{Kind: RequestAdmin, Text: "x", Type: QuestionText}); err == nil {
		t.Error("more than the most questions added")
	}
}

// Only a GP signs off, only a draft; publishing records who and when.
func TestFormSignOff(t *testing.T) {
	draft := practiceForm(t)
	tests := []struct {
		role string
		form RequestForm
		ok   bool
	}{
		{"gp", draft, true},
		{"practice-admin", draft, false},
		{"nurse", draft, false},
		{"receptionist", draft, false},
		{"gp", draft.Published(Ref{Display: "Dr A"}, time.Now()), false},
	}
	for _, tt := range tests {
		if why := CanPublish(tt.role, tt.form); (why == "") != tt.ok {
			t.Errorf("%s publishing %s: %q", tt.role, tt.form.Status, why)
		}
	}
	p := draft.Published(Ref{Reference: "Practitioner/p1", Display: "Dr A"}, time.Date(2026, 12, 1, 23, 30, 0, 0, time.UTC))
	if p.Status != FormActive || p.ApprovalDate != "2026-12-01" || p.ApprovedBy.Display != "Dr A" || draft.Status != FormDraft {
		t.Errorf("published %+v", p)
	}
}

// A version goes to FHIR and back unchanged (through JSON, as the store
// keeps it); a stored form whose red flags or base were changed by hand
// is refused.
func TestRequestFormQuestionnaire(t *testing.T) {
	f := practiceForm(t).Published(Ref{Reference: "Practitioner/p1", Display: "Dr A"}, time.Now())
	q := roundTrip(t, f.Questionnaire())
	if str(q, "url") != PracticeFormURL("org1") || str(q, "version") != "1" || str(q, "status") != "active" || str(q, "approvalDate") == "" {
		t.Fatalf("questionnaire %v", q)
	}
	got, err := ParseRequestForm(q)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Questions) != len(f.Questions) || got.ApprovedBy != f.ApprovedBy || got.Canonical() != PracticeFormURL("org1")+"|1" {
		t.Fatalf("round trip %+v", got)
	}
	for i := range f.Questions {
		if got.Questions[i].ID != f.Questions[i].ID || got.Questions[i].Text != f.Questions[i].Text || got.Questions[i].Help != f.Questions[i].Help ||
			got.Questions[i].Kind != f.Questions[i].Kind || got.Questions[i].Required != f.Questions[i].Required || strings.Join(got.Questions[i].Options, "|") != strings.Join(f.Questions[i].Options, "|") {
			t.Errorf("question %d: %+v, want %+v", i, got.Questions[i], f.Questions[i])
		}
	}
	tamper := []struct {
		name string
		edit func(items []any) []any
	}{
		{"red flag reworded", func(items []any) []any { items[1].(map[string]any)["text"] = "Any pain?"; return items }},
		{"red flag optional", func(items []any) []any { items[2].(map[string]any)["required"] = false; return items }},
		{"red flag removed", func(items []any) []any { return append(items[:3:3], items[4:]...) }},
		{"red flag moved to the end", func(items []any) []any { return append(append(items[:1:1], items[2:]...), items[1]) }},
		{"practice item takes a flag id", func(items []any) []any {
			items[len(items)-1].(map[string]any)["linkId"] = "flag-chest"
			return items
		}},
		{"practice item for no kind", func(items []any) []any { delete(items[len(items)-1].(map[string]any), "enableWhen"); return items }},
	}
	for _, tt := range tamper {
		t.Run(tt.name, func(t *testing.T) {
			q := roundTrip(t, f.Questionnaire())
			q["item"] = tt.edit(q["item"].([]any))
			if _, err := ParseRequestForm(q); err == nil {
				t.Error("a tampered form was read")
			}
		})
	}
}

// A response to a practice form names its exact version and carries its
// questions' words; required practice questions are checked.
func TestRequestWithPracticeForm(t *testing.T) {
	f := practiceForm(t).Published(Ref{Display: "Dr A"}, time.Now())
	pregnant := f.For(RequestMedical)[1]
	req := OnlineRequest{Kind: RequestMedical, Details: "a cough", HowLong: "weeks", RedFlags: allNo(), Form: f, Answers: map[string]string{}}
	if errs := req.Check(); errs[pregnant.ID] == "" {
		t.Errorf("required practice question not checked: %v", errs)
	}
	req.Answers[pregnant.ID] = "maybe"
	if errs := req.Check(); errs[pregnant.ID] == "" {
		t.Errorf("a yes/no question took %q", "maybe")
	}
	req.Answers[pregnant.ID] = "no"
	if errs := req.Check(); len(errs) != 0 {
		t.Fatalf("errors %v", errs)
	}
	qr, _, _ := req.Resources(PortalRequester{PatientID: "p"}, "OC-AAAA-BBBB", time.Now())
	if str(qr, "questionnaire") != PracticeFormURL("org1")+"|1" {
		t.Errorf("questionnaire %q", str(qr, "questionnaire"))
	}
	found := false
	for _, it := range list(qr, "item") {
		if str(it, "linkId") == pregnant.ID && str(it, "text") == pregnant.Text {
			found = true
		}
	}
	if !found {
		t.Errorf("practice answer missing: %v", qr["item"])
	}
	// An existing problem asks the red flags too.
	ex := OnlineRequest{Kind: RequestExisting, Details: "x", HowLong: "days", RedFlags: map[string]string{"flag-chest": "yes"}}
	if errs := ex.Check(); errs["flag-chest"] == "" {
		t.Errorf("existing problem skipped the red flags: %v", errs)
	}
}

// ParseRequestForm reads stored JSON anyone with the FHIR API could
// have written: it must never panic, and what it accepts keeps the base.
func FuzzParseRequestForm(f *testing.F) {
	form := RequestForm{Practice: "org1", Version: 2, Status: FormDraft}
	form, _ = form.Add(FormQuestion{Kind: RequestAdmin, Text: "Employer", Type: QuestionChoice, Options: []string{"A", "B"}})
	b, _ := json.Marshal(form.Questionnaire())
	f.Add(b)
	f.Add([]byte(`{"resourceType":"Questionnaire","url":"https://gpcloud.dev/fhir/Questionnaire/online-request/x","version":"1","status":"draft","item":[{}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r fhir.Resource
		if json.Unmarshal(data, &r) != nil {
			return
		}
		got, err := ParseRequestForm(r)
		if err != nil {
			return
		}
		for _, q := range got.Questions {
			if LockedQuestion(q.ID) {
				t.Fatalf("accepted a practice question with a base id %q", q.ID)
			}
		}
		if got.Version < 1 {
			t.Fatalf("accepted version %d", got.Version)
		}
	})
}
