package clinical

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

func noticeTelecom(system, value string, consent bool) map[string]any {
	t := map[string]any{"system": system, "value": value,
		"extension": []any{map[string]any{"url": ContactConsentURL, "valueBoolean": consent}}}
	if system == "phone" {
		t["use"] = "mobile"
	}
	return t
}

func TestReplyNotices(t *testing.T) {
	now := time.Date(2026, 12, 1, 11, 0, 0, 0, time.UTC)
	adult := func(edit func(fhir.Resource)) fhir.Resource {
		p := fhir.Resource{"resourceType": "Patient", "id": "p", "birthDate": "1980-05-01", "telecom": []any{
			noticeTelecom("email", "jo@example.org", true), noticeTelecom("phone", "07700 900123", true)}}
		if edit != nil {
			edit(p)
		}
		return p
	}
	child := fhir.Resource{"resourceType": "Patient", "id": "c", "birthDate": "2015-03-01", "telecom": []any{
		noticeTelecom("phone", "07700 900999", true)}}
	parent := fhir.Resource{"resourceType": "RelatedPerson", "id": "mum", "telecom": []any{
		noticeTelecom("email", "mum@example.org", true), noticeTelecom("phone", "07700 900555", false)}}
	for _, c := range []struct {
		name    string
		patient fhir.Resource
		parents []fhir.Resource
		want    string
	}{
		{"an adult, both channels consented", adult(nil), nil, "email:jo@example.org sms:07700 900123"},
		{"an adult who refused email", adult(func(p fhir.Resource) {
			p["telecom"] = []any{noticeTelecom("email", "jo@example.org", false), noticeTelecom("phone", "07700 900123", true)}
		}), nil, "sms:07700 900123"},
		{"a landline is not texted", adult(func(p fhir.Resource) {
			p["telecom"] = []any{map[string]any{"system": "phone", "use": "home", "value": "0113 496 0000",
				"extension": []any{map[string]any{"url": ContactConsentURL, "valueBoolean": true}}}}
		}), nil, ""},
		{"died (boolean)", adult(func(p fhir.Resource) { p["deceasedBoolean"] = true }), nil, ""},
		{"died (date)", adult(func(p fhir.Resource) { p["deceasedDateTime"] = "2026-11-30" }), nil, ""},
		{"16 today is an adult", adult(func(p fhir.Resource) { p["birthDate"] = "2010-12-01" }), nil, "email:jo@example.org sms:07700 900123"},
		{"a child: never their own phone, the parent's consented email", child, []fhir.Resource{parent}, "parent:email:mum@example.org"},
		{"a child without a parent to tell: nothing", child, nil, ""},
		{"a child's parent named twice is told once", child, []fhir.Resource{parent, parent}, "parent:email:mum@example.org"},
		{"no date of birth: treated as a child", adult(func(p fhir.Resource) { delete(p, "birthDate") }), nil, ""},
		{"no record", nil, nil, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, n := range ReplyNotices(c.patient, c.parents, now) {
				s := n.Channel + ":" + n.To
				if n.Parent {
					s = "parent:" + s
				}
				got = append(got, s)
			}
			if strings.Join(got, " ") != c.want {
				t.Errorf("got %q, want %q", strings.Join(got, " "), c.want)
			}
		})
	}
	body := ReplyNoticeBody("https://gp.example.org/patient/")
	if body != "You have a new message from your GP surgery. Sign in to read it.\n\nhttps://gp.example.org/patient/" {
		t.Errorf("notice text: %q", body)
	}
}

