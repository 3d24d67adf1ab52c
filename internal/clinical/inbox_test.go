package clinical

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// obs is a contained Observation: a number with a range and an
// interpretation code, or a text result when unit is "".
func obs(id, name string, value any, unit string, low, high float64, interp string) map[string]any {
	o := map[string]any{"resourceType": "Observation", "id": id, "status": "final", "code": map[string]any{"text": name}}
	if unit == "" {
		o["valueString"] = value
	} else {
		o["valueQuantity"] = map[string]any{"value": value, "unit": unit}
		o["referenceRange"] = []any{map[string]any{"low": map[string]any{"value": json.Number(ftoa(low))}, "high": map[string]any{"value": json.Number(ftoa(high))}}}
	}
	if interp != "" {
		o["interpretation"] = []any{map[string]any{"coding": []any{map[string]any{"system": interpretationSystem, "code": interp}}}}
	}
	return o
}

func ftoa(f float64) string { return trimFloat(f) }

func report(conclusion string, observations ...map[string]any) fhir.Resource {
	contained := []any{map[string]any{"resourceType": "Patient", "id": "pat",
		"identifier": []any{map[string]any{"system": NHSNumberSystem, "value": "9990000018"}},
		"name":       []any{map[string]any{"family": "Jones", "given": []any{"Olivia"}}}, "birthDate": "2010-05-24"}}
	var results []any
	for _, o := range observations {
		contained = append(contained, o)
		results = append(results, map[string]any{"reference": "#" + o["id"].(string)})
	}
	r := fhir.Resource{"resourceType": "DiagnosticReport", "id": "r1", "status": "final", "code": map[string]any{"text": "Full blood count"},
		"subject": map[string]any{"reference": "#pat"}, "contained": contained, "result": results}
	if conclusion != "" {
		r["conclusion"] = conclusion
	}
	return WithInboxState(r, InboxReceived)
}

func TestIncomingFlags(t *testing.T) {
	hb := func(v string, interp string) map[string]any {
		return obs("hb", "Haemoglobin", json.Number(v), "g/L", 115, 165, interp)
	}
	cases := []struct {
		name                       string
		res                        fhir.Resource
		abnormal, critical, normal bool
		flag                       string
	}{
		{"inside the range", report("", hb("130", "")), false, false, true, "Normal"},
		{"below the range, no code", report("", hb("98", "")), true, false, false, "Abnormal"},
		{"lab says high", report("", hb("130", "H")), true, false, false, "Abnormal"},
		{"lab says critically low", report("", hb("60", "LL")), true, true, false, "Critical"},
		{"normal numbers but a lab comment", report("Film reviewed: see comment", hb("130", "N")), false, false, false, "Not flagged"},
		{"a text report is never normal by default", report("", obs("mc", "Culture", "Mixed growth", "", 0, 0, "")), false, false, false, "Not flagged"},
		{"no tests at all", report(""), false, false, false, "Not flagged"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := IncomingOf(c.res)
			if in.Abnormal != c.abnormal || in.Critical != c.critical || in.Normal != c.normal || in.Flag() != c.flag {
				t.Fatalf("abnormal %v critical %v normal %v flag %q", in.Abnormal, in.Critical, in.Normal, in.Flag())
			}
			if in.Claimed.NHSNumber != "9990000018" || in.Claimed.BirthDate != "2010-05-24" || in.Claimed.Family != "Jones" || in.State != InboxReceived {
				t.Fatalf("claimed %+v state %q", in.Claimed, in.State)
			}
		})
	}
	src := report("")
	src["meta"].(map[string]any)["tag"] = append(src["meta"].(map[string]any)["tag"].([]any), map[string]any{"system": InboxSourceSystem, "code": "nhs111"})
	if got := IncomingOf(src); got.Source != "NHS 111 report" || got.State != InboxReceived {
		t.Errorf("source %q state %q", got.Source, got.State)
	}
	in := IncomingOf(report("", hb("98", "")))
	if l := in.Lines[0]; l.Value != "98 g/L" || l.Range != "115 to 165" || l.Flag != "Low" {
		t.Errorf("line %+v", l)
	}
}

