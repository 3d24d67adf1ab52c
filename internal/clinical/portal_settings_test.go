package clinical

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// A repeat as prescribing writes it: its authorisation (intent plan) and
// an issue of it on the day given.
func portalRepeat(id, code, name string, days int, issued time.Time) (auth fhir.Resource, issue fhir.Resource) {
	p := Prescription{Medicine: Medicine{Code: code, Name: name, Unit: "tablet"}, Dose: "One a day", Quantity: "28", Days: "28", Course: "repeat", Issues: "6"}
	if days > 0 {
		p.Days = strconv.Itoa(days)
	}
	auth = p.Authorisation("pat", Ref{Reference: "Practitioner/gp"}, 1, nil, issued.AddDate(0, -3, 0))
	auth["id"] = id
	if !issued.IsZero() {
		issue = IssueOf(auth, "MedicationRequest/"+id, Ref{Reference: "Practitioner/gp"}, issued)
		issue["id"] = id + "-issue"
		auth = Issued(auth, issued)
	}
	return auth, issue
}

// The portal's repeat rules (CLINICAL.md Patient portal 6): what each
// repeat shows (E00327) and when it cannot be ordered (E00330 and the
// practice's ordering window), per rule.
func TestPortalRepeatRules(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, London)
	day := func(d int) time.Time { return now.AddDate(0, 0, d) }
	build := func(issuedDaysAgo int, mutate func(auth, issue fhir.Resource) []fhir.Resource) []fhir.Resource {
		var at time.Time
		if issuedDaysAgo >= 0 {
			at = day(-issuedDaysAgo)
		}
		auth, issue := portalRepeat("r", "319283006", "Amlodipine 5mg tablets", 28, at)
		out := []fhir.Resource{auth}
		if issue != nil {
			out = append(out, issue)
		}
		if mutate != nil {
			out = append(out, mutate(auth, issue)...)
		}
		return out
	}
	tests := []struct {
		name     string
		meds     []fhir.Resource
		window   int
		blocked  string // a part of the reason, "" when orderable
		lastIssu string
	}{
		{"never issued", build(-1, nil), 7, "", ""},
		{"supply runs out in 7 days: window open", build(21, nil), 7, "", "10 November 2026"},
		{"supply runs out in 8 days: too early, says when", build(20, nil), 7, "You can order this from 2 December 2026", "11 November 2026"},
		{"a 14-day window opens earlier", build(20, nil), 14, "", "11 November 2026"},
		{"supply run out long ago", build(90, nil), 7, "", "2 September 2026"},
		{"issued today", build(0, nil), 7, "You can order this from 22 December 2026", "1 December 2026"},
		{"a cancelled issue does not count", build(0, func(_, issue fhir.Resource) []fhir.Resource {
			issue["status"] = "cancelled"
			return nil
		}), 7, "", ""},
		{"an issue dated to start later", build(40, func(auth, _ fhir.Resource) []fhir.Resource {
			later := IssueOf(auth, "MedicationRequest/r", Ref{Reference: "Practitioner/gp"}, now)
			later["id"] = "later"
			later["dispenseRequest"].(map[string]any)["validityPeriod"] = map[string]any{"start": "2026-12-05", "end": "2027-06-05"}
			later["authoredOn"] = day(-40).Format(time.RFC3339) // made with the earlier one
			return []fhir.Resource{later}
		}), 7, "issued to start on 5 December 2026", "22 October 2026"},
		{"a prescription being prepared", build(40, func(auth, _ fhir.Resource) []fhir.Resource {
			prep := fhir.Resource{"resourceType": "MedicationRequest", "id": "prep", "intent": "proposal", "status": "draft",
				"basedOn": []any{map[string]any{"reference": "MedicationRequest/r"}}}
			return []fhir.Resource{prep}
		}), 7, "already preparing", "22 October 2026"},
		{"a repeat-dispensing batch of the same medicine running", build(40, func(auth, _ fhir.Resource) []fhir.Resource {
			return []fhir.Resource{repeatDispensingBatch("rd", "319283006", now.AddDate(0, -1, 0))}
		}), 7, "repeat dispensing", "22 October 2026"},
		{"a batch of another medicine does not count", build(40, func(auth, _ fhir.Resource) []fhir.Resource {
			return []fhir.Resource{repeatDispensingBatch("rd", "322236009", now.AddDate(0, -1, 0))}
		}), 7, "", "22 October 2026"},
		{"a batch that has ended does not count", build(40, func(auth, _ fhir.Resource) []fhir.Resource {
			return []fhir.Resource{repeatDispensingBatch("rd", "319283006", now.AddDate(-1, -1, 0))}
		}), 7, "", "22 October 2026"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := PortalRepeats(tt.meds, nil, PortalSettings{OrderWindowDays: tt.window}, now)
			if len(got) != 1 {
				t.Fatalf("repeats %+v", got)
			}
			r := got[0]
			if tt.blocked == "" && r.Blocked != "" || tt.blocked != "" && !strings.Contains(r.Blocked, tt.blocked) {
				t.Errorf("blocked %q, want %q", r.Blocked, tt.blocked)
			}
			if r.LastIssue != tt.lastIssu {
				t.Errorf("last issue %q, want %q", r.LastIssue, tt.lastIssu)
			}
			if r.Name != "Amlodipine 5mg tablets" || r.Strength != "5mg" || r.Form != "tablets" || r.Dose != "One a day" || r.Duration != "28 days" {
				t.Errorf("shown %+v", r)
			}
			errs := RepeatOrder{Chosen: []string{"r"}}.Check(got)
			if (errs["medicines"] != "") != (tt.blocked != "") {
				t.Errorf("order check %v", errs)
			}
		})
	}
	// The repeat-dispensing batch itself, and its authorisation, are never
	// offered; an acute neither.
	rd := repeatDispensingBatch("rd", "319283006", now)
	if got := PortalRepeats([]fhir.Resource{rd}, nil, DefaultPortalSettings, now); len(got) != 0 {
		t.Errorf("a batch offered: %+v", got)
	}
}

