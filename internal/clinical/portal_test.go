package clinical

import (
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

func allNo() map[string]string {
	m := map[string]string{}
	for _, f := range RedFlags {
		m[f.ID] = "no"
	}
	return m
}

// Every red flag, answered yes, stops the request with its advice; a
// 999 flag wins over a 111 one; a yes wins over unanswered questions.
func TestCheckRedFlags(t *testing.T) {
	for _, f := range RedFlags {
		t.Run(f.ID, func(t *testing.T) {
			a := allNo()
			a[f.ID] = "yes"
			stop, errs := CheckRedFlags(a)
			if stop == nil || stop.ID != f.ID || len(errs) != 0 {
				t.Fatalf("yes to %s: stop %v errs %v", f.ID, stop, errs)
			}
			if stop.Advice != Advice999 && stop.Advice != Advice111 {
				t.Errorf("%s: advice %q", f.ID, stop.Advice)
			}
		})
	}
	tests := []struct {
		name    string
		answers map[string]string
		stop    string
		errs    int
	}{
		{"all no", allNo(), "", 0},
		{"none answered", map[string]string{}, "", len(RedFlags)},
		{"yes beats blanks", map[string]string{"flag-breathing": "yes"}, "flag-breathing", 0},
		{"999 beats 111", map[string]string{"flag-today": "yes", "flag-harm": "yes"}, "flag-harm", 0},
		{"111 alone", func() map[string]string { a := allNo(); a["flag-today"] = "yes"; return a }(), "flag-today", 0},
		{"nonsense is unanswered", func() map[string]string { a := allNo(); a["flag-chest"] = "maybe"; return a }(), "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stop, errs := CheckRedFlags(tt.answers)
			got := ""
			if stop != nil {
				got = stop.ID
			}
			if got != tt.stop || len(errs) != tt.errs {
				t.Errorf("stop %q errs %v; want %q and %d errors", got, errs, tt.stop, tt.errs)
			}
		})
	}
}

func TestOnlineRequestCheck(t *testing.T) {
	flagged := allNo()
	flagged["flag-chest"] = "yes"
	long := strings.Repeat("a", MaxRequestDetails+1)
	tests := []struct {
		name string
		req  OnlineRequest
		want []string
	}{
		{"medical ok", OnlineRequest{Kind: RequestMedical, Details: "cough", HowLong: "weeks", RedFlags: allNo()}, nil},
		{"admin ok", OnlineRequest{Kind: RequestAdmin, Topic: "fit-note", Details: "need a fit note"}, nil},
		{"no kind", OnlineRequest{Details: "x"}, []string{"kind"}},
		{"medical red flag yes refused", OnlineRequest{Kind: RequestMedical, Details: "x", HowLong: "days", RedFlags: flagged}, []string{"flag-chest"}},
		{"medical flags skipped", OnlineRequest{Kind: RequestMedical, Details: "x", HowLong: "days"}, []string{"flag-chest"}},
		{"medical no how long", OnlineRequest{Kind: RequestMedical, Details: "x", RedFlags: allNo()}, []string{"how-long"}},
		{"medical empty", OnlineRequest{Kind: RequestMedical, Details: "  ", HowLong: "days", RedFlags: allNo()}, []string{"details"}},
		{"admin no topic", OnlineRequest{Kind: RequestAdmin, Details: "x"}, []string{"topic"}},
		{"too long", OnlineRequest{Kind: RequestAdmin, Topic: "other", Details: long}, []string{"details"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := tt.req.Check()
			for _, f := range tt.want {
				if errs[f] == "" {
					t.Errorf("no error for %s: %v", f, errs)
				}
			}
			if len(tt.want) == 0 && len(errs) > 0 {
				t.Errorf("unexpected errors %v", errs)
			}
		})
	}
}

