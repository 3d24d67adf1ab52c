package clinical

import (
	"testing"
	"time"
)

func TestRouteFor(t *testing.T) {
	patel := Ref{Reference: "Practitioner/patel", Display: "Dr Patel"}
	locum := Ref{Reference: "Practitioner/locum", Display: "Dr Locum"}
	lab := Ref{Reference: "Practitioner/lab", Display: "Dr Lab"}
	active := func(ref string) bool { return ref != locum.Reference }
	for _, tc := range []struct {
		name string
		c    RouteCandidates
		want Ref
		why  bool
	}{
		{"the requester", RouteCandidates{Requester: patel, UsualGP: lab, Active: active}, patel, false},
		{"the lab's requester when no request", RouteCandidates{LabRequester: lab, UsualGP: patel, Active: active}, lab, false},
		{"the usual GP when nobody asked", RouteCandidates{UsualGP: patel, Active: active}, patel, false},
		{"a departed locum's result to the usual GP", RouteCandidates{Requester: locum, UsualGP: patel, Active: active}, patel, true},
		{"departed locum and no usual GP: everyone's", RouteCandidates{Requester: locum, Active: active}, Ref{}, true},
		{"nobody", RouteCandidates{Active: active}, Ref{}, false},
		{"a requester named only by display", RouteCandidates{Requester: Ref{Display: "Dr X"}, UsualGP: patel, Active: active}, patel, false},
	} {
		got, why := RouteFor(tc.c)
		if got.Reference != tc.want.Reference || (why != "") != tc.why {
			t.Errorf("%s: %+v %q, want %+v (why: %v)", tc.name, got, why, tc.want, tc.why)
		}
	}
	item := WithInboxFor(WithInboxState(map[string]any{"resourceType": "DiagnosticReport"}, InboxToFile), patel)
	if InboxFor(item) != patel || InboxState(item) != InboxToFile {
		t.Errorf("tagged: %+v", InboxFor(item))
	}
	if InboxFor(WithInboxFor(item, Ref{})).Reference != "" {
		t.Error("untagging left the tag")
	}
}

func TestAwayAt(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 12, d, 0, 0, 0, 0, UKTime) }
	leave := []Exception{{From: day(7), To: day(12), Reason: "Annual leave"}}
	for _, tc := range []struct {
		at   time.Time
		want bool
	}{{day(6), false}, {day(7), true}, {day(11).Add(23 * time.Hour), true}, {day(12), false}} {
		if got := AwayAt(leave, tc.at); got != tc.want {
			t.Errorf("AwayAt(%s) = %v, want %v", tc.at, got, tc.want)
		}
	}
	if AwayAt(nil, day(8)) {
		t.Error("away with no exceptions")
	}
}
