package clinical

import (
	"reflect"
	"testing"
	"time"
)

func TestPlanRebooking(t *testing.T) {
	day := time.Date(2026, 12, 2, 0, 0, 0, 0, UKTime)
	at := func(h, m int) time.Time { return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	early := at(7, 0)
	for _, c := range []struct {
		name      string
		displaced []Displaced
		open      []OpenSlot
		now       time.Time
		placed    []Placement
		unplaced  []string
	}{
		{"same time, same mode", []Displaced{{"a", at(9, 0), "face-to-face"}},
			[]OpenSlot{{"s1", at(9, 0), "face-to-face"}, {"s2", at(9, 10), "face-to-face"}}, early,
			[]Placement{{"a", "s1"}}, nil},
		{"nearest, later on a tie", []Displaced{{"a", at(9, 0), "face-to-face"}},
			[]OpenSlot{{"s1", at(8, 50), "face-to-face"}, {"s2", at(9, 10), "face-to-face"}}, early,
			[]Placement{{"a", "s2"}}, nil},
		{"a slot once, earliest patient first", []Displaced{{"b", at(9, 10), "face-to-face"}, {"a", at(9, 0), "face-to-face"}},
			[]OpenSlot{{"s1", at(9, 0), "face-to-face"}, {"s2", at(9, 30), "face-to-face"}}, early,
			[]Placement{{"a", "s1"}, {"b", "s2"}}, nil},
		{"mode must match", []Displaced{{"a", at(9, 0), "telephone"}},
			[]OpenSlot{{"s1", at(9, 0), "face-to-face"}}, early, nil, []string{"a"}},
		{"not another day", []Displaced{{"a", at(9, 0), "face-to-face"}},
			[]OpenSlot{{"s1", at(9, 0).AddDate(0, 0, 1), "face-to-face"}}, early, nil, []string{"a"}},
		{"not too far from the time", []Displaced{{"a", at(9, 0), "face-to-face"}},
			[]OpenSlot{{"s1", at(15, 0), "face-to-face"}}, early, nil, []string{"a"}},
		{"not a slot that has started", []Displaced{{"a", at(9, 0), "face-to-face"}},
			[]OpenSlot{{"s1", at(8, 40), "face-to-face"}, {"s2", at(11, 0), "face-to-face"}}, at(8, 45),
			[]Placement{{"a", "s2"}}, nil},
		{"more patients than slots", []Displaced{{"a", at(9, 0), "face-to-face"}, {"b", at(9, 10), "face-to-face"}},
			[]OpenSlot{{"s1", at(9, 10), "face-to-face"}}, early,
			[]Placement{{"a", "s1"}}, []string{"b"}},
	} {
		placed, unplaced := PlanRebooking(c.displaced, c.open, c.now)
		var un []string
		for _, u := range unplaced {
			un = append(un, u.Appointment)
		}
		if !reflect.DeepEqual(placed, c.placed) || !reflect.DeepEqual(un, c.unplaced) {
			t.Errorf("%s: placed %v unplaced %v, want %v %v", c.name, placed, un, c.placed, c.unplaced)
		}
	}
}

func TestCoveredBy(t *testing.T) {
	day := time.Date(2026, 12, 2, 0, 0, 0, 0, UKTime)
	sick := []Exception{{From: day, To: day.AddDate(0, 0, 1), Reason: "Off sick"}}
	for _, c := range []struct {
		name  string
		start time.Time
		want  bool
	}{
		{"in the day", day.Add(9 * time.Hour), true},
		{"the day before", day.Add(-time.Hour), false},
		{"the day after", day.AddDate(0, 0, 1), false},
	} {
		if reason, ok := CoveredBy(sick, c.start, c.start.Add(10*time.Minute)); ok != c.want || ok && reason != "Off sick" {
			t.Errorf("%s: %q %v", c.name, reason, ok)
		}
	}
}

func TestFreedStatus(t *testing.T) {
	day := time.Date(2026, 12, 7, 0, 0, 0, 0, UKTime)
	schedule := map[string]any{"resourceType": "Schedule"}
	SetRota(schedule, nil, []Exception{{From: day, To: day.AddDate(0, 0, 1), Reason: "Off sick"}})
	slot := func(at time.Time) map[string]any {
		return map[string]any{"resourceType": "Slot", "start": at.Format(time.RFC3339), "end": at.Add(10 * time.Minute).Format(time.RFC3339)}
	}
	for _, c := range []struct {
		name           string
		slot, schedule map[string]any
		status, note   string
	}{
		{"in the absence: blocked again", slot(day.Add(9 * time.Hour)), schedule, "busy-unavailable", "Off sick"},
		{"the next day: free", slot(day.AddDate(0, 0, 1).Add(9 * time.Hour)), schedule, "free", ""},
		{"no schedule: free", slot(day.Add(9 * time.Hour)), nil, "free", ""},
	} {
		if status, note := (BookingRules{}).FreedStatus(c.slot, c.schedule); status != c.status || note != c.note {
			t.Errorf("%s: %s %q", c.name, status, note)
		}
	}
}