func TestOnlineRequestResources(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	req := OnlineRequest{Kind: RequestMedical, Details: "a cough", HowLong: "weeks", RedFlags: allNo()}
	qr, task, urn := req.Resources(PortalRequester{PatientID: "p1", PatientName: "Ann Smith", Practice: "org1", Proxy: "Bob Smith"}, "OC-ABCD-EFGH", now)
	if qr["status"] != "completed" || !strings.HasPrefix(urn, "urn:uuid:") {
		t.Fatalf("qr %v", qr)
	}
	if task["status"] != "requested" || mapOf(task["owner"])["reference"] != "Organization/org1" || mapOf(task["for"])["reference"] != "Patient/p1" {
		t.Fatalf("task %v", task)
	}
	if mapOf(task["focus"])["reference"] != urn || !IsPortalTask(task, TaskOnlineRequest) {
		t.Fatalf("task focus/code %v", task)
	}
	if !strings.Contains(str(mapOf(task["requester"]), "display"), "acting for Ann Smith") {
		t.Errorf("proxy not named: %v", task["requester"])
	}
	if d := str(task, "description"); d != "Health problem (1 to 4 weeks): a cough" {
		t.Errorf("description %q", d)
	}
	if got := firstWords(strings.Repeat("word ", 40), 20); got != "word word word word…" {
		t.Errorf("firstWords %q", got)
	}
	if n := len(list(qr, "item")); n != len(RedFlags)+3 {
		t.Errorf("%d items", n)
	}
}

func TestNewRequestReference(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		r := NewRequestReference("OC")
		if len(r) != 12 || !strings.HasPrefix(r, "OC-") || r[7] != '-' || strings.ContainsAny(r[3:], "01OIL") {
			t.Fatalf("reference %q", r)
		}
		seen[r] = true
	}
	if len(seen) < 199 {
		t.Errorf("references repeat: %d distinct of 200", len(seen))
	}
}

func TestReplyBy(t *testing.T) {
	uk := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, UKTime)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct {
		at   string
		open bool
		want string
	}{
		{"2026-12-01 10:00", true, "end of Wednesday 2 December"}, // Tuesday
		{"2026-12-04 12:00", true, "end of Monday 7 December"},    // Friday
		{"2026-12-01 07:59", false, "8am on Tuesday 1 December"},
		{"2026-12-01 18:30", false, "8am on Wednesday 2 December"},
		{"2026-12-05 11:00", false, "8am on Monday 7 December"}, // Saturday
		{"2026-12-04 19:00", false, "8am on Monday 7 December"}, // Friday evening
	}
	for _, tt := range tests {
		open, msg := ReplyBy(uk(tt.at))
		if open != tt.open || !strings.Contains(msg, tt.want) {
			t.Errorf("%s: %v %q; want %v %q", tt.at, open, msg, tt.open, tt.want)
		}
	}
}

func portalMed(id, status, intent, course, name string) fhir.Resource {
	m := fhir.Resource{"resourceType": "MedicationRequest", "id": id, "status": status, "intent": intent,
		"medicationCodeableConcept": map[string]any{"text": name}, "dosageInstruction": []any{map[string]any{"text": "One a day"}}}
	if course != "" {
		m["courseOfTherapyType"] = map[string]any{"coding": []any{map[string]any{"code": course}}}
	}
	return m
}