func TestParentProxies(t *testing.T) {
	now := time.Date(2026, 12, 1, 11, 0, 0, 0, time.UTC)
	grant := func(proxy, basis, related string, given time.Time, edit func(fhir.Resource)) fhir.Resource {
		c := GrantChange{Do: "grant", Basis: basis, Services: []string{ServiceMessages}}.Resource(nil, "c", "", proxy, proxy, related, given)
		if edit != nil {
			edit(c)
		}
		return c
	}
	long := now.AddDate(-1, 0, 0)
	for _, c := range []struct {
		name      string
		birthDate string
		consents  []fhir.Resource
		want      string
	}{
		{"a parent of a child under 11", "2020-01-01", []fhir.Resource{grant("mum", BasisParent, "RelatedPerson/mum", long, nil)}, "RelatedPerson/mum"},
		{"a grant without messages", "2020-01-01", []fhir.Resource{grant("mum", BasisParent, "RelatedPerson/mum", long, func(r fhir.Resource) {
			r["provision"].(map[string]any)["action"] = []any{map[string]any{"coding": []any{map[string]any{"system": ProxyServiceSystem, "code": ServiceRecord}}}}
		})}, ""},
		{"a grant ended later", "2020-01-01", []fhir.Resource{grant("mum", BasisParent, "RelatedPerson/mum", long, nil),
			grant("mum", BasisParent, "RelatedPerson/mum", now.AddDate(0, -1, 0), func(r fhir.Resource) { r["status"] = "inactive" })}, ""},
		{"refused for safeguarding", "2020-01-01", []fhir.Resource{GrantChange{Do: "refuse"}.Resource(nil, "c", "", "dad", "dad", "RelatedPerson/dad", long)}, ""},
		{"a child of 12, given before 11: stopped until reviewed", "2014-06-01", []fhir.Resource{grant("mum", BasisParent, "RelatedPerson/mum", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), nil)}, ""},
		{"a child of 12, reviewed after 11", "2014-06-01", []fhir.Resource{grant("mum", BasisParent, "RelatedPerson/mum", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), nil)}, "RelatedPerson/mum"},
		{"a child's consent is not parental responsibility", "2014-06-01", []fhir.Resource{grant("aunt", BasisChildConsent, "RelatedPerson/aunt", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), nil)}, ""},
		{"a proxy with no RelatedPerson has no contact", "2020-01-01", []fhir.Resource{grant("mum", BasisParent, "", long, nil)}, ""},
		{"not a proxy grant", "2020-01-01", []fhir.Resource{{"resourceType": "Consent", "status": "active"}}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := strings.Join(ParentProxies(c.consents, c.birthDate, now), " "); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestReplyNoticeFor(t *testing.T) {
	reply := Reply{Text: "Please book", PatientID: "p", PatientName: "Jo", From: Ref{Display: "Dr A"}}.Resource(time.Now())
	for _, c := range []struct {
		name string
		res  fhir.Resource
		want string
	}{
		{"a practice reply", reply, "p"},
		{"entered in error", func() fhir.Resource { r := cloneResource(reply); r["status"] = "entered-in-error"; return r }(), ""},
		{"a patient's message", NewMessage{Text: "hi"}.resourceOnly(), ""},
		{"not a portal message", fhir.Resource{"resourceType": "Communication", "subject": map[string]any{"reference": "Patient/p"}}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got, _ := ReplyNoticeFor(c.res); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func (m NewMessage) resourceOnly() fhir.Resource {
	c, _, _ := m.Resources(MessageSender{PortalRequester: PortalRequester{PatientID: "p", PatientName: "Jo"}}, time.Now())
	return c
}

func TestEscalation(t *testing.T) {
	// Tuesday 1 December 2026 (GMT: UK time is UTC).
	day := func(h, m int) time.Time { return time.Date(2026, 12, 1, h, m, 0, 0, time.UTC) }
	request := func(status string, sent time.Time) fhir.Resource {
		return fhir.Resource{"resourceType": "Task", "id": "r1", "status": status, "intent": "order",
			"code":        map[string]any{"coding": []any{map[string]any{"system": PortalTaskSystem, "code": TaskOnlineRequest}}},
			"description": "Health problem (days): chest pain when climbing stairs",
			"for":         map[string]any{"reference": "Patient/p", "display": "Jo Bloggs"},
			"authoredOn":  sent.UTC().Format(time.RFC3339)}
	}
	team := Ref{Reference: "Group/mgr", Display: "Practice managers"}
	for _, c := range []struct {
		name                  string
		req                   fhir.Resource
		now                   time.Time
		wantKey, wantDesc, pr string
	}{
		{"new: nothing", request(TaskRequested, day(10, 0)), day(11, 0), "", "", ""},
		{"waiting: nothing (shown on the queue only)", request(TaskRequested, day(9, 0)), day(11, 30), "", "", ""},
		{"not picked up by 4pm: escalate", request(TaskRequested, day(9, 5)), day(16, 0), "r1:escalate", "Online request waiting since 09:05", "urgent"},
		{"started before 4pm: no escalation", request(TaskInProgress, day(9, 5)), day(16, 0), "", "", ""},
		{"past the reply-by time: overdue, with the day", request(TaskInProgress, day(9, 5)), day(18, 31).AddDate(0, 0, 1), "r1:overdue", "Online request waiting since 09:05 on Tuesday 1 December", "asap"},
		{"completed: nothing", request(TaskCompleted, day(9, 5)), day(18, 31).AddDate(0, 0, 1), "", "", ""},
		{"cancelled: nothing", request(TaskCancelled, day(9, 5)), day(16, 30), "", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			task, key := Escalation(c.req, team, c.now)
			if key != c.wantKey {
				t.Fatalf("key %q, want %q", key, c.wantKey)
			}
			if task == nil {
				return
			}
			tk := TaskOf(task)
			if tk.Description != c.wantDesc || tk.Priority != c.pr || tk.Team != team || tk.Focus.Reference != "Task/r1" || tk.Patient.Reference != "Patient/p" {
				t.Errorf("task %+v", tk)
			}
			if strings.Contains(fmt.Sprint(task), "chest") {
				t.Errorf("the escalation carries the request's words: %v", task)
			}
		})
	}
}

func TestEscalationTeam(t *testing.T) {
	for _, c := range []struct {
		teams []Team
		want  string
	}{
		{[]Team{{ID: "r", Name: "Reception"}, {ID: "a", Name: "Admin"}, {ID: "m", Name: "Practice management"}}, "Group/m"},
		{[]Team{{ID: "r", Name: "Reception"}, {ID: "a", Name: "Practice admin"}}, "Group/a"},
		{[]Team{{ID: "n", Name: "Nurses"}, {ID: "r", Name: "Reception"}}, "Group/r"},
		{[]Team{{ID: "n", Name: "Nurses"}}, ""},
		{nil, ""},
	} {
		got, ok := EscalationTeam(c.teams)
		if got.Reference != c.want || ok != (c.want != "") {
			t.Errorf("%v: got %v %v, want %q", c.teams, got, ok, c.want)
		}
	}
}