func patientRes(nhs, verification, dob, family string, edit func(fhir.Resource)) fhir.Resource {
	id := map[string]any{"system": NHSNumberSystem, "value": nhs}
	if verification != "" {
		id["extension"] = []any{map[string]any{"url": NHSVerificationURL, "valueCodeableConcept": map[string]any{"coding": []any{map[string]any{"system": NHSVerificationSystem, "code": verification}}}}}
	}
	p := fhir.Resource{"resourceType": "Patient", "id": "p1", "active": true, "identifier": []any{id}, "birthDate": dob,
		"name": []any{map[string]any{"family": family, "given": []any{"Olivia"}}}}
	if edit != nil {
		edit(p)
	}
	return p
}

func TestAutoMatch(t *testing.T) {
	claim := Claimed{NHSNumber: "9990000018", BirthDate: "2010-05-24", Family: "JONES"}
	good := patientRes("9990000018", NHSVerified, "2010-05-24", "Jones", nil)
	cases := []struct {
		name       string
		claim      Claimed
		candidates []MatchCandidate
		want       string // the patient, or "" for the manual queue
		reason     string
	}{
		{"all agree: filed automatically", claim, []MatchCandidate{{Patient: good}}, "p1", ""},
		{"no NHS number", Claimed{BirthDate: "2010-05-24", Family: "Jones"}, []MatchCandidate{{Patient: good}}, "", "No valid NHS number"},
		{"an NHS number failing its check digit", Claimed{NHSNumber: "9990000019", BirthDate: "2010-05-24", Family: "Jones"}, nil, "", "No valid NHS number"},
		{"name and date of birth only are not enough", Claimed{NHSNumber: "9990000018", Family: "Jones"}, []MatchCandidate{{Patient: good}}, "", "No date of birth"},
		{"unknown NHS number", claim, nil, "", "No patient"},
		{"two patients with the number", claim, []MatchCandidate{{Patient: good}, {Patient: good}}, "", "More than one"},
		{"number not verified", claim, []MatchCandidate{{Patient: patientRes("9990000018", NHSNotTraced, "2010-05-24", "Jones", nil)}}, "", "not verified"},
		{"date of birth differs", claim, []MatchCandidate{{Patient: patientRes("9990000018", NHSVerified, "2010-05-25", "Jones", nil)}}, "", "date of birth differs"},
		{"surname differs", claim, []MatchCandidate{{Patient: patientRes("9990000018", NHSVerified, "2010-05-24", "Jonas", nil)}}, "", "surname differs"},
		{"deceased", claim, []MatchCandidate{{Patient: patientRes("9990000018", NHSVerified, "2010-05-24", "Jones", func(p fhir.Resource) { p["deceasedBoolean"] = true })}}, "", "died"},
		{"deducted", claim, []MatchCandidate{{Patient: patientRes("9990000018", NHSVerified, "2010-05-24", "Jones", func(p fhir.Resource) { p["active"] = false })}}, "", "no longer registered"},
		{"temporary resident", claim, []MatchCandidate{{Patient: good, Temporary: true}}, "", "temporary resident"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, reason := AutoMatch(c.claim, c.candidates)
			if got != c.want || (c.want == "" && !strings.Contains(reason, c.reason)) {
				t.Fatalf("got %q (%s)", got, reason)
			}
		})
	}
}

