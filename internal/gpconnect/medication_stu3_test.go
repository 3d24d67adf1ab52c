package gpconnect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// stored is r as the store gives it back: JSON with numbers as
// json.Number, an id and a lastUpdated.
func stored(t *testing.T, r fhir.Resource, id string, updated time.Time) fhir.Resource {
	t.Helper()
	r["id"] = id
	r["meta"] = map[string]any{"lastUpdated": updated.UTC().Format(time.RFC3339)}
	return asJSON(t, r)
}

// asJSON is r as JSON decodes it (numbers as json.Number), the form the
// service validates and stores.
func asJSON(t *testing.T, r fhir.Resource) fhir.Resource {
	t.Helper()
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out fhir.Resource
	if err := dec.Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// course builds an R4 authorisation the way prescribing does (clinical's
// own functions), issues it n times a week apart from start, and stops it
// with reason a day after the last issue when reason is given.
func course(t *testing.T, rx clinical.Prescription, start time.Time, n int, stop string) (fhir.Resource, []fhir.Resource) {
	t.Helper()
	gp := clinical.Prescriber{Ref: clinical.Ref{Reference: "PractitionerRole/role-gp"}}
	issuedWith := 0
	if rx.Course != "repeat" {
		issuedWith = 1
	}
	auth := stored(t, rx.Authorisation("pat1", gp.Ref, issuedWith, nil, start), "a1", start)
	var issues []fhir.Resource
	when := start
	for i := range n {
		when = start.AddDate(0, 0, 7*i)
		issues = append(issues, stored(t, clinical.IssueBy(auth, "MedicationRequest/a1", gp, when), fmt.Sprintf("i%d", i+1), when))
		if rx.Course == "repeat" {
			auth = stored(t, clinical.Issued(auth, when), "a1", when)
		}
	}
	if stop != "" {
		auth = stored(t, clinical.StopMedication(auth, stop), "a1", when.AddDate(0, 0, 1))
	}
	return auth, issues
}

var amlodipine = clinical.Medicine{Code: "319283006", Name: "Amlodipine 5mg tablets", Unit: "tablet"}

// Each authorisation maps to a statement, a plan and one order per issue,
// with the extensions GP Connect 1.6 gives each.
func TestMedicationSTU3(t *testing.T) {
	start := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	repeat := clinical.Prescription{Medicine: amlodipine, Dose: "one daily", Quantity: "28", Days: "28", Course: "repeat", Issues: "6", Review: "2027-03-01"}
	acute := clinical.Prescription{Medicine: amlodipine, Dose: "one daily", Quantity: "7", Days: "7", Course: "acute"}
	delayed := acute
	delayed.Delayed = true
	batch := repeat
	batch.Course, batch.Issues = "repeat-dispensing", "3"
	for _, c := range []struct {
		name        string
		rx          clinical.Prescription
		issues      int
		stop        string
		now         time.Time
		status      string // statement and plan
		ptype       string
		allowed     any // repeat information; nil when absent
		issued      any
		end         string // effective end ("" on-going)
		lastIssue   string
		orderStatus []string
	}{
		{"repeat issued twice and stopped", repeat, 2, "Ankle swelling", start.AddDate(0, 1, 0), "stopped", "repeat", 6, 2, "2026-03-10", "2026-03-09", []string{"completed", "stopped"}},
		{"repeat issued once, on-going", repeat, 1, "", start.AddDate(0, 0, 3), "active", "repeat", 6, 1, "", "2026-03-02", []string{"active"}},
		{"repeat not yet issued", repeat, 0, "", start, "active", "repeat", 6, 0, "", "", nil},
		{"acute within its supply", acute, 1, "", start.AddDate(0, 0, 2), "active", "acute", nil, nil, "2026-03-08", "2026-03-02", []string{"active"}},
		{"acute after its supply", acute, 1, "", start.AddDate(0, 1, 0), "completed", "acute", nil, nil, "2026-03-08", "2026-03-02", []string{"completed"}},
		{"delayed acute", delayed, 1, "", start.AddDate(0, 1, 0), "completed", "delayed-prescribing", nil, nil, "2026-03-08", "2026-03-02", []string{"completed"}},
		{"repeat dispensing batch", batch, 1, "", start.AddDate(0, 0, 1), "completed", "repeat-dispensing", 3, 3, "2026-03-29", "2026-03-02", []string{"active"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			auth, issues := course(t, c.rx, start, c.issues, c.stop)
			m := MedicationSTU3(auth, issues, c.now)
			st, plan := m.Statement, m.Plan
			if st["status"] != c.status || plan["status"] != c.status {
				t.Errorf("status: statement %v plan %v, want %s", st["status"], plan["status"], c.status)
			}
			if plan["intent"] != "plan" || str(obj(list(st["basedOn"])[0])["reference"]) != "MedicationRequest/auth-a1" {
				t.Errorf("statement not based on the plan: %v %v", plan["intent"], st["basedOn"])
			}
			if got := firstCode(extValue(plan, prescriptionTypeURL, "valueCodeableConcept")); got != c.ptype {
				t.Errorf("prescription type %q, want %q", got, c.ptype)
			}
			var allowed, issued any
			for _, p := range list(extValue(plan, repeatInformationURL, "extension")) {
				switch str(obj(p)["url"]) {
				case "numberOfRepeatPrescriptionsAllowed":
					allowed = obj(p)["valuePositiveInt"]
				case "numberOfRepeatPrescriptionsIssued":
					issued = obj(p)["valuePositiveInt"]
					if issued == nil {
						issued = obj(p)["valueUnsignedInt"]
					}
				}
			}
			if allowed != c.allowed || issued != c.issued {
				t.Errorf("repeat information allowed %v issued %v, want %v %v", allowed, issued, c.allowed, c.issued)
			}
			if (c.allowed != nil) != (plan["groupIdentifier"] != nil) {
				t.Errorf("groupIdentifier %v on a %s", plan["groupIdentifier"], c.ptype)
			}
			period := obj(st["effectivePeriod"])
			if str(period["start"]) != "2026-03-02" || str(period["end"]) != c.end {
				t.Errorf("effective %v, want 2026-03-02 to %q", period, c.end)
			}
			if vp := obj(obj(plan["dispenseRequest"])["validityPeriod"]); str(vp["start"]) != str(period["start"]) || str(vp["end"]) != str(period["end"]) {
				t.Errorf("the plan's validity %v must mirror the statement's effective %v", vp, period)
			}
			if got := str(extValue(st, lastIssueDateURL, "valueDateTime")); got != c.lastIssue {
				t.Errorf("lastIssueDate %q, want %q", got, c.lastIssue)
			}
			reason := list(extValue(plan, medStatusReasonURL, "extension"))
			if (c.stop != "") != (len(reason) == 2) {
				t.Errorf("status reason %v", reason)
			} else if c.stop != "" && (obj(reason[0])["valueDateTime"] != "2026-03-10" || str(obj(obj(reason[1])["valueCodeableConcept"])["text"]) != c.stop) {
				t.Errorf("status reason %v, want 2026-03-10 %q", reason, c.stop)
			}
			if len(m.Orders) != len(c.orderStatus) {
				t.Fatalf("%d orders, want %d", len(m.Orders), len(c.orderStatus))
			}
			for i, o := range m.Orders {
				if o["intent"] != "order" || o["status"] != c.orderStatus[i] ||
					str(obj(list(o["basedOn"])[0])["reference"]) != "MedicationRequest/auth-a1" ||
					str(obj(o["medicationReference"])["reference"]) != "Medication/med-a1" {
					t.Errorf("order %d: %v", i, o)
				}
				if str(obj(o["recorder"])["reference"]) != "PractitionerRole/role-gp" {
					t.Errorf("order %d recorder %v", i, o["recorder"])
				}
				if _, ok := obj(o["dispenseRequest"])["numberOfRepeatsAllowed"]; ok {
					t.Errorf("order %d sends numberOfRepeatsAllowed, not in GP Connect's elements", i)
				}
			}
			if d := obj(list(st["dosage"])[0]); d["text"] != "one daily" {
				t.Errorf("dosage %v", d)
			}
		})
	}
}

// A record made before authorisations and issues were kept apart (an
// order based on nothing) is its own authorisation; a reauthorised repeat
// is completed with no stop reason (the specification: none for an
// authorisation that has simply ended); a plan with no dosage says so.
func TestMedicationSTU3Edges(t *testing.T) {
	now := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	lone := fhir.Resource{"resourceType": "MedicationRequest", "id": "old", "status": "active", "intent": "order",
		"courseOfTherapyType": coded(clinical.CourseSystem, "continuous"), "authoredOn": "2020-01-01",
		"requester": ref("Practitioner/gp1")}
	m := MedicationSTU3(lone, nil, now)
	if m.Plan["status"] != "active" || len(m.Orders) != 0 || obj(list(m.Statement["dosage"])[0])["text"] != noInformation ||
		str(obj(m.Plan["recorder"])["reference"]) != "Practitioner/gp1" {
		t.Errorf("lone order: %v %v", m.Plan, m.Statement)
	}
	rx := clinical.Prescription{Medicine: amlodipine, Dose: "one daily", Quantity: "28", Days: "28", Course: "repeat", Issues: "6"}
	auth, issues := course(t, rx, now.AddDate(0, -2, 0), 1, "")
	auth = clinical.Reauthorised(auth)
	m = MedicationSTU3(auth, issues, now)
	if m.Plan["status"] != "completed" || extValue(m.Plan, medStatusReasonURL, "extension") != nil ||
		str(obj(m.Statement["effectivePeriod"])["end"]) != "2026-04-28" {
		t.Errorf("reauthorised: %v %v", m.Plan, m.Statement["effectivePeriod"])
	}
}

// medicationSearchFromDate: a course is sent when active on or after the
// date; an acute without an end is active on its start only, a repeat
// without one is on-going.
func TestMedicationActiveFrom(t *testing.T) {
	mk := func(ptype, start, end string) MedicationCourse {
		p := map[string]any{"start": start}
		if end != "" {
			p["end"] = end
		}
		return MedicationCourse{Statement: fhir.Resource{"effectivePeriod": p},
			Plan: fhir.Resource{"extension": []any{prescriptionTypeExt(ptype)}}}
	}
	for _, c := range []struct {
		m    MedicationCourse
		from string
		want bool
	}{
		{mk("repeat", "2020-01-01", ""), "2026-01-01", true},
		{mk("repeat", "2020-01-01", "2025-12-31"), "2026-01-01", false},
		{mk("repeat", "2020-01-01", "2026-01-01"), "2026-01-01", true},
		{mk("acute", "2025-12-31", ""), "2026-01-01", false},
		{mk("acute", "2026-01-01", ""), "2026-01-01", true},
		{mk("acute", "2025-12-20", "2026-01-02"), "2026-01-01", true},
		{mk("acute", "2020-01-01", ""), "", true},
	} {
		if got := c.m.ActiveFrom(c.from); got != c.want {
			t.Errorf("%v from %s: %v, want %v", c.m.Statement["effectivePeriod"], c.from, got, c.want)
		}
	}
}

// A medicine recorded as prescribed elsewhere: a statement flagged
// prescribed by another organisation, based on a plan with no orders and
// no prescription type recorded; ended ones have an end.
func TestElsewhereSTU3(t *testing.T) {
	now := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		source string
		ended  bool
		status string
		end    string
	}{
		{"hospital", false, "active", ""},
		{"otc", true, "completed", "2026-06-03"},
	} {
		e := clinical.Elsewhere{Medicine: amlodipine, Dose: "one daily", Source: c.source}
		st := stored(t, e.Resource("pat1", clinical.Ref{Reference: "Practitioner/gp1"}, now), "ms1", now)
		if c.ended {
			ended, _ := clinical.EndElsewhere(st)
			st = stored(t, ended, "ms1", now.AddDate(0, 0, 2))
		}
		m := ElsewhereSTU3(st)
		if m.Statement["status"] != c.status || m.Plan["status"] != c.status || m.Plan["intent"] != "plan" || len(m.Orders) != 0 {
			t.Errorf("%s: statement %v plan %v", c.source, m.Statement["status"], m.Plan)
		}
		if got := firstCode(extValue(m.Statement, prescribingAgencyURL, "valueCodeableConcept")); got != "prescribed-by-another-organisation" {
			t.Errorf("%s: prescribing agency %q", c.source, got)
		}
		if got := str(obj(extValue(m.Plan, prescriptionTypeURL, "valueCodeableConcept"))["text"]); got != noInformation {
			t.Errorf("%s: prescription type %q", c.source, got)
		}
		if p := obj(m.Statement["effectivePeriod"]); p["start"] != "2026-06-01" || str(p["end"]) != c.end {
			t.Errorf("%s: effective %v", c.source, p)
		}
		if m.ActiveFrom("2026-06-04") == c.ended {
			t.Errorf("%s: active from 2026-06-04 %v", c.source, m.ActiveFrom("2026-06-04"))
		}
		if str(obj(m.Plan["recorder"])["reference"]) != "Practitioner/gp1" || len(list(m.Statement["note"])) != 1 {
			t.Errorf("%s: recorder %v note %v", c.source, m.Plan["recorder"], m.Statement["note"])
		}
	}
}