// repeatDispensingBatch is the issue of a repeat-dispensing prescription
// of 6 issues of 28 days made at the time given.
func repeatDispensingBatch(id, code string, at time.Time) fhir.Resource {
	p := Prescription{Medicine: Medicine{Code: code, Name: "Batch", Unit: "tablet"}, Dose: "One a day", Quantity: "28", Days: "28", Course: "repeat-dispensing", Issues: "6"}
	auth := p.Authorisation("pat", Ref{Reference: "Practitioner/gp"}, 6, nil, at)
	auth["id"] = id + "-auth"
	issue := IssueOf(auth, "MedicationRequest/"+id+"-auth", Ref{Reference: "Practitioner/gp"}, at)
	issue["id"] = id
	return issue
}

func TestMedicineParts(t *testing.T) {
	tests := []struct{ name, strength, form string }{
		{"Amlodipine 5mg tablets", "5mg", "tablets"},
		{"Salbutamol 100micrograms/dose inhaler CFC free", "100micrograms/dose", "inhaler CFC free"},
		{"Lactulose 3.35g/5ml oral solution", "3.35g/5ml", "oral solution"},
		{"Co-codamol 30mg/500mg tablets", "30mg/500mg", "tablets"},
		{"Levothyroxine sodium 25microgram tablets", "25microgram", "tablets"},
		{"Hydrocortisone 1% cream", "1%", "cream"},
		{"Insulin glargine 100units/ml solution for injection 3ml pre-filled pens", "100units/ml", "solution for injection 3ml pre-filled pens"},
		{"Emollient", "", ""},
	}
	for _, tt := range tests {
		s, f := MedicineParts(tt.name)
		if s != tt.strength || f != tt.form {
			t.Errorf("%s: %q %q", tt.name, s, f)
		}
	}
}

func TestPortalSettings(t *testing.T) {
	org := fhir.Resource{"resourceType": "Organization", "id": "o", "extension": []any{map[string]any{"url": PortalMessagingURL, "valueBoolean": false}}}
	if s := PortalSettingsOf(org); s != DefaultPortalSettings {
		t.Fatalf("defaults %+v", s)
	}
	if s := PortalSettingsOf(nil); s != DefaultPortalSettings {
		t.Fatalf("no practice %+v", s)
	}
	next := WithPortalSettings(org, PortalSettings{OrderWindowDays: 10, CancelCutoffHours: 24})
	if s := PortalSettingsOf(next); s.OrderWindowDays != 10 || s.CancelCutoffHours != 24 {
		t.Fatalf("set %+v", s)
	}
	if MessagingOn(next) {
		t.Fatal("the messaging setting was lost")
	}
	// Set again: one extension, not two.
	if again := WithPortalSettings(next, PortalSettings{OrderWindowDays: 3}); len(list(again, "extension")) != 2 || PortalSettingsOf(again).OrderWindowDays != 3 {
		t.Fatalf("again %v", again["extension"])
	}
	tests := []struct {
		form PortalSettingsForm
		want string
	}{
		{PortalSettingsForm{"7", "2"}, ""},
		{PortalSettingsForm{"28", "0"}, ""},
		{PortalSettingsForm{"", "2"}, "order-window"},
		{PortalSettingsForm{"0", "2"}, "order-window"},
		{PortalSettingsForm{"29", "2"}, "order-window"},
		{PortalSettingsForm{"seven", "2"}, "order-window"},
		{PortalSettingsForm{"7", ""}, "cancel-cutoff"},
		{PortalSettingsForm{"7", "-1"}, "cancel-cutoff"},
		{PortalSettingsForm{"7", "73"}, "cancel-cutoff"},
		{PortalSettingsForm{"7", "1.5"}, "cancel-cutoff"},
	}
	for _, tt := range tests {
		s, errs := tt.form.Check()
		if tt.want == "" && (len(errs) > 0 || s.Form() != tt.form) || tt.want != "" && errs[tt.want] == "" {
			t.Errorf("%+v: %+v %v", tt.form, s, errs)
		}
	}
}