func TestMatchAndFile(t *testing.T) {
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	res := report("", obs("hb", "Haemoglobin", json.Number("98"), "g/L", 115, 165, "L"))
	matched := MatchTo(res, Banner{ID: "p1", Name: "JONES, Olivia", NHSNumber: "999 000 0018"})
	in := IncomingOf(matched)
	if in.State != InboxToFile || in.Patient.Reference != "Patient/p1" {
		t.Fatalf("matched %+v", in)
	}
	for _, c := range list(matched, "contained") {
		if c["resourceType"] == "Patient" {
			t.Error("the sender's Patient stayed contained after matching")
		}
	}
	if len(in.Lines) != 1 {
		t.Errorf("the results were lost in matching: %+v", in.Lines)
	}
	if InboxState(res) != InboxReceived {
		t.Error("MatchTo changed the resource it was given")
	}

	cases := []struct {
		name      string
		in        Incoming
		f         Filing
		clinician bool
		field     string
	}{
		{"a clinician files with an action", in, Filing{Action: "appointment"}, true, ""},
		{"no action on an abnormal result needs a reason", in, Filing{Action: "none"}, true, "comment"},
		{"no action with a reason", in, Filing{Action: "none", Comment: "Known, stable"}, true, ""},
		{"no action chosen", in, Filing{}, true, "action"},
		{"only clinicians file results", in, Filing{Action: "appointment"}, false, "action"},
		{"not yet in a record", IncomingOf(res), Filing{Action: "appointment"}, true, "action"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			errs := CheckFiling(c.in, c.f, c.clinician)
			if (c.field == "") != (len(errs) == 0) || (c.field != "" && errs[c.field] == "") {
				t.Fatalf("errors %v", errs)
			}
		})
	}

	by := Ref{Reference: "Practitioner/gp", Display: "Dr Gill"}
	f := Filing{Action: "urgent", Comment: "Haemoglobin low", By: by}
	filed := IncomingOf(Filed(matched, f, now))
	if filed.State != InboxFiled || filed.Filing.Action != "urgent" || filed.Filing.Comment != "Haemoglobin low" || filed.Filing.By.Reference != "Practitioner/gp" {
		t.Fatalf("filed %+v", filed)
	}
	task, ok := FilingTask(in, f, Ref{Reference: "Group/rec", Display: "Reception"}, now)
	if !ok {
		t.Fatal("an urgent appointment made no task")
	}
	tt := TaskOf(task)
	if tt.Team.Reference != "Group/rec" || tt.Priority != "urgent" || tt.Due != "2026-03-10" || tt.Patient.Reference != "Patient/p1" ||
		tt.Focus.Reference != "DiagnosticReport/r1" || !strings.Contains(tt.Description, "urgent appointment") {
		t.Errorf("task %+v", tt)
	}
	if rt, ok := FilingTask(in, Filing{Action: "reconcile"}, Ref{Reference: "Group/gps"}, now); !ok || TaskOf(rt).Due != "2026-03-11" || !strings.Contains(TaskOf(rt).Description, "Reconcile the medication") {
		t.Errorf("reconcile task %+v", TaskOf(rt))
	}
	if _, ok := FilingTask(in, Filing{Action: "none"}, Ref{}, now); ok {
		t.Error("no action made a task")
	}
}

func TestSortIncoming(t *testing.T) {
	items := []Incoming{
		{ID: "normal", Normal: true, Received: "1"},
		{ID: "text", Received: "2"},
		{ID: "abnormal-new", Abnormal: true, Received: "5"},
		{ID: "critical", Abnormal: true, Critical: true, Received: "9"},
		{ID: "abnormal-old", Abnormal: true, Received: "3"},
	}
	SortIncoming(items)
	var ids []string
	for _, x := range items {
		ids = append(ids, x.ID)
	}
	if got := strings.Join(ids, " "); got != "critical abnormal-old abnormal-new text normal" {
		t.Errorf("order %s", got)
	}
}

func TestWhenLabel(t *testing.T) {
	for in, want := range map[string]string{
		"2026-07-01T13:42:09Z":        "1 July 2026 14:42", // British Summer Time
		"2026-12-01T15:42:10.437517Z": "1 December 2026 15:42",
		"2026-03-10":                  "10 March 2026",
		"2026-11-28T00:00:00Z":        "28 November 2026", // a letter's date, no time
		"soon":                        "soon",
	} {
		if got := WhenLabel(in); got != want {
			t.Errorf("%s: %q, want %q", in, got, want)
		}
	}
}

func TestIncomingOverdue(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	at := func(h int) string { return now.Add(-time.Duration(h) * time.Hour).Format(time.RFC3339) }
	cases := []struct {
		name string
		in   Incoming
		want bool
	}{
		{"critical, 5 hours", Incoming{State: InboxToFile, Critical: true, Abnormal: true, Received: at(5)}, true},
		{"critical, 3 hours", Incoming{State: InboxToFile, Critical: true, Abnormal: true, Received: at(3)}, false},
		{"abnormal, 3 days", Incoming{State: InboxToFile, Abnormal: true, Received: at(72)}, true},
		{"abnormal, 1 day", Incoming{State: InboxToFile, Abnormal: true, Received: at(24)}, false},
		{"normal, 3 days", Incoming{State: InboxToFile, Normal: true, Received: at(72)}, false},
		{"normal, 8 days", Incoming{State: InboxToFile, Normal: true, Received: at(8 * 24)}, true},
		{"filed long ago", Incoming{State: InboxFiled, Abnormal: true, Received: at(500)}, false},
	}
	for _, c := range cases {
		if got := c.in.Overdue(now); got != c.want {
			t.Errorf("%s: %v", c.name, got)
		}
	}
}