// A change of dose (a new version of the authorisation) sets the
// statement's dosageLastChanged and its dosage; an issue made before keeps
// the dose it was issued with. A course never changed has no such
// extension.
func TestMedicationSTU3DosageLastChanged(t *testing.T) {
	start := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	rx := clinical.Prescription{Medicine: amlodipine, Dose: "One tablet once a day", Quantity: "28", Days: "28", Course: "repeat", Issues: "6", Review: "2027-03-01"}
	auth, issues := course(t, rx, start, 1, "")
	if m := MedicationSTU3(auth, issues, start); extValue(m.Statement, dosageLastChangedURL, "valueDateTime") != nil {
		t.Fatalf("unchanged course has dosageLastChanged: %v", m.Statement["extension"])
	}
	changed := start.AddDate(0, 0, 10)
	auth = stored(t, clinical.DoseChange{Dose: "Two tablets once a day", Reason: "BP still high"}.Apply(auth, clinical.Ref{Display: "Dr A"}, changed), "a1", changed)
	m := MedicationSTU3(auth, issues, changed)
	if got := str(extValue(m.Statement, dosageLastChangedURL, "valueDateTime")); got != changed.In(clinical.London).Format(time.RFC3339) {
		t.Errorf("dosageLastChanged %q", got)
	}
	if d := obj(list(m.Statement["dosage"])[0]); d["text"] != "Two tablets once a day" {
		t.Errorf("statement dosage %v", d)
	}
	if d := obj(list(m.Orders[0]["dosageInstruction"])[0]); d["text"] != "One tablet once a day" {
		t.Errorf("the earlier issue's dosage %v", d)
	}
}
