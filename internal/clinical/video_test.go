package clinical

import (
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

func TestVideoChecks(t *testing.T) {
	good := VideoChecks{Identifiers: []string{"name", "birth-date"}, Location: "At home, 1 High Street", CallBack: "07700 900982", Present: "Nobody", Consent: "yes"}
	for _, tc := range []struct {
		name   string
		change func(*VideoChecks)
		field  string
	}{
		{"all there", func(*VideoChecks) {}, ""},
		{"declined is still a record", func(c *VideoChecks) { c.Consent = "no" }, ""},
		{"one identifier", func(c *VideoChecks) { c.Identifiers = []string{"name"} }, "id-name"},
		{"the same one twice", func(c *VideoChecks) { c.Identifiers = []string{"name", "nope"} }, "id-name"},
		{"no location", func(c *VideoChecks) { c.Location = "  " }, "location"},
		{"no call-back number", func(c *VideoChecks) { c.CallBack = "" }, "call-back"},
		{"not a phone number", func(c *VideoChecks) { c.CallBack = "call me" }, "call-back"},
		{"nobody said who is there", func(c *VideoChecks) { c.Present = "" }, "present"},
		{"consent not asked", func(c *VideoChecks) { c.Consent = "" }, "consent-yes"},
	} {
		c := good
		tc.change(&c)
		errs := c.Check()
		if tc.field == "" && len(errs) > 0 || tc.field != "" && (len(errs) != 1 || errs[tc.field] == "") {
			t.Errorf("%s: %v", tc.name, errs)
		}
	}
	qr := good.QuestionnaireResponse("p1", "e1", Ref{"Practitioner/d1", "Dr A"}, time.Now())
	items := qr["item"].([]any)
	if len(items) != 5 || qr["encounter"].(map[string]any)["reference"] != "Encounter/e1" {
		t.Fatalf("%v", qr)
	}
	if got := items[2].(map[string]any)["answer"].([]any)[0].(map[string]any)["valueString"]; got != "07700 900982" {
		t.Fatalf("call-back %v", got)
	}
}

func TestVideoEncounter(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name           string
		call           VideoCall
		status, code   string
		minutes        any
		participants   int
		switchedToFone bool
	}{
		{"going on", VideoCall{Start: start, Mode: "video"}, "in-progress", "448337001", nil, 1, false},
		{"ended", VideoCall{Start: start, End: start.Add(11*time.Minute + 40*time.Second), Mode: "video", Others: []string{"Ann Interpreter"}}, "finished", "448337001", 12.0, 2, false},
		{"a few seconds", VideoCall{Start: start, End: start.Add(5 * time.Second), Mode: "video"}, "finished", "448337001", 1.0, 1, false},
		{"went on by phone", VideoCall{Start: start, End: start.Add(5 * time.Minute), Mode: "telephone"}, "finished", "185317003", 5.0, 1, true},
	} {
		tc.call.AppointmentID, tc.call.PatientID, tc.call.Clinician = "a1", "p1", Ref{"Practitioner/d1", "Dr A"}
		e := tc.call.Encounter()
		if e["status"] != tc.status || e["class"].(map[string]any)["code"] != "VR" {
			t.Errorf("%s: %v %v", tc.name, e["status"], e["class"])
		}
		if code := e["type"].([]any)[0].(map[string]any)["coding"].([]any)[0].(map[string]any)["code"]; code != tc.code {
			t.Errorf("%s: type %v", tc.name, code)
		}
		var minutes any
		if l, ok := e["length"].(map[string]any); ok {
			minutes = l["value"]
		}
		if minutes != tc.minutes {
			t.Errorf("%s: length %v", tc.name, minutes)
		}
		if n := len(e["participant"].([]any)); n != tc.participants {
			t.Errorf("%s: %d participants", tc.name, n)
		}
		if _, ok := e["extension"]; ok != tc.switchedToFone {
			t.Errorf("%s: switched %v", tc.name, ok)
		}
		if e["appointment"].([]any)[0].(map[string]any)["reference"] != "Appointment/a1" {
			t.Errorf("%s: appointment", tc.name)
		}
	}
}

func TestWithoutCoveredCalls(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	call := func(appt string) fhir.Resource {
		e := VideoCall{AppointmentID: appt, PatientID: "p1", Start: start, Mode: "video"}.Encounter()
		e["id"] = "call-" + appt
		return e
	}
	consultation := fhir.Resource{"resourceType": "Encounter", "id": "c1", "appointment": []any{map[string]any{"reference": "Appointment/a1"}}}
	other := fhir.Resource{"resourceType": "Encounter", "id": "c2"}
	var ids []string
	for _, e := range WithoutCoveredCalls([]fhir.Resource{call("a1"), consultation, call("a2"), other}) {
		ids = append(ids, e.ID())
	}
	if strings.Join(ids, ",") != "c1,call-a2,c2" {
		t.Fatalf("got %v", ids)
	}
}