func TestPortalRepeats(t *testing.T) {
	meds := []fhir.Resource{
		portalMed("a", "active", "order", "continuous", "Ramipril 5mg capsules"),
		portalMed("b", "active", "order", "acute", "Amoxicillin"),
		portalMed("c", "stopped", "order", "continuous", "Old med"),
		portalMed("d", "active", "plan", "continuous", "A plan"),
		portalMed("e", "active", "order", "continuous-repeating-dispensing", "Repeat dispensing"),
		portalMed("f", "active", "order", "continuous", "Atorvastatin 20mg tablets"),
	}
	// An issue of the plan (an order based on it) is not a repeat itself.
	issue := portalMed("g", "active", "order", "continuous", "A plan")
	issue["basedOn"] = []any{map[string]any{"reference": "MedicationRequest/d"}}
	meds = append(meds, issue)
	got := PortalRepeats(meds, map[string]bool{"f": true}, DefaultPortalSettings, time.Now())
	if len(got) != 3 || got[0].ID != "d" || got[1].ID != "f" || got[2].ID != "a" || !got[1].Requested || got[2].Requested || got[2].Dose != "One a day" {
		t.Fatalf("%+v", got)
	}
	tests := []struct {
		name  string
		order RepeatOrder
		want  string
	}{
		{"ok", RepeatOrder{Chosen: []string{"a"}}, ""},
		{"none", RepeatOrder{}, "medicines"},
		{"acute", RepeatOrder{Chosen: []string{"b"}}, "medicines"},
		{"pending", RepeatOrder{Chosen: []string{"f"}}, "medicines"},
		{"long note", RepeatOrder{Chosen: []string{"a"}, Note: strings.Repeat("x", MaxRepeatNote+1)}, "note"},
	}
	for _, tt := range tests {
		errs := tt.order.Check(got)
		if tt.want == "" && len(errs) > 0 || tt.want != "" && errs[tt.want] == "" {
			t.Errorf("%s: %v", tt.name, errs)
		}
	}
	task := RepeatOrder{Chosen: []string{"a"}, Note: "please"}.Task(PortalRequester{PatientID: "p", PatientName: "P", Practice: "o"}, got, "RX-AAAA-BBBB", time.Now())
	if pend := PendingRepeats([]fhir.Resource{task}); !pend["a"] || pend["f"] {
		t.Errorf("pending %v", pend)
	}
	task["status"] = "completed"
	if pend := PendingRepeats([]fhir.Resource{task}); len(pend) != 0 {
		t.Errorf("completed still pending %v", pend)
	}
	task["status"] = "rejected"
	task["statusReason"] = map[string]any{"text": "needs a review"}
	rows := PortalTaskRows([]fhir.Resource{task}, TaskRepeatRequest)
	if len(rows) != 1 || rows[0].Status != "Turned down: needs a review" || rows[0].Reference != "RX-AAAA-BBBB" || rows[0].What != "Ramipril 5mg capsules" {
		t.Errorf("rows %+v", rows)
	}
}

func TestHiddenFromPatient(t *testing.T) {
	hidden := fhir.Resource{"meta": map[string]any{"security": []any{map[string]any{"system": ActCodeSystem, "code": "NOPAT"}}}}
	other := fhir.Resource{"meta": map[string]any{"security": []any{map[string]any{"system": ActCodeSystem, "code": "R"}}}}
	plain := fhir.Resource{}
	got := ForPatient([]fhir.Resource{hidden, other, plain})
	if len(got) != 2 || HiddenFromPatient(other) || !HiddenFromPatient(hidden) {
		t.Errorf("%v", got)
	}
}

func TestOnlineAccessClosed(t *testing.T) {
	tests := []struct {
		b      Banner
		closed bool
	}{
		{Banner{}, false},
		{Banner{Deceased: true}, true},
		{Banner{Deducted: true}, true},
		{Banner{Sensitive: true}, false}, // sealed from the practice, not from its patient
	}
	for _, tt := range tests {
		if got := OnlineAccessClosed(tt.b) != ""; got != tt.closed {
			t.Errorf("%+v: closed %v", tt.b, got)
		}
	}
}

