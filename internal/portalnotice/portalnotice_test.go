package portalnotice

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/notify"
	"github.com/gpcloud/gpcloud/internal/notify/notifytest"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// TestReplies: a practice reply queues one notice per consented,
// connected channel (an adult's own; a child's parent's, never the
// child's; nothing for a patient who has died); scanning again queues
// nothing twice; the notice says nothing of the reply; and the email
// reaches a real SMTP server when one is installed.
func TestReplies(t *testing.T) {
	for _, open := range storetest.Openers() {
		t.Run(open.Name, func(t *testing.T) {
			st := open.Open(t)
			svc := service.New(st, service.Options{})
			ctx := context.Background()
			consent := []any{map[string]any{"url": clinical.ContactConsentURL, "valueBoolean": true}}
			put := func(r fhir.Resource) {
				t.Helper()
				if _, err := svc.Update(ctx, r.Type(), r.ID(), r, service.Precondition{}); err != nil {
					t.Fatal(err)
				}
			}
			put(fhir.Resource{"resourceType": "Patient", "id": "jo", "birthDate": "1980-05-01", "telecom": []any{
				map[string]any{"system": "phone", "use": "mobile", "value": "07700 900123", "extension": consent},
				map[string]any{"system": "email", "value": "jo@example.org", "extension": consent}}})
			put(fhir.Resource{"resourceType": "Patient", "id": "late", "birthDate": "1930-05-01", "deceasedBoolean": true, "telecom": []any{
				map[string]any{"system": "email", "value": "late@example.org", "extension": consent}}})
			put(fhir.Resource{"resourceType": "Patient", "id": "kid", "birthDate": time.Now().AddDate(-8, 0, 0).Format("2006-01-02"), "telecom": []any{
				map[string]any{"system": "email", "value": "kid@example.org", "extension": consent}}})
			put(fhir.Resource{"resourceType": "RelatedPerson", "id": "mum", "patient": map[string]any{"reference": "Patient/kid"}, "telecom": []any{
				map[string]any{"system": "email", "value": "mum@example.org", "extension": consent}}})
			grant := clinical.GrantChange{Do: "grant", Basis: clinical.BasisParent, Services: []string{clinical.ServiceMessages}}.
				Resource(nil, "kid", "", "mum", "Sam Parent", "RelatedPerson/mum", time.Now().Add(-time.Hour))
			if _, err := svc.Create(ctx, "Consent", grant, ""); err != nil {
				t.Fatal(err)
			}
			r := &Replies{Store: st, Service: svc, PortalURL: "https://gp.example.org/patient/",
				Sends: func(ch string) bool { return ch == "email" }} // SMS not connected
			if _, err := r.Scan(ctx, time.Now()); err != nil { // the first scan starts from now
				t.Fatal(err)
			}
			reply := func(patient string) string {
				t.Helper()
				res := clinical.Reply{Text: "Your blood test shows low iron; please book with the nurse.", PatientID: patient, PatientName: "Someone",
					From: clinical.Ref{Display: "Dr Anita Patel"}}.Resource(time.Now())
				out, err := svc.Create(ctx, "Communication", res, "")
				if err != nil {
					t.Fatal(err)
				}
				return out.Version.ID
			}
			joReply := reply("jo")
			kidReply := reply("kid")
			reply("late")
			// A patient's own message is not announced to them.
			mine, _, _ := clinical.NewMessage{Text: "hello"}.Resources(clinical.MessageSender{PortalRequester: clinical.PortalRequester{PatientID: "jo", PatientName: "Jo"}}, time.Now())
			if _, err := svc.Create(ctx, "Communication", mine, ""); err != nil {
				t.Fatal(err)
			}
			time.Sleep(10 * time.Millisecond)
			if n, err := r.Scan(ctx, time.Now()); err != nil || n != 2 {
				t.Fatalf("after three replies: %d notices %v, want Jo's email and Sam Parent's", n, err)
			}
			if _, err := r.Scan(ctx, time.Now()); err != nil {
				t.Fatal(err)
			}
			statuses, _ := notify.Statuses(ctx, st)
			var got []string
			for _, s := range statuses {
				got = append(got, s.About+" "+s.To)
				if strings.Contains(s.Key, "@") {
					t.Errorf("the key %q names the address", s.Key)
				}
			}
			sort.Strings(got)
			want := []string{"Communication/" + joReply + " jo@example.org", "Communication/" + kidReply + " mum@example.org"}
			sort.Strings(want)
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Fatalf("outbox after scanning again: %v, want %v", got, want)
			}
			emails := notifytest.SendByEmail(t, st, 2)
			if emails == "" {
				return
			}
			for _, w := range []string{"Subject: You have a new message from your GP surgery", "Sign in to read it.", "https://gp.example.org/patient/"} {
				if !strings.Contains(emails, w) {
					t.Errorf("the emails lack %q:\n%s", w, emails)
				}
			}
			for _, no := range []string{"iron", "nurse", "Anita"} {
				if strings.Contains(emails, no) {
					t.Errorf("the email carries the reply's words (%q):\n%s", no, emails)
				}
			}
		})
	}
}

