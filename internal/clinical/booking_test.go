package clinical

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

func TestCheckBookable(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	slot := func(start time.Time, exts ...map[string]any) fhir.Resource {
		r := fhir.Resource{"resourceType": "Slot", "status": "free", "start": start.Format(time.RFC3339)}
		if len(exts) > 0 {
			var l []any
			for _, e := range exts {
				l = append(l, e)
			}
			r["extension"] = l
		}
		return r
	}
	by := func(c string) map[string]any { return map[string]any{"url": SlotBookableByURL, "valueCode": c} }
	released := func(t time.Time) map[string]any {
		return map[string]any{"url": SlotReleasedURL, "valueDateTime": t.Format(time.RFC3339)}
	}
	tomorrow := now.Add(24 * time.Hour)
	for _, c := range []struct {
		name    string
		slot    fhir.Resource
		channel string
		refusal string // "" when bookable
	}{
		{"practice slot by reception", slot(tomorrow), BookedByPractice, ""},
		{"practice-only slot online", slot(tomorrow), BookedOnline, "not offered for booking online"},
		{"online slot online", slot(tomorrow, by(BookedOnline)), BookedOnline, ""},
		{"online slot by reception", slot(tomorrow, by(BookedOnline)), BookedByPractice, "not offered for booking by the practice"},
		{"both", slot(tomorrow, by(BookedOnline), by(BookedByPractice)), BookedByPractice, ""},
		{"NHS 111 slot by GP Connect", slot(tomorrow, by(BookedByGPConnect)), BookedByGPConnect, ""},
		{"practice slot by GP Connect", slot(tomorrow), BookedByGPConnect, "by other organisations"},
		{"started", slot(now), BookedByPractice, "has passed"},
		{"past", slot(now.Add(-time.Hour)), BookedByPractice, "has passed"},
		{"embargoed", slot(tomorrow, released(now.Add(time.Hour))), BookedByPractice, "embargoed until 01-Dec-2026 10:00"},
		{"released", slot(tomorrow, released(now.Add(-time.Minute))), BookedByPractice, ""},
		{"no start", fhir.Resource{"resourceType": "Slot"}, BookedByPractice, "no valid start"},
	} {
		err := CheckBookable(c.slot, c.channel, now)
		switch {
		case c.refusal == "" && err != nil:
			t.Errorf("%s: refused: %v", c.name, err)
		case c.refusal != "" && (err == nil || !strings.Contains(err.Error(), c.refusal)):
			t.Errorf("%s: %v, want a refusal saying %q", c.name, err, c.refusal)
		case err != nil:
			var fe *fhir.Error
			if !errors.As(err, &fe) || fe.Status != 422 {
				t.Errorf("%s: %v is not a 422", c.name, err)
			}
		}
	}
}

func TestChannelOf(t *testing.T) {
	for role, want := range map[auth.Role]string{auth.RoleReceptionist: BookedByPractice, auth.RoleGP: BookedByPractice,
		auth.RolePatient: BookedOnline, auth.RoleProxy: BookedOnline, auth.RoleSystem: BookedByGPConnect} {
		if got := ChannelOf(&auth.Principal{Role: role}); got != want {
			t.Errorf("%s books %s, want %s", role, got, want)
		}
	}
}
