package patientview

import (
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// TestAccessOpens: which entries each reader's access opens, by type and
// date: a P5 patient's services and no record, the default summary with
// prospective access, the practice's levels, a proxy by their grant's
// services, and the portal's request Tasks by the service they belong to.
func TestAccessOpens(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, London)
	made := time.Date(2026, 6, 1, 9, 0, 0, 0, London)
	adult := "1980-05-01"
	setting := func(level string) *RecordAccessSetting {
		return &RecordAccessSetting{Level: level, Given: now.AddDate(0, -1, 0)}
	}
	old := fhir.Resource{"effectiveDateTime": "2020-01-01"}
	recent := fhir.Resource{"effectiveDateTime": "2026-07-01"}
	task := func(code string) fhir.Resource {
		return fhir.Resource{"code": map[string]any{"coding": []any{map[string]any{"system": PortalTaskSystem, "code": code}}}}
	}
	type entry struct {
		typ string
		res fhir.Resource
	}
	entries := map[string]entry{
		"patient":         {"Patient", nil},
		"consent":         {"Consent", nil},
		"appointment":     {"Appointment", nil},
		"message":         {"Communication", nil},
		"form":            {"QuestionnaireResponse", nil},
		"medicine":        {"MedicationRequest", old},
		"problem":         {"Condition", old},
		"old result":      {"Observation", old},
		"new result":      {"Observation", recent},
		"old visit":       {"Encounter", old},
		"new visit":       {"Encounter", recent},
		"unnamed type":    {"CarePlan", old},
		"request task":    {"Task", task("online-request")},
		"repeat task":     {"Task", task("repeat-request")},
		"contact task":    {"Task", task("contact-details")},
		"practice's task": {"Task", fhir.Resource{"code": map[string]any{"text": "Call the patient"}}},
		"patient's file":  {"Binary", nil},
	}
	if !ClosedOnline(fhir.Resource{"deceasedDateTime": "2026-11-30"}) || !ClosedOnline(fhir.Resource{"active": false}) || ClosedOnline(fhir.Resource{"active": true}) {
		t.Error("ClosedOnline: a death or a deduction closes the record, an active one does not")
	}
	for _, tc := range []struct {
		name string
		in   RecordAccessInput
		open []string
	}{
		{"a P5 patient: services, no record", RecordAccessInput{Proof: "P5", BirthDate: adult, AccountCreated: made},
			[]string{"patient", "appointment", "message", "form", "medicine", "request task", "repeat task", "contact task", "patient's file"}},
		{"a P9 patient by default: the summary, and entries from the account's day", RecordAccessInput{Proof: "P9", BirthDate: adult, AccountCreated: made},
			[]string{"patient", "appointment", "message", "form", "medicine", "problem", "new result", "new visit", "request task", "repeat task", "contact task", "patient's file"}},
		{"the coded record", RecordAccessInput{Proof: "P9", BirthDate: adult, AccountCreated: made, Setting: setting(RecordDetailed)},
			[]string{"patient", "appointment", "message", "form", "medicine", "problem", "old result", "new result", "request task", "repeat task", "contact task", "patient's file"}},
		{"the full record", RecordAccessInput{Proof: "P9", BirthDate: adult, Setting: setting(RecordFull)},
			[]string{"patient", "appointment", "message", "form", "medicine", "problem", "old result", "new result", "old visit", "new visit", "unnamed type",
				"request task", "repeat task", "contact task", "practice's task", "patient's file"}},
		{"a proxy with appointments only", RecordAccessInput{Proxy: true, Proof: "P9", BirthDate: adult, Setting: setting(RecordFull),
			Grant: &ProxyGrant{Basis: BasisConsent, Services: []string{ServiceAppointments}, Given: now.AddDate(0, -1, 0)}},
			[]string{"patient", "appointment", "contact task"}},
		{"a proxy with repeats and the record", RecordAccessInput{Proxy: true, Proof: "P9", BirthDate: adult,
			Grant: &ProxyGrant{Basis: BasisConsent, Services: []string{ServiceRepeats, ServiceRecord}, Given: now.AddDate(0, -1, 0)}},
			[]string{"patient", "medicine", "problem", "repeat task", "contact task"}},
		{"a patient who has died", RecordAccessInput{Closed: true, Proof: "P9", BirthDate: adult, Setting: setting(RecordFull)},
			[]string{"patient"}},
		{"a refused proxy: nothing, not even the patient's details", RecordAccessInput{Proxy: true, Proof: "P9", BirthDate: adult, Grant: &ProxyGrant{Refused: true}},
			nil},
	} {
		a := AccessOf(tc.in, now)
		want := map[string]bool{}
		for _, k := range tc.open {
			want[k] = true
		}
		for k, e := range entries {
			if got := a.Opens(e.typ, e.res); got != want[k] {
				t.Errorf("%s: %s opens %v, want %v", tc.name, k, got, want[k])
			}
		}
	}
}