func TestContactChange(t *testing.T) {
	current := CurrentContact(fhir.Resource{"telecom": []any{
		map[string]any{"system": "phone", "value": "01632 960001", "use": "home"},
		map[string]any{"system": "phone", "value": "07700 900001", "use": "mobile"},
		map[string]any{"system": "email", "value": "old@example.com", "use": "old"},
	}})
	if current.Mobile != "07700 900001" || current.Email != "" {
		t.Fatalf("current %+v", current)
	}
	tests := []struct {
		c    ContactChange
		want string
	}{
		{ContactChange{Mobile: "07700 900982"}, ""},
		{ContactChange{Mobile: "+44 7700 900982", Email: "a@b.co"}, ""},
		{ContactChange{Mobile: "07700 900001"}, "mobile"}, // nothing changes
		{ContactChange{Mobile: "12345"}, "mobile"},
		{ContactChange{Mobile: "07700 900001", Email: "not an email"}, "email"},
		{ContactChange{Mobile: "07700 900001", Email: "x@y"}, "email"},
	}
	for _, tt := range tests {
		errs := tt.c.Check(current)
		if tt.want == "" && len(errs) > 0 || tt.want != "" && errs[tt.want] == "" {
			t.Errorf("%+v: %v", tt.c, errs)
		}
	}
	task := ContactChange{Mobile: "07700 900982", Email: "new@example.com"}.Task(PortalRequester{PatientID: "p", PatientName: "P", Practice: "o"}, current, "CD-AAAA-BBBB", time.Now())
	if !IsPortalTask(task, TaskContactChange) || len(list(task, "input")) != 2 || !strings.Contains(str(task, "description"), "new@example.com") {
		t.Errorf("task %v", task)
	}
}

// FuzzContactChange: no input panics, and whatever is accepted makes a
// Task naming it and, applied, leaves the record with what was entered.
func FuzzContactChange(f *testing.F) {
	f.Add("07700 900982", "a@b.co", "")
	f.Add("+44 7700 900982", "", "1 High St")
	f.Add("", "x@y", "")
	f.Fuzz(func(t *testing.T, mobile, mail, address string) {
		c := ContactChange{Mobile: mobile, Email: mail, Address: address}
		if len(c.Check(ContactChange{})) > 0 {
			return
		}
		task := c.Task(PortalRequester{PatientID: "p"}, ContactChange{}, "CD-AAAA-BBBB", time.Now())
		if len(list(task, "input")) == 0 {
			t.Fatalf("accepted %q %q %q but the task changes nothing", mobile, mail, address)
		}
		got := CurrentContact(c.Applied(fhir.Resource{"resourceType": "Patient"}, ContactChange{}))
		if got.Mobile != strings.TrimSpace(mobile) || got.Email != strings.TrimSpace(mail) {
			t.Fatalf("applied %q %q: %+v", mobile, mail, got)
		}
	})
}

// FuzzFirstWords: never panics, never longer than asked (plus "…").
func FuzzFirstWords(f *testing.F) {
	f.Add("a dry cough that keeps me awake at night", 10)
	f.Add("éé éé", 1)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n < 1 || n > 500 {
			return
		}
		if got := []rune(firstWords(s, n)); len(got) > n+1 {
			t.Fatalf("%q cut to %d: %d runes", s, n, len(got))
		}
	})
}

// The form's linkIds are those the responses use.
func TestOnlineRequestForm(t *testing.T) {
	form := OnlineRequestForm()
	ids := map[string]bool{}
	for _, it := range list(form, "item") {
		ids[str(it, "linkId")] = true
	}
	for _, q := range []OnlineRequest{
		{Kind: RequestMedical, Details: "x", HowLong: "days", RedFlags: allNo()},
		{Kind: RequestAdmin, Details: "x", Topic: "letter"},
	} {
		qr, _, _ := q.Resources(PortalRequester{PatientID: "p"}, "OC-AAAA-BBBB", time.Now())
		for _, it := range list(qr, "item") {
			if !ids[str(it, "linkId")] {
				t.Errorf("response item %q is not in the form", str(it, "linkId"))
			}
		}
		if str(qr, "questionnaire") != str(form, "url")+"|"+str(form, "version") {
			t.Errorf("questionnaire %q", str(qr, "questionnaire"))
		}
	}
}