// TestEscalations: an online request not picked up by 4pm raises one
// Task for the practice managers, however often the scan runs; past its
// reply-by time it raises one more (overdue); a request answered raises
// none.
func TestEscalations(t *testing.T) {
	for _, open := range storetest.Openers() {
		t.Run(open.Name, func(t *testing.T) {
			st := open.Open(t)
			svc := service.New(st, service.Options{})
			ctx := context.Background()
			if _, err := svc.Update(ctx, "Organization", "riverside", fhir.Resource{"resourceType": "Organization", "id": "riverside", "name": "Riverside"}, service.Precondition{}); err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"Reception", "Practice managers"} {
				if _, err := svc.Create(ctx, "Group", clinical.GroupOf(clinical.Team{Name: name}, "riverside"), ""); err != nil {
					t.Fatal(err)
				}
			}
			// Tuesday 1 December 2026, 9:05 (UK time is UTC in winter).
			sent := time.Date(2026, 12, 1, 9, 5, 0, 0, time.UTC)
			request := func(status string) string {
				t.Helper()
				out, err := svc.Create(ctx, "Task", fhir.Resource{"resourceType": "Task", "status": status, "intent": "order", "priority": "routine",
					"code":        map[string]any{"coding": []any{map[string]any{"system": clinical.PortalTaskSystem, "code": clinical.TaskOnlineRequest}}},
					"description": "Health problem (days): a cough",
					"owner":       map[string]any{"reference": "Organization/riverside"},
					"authoredOn":  sent.Format(time.RFC3339)}, "")
				if err != nil {
					t.Fatal(err)
				}
				return out.Version.ID
			}
			waiting := request(clinical.TaskRequested)
			request(clinical.TaskCompleted)
			e := &Escalations{Service: svc}
			for _, c := range []struct {
				at   time.Time
				want int
			}{
				{sent.Add(3 * time.Hour), 0},                        // waiting: shown, not pushed
				{time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC), 1},  // escalate
				{time.Date(2026, 12, 1, 16, 30, 0, 0, time.UTC), 0}, // once
				{time.Date(2026, 12, 2, 18, 31, 0, 0, time.UTC), 1}, // overdue
				{time.Date(2026, 12, 2, 18, 45, 0, 0, time.UTC), 0},
			} {
				if n, err := e.Scan(ctx, c.at); err != nil || n != c.want {
					t.Fatalf("scan at %s: %d created %v, want %d", c.at.Format(time.RFC3339), n, err, c.want)
				}
			}
			out, err := svc.Search(ctx, service.SearchRequest{Type: "Task", Params: map[string][]string{
				"code": {clinical.PortalTaskSystem + "|" + clinical.TaskRequestEscalation}, "_sort": {"authored-on"}}})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, res := range service.Matches(out.Resource) {
				tk := clinical.TaskOf(res)
				got = append(got, tk.Focus.Reference+" "+tk.Team.Display+" "+tk.Priority+" "+tk.Description)
			}
			want := []string{"Task/" + waiting + " Practice managers urgent Online request waiting since 09:05",
				"Task/" + waiting + " Practice managers asap Online request waiting since 09:05 on Tuesday 1 December"}
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Fatalf("escalation tasks:\n%v\nwant\n%v", got, want)
			}
		})
	}
}