// The cancellation cut-off: per rule.
func TestCancelOnline(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, London)
	tests := []struct {
		name   string
		status string
		start  time.Time
		hours  int
		want   string
	}{
		{"tomorrow", "booked", now.Add(24 * time.Hour), 2, ""},
		{"just outside the cut-off", "booked", now.Add(2 * time.Hour), 2, ""},
		{"inside the cut-off", "booked", now.Add(2*time.Hour - time.Minute), 2, "within 2 hours"},
		{"a 24-hour cut-off", "booked", now.Add(23 * time.Hour), 24, "within 24 hours"},
		{"a 1-hour cut-off", "booked", now.Add(30 * time.Minute), 1, "within 1 hour of"},
		{"no cut-off: until it starts", "booked", now.Add(time.Minute), 0, ""},
		{"started", "booked", now, 0, "has started"},
		{"cancelled", "cancelled", now.Add(48 * time.Hour), 2, "already been cancelled"},
		{"fulfilled", "fulfilled", now.Add(-time.Hour), 2, "passed"},
	}
	for _, tt := range tests {
		got := PortalSettings{CancelCutoffHours: tt.hours}.CancelOnline(tt.status, tt.start, now)
		if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
			t.Errorf("%s: %q", tt.name, got)
		}
	}
}

// Contact details applied at once: the new mobile and email replace the
// current ones (kept as old), a landline is kept, an address is not
// applied but goes to the practice; the Task says which is which.
func TestContactChangeApplied(t *testing.T) {
	patient := func(tel ...map[string]any) fhir.Resource {
		var l []any
		for _, x := range tel {
			l = append(l, x)
		}
		return fhir.Resource{"resourceType": "Patient", "id": "p", "telecom": l}
	}
	mob := map[string]any{"system": "phone", "value": "07700 900001", "use": "mobile"}
	home := map[string]any{"system": "phone", "value": "0113 496 0000", "use": "home"}
	mail := map[string]any{"system": "email", "value": "old@example.com"}
	tests := []struct {
		name     string
		p        fhir.Resource
		change   ContactChange
		want     ContactChange // CurrentContact after
		telecoms int
	}{
		{"new mobile", patient(mob, mail), ContactChange{Mobile: "07700 900982", Email: "old@example.com"}, ContactChange{Mobile: "07700 900982", Email: "old@example.com"}, 3},
		{"new email", patient(mob, mail), ContactChange{Mobile: "07700 900001", Email: "new@example.com"}, ContactChange{Mobile: "07700 900001", Email: "new@example.com"}, 3},
		{"email removed", patient(mob, mail), ContactChange{Mobile: "07700 900001"}, ContactChange{Mobile: "07700 900001"}, 2},
		{"a mobile added beside a landline", patient(home), ContactChange{Mobile: "07700 900982"}, ContactChange{Mobile: "07700 900982"}, 2},
		{"none before", patient(), ContactChange{Mobile: "07700 900982", Email: "a@b.co"}, ContactChange{Mobile: "07700 900982", Email: "a@b.co"}, 2},
	}
	for _, tt := range tests {
		cur := CurrentContact(tt.p)
		if errs := tt.change.Check(cur); len(errs) > 0 {
			t.Fatalf("%s: %v", tt.name, errs)
		}
		if !tt.change.ContactApplied(cur) {
			t.Errorf("%s: not applied", tt.name)
		}
		got := tt.change.Applied(tt.p, cur)
		if now := CurrentContact(got); now != tt.want || len(list(got, "telecom")) != tt.telecoms {
			t.Errorf("%s: %+v %v", tt.name, now, got["telecom"])
		}
		if CurrentContact(tt.p) != cur {
			t.Errorf("%s: the patient given was changed", tt.name)
		}
	}
	// An address alone: nothing applied, a Task for the practice to check.
	cur := CurrentContact(patient(mob))
	c := ContactChange{Mobile: "07700 900001", Address: "9 New Road, Leeds LS6 2AA"}
	if errs := c.Check(cur); len(errs) > 0 || c.ContactApplied(cur) {
		t.Fatalf("address only: %v", errs)
	}
	task := c.Task(PortalRequester{PatientID: "p", PatientName: "P", Practice: "o"}, cur, "CD-AAAA-BBBB", time.Now())
	if d := str(task, "description"); !strings.Contains(d, "New home address to check and apply: 9 New Road") || strings.Contains(d, "already applied") {
		t.Errorf("address task %q", d)
	}
	c = ContactChange{Mobile: "07700 900982", Address: strings.Repeat("x", MaxAddress+1)}
	if errs := c.Check(cur); errs["address"] == "" {
		t.Errorf("a long address: %v", errs)
	}
	c.Address = ""
	if d := str(c.Task(PortalRequester{PatientID: "p"}, cur, "CD-AAAA-BBBB", time.Now()), "description"); !strings.Contains(d, "already applied to the record, for information: phone: 07700 900982") {
		t.Errorf("applied task %q", d)
	}
}
