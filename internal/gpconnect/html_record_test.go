package gpconnect

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"html"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/fhirxml"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// careReq is a $gpc.getcarerecord request for a section, with an
// optional timePeriod (start, end; "" leaves a bound out).
func careReq(nhs, section string, period ...string) req {
	ps := []any{map[string]any{"name": "patientNHSNumber", "valueIdentifier": map[string]any{"system": NHSNumberSystem, "value": nhs}},
		map[string]any{"name": "recordSection", "valueCodeableConcept": map[string]any{"coding": []any{map[string]any{"system": recordSectionSystem, "code": section}}}}}
	if len(period) == 2 {
		pv := map[string]any{}
		if period[0] != "" {
			pv["start"] = period[0]
		}
		if period[1] != "" {
			pv["end"] = period[1]
		}
		ps = append(ps, map[string]any{"name": "timePeriod", "valuePeriod": pv})
	}
	return req{method: "POST", path: "/fhir/Patient/$gpc.getcarerecord", interaction: "fhir:operation:gpc.getcarerecord",
		scope: "patient/*.read", body: map[string]any{"resourceType": "Parameters", "parameter": ps}}
}

// careDiv runs the request and returns the section's HTML, checking the
// Bundle's shape and that the HTML is well-formed XHTML.
func careDiv(t *testing.T, f *fixture, r req, section string) string {
	t.Helper()
	code, b, _ := f.do(r)
	if code != 200 || b["type"] != "searchset" {
		t.Fatalf("%s: %d %v", section, code, b)
	}
	comps := entriesOf(b, "Composition")
	if len(comps) != 1 || len(entriesOf(b, "Patient")) != 1 || len(entriesOf(b, "Organization")) != 1 {
		t.Fatalf("%s: want a Composition, the Patient and the practice: %v", section, b)
	}
	sec := obj(list(comps[0]["section"])[0])
	if firstCode(sec["code"]) != section {
		t.Errorf("%s: section code %v", section, sec["code"])
	}
	div := str(obj(sec["text"])["div"])
	dec := xml.NewDecoder(strings.NewReader(div))
	for {
		if _, err := dec.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("%s: not well-formed XHTML: %v\n%s", section, err, div)
		}
	}
	if !strings.HasPrefix(div, `<div xmlns="http://www.w3.org/1999/xhtml"><h1>`+careSections[section].title+`</h1>`) {
		t.Errorf("%s: %s", section, div)
	}
	return div
}

func wantIn(t *testing.T, what, div string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		// html/template writes ' as &#39;: compare with the text as read.
		if !strings.Contains(div, s) && !strings.Contains(html.UnescapeString(div), s) {
			t.Errorf("%s: %q missing from\n%s", what, s, div)
		}
	}
}

func wantNotIn(t *testing.T, what, div string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if strings.Contains(div, s) {
			t.Errorf("%s: %q should not be in\n%s", what, s, div)
		}
	}
}

