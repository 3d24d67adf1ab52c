package clinical

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

var routine = Session{Days: []time.Weekday{time.Monday, time.Wednesday}, Start: "08:30", End: "12:00", Minutes: 10,
	Category: NationalSlotCategories[0], Mode: "face-to-face", BookableBy: []string{BookedByPractice, BookedOnline}}

func TestSessionCheck(t *testing.T) {
	for _, c := range []struct {
		name  string
		edit  func(*Session)
		field string
	}{
		{"valid", func(*Session) {}, ""},
		{"no days", func(s *Session) { s.Days = nil }, "days"},
		{"bad start", func(s *Session) { s.Start = "8.30" }, "start"},
		{"ends before it starts", func(s *Session) { s.End = "08:00" }, "end"},
		{"does not divide", func(s *Session) { s.Minutes = 15; s.End = "12:05" }, "minutes"},
		{"too short", func(s *Session) { s.Minutes = 2 }, "minutes"},
		{"no mode", func(s *Session) { s.Mode = "" }, "mode"},
		{"no category", func(s *Session) { s.Category = Concept{} }, "category"},
		{"bad channel", func(s *Session) { s.BookableBy = []string{"fax"} }, "bookableBy"},
		{"release at 08:00", func(s *Session) { s.Release = "08:00" }, ""},
		{"release 48h ahead", func(s *Session) { s.Release = "48h" }, ""},
		{"bad release", func(s *Session) { s.Release = "soon" }, "release"},
	} {
		s := routine
		c.edit(&s)
		errs := s.Check()
		if c.field == "" && len(errs) > 0 || c.field != "" && errs[c.field] == "" {
			t.Errorf("%s: %v, want an error on %q", c.name, errs, c.field)
		}
	}
}

func TestCheckRotaOverlap(t *testing.T) {
	afternoon := routine
	afternoon.Start, afternoon.End = "14:00", "17:00"
	if err := CheckRota([]Session{routine, afternoon}); err != nil {
		t.Fatal(err)
	}
	late := routine
	late.Start, late.End, late.Days = "11:50", "13:00", []time.Weekday{time.Wednesday}
	if err := CheckRota([]Session{routine, late}); err == nil || !strings.Contains(err.Error(), "overlaps") {
		t.Fatalf("overlapping sessions: %v", err)
	}
	friday := late
	friday.Days = []time.Weekday{time.Friday}
	if err := CheckRota([]Session{routine, friday}); err != nil {
		t.Fatalf("same times on another day: %v", err)
	}
}

func TestPlanSlots(t *testing.T) {
	// The week of the change to BST (Sunday 29 March 2026): Monday's
	// 08:30 is 07:30 UTC, the Wednesday before it 08:30 UTC.
	from := time.Date(2026, 3, 25, 0, 0, 0, 0, UKTime) // a Wednesday
	to := time.Date(2026, 3, 31, 0, 0, 0, 0, UKTime)
	slots := PlanSlots([]Session{routine}, nil, from, to)
	if len(slots) != 42 { // 21 ten-minute slots on Wednesday and Monday
		t.Fatalf("%d slots", len(slots))
	}
	if got := slots[0].Start.UTC().Format("2006-01-02 15:04"); got != "2026-03-25 08:30" {
		t.Errorf("Wednesday's first slot at %s UTC", got)
	}
	if got := slots[21].Start.UTC().Format("2006-01-02 15:04"); got != "2026-03-30 07:30" {
		t.Errorf("Monday's first slot (BST) at %s UTC", got)
	}
	if got := slots[20].End.In(UKTime).Format("15:04"); got != "12:00" {
		t.Errorf("last slot ends %s", got)
	}
	// Leave on the Monday morning blocks its slots and no others.
	leave := Exception{From: time.Date(2026, 3, 30, 0, 0, 0, 0, UKTime), To: time.Date(2026, 3, 31, 0, 0, 0, 0, UKTime), Reason: "Annual leave"}
	blocked := 0
	for _, s := range PlanSlots([]Session{routine}, []Exception{leave}, from, to) {
		if s.Blocked != "" {
			blocked++
			if s.Start.Weekday() != time.Monday {
				t.Errorf("blocked %s", s.Start)
			}
		}
	}
	if blocked != 21 {
		t.Errorf("%d blocked slots, want 21", blocked)
	}
}

func TestSlotResource(t *testing.T) {
	s := routine
	s.Release = "08:00"
	start := time.Date(2026, 7, 1, 9, 0, 0, 0, UKTime)
	slot := SlotResource("sch1", PlannedSlot{Start: start, End: start.Add(10 * time.Minute), Session: s})
	if slot["status"] != "free" || slot["start"] != "2026-07-01T09:00:00+01:00" {
		t.Fatalf("%v", slot)
	}
	now := time.Date(2026, 7, 1, 7, 59, 0, 0, UKTime)
	if err := CheckBookable(slot, BookedOnline, now); err == nil || !strings.Contains(err.Error(), "embargoed until 01-Jul-2026 08:00") {
		t.Errorf("before release: %v", err)
	}
	if err := CheckBookable(slot, BookedOnline, now.Add(2*time.Minute)); err != nil {
		t.Errorf("after release: %v", err)
	}
	if err := CheckBookable(slot, BookedByGPConnect, now.Add(2*time.Minute)); err == nil {
		t.Error("a slot not offered to GP Connect was bookable by it")
	}
}

func TestRotaRoundTrip(t *testing.T) {
	s2 := routine
	s2.Days, s2.Release, s2.Mode = []time.Weekday{time.Friday}, "48h", "telephone"
	leave := Exception{From: time.Date(2026, 8, 3, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 8, 10, 0, 0, 0, 0, time.UTC), Reason: "Annual leave"}
	sched := map[string]any{"resourceType": "Schedule", "extension": []any{map[string]any{"url": "https://example.org/other", "valueString": "kept"}}}
	SetRota(sched, []Session{routine, s2}, []Exception{leave})
	sessions, exceptions := RotaOf(sched)
	if !reflect.DeepEqual(sessions, []Session{routine, s2}) {
		t.Errorf("sessions %+v", sessions)
	}
	if len(exceptions) != 1 || !exceptions[0].From.Equal(leave.From) || exceptions[0].Reason != leave.Reason {
		t.Errorf("exceptions %+v", exceptions)
	}
	if exts := sched["extension"].([]any); len(exts) != 4 {
		t.Errorf("%d extensions, want the other one kept and three rota ones", len(exts))
	}
}