// FuzzIncomingOf: whatever a sender posts (any JSON the validator might
// let through), reading it as an inbox item, a task or a referral does
// not panic.
func FuzzIncomingOf(f *testing.F) {
	seed, _ := json.Marshal(report("x", obs("hb", "Haemoglobin", json.Number("98"), "g/L", 115, 165, "L")))
	f.Add(seed)
	f.Add([]byte(`{"resourceType":"DocumentReference","subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"1"},"display":"A,B"},"content":[1]}`))
	f.Add([]byte(`{"resourceType":"ServiceRequest","performer":[1,{"display":2}],"note":[{},"x"],"orderDetail":[{"coding":[7]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := fhir.Unmarshal(data)
		if err != nil {
			return
		}
		in := IncomingOf(res)
		_ = in.Flag()
		_ = in.Overdue(time.Now())
		_, _ = AutoMatch(in.Claimed, []MatchCandidate{{Patient: res}})
		_ = MatchTo(res, Banner{ID: "p"})
		_ = TaskOf(res)
		_ = ReferralOf(res)
		_, _ = ChangeTask(res, TaskChange{Do: "complete"}, TaskAssignees{}, time.Now())
		_, _ = ChangeReferral(res, ReferralChange{Do: "cancel", Note: "x"})
	})
}

// TestInboxRank: the rank an item is listed by, most urgent first, and
// the rank tag's code for its queue.
func TestInboxRank(t *testing.T) {
	for _, tc := range []struct {
		in   Incoming
		want string
	}{
		{Incoming{Critical: true, Abnormal: true}, "critical"},
		{Incoming{Abnormal: true}, "abnormal"},
		{Incoming{}, "unflagged"}, // a letter, a text report
		{Incoming{Normal: true}, "normal"},
	} {
		if got := InboxRank(tc.in); got != tc.want {
			t.Errorf("InboxRank(%+v) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if InboxRankCode(InboxToFile, "abnormal") != "to-file:abnormal" {
		t.Error("rank code")
	}
	item := WithInboxState(fhir.Resource{"resourceType": "DocumentReference"}, InboxToMatch)
	if !Ranked(item) {
		t.Error("an item moved to a queue has no rank tag of that queue")
	}
	if Ranked(WithInboxStateWhy(item, InboxToFile, "")) != true {
		t.Error("moving to another queue does not rerank")
	}
}

// TestBulkFilable: only results explicitly normal, in a record and
// waiting to be filed, with no lab comment, are filed without being
// opened.
func TestBulkFilable(t *testing.T) {
	normal := Incoming{Kind: "Result", State: InboxToFile, Patient: Ref{Reference: "Patient/a"}, Normal: true}
	for _, tc := range []struct {
		name string
		edit func(*Incoming)
		want bool
	}{
		{"normal result in a record", func(*Incoming) {}, true},
		{"abnormal", func(in *Incoming) { in.Abnormal = true }, false},
		{"critical", func(in *Incoming) { in.Critical, in.Abnormal = true, true }, false},
		{"text report, no flag", func(in *Incoming) { in.Normal = false }, false},
		{"lab comment", func(in *Incoming) { in.Comment = "Please repeat" }, false},
		{"letter", func(in *Incoming) { in.Kind = "Letter" }, false},
		{"not yet matched", func(in *Incoming) { in.Patient = Ref{} }, false},
		{"already filed", func(in *Incoming) { in.State = InboxFiled }, false},
		{"to be matched", func(in *Incoming) { in.State = InboxToMatch }, false},
	} {
		in := normal
		tc.edit(&in)
		if got := BulkFilable(in); got != tc.want {
			t.Errorf("%s: BulkFilable = %v, want %v", tc.name, got, tc.want)
		}
	}
	if f := BulkFiling(Ref{Reference: "Practitioner/p"}); len(CheckFiling(normal, f, true)) != 0 {
		t.Errorf("a bulk filing of a normal result is refused: %v", CheckFiling(normal, f, true))
	}
}