// seedHTML adds to the rich record what the sections beyond the
// structured fixture show: observations (one confidential, one entered
// in error), a consultation, a note with markup, a stopped repeat.
func seedHTML(t *testing.T, f *fixture) {
	subj := ref("Patient/rich")
	conf := map[string]any{"security": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R"}}}
	obs := func(id, date, display string, value any, meta map[string]any, status string) {
		o := fhir.Resource{"resourceType": "Observation", "id": id, "status": status, "subject": subj,
			"code": map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": "27113001", "display": display}}}, "effectiveDateTime": date}
		if value != nil {
			o["valueQuantity"] = value
		}
		if meta != nil {
			o["meta"] = meta
		}
		f.put(o)
	}
	obs("obs-weight", "2026-05-01", "Body weight", map[string]any{"value": 72.5, "unit": "kg"}, nil, "final")
	obs("obs-smoker", "2024-02-01", "Never smoked tobacco", nil, nil, "final")
	obs("obs-secret", "2026-05-02", "Termination of pregnancy", nil, conf, "final")
	obs("obs-wrong", "2026-05-03", "Body weight wrong patient", map[string]any{"value": 120.0, "unit": "kg"}, nil, "entered-in-error")
	a, err := f.svc.Read(context.Background(), "AllergyIntolerance", "alg-active")
	if err != nil {
		t.Fatal(err)
	}
	alg, _ := fhir.Unmarshal(a.Version.Body)
	alg["note"] = []any{map[string]any{"text": "<script>alert(1)</script> & rash"}}
	f.put(alg)
	f.put(fhir.Resource{"resourceType": "Condition", "id": "prob-major-old", "subject": subj,
		"category":       []any{coded("http://terminology.hl7.org/CodeSystem/condition-category", "problem-list-item")},
		"clinicalStatus": coded("http://terminology.hl7.org/CodeSystem/condition-clinical", "resolved"),
		"code":           map[string]any{"text": "Fractured wrist"}, "onsetDateTime": "2021-03-01", "abatementDateTime": "2021-06-01",
		"extension": []any{map[string]any{"url": ukProblemSignifURL, "valueCode": "major"}}})
	ctx := context.Background()
	prob, err := f.svc.Read(ctx, "Condition", "prob1")
	if err != nil {
		t.Fatal(err)
	}
	probRes, _ := fhir.Unmarshal(prob.Version.Body)
	start := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	c := &clinical.Consultation{PatientID: "rich", Practice: "org1", Type: "face-to-face", Start: start,
		Clinician: clinical.Ref{Reference: "Practitioner/gp1", Display: "Dr Aisha Khan"}, Author: clinical.Ref{Reference: "Practitioner/gp1", Display: "Dr Aisha Khan"},
		Topics: []clinical.Topic{{Title: "Hypertension", Problem: "Condition/prob1", ProblemDisplay: "Hypertension",
			Notes: map[string]string{"history": "Headaches for a week"}}}}
	recordConsultation(t, f, c, probRes)
}

// recordConsultation writes a consultation of the rich patient about
// prob1 as the workspace does (clinical.PlanConsultation, one transaction).
func recordConsultation(t *testing.T, f *fixture, c *clinical.Consultation, prob fhir.Resource) {
	t.Helper()
	plan, err := clinical.PlanConsultation(c, clinical.Stored{"Condition/prob1": prob}, c.Start)
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := plan.Bundle("rich", c.Author, "", c.Start)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ProcessBundle(context.Background(), bundle, service.BundleOptions{}); err != nil {
		t.Fatal(err)
	}
}

// Access Record HTML over HTTP: every section, its banners and tables,
// the time period, confidential and retracted entries left out (with the
// exclusion banner), record text escaped.
func TestCareRecordHTML(t *testing.T) { forEachStore(t, testCareRecordHTML) }

func testCareRecordHTML(t *testing.T, open func(testing.TB) store.Store) {
	f := newFixture(t, open)
	seedHTML(t, f)

	div := careDiv(t, f, careReq(nhsRich, "ALL"), "ALL")
	wantIn(t, "ALL", div, "<h2>Current Allergies and Adverse Reactions</h2>", `<table id="all-tab-curr">`, "Allergy to penicillin",
		"<h2>Historical Allergies and Adverse Reactions</h2>", "exclusion-banner", "&lt;script&gt;alert(1)&lt;/script&gt; &amp; rash")
	wantNotIn(t, "ALL", div, "<script>", "date-banner")

	div = careDiv(t, f, careReq(nhsRich, "PRB"), "PRB")
	wantIn(t, "PRB", div, "<h2>Active Problems and Issues</h2>", "Hypertension", "Major", "Depressive disorder",
		"<h2>Major Inactive Problems and Issues</h2>", "Fractured wrist", "01-Mar-2021", "01-Jun-2021",
		"<h2>Other Inactive Problems and Issues</h2>", "Asthma", "All relevant items")
	// A period: the inactive subsections filtered, the active one not.
	div = careDiv(t, f, careReq(nhsRich, "PRB", "2016-01-01", ""), "PRB")
	wantIn(t, "PRB period", div, "Date filter not applied", "Data items from 01-Jan-2016", "Fractured wrist",
		"No 'Other Inactive Problems and Issues' data is recorded for this patient.")
	wantNotIn(t, "PRB period", div, "Asthma")

	div = careDiv(t, f, careReq(nhsRich, "MED"), "MED")
	wantIn(t, "MED", div, "<h2>Current Repeat Medication</h2>", `<table id="med-tab-curr-rep">`, "Amlodipine 5mg tablets", "One a day",
		"<h2>All Medication</h2>", "<h2>All Medication Issues</h2>", "<h2>Discontinued Repeat Medication</h2>",
		"No 'Discontinued Repeat Medication' data is recorded for this patient.")
	div = careDiv(t, f, careReq(nhsRich, "MED", "2026-07-01", "2026-08-01"), "MED")
	wantIn(t, "MED period", div, "For the period '01-Jul-2026' to '01-Aug-2026'", "No 'All Medication' data is recorded for this patient.")

	div = careDiv(t, f, careReq(nhsRich, "IMM"), "IMM")
	wantIn(t, "IMM", div, `<table id="imm-tab">`, "Influenza vaccine", "01-Oct-2025")

	div = careDiv(t, f, careReq(nhsRich, "OBS"), "OBS")
	wantIn(t, "OBS", div, `<table id="obs-tab">`, "Body weight", "72.5 kg", "exclusion-banner", "All relevant items")
	wantNotIn(t, "OBS", div, "Termination", "120 kg", "Never smoked")
	div = careDiv(t, f, careReq(nhsRich, "CLI", "2025-01-01", "2026-12-31"), "CLI")
	wantIn(t, "CLI", div, "Body weight", "Value: 72.5 kg", "For the period '01-Jan-2025' to '31-Dec-2026'")
	wantNotIn(t, "CLI", div, "Never smoked", "Termination")

	div = careDiv(t, f, careReq(nhsRich, "ENC"), "ENC")
	wantIn(t, "ENC", div, `<table id="enc-tab">`, "02-Mar-2026", "Aisha Khan", "Riverside Surgery", "Hypertension", "Headaches for a week")
	div = careDiv(t, f, careReq(nhsRich, "ENC", "", "2026-01-01"), "ENC")
	wantIn(t, "ENC period", div, "Data items until 01-Jan-2026", "No 'Encounters' data is recorded for this patient.")

	div = careDiv(t, f, careReq(nhsRich, "REF"), "REF")
	wantIn(t, "REF", div, "No 'Referrals' data is recorded for this patient.")
	div = careDiv(t, f, careReq(nhsRich, "ADM"), "ADM")
	wantIn(t, "ADM", div, `<table id="adm-tab">`, "01-Jan-2020", "Regular registration at Riverside Surgery")

	div = careDiv(t, f, careReq(nhsRich, "SUM"), "SUM")
	wantIn(t, "SUM", div, "<h2>Last 3 Encounters</h2>", "<h2>Active Problems and Issues</h2>", "<h2>Major Inactive Problems and Issues</h2>",
		"<h2>Current Allergies and Adverse Reactions</h2>", "<h2>Acute Medication (Last 12 Months)</h2>", "<h2>Current Repeat Medication</h2>",
		"Headaches for a week", "Amlodipine")
	wantNotIn(t, "SUM", div, "date-banner", "Historical Allergies")
}

// Who is not shared, and bad parameters, answered with the codes and
// statuses of the specification.
func TestCareRecordRefusals(t *testing.T) { forEachStore(t, testCareRecordRefusals) }

func testCareRecordRefusals(t *testing.T, open func(testing.TB) store.Store) {
	f := newFixture(t, open)
	cases := []struct {
		name   string
		r      req
		status int
		code   string
	}{
		{"dissent", careReq(nhsDissent, "SUM"), 403, NoPatientConsent},
		{"sensitive", careReq(nhsSensitive, "SUM"), 404, PatientNotFound},
		{"deceased", careReq(nhsDeceased, "SUM"), 404, PatientNotFound},
		{"not verified", careReq(nhsUntraced, "SUM"), 404, PatientNotFound},
		{"temporary resident", careReq(nhsTemporary, "SUM"), 404, PatientNotFound},
		{"not registered", careReq(nhsNowhere, "SUM"), 404, PatientNotFound},
		{"invalid NHS number", careReq("9434765918", "SUM"), 400, InvalidNHSNumber},
		{"unknown section", careReq(nhsRich, "XYZ"), 422, InvalidParameter},
		{"period on a section without one", careReq(nhsRich, "ALL", "2020-01-01", ""), 400, BadRequest},
		{"period on the summary", careReq(nhsRich, "SUM", "2020-01-01", "2020-02-01"), 400, BadRequest},
		{"end before start", careReq(nhsRich, "ENC", "2020-02-01", "2020-01-01"), 422, InvalidParameter},
		{"not a date", careReq(nhsRich, "ENC", "yesterday", ""), 422, InvalidParameter},
	}
	for _, c := range cases {
		code, oo, _ := f.do(c.r)
		if code != c.status || spineCode(oo) != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, code, spineCode(oo), c.status, c.code)
		}
	}
	noSection := careReq(nhsRich, "SUM")
	noSection.body = map[string]any{"resourceType": "Parameters", "parameter": list(obj(noSection.body)["parameter"])[:1]}
	if code, oo, _ := f.do(noSection); code != 422 || spineCode(oo) != InvalidParameter {
		t.Errorf("no recordSection: %d %s", code, spineCode(oo))
	}
	wrongSystem := careReq(nhsRich, "SUM")
	wrongSystem.body = map[string]any{"resourceType": "Parameters", "parameter": []any{
		map[string]any{"name": "patientNHSNumber", "valueIdentifier": map[string]any{"system": "urn:other", "value": nhsRich}},
		list(obj(wrongSystem.body)["parameter"])[1]}}
	if code, oo, _ := f.do(wrongSystem); code != 400 || spineCode(oo) != InvalidIdentifierSystem {
		t.Errorf("identifier system: %d %s", code, spineCode(oo))
	}
	// The structured record's interaction id does not open this one.
	other := careReq(nhsRich, "SUM")
	other.interaction = "fhir:operation:gpc.getstructuredrecord-1"
	if code, oo, _ := f.do(other); code != 400 || spineCode(oo) != BadRequest {
		t.Errorf("wrong interaction id: %d %s", code, spineCode(oo))
	}
}

