package appointments

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
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// TestMessages: booking an appointment queues its confirmation and
// reminder on the channels the patient agreed to; scanning again queues
// nothing twice; cancelling queues the cancellation and withdraws the
// reminder; a patient who has died gets nothing. The confirmation then
// reaches a real SMTP server when one is installed.
func TestMessages(t *testing.T) {
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
				map[string]any{"system": "sms", "use": "mobile", "value": "07700 900123", "extension": consent},
				map[string]any{"system": "email", "value": "jo@example.org", "extension": consent}}})
			put(fhir.Resource{"resourceType": "Patient", "id": "late", "birthDate": "1930-05-01", "deceasedBoolean": true, "telecom": []any{
				map[string]any{"system": "email", "value": "late@example.org", "extension": consent}}})
			m := &Messages{Store: st, Service: svc, Practice: "Riverside Medical Practice"}
			now := time.Now()
			if _, err := m.Scan(ctx, now); err != nil { // the first scan starts from now
				t.Fatal(err)
			}
			start := now.Add(72 * time.Hour).UTC().Truncate(time.Minute)
			book := func(patient string) fhir.Resource {
				t.Helper()
				out, err := svc.Create(ctx, "Appointment", fhir.Resource{"resourceType": "Appointment", "status": "booked",
					"start": start.Format(time.RFC3339), "end": start.Add(10 * time.Minute).Format(time.RFC3339),
					"appointmentType": map[string]any{"text": "face-to-face"},
					"participant": []any{map[string]any{"actor": map[string]any{"reference": "Patient/" + patient}, "status": "accepted"},
						map[string]any{"actor": map[string]any{"reference": "Practitioner/dr", "display": "Dr Anita Patel"}, "status": "accepted"}}}, "")
				if err != nil {
					t.Fatal(err)
				}
				r, _ := fhir.Unmarshal(out.Version.Body)
				return r
			}
			appt := book("jo")
			book("late")
			time.Sleep(10 * time.Millisecond)
			if n, err := m.Scan(ctx, time.Now()); err != nil || n != 4 {
				t.Fatalf("after booking: %d messages %v, want a confirmation and a reminder by SMS and email", n, err)
			}
			if n, err := m.Scan(ctx, time.Now()); err != nil {
				t.Fatal(err)
			} else if got := waiting(t, st); len(got) != 4 {
				t.Fatalf("after scanning again (%d enqueued): %v", n, got)
			}
			appt["status"] = "cancelled"
			if _, err := svc.Update(ctx, "Appointment", appt.ID(), appt, service.Precondition{}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(10 * time.Millisecond)
			if _, err := m.Scan(ctx, time.Now()); err != nil {
				t.Fatal(err)
			}
			got := waiting(t, st)
			want := []string{"confirmation:email", "confirmation:sms", "cancellation:email", "cancellation:sms"}
			sort.Strings(want)
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Fatalf("after cancelling: %v, want %v (the reminders withdrawn)", got, want)
			}
			statuses, _ := notify.Statuses(ctx, st)
			for _, s := range statuses {
				if s.About != "Appointment/"+appt.ID() {
					t.Errorf("a message about %s (the patient who died gets none)", s.About)
				}
			}
			sendByEmail(t, st)
		})
	}
}

// waiting lists the outbox's messages as kind:channel, sorted.
func waiting(t *testing.T, st store.Store) []string {
	t.Helper()
	statuses, err := notify.Statuses(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range statuses {
		parts := strings.Split(s.Key, ":")
		out = append(out, parts[len(parts)-2]+":"+parts[len(parts)-1])
		if strings.Contains(s.Key, ":reminder:") {
			out[len(out)-1] = "reminder:" + string(s.Channel)
		}
	}
	sort.Strings(out)
	return out
}

// sendByEmail sends the outbox's email through a real SMTP server
// (interop/smtp) and checks the confirmation arrived as the patient
// reads it.
func sendByEmail(t *testing.T, st store.Store) {
	all := notifytest.SendByEmail(t, st, 2)
	if all == "" {
		return // node or smtp-server not installed (logged)
	}
	for _, want := range []string{"Subject: Your appointment is booked", "Subject: Your appointment is cancelled", "Dr Anita Patel", "Riverside Medical Practice"} {
		if !strings.Contains(all, want) {
			t.Errorf("the emails lack %q:\n%s", want, all)
		}
	}
}