// XML: the Bundle in XML, the section's XHTML carried as the narrative.
func TestCareRecordXML(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite)
	code, x, ct := f.doXML(careReq(nhsRich, "ALL"), "application/fhir+xml")
	if code != 200 || !strings.HasPrefix(ct, "application/fhir+xml") {
		t.Fatalf("%d %s %s", code, ct, x)
	}
	if !bytes.Contains(x, []byte(`<div xmlns="http://www.w3.org/1999/xhtml"><h1>Allergies and Adverse Reactions</h1>`)) {
		t.Errorf("no XHTML narrative in\n%s", x)
	}
	if _, err := fhirxml.Decode(x); err != nil {
		t.Errorf("XML does not read back: %v", err)
	}
}

// The Foundations CapabilityStatement offers the operation.
func TestCareRecordCapability(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite)
	code, cs, _ := f.do(getMetadata)
	if code != 200 {
		t.Fatalf("%d %v", code, cs)
	}
	for _, op := range list(obj(list(cs["rest"])[0])["operation"]) {
		if obj(op)["name"] == "gpc.getcarerecord" {
			return
		}
	}
	t.Errorf("gpc.getcarerecord is not in %v", cs["rest"])
}

// Every care record request is audited with the consumer.
func TestCareRecordAudit(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite)
	if code, b, _ := f.do(careReq(nhsRich, "SUM")); code != 200 {
		t.Fatalf("%d %v", code, b)
	}
	f.trail.Flush()
	out, err := f.svc.Search(context.Background(), service.SearchRequest{Type: "AuditEvent", Params: url.Values{"_count": {"100"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, ae := range matches(out.Resource) {
		b, _ := fhir.Marshal(ae)
		s := string(b)
		if strings.Contains(s, "Patient/rich") && strings.Contains(s, `"value":"RYA"`) && strings.Contains(s, "gpc.getcarerecord") {
			return
		}
	}
	t.Error("no AuditEvent names the patient, the consumer's organisation and the interaction")
}

func FuzzParseCareRecordRequest(f *testing.F) {
	f.Add(`{"resourceType":"Parameters","parameter":[{"name":"patientNHSNumber","valueIdentifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}},{"name":"recordSection","valueCodeableConcept":{"coding":[{"system":"http://fhir.nhs.net/ValueSet/gpconnect-record-section-1","code":"ENC"}]}},{"name":"timePeriod","valuePeriod":{"start":"2020-01-01"}}]}`)
	f.Add(`{"resourceType":"Parameters","parameter":[{"name":"timePeriod","valuePeriod":{"start":"2020-01-01T00:00:00Z","end":3}}]}`)
	f.Add(`{"resourceType":"Parameters","parameter":[{"name":"recordSection","valueCodeableConcept":{"coding":"x"}}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		var params map[string]any
		if json.Unmarshal([]byte(s), &params) != nil {
			return
		}
		req, e := ParseCareRecordRequest(params)
		if e == nil && (req == nil || req.NHSNumber == "" || req.Section == "" || req.To != "" && req.To < req.From) {
			t.Fatalf("%s accepted: %+v", s, req)
		}
		if e != nil && e.HTTPStatus() >= 500 {
			t.Fatalf("%s: %v", s, e)
		}
	})
}

// Round trip: a dissent recorded as the workspace records it
// (clinical.SharingChange) refuses the HTML and structured records with
// NO_PATIENT_CONSENT; withdrawn, both are answered again.
func TestCareRecordDissentRoundTrip(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite)
	ctx := context.Background()
	gp := clinical.Ref{Reference: "Practitioner/gp1", Display: "Dr Aisha Khan"}
	dissent := clinical.SharingChange{Choice: clinical.ShareDissent}.Resource(nil, "rich", "org1", gp, f.now)
	out, err := f.svc.Create(ctx, "Consent", dissent, "")
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := fhir.Unmarshal(out.Version.Body)
	for _, r := range []req{careReq(nhsRich, "SUM"), structuredReq(nhsRich, param("includeAllergies"))} {
		if code, oo, _ := f.do(r); code != 403 || spineCode(oo) != NoPatientConsent {
			t.Errorf("%s with a dissent: %d %s", r.path, code, spineCode(oo))
		}
	}
	withdrawn := clinical.SharingChange{Choice: clinical.ShareAllowed}.Resource(stored, "rich", "org1", gp, f.now)
	if _, err := f.svc.Update(ctx, "Consent", stored.ID(), withdrawn, service.Precondition{Set: true, Version: out.Version.VersionID}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []req{careReq(nhsRich, "SUM"), structuredReq(nhsRich, param("includeAllergies"))} {
		if code, b, _ := f.do(r); code != 200 {
			t.Errorf("%s after withdrawing: %d %v", r.path, code, b)
		}
	}
}

// Medications as the workspace prescribes them: a repeat issued twice
// and stopped is a discontinued repeat with its reason and two issues; an
// acute issued last month is in the acute subsection; a hospital
// medicine says it was prescribed elsewhere.
func TestCareRecordMedication(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite)
	gp, rx, first := f.seedStoppedRepeat(t, "Ramipril 5mg capsules", "capsule", "Dry cough")
	acute := rx
	acute.Medicine, acute.Course, acute.Issues, acute.Dose = clinical.Medicine{Code: "323509004", Name: "Amoxicillin 500mg capsules", Unit: "capsule"}, "acute", "", "one three times a day"
	a := asJSON(t, acute.Authorisation("rich", gp.Ref, 0, nil, f.now.AddDate(0, -1, 0)))
	a["id"] = "acute1"
	f.put(a)
	ms := asJSON(t, clinical.Elsewhere{Medicine: clinical.Medicine{Code: "322236009", Name: "Paracetamol 500mg tablets", Unit: "tablet"},
		Dose: "two four times a day", Source: "hospital"}.Resource("rich", clinical.Ref{Reference: "Practitioner/gp1"}, f.now))
	ms["id"] = "ms1"
	f.put(ms)

	div := careDiv(t, f, careReq(nhsRich, "MED"), "MED")
	section := func(title string) string {
		_, after, _ := strings.Cut(div, "<h2>"+title+"</h2>")
		before, _, _ := strings.Cut(after, "<h2>")
		return html.UnescapeString(before)
	}
	wantIn(t, "discontinued", section("Discontinued Repeat Medication"), "Ramipril 5mg capsules", "Dry cough", "one daily", "28 capsule")
	wantIn(t, "acute", section("Acute Medication (Last 12 Months)"), "Amoxicillin 500mg capsules", "one three times a day",
		dmy(f.now.AddDate(0, -1, 28).In(clinical.London).Format("2006-01-02")), "calculated from start date and days duration")
	wantIn(t, "issues", section("All Medication Issues"), "Ramipril 5mg capsules", dmy(first.In(clinical.London).Format("2006-01-02")),
		dmy(first.AddDate(0, 0, 28).In(clinical.London).Format("2006-01-02")))
	wantIn(t, "all", section("All Medication"), "Paracetamol 500mg tablets", "Prescribed elsewhere", "Discontinued")
	wantNotIn(t, "current repeats", section("Current Repeat Medication"), "Ramipril")
}

// TestCareRecordReferrals: the Referrals section lists the outbound
// referrals the structured record maps (the same reader), in the period.
func TestCareRecordReferrals(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite)
	f.seedWorkspace()
	div := careDiv(t, f, careReq(nhsRich, "REF"), "REF")
	wantIn(t, "REF", div, `<table id="ref-tab">`, "Leeds Rheumatology", "asap", "01-Mar-2020", "routine")
	div = careDiv(t, f, careReq(nhsRich, "REF", "", "2021-01-01"), "REF")
	wantIn(t, "REF period", div, "Data items until 01-Jan-2021", "01-Mar-2020")
	wantNotIn(t, "REF period", div, "asap")
}
