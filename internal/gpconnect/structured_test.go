package gpconnect

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

func structuredReq(nhs string, params ...any) req {
	ps := []any{map[string]any{"name": "patientNHSNumber", "valueIdentifier": map[string]any{"system": NHSNumberSystem, "value": nhs}}}
	ps = append(ps, params...)
	return req{method: "POST", path: "/structured/fhir/Patient/$gpc.getstructuredrecord", interaction: "fhir:operation:gpc.getstructuredrecord-1",
		scope: "patient/*.read", body: map[string]any{"resourceType": "Parameters", "parameter": ps}}
}

func param(name string, parts ...any) map[string]any {
	p := map[string]any{"name": name}
	if len(parts) > 0 {
		p["part"] = parts
	}
	return p
}

// listItems returns the ids a List with the SNOMED code refers to (nil
// when there is no such List).
func listItems(b fhir.Resource, code string) []string {
	for _, l := range entriesOf(b, "List") {
		if firstCode(l["code"]) == code {
			ids := []string{}
			for _, e := range list(l["entry"]) {
				ids = append(ids, str(obj(obj(e)["item"])["reference"]))
			}
			return ids
		}
	}
	return nil
}

// Access Record Structured: the coded Lists and their entries as the
// specification asks, entered-in-error and confidential entries left
// out, filters applied, and the patients who are not shared refused with
// the right code.
func TestStructuredRecord(t *testing.T) { forEachStore(t, testStructuredRecord) }

func testStructuredRecord(t *testing.T, open func(testing.TB) store.Store) {
	f := newFixture(t, open)
	code, b, _ := f.do(structuredReq(nhsRich,
		param("includeAllergies", map[string]any{"name": "includeResolvedAllergies", "valueBoolean": true}),
		param("includeMedication", map[string]any{"name": "includePrescriptionIssues", "valueBoolean": true}),
		param("includeProblems"), param("includeImmunisations"), param("includeConsultations"), param("includeInvestigations")))
	if code != 200 || b["type"] != "collection" {
		t.Fatalf("%d %v", code, b)
	}
	if got := listItems(b, "886921000000105"); !slices.Equal(got, []string{"AllergyIntolerance/alg-active"}) {
		t.Errorf("allergies list %v (entered in error and confidential left out)", got)
	}
	if got := listItems(b, "1103671000000101"); !slices.Equal(got, []string{"AllergyIntolerance/alg-ended"}) {
		t.Errorf("ended allergies list %v", got)
	}
	if got := listItems(b, "933361000000108"); !slices.Equal(got, []string{"MedicationStatement/stmt-med1"}) {
		t.Errorf("medications list %v", got)
	}
	if got := listItems(b, "717711000000103"); len(got) != 3 {
		t.Errorf("problems list %v", got)
	}
	for _, c := range entriesOf(b, "Condition") {
		labelled := len(list(obj(c["meta"])["security"])) > 0
		if labelled != (c.ID() == "prob-nopat") {
			t.Errorf("%s: no-disclosure-to-patient label %v", c.ID(), obj(c["meta"])["security"])
		}
	}
	if got := listItems(b, "1102181000000102"); !slices.Equal(got, []string{"Immunization/imm1"}) {
		t.Errorf("immunisations list %v", got)
	}
	if got := listItems(b, "1149501000000101"); got == nil || len(got) != 0 {
		t.Errorf("no consultations recorded: %v", got)
	}
	for _, l := range entriesOf(b, "List") {
		if firstCode(l["code"]) == "887191000000108" && firstCode(l["emptyReason"]) != "no-content-recorded" {
			t.Errorf("no investigations recorded: %v", l)
		}
	}
	for _, typ := range []string{"Patient", "Organization", "Practitioner", "MedicationRequest", "Medication"} {
		if len(entriesOf(b, typ)) == 0 {
			t.Errorf("no %s in the bundle", typ)
		}
	}
	for _, e := range entriesOf(b, "") {
		if strings.Contains(e.ID(), "confidential") || strings.Contains(e.ID(), "error") {
			t.Errorf("%s/%s is in the bundle", e.Type(), e.ID())
		}
	}
	alg := entriesOf(b, "AllergyIntolerance")
	for _, a := range alg {
		if _, isString := a["clinicalStatus"].(string); !isString {
			t.Errorf("STU3 clinicalStatus is a code: %v", a["clinicalStatus"])
		}
		if a.ID() == "alg-ended" && extValue(a, allergyEndExtURL, "extension") == nil {
			t.Errorf("the ended allergy has no end extension: %v", a)
		}
	}
	plan := entriesOf(b, "MedicationRequest")[0]
	if plan["intent"] != "plan" || firstCode(extValue(plan, prescriptionTypeURL, "valueCodeableConcept")) != "repeat" {
		t.Errorf("authorisation %v", plan)
	}

	// Filters: ended allergies only when asked; active major problems.
	_, b, _ = f.do(structuredReq(nhsRich, param("includeAllergies", map[string]any{"name": "includeResolvedAllergies", "valueBoolean": false}),
		param("includeProblems", map[string]any{"name": "filterStatus", "valueCode": "active"}, map[string]any{"name": "filterSignificance", "valueCode": "major"})))
	if listItems(b, "1103671000000101") != nil {
		t.Errorf("ended allergies sent without being asked for")
	}
	if got := listItems(b, "717711000000103"); !slices.Equal(got, []string{"Condition/prob1"}) {
		t.Errorf("active major problems %v", got)
	}
	if listItems(b, "933361000000108") != nil {
		t.Errorf("medications sent without being asked for")
	}

	for _, c := range []struct {
		name   string
		r      req
		status int
		code   string
	}{
		{"sensitive", structuredReq(nhsSensitive, param("includeAllergies")), 404, PatientNotFound},
		{"deceased", structuredReq(nhsDeceased, param("includeAllergies")), 404, PatientNotFound},
		{"not traced", structuredReq(nhsUntraced, param("includeAllergies")), 404, PatientNotFound},
		{"temporary resident", structuredReq(nhsTemporary, param("includeAllergies")), 404, PatientNotFound},
		{"not registered", structuredReq(nhsNowhere, param("includeAllergies")), 404, PatientNotFound},
		{"dissented", structuredReq(nhsDissent, param("includeAllergies")), 403, NoPatientConsent},
		{"invalid NHS number", structuredReq("9434765918", param("includeAllergies")), 400, InvalidNHSNumber},
		{"unknown parameter", structuredReq(nhsRich, param("includeEverything")), 422, InvalidParameter},
		{"unknown part", structuredReq(nhsRich, param("includeAllergies", map[string]any{"name": "x", "valueBoolean": true})), 422, InvalidParameter},
		{"bad filter", structuredReq(nhsRich, param("includeProblems", map[string]any{"name": "filterStatus", "valueCode": "maybe"})), 422, InvalidParameter},
		{"partial medication date", structuredReq(nhsRich, param("includeMedication", map[string]any{"name": "medicationSearchFromDate", "valueDate": "2026-01"})), 422, InvalidParameter},
		{"medication date with a time", structuredReq(nhsRich, param("includeMedication", map[string]any{"name": "medicationSearchFromDate", "valueDate": "2026-01-01T10:00:00Z"})), 422, InvalidParameter},
		{"medication date not a date", structuredReq(nhsRich, param("includeMedication", map[string]any{"name": "medicationSearchFromDate", "valueDate": "2026-02-30"})), 422, InvalidParameter},
		{"issues not a boolean", structuredReq(nhsRich, param("includeMedication", map[string]any{"name": "includePrescriptionIssues", "valueString": "no"})), 422, InvalidParameter},
		{"no NHS number", req{method: "POST", path: "/structured/fhir/Patient/$gpc.getstructuredrecord", interaction: "fhir:operation:gpc.getstructuredrecord-1",
			scope: "patient/*.read", body: map[string]any{"resourceType": "Parameters", "parameter": []any{param("includeAllergies")}}}, 422, InvalidParameter},
		{"not Parameters", req{method: "POST", path: "/structured/fhir/Patient/$gpc.getstructuredrecord", interaction: "fhir:operation:gpc.getstructuredrecord-1",
			scope: "patient/*.read", body: map[string]any{"resourceType": "Patient"}}, 422, InvalidResource},
	} {
		code, b, _ := f.do(c.r)
		if code != c.status || spineCode(b) != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, code, spineCode(b), c.status, c.code)
		}
	}
	if code, cs, _ := f.do(req{method: "GET", path: "/structured/fhir/metadata", interaction: "structured:fhir:rest:read:metadata-1", scope: "organization/*.read"}); code != 200 || cs["version"] != "1.6.0" {
		t.Errorf("structured metadata: %d %v", code, cs)
	}
}

// Every request, refused or not, is an AuditEvent naming the consumer's
// organisation, user and reason; a record read names the patient.
func TestAudit(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite)
	f.do(structuredReq(nhsRich, param("includeAllergies")))
	refused := structuredReq(nhsRich, param("includeAllergies"))
	refused.claims = func(c map[string]any) { c["exp"] = c["iat"].(int64) + 3600 }
	f.do(refused)
	f.trail.Flush()
	out, err := f.svc.Search(context.Background(), service.SearchRequest{Type: "AuditEvent", Params: url.Values{"_count": {"100"}}})
	if err != nil {
		t.Fatal(err)
	}
	var sawRead, sawRefusal bool
	for _, ae := range matches(out.Resource) {
		b, _ := fhir.Marshal(ae)
		s := string(b)
		if strings.Contains(s, "Patient/rich") && strings.Contains(s, `"value":"RYA"`) && strings.Contains(s, "111222333444") &&
			strings.Contains(s, "urn:nhs:gpconnect:reason:directcare") && strings.Contains(s, "Dr Claire Jones") &&
			strings.Contains(s, "gpc.getstructuredrecord-1") && ae["action"] == "E" {
			sawRead = true
		}
		if str(ae["outcome"]) == "4" && strings.Contains(s, BadRequest) && strings.Contains(s, `"value":"RYA"`) && strings.Contains(s, "unchecked:directcare") {
			sawRefusal = true
		}
	}
	if !sawRead {
		t.Errorf("no AuditEvent names the patient with the consumer's organisation, user and reason")
	}
	if !sawRefusal {
		t.Errorf("the refused request was not audited with the organisation its token claimed")
	}
}

// Round trip: a consultation recorded as the workspace records it
// (clinical.PlanConsultation, written as its transaction) comes back as
// GP Connect's consultation structure: the List of consultations naming
// the Encounter, the consultation List, a topic List linked to the
// problem, heading Lists with the notes and coded entries under them.
func TestConsultationRoundTrip(t *testing.T) { forEachStore(t, testConsultationRoundTrip) }

func testConsultationRoundTrip(t *testing.T, open func(testing.TB) store.Store) {
	f := newFixture(t, open)
	ctx := context.Background()
	prob, err := f.svc.Read(ctx, "Condition", "prob1")
	if err != nil {
		t.Fatal(err)
	}
	probRes, _ := fhir.Unmarshal(prob.Version.Body)
	record := func(start time.Time, note string) {
		c := &clinical.Consultation{PatientID: "rich", Practice: "org1", Type: "face-to-face", Start: start,
			Clinician: clinical.Ref{Reference: "Practitioner/gp1", Display: "Dr Aisha Khan"}, Author: clinical.Ref{Reference: "Practitioner/gp1", Display: "Dr Aisha Khan"},
			Topics: []clinical.Topic{{Title: "Hypertension", Problem: "Condition/prob1", ProblemDisplay: "Hypertension",
				Notes:   map[string]string{"history": note, "plan": "Review in 3 months"},
				Entries: []clinical.CodedEntry{{Heading: "examination", Concept: clinical.Concept{Code: "271649006", Display: "Systolic blood pressure"}, Comment: "Sitting"}}}}}
		recordConsultation(t, f, c, probRes)
	}
	record(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC), "Headaches for a week")
	record(time.Date(2026, 9, 1, 10, 0, 0, 0, time.UTC), "Headaches gone")

	code, b, _ := f.do(structuredReq(nhsRich, param("includeConsultations")))
	if code != 200 {
		t.Fatalf("%d %v", code, b)
	}
	encs := listItems(b, "1149501000000101")
	if len(encs) != 2 || !strings.HasPrefix(encs[0], "Encounter/") {
		t.Fatalf("List of consultations %v", encs)
	}
	byID := map[string]fhir.Resource{}
	for _, r := range entriesOf(b, "") {
		byID[r.Type()+"/"+r.ID()] = r
	}
	if byID[encs[0]] == nil || str(obj(byID[encs[0]]["period"])["start"]) < str(obj(byID[encs[1]]["period"])["start"]) {
		t.Errorf("encounters missing or not most recent first: %v", encs)
	}
	var consultations, topics, headings int
	var notes []string
	for _, l := range entriesOf(b, "List") {
		switch firstCode(l["code"]) {
		case consultationListCode:
			consultations++
		case topicListCode:
			topics++
			target := obj(list(obj(list(l["extension"])[0])["extension"])[0])["valueReference"]
			if str(obj(target)["reference"]) != "Condition/prob1" || l["title"] != "Hypertension" {
				t.Errorf("topic %v", l)
			}
		case headingListCode:
			headings++
			for _, e := range list(l["entry"]) {
				o := byID[str(obj(obj(e)["item"])["reference"])]
				if o == nil {
					t.Errorf("heading %s refers to %v, not in the bundle", l["title"], e)
					continue
				}
				if o["context"] == nil {
					t.Errorf("observation without its encounter (context): %v", o)
				}
				notes = append(notes, str(l["title"])+": "+str(o["valueString"])+firstCode(o["code"]))
			}
		}
	}
	if consultations != 2 || topics != 2 || headings != 6 {
		t.Errorf("%d consultations, %d topics, %d headings; want 2, 2, 6", consultations, topics, headings)
	}
	joined := strings.Join(notes, "|")
	for _, want := range []string{"History: Headaches gone37331000000100", "Plan: Review in 3 months", "Examination: 271649006"} {
		if !strings.Contains(joined, want) {
			t.Errorf("%q missing from %s", want, joined)
		}
	}
	if byID["Condition/prob1"] == nil {
		t.Errorf("the topic's problem is not in the bundle")
	}

	// The most recent one only; a search period.
	_, b, _ = f.do(structuredReq(nhsRich, param("includeConsultations", map[string]any{"name": "includeConsultationsMostRecent", "valuePositiveInt": 1})))
	if got := listItems(b, "1149501000000101"); len(got) != 1 || got[0] != encs[0] {
		t.Errorf("most recent: %v", got)
	}
	_, b, _ = f.do(structuredReq(nhsRich, param("includeConsultations", map[string]any{"name": "consultationSearchPeriod",
		"valuePeriod": map[string]any{"start": "2026-01-01", "end": "2026-06-30"}})))
	if got := listItems(b, "1149501000000101"); len(got) != 1 || got[0] != encs[1] {
		t.Errorf("period: %v", got)
	}
	// Uncategorised data: the coded entries, not the notes, not results.
	f.put(fhir.Resource{"resourceType": "Observation", "id": "lab1", "status": "final", "subject": ref("Patient/rich"),
		"category":          []any{coded("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory")},
		"code":              map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": "1022441000000105", "display": "Serum sodium"}}},
		"effectiveDateTime": "2026-09-01T09:00:00Z"})
	_, b, _ = f.do(structuredReq(nhsRich, param("includeUncategorisedData")))
	uncat := listItems(b, "826501000000100")
	if len(uncat) != 2 {
		t.Errorf("uncategorised data %v, want the two coded blood pressures", uncat)
	}
	for _, ref := range uncat {
		if o := entriesOf(b, "Observation"); len(o) == 0 || strings.Contains(ref, "lab1") {
			t.Errorf("uncategorised %s", ref)
		}
	}
	_, b, _ = f.do(structuredReq(nhsRich, param("includeUncategorisedData", map[string]any{"name": "uncategorisedDataSearchPeriod",
		"valuePeriod": map[string]any{"start": "2026-06-01"}})))
	if got := listItems(b, "826501000000100"); len(got) != 1 {
		t.Errorf("uncategorised data since June: %v", got)
	}
	if code, b, _ := f.do(structuredReq(nhsRich, param("includeConsultations", map[string]any{"name": "includeConsultationsMostRecent", "valuePositiveInt": 1},
		map[string]any{"name": "consultationSearchPeriod", "valuePeriod": map[string]any{"start": "2026-01-01"}}))); code != 422 || spineCode(b) != InvalidParameter {
		t.Errorf("both filters: %d %v", code, b)
	}
}

// Round trip of the record's entries: a problem, an allergy and an
// immunisation as the workspace builds them (clinical.NewProblem,
// NewAllergy, NewImmunisation), written through the service, come back
// in their Lists with their SNOMED CT codes, significance, status and
// dates as GP Connect names them.
func TestRecordEntriesRoundTrip(t *testing.T) { forEachStore(t, testRecordEntriesRoundTrip) }

func testRecordEntriesRoundTrip(t *testing.T, open func(testing.TB) store.Store) {
	f := newFixture(t, open)
	ctx := context.Background()
	gp := clinical.Ref{Reference: "Practitioner/gp1", Display: "Dr Aisha Khan"}
	now := time.Now()
	create := func(built fhir.Resource) string {
		// As the pages send it: through JSON.
		raw, err := fhir.Marshal(built)
		if err != nil {
			t.Fatal(err)
		}
		r, err := fhir.Unmarshal(raw)
		if err != nil {
			t.Fatal(err)
		}
		out, err := f.svc.Create(ctx, r.Type(), r, "")
		if err != nil {
			t.Fatalf("%s: %v", r.Type(), err)
		}
		return out.Version.ID
	}
	prob := create(clinical.NewProblem{Code: clinical.Concept{Code: "73211009", Display: "Diabetes mellitus"}, Significance: "major", Status: "active", Onset: "2024-02-03"}.Resource("rich", gp, now))
	alg := create(clinical.NewAllergy{Substance: clinical.Concept{Code: "227493005", Display: "Cashew nuts"}, Type: "allergy", Category: "food",
		Reaction: "Swollen lips", Severity: "severe", Certainty: "confirmed"}.Resource("rich", gp, now))
	imm := create(clinical.NewImmunisation{Vaccine: clinical.Concept{Code: "39114911000001105", Display: "Influenza vaccine"}, Given: true,
		Date: now.Format("2006-01-02"), Batch: "AB123", Expiry: now.AddDate(1, 0, 0).Format("2006-01-02"), Route: "IM", Site: "LA", Consent: "patient", Dose: 1}.Resource("rich", gp, now))

	_, b, _ := f.do(structuredReq(nhsRich, param("includeAllergies"), param("includeProblems", map[string]any{"name": "filterSignificance", "valueCode": "major"}), param("includeImmunisations")))
	byID := map[string]fhir.Resource{}
	for _, r := range entriesOf(b, "") {
		byID[r.Type()+"/"+r.ID()] = r
	}
	p := byID["Condition/"+prob]
	if p == nil || !slices.Contains(listItems(b, "717711000000103"), "Condition/"+prob) {
		t.Fatalf("the problem is not in the Problems list")
	}
	if firstCode(p["code"]) != "73211009" || p["clinicalStatus"] != "active" || str(extValue(p, problemSignifExtURL, "valueCode")) != "major" || p["onsetDateTime"] != "2024-02-03" {
		t.Errorf("problem %v", p)
	}
	a := byID["AllergyIntolerance/"+alg]
	if a == nil || !slices.Contains(listItems(b, "886921000000105"), "AllergyIntolerance/"+alg) {
		t.Fatalf("the allergy is not in the Allergies list")
	}
	rx := obj(list(a["reaction"])[0])
	if firstCode(a["code"]) != "227493005" || a["clinicalStatus"] != "active" || a["verificationStatus"] != "unconfirmed" || rx["severity"] != "severe" {
		t.Errorf("allergy %v", a)
	}
	im := byID["Immunization/"+imm]
	if im == nil || !slices.Contains(listItems(b, "1102181000000102"), "Immunization/"+imm) {
		t.Fatalf("the immunisation is not in the Immunisations list")
	}
	if firstCode(im["vaccineCode"]) != "39114911000001105" || im["notGiven"] != false || im["lotNumber"] != "AB123" || im["date"] == nil ||
		len(list(im["vaccinationProtocol"])) != 1 {
		t.Errorf("immunisation %v", im)
	}
}

func TestDosagesSTU3(t *testing.T) {
	got := dosagesSTU3([]any{map[string]any{"text": "One twice a day", "doseAndRate": []any{map[string]any{
		"type": map[string]any{"text": "ordered"}, "doseQuantity": map[string]any{"value": 1, "unit": "tablet"}}}}})
	d := obj(got[0])
	if d["text"] != "One twice a day" || d["doseQuantity"] == nil || d["doseAndRate"] != nil || d["type"] != nil {
		t.Errorf("%v", d)
	}
	if dosagesSTU3(nil) != nil {
		t.Errorf("no dosage")
	}
}

// Medication over HTTP: a repeat made by a prescriber (their
// PractitionerRole), issued twice and stopped, is one statement in the
// List, one plan and two orders based on it, its recorder the
// Practitioner; a medicine from the hospital is a statement and plan with
// no orders; no orders at all when includePrescriptionIssues is false; a
// search date after today is refused.
func TestStructuredRecordMedication(t *testing.T) { forEachStore(t, testStructuredRecordMedication) }

func testStructuredRecordMedication(t *testing.T, open func(testing.TB) store.Store) {
	f := newFixture(t, open)
	gp, rx, first := f.seedStoppedRepeat(t, "Amlodipine 5mg tablets", "tablet", "Ankle swelling")
	// A repeat reauthorised: the old authorisation (issued long ago) is
	// completed, the new one names it as its prior prescription.
	old := asJSON(t, rx.Authorisation("rich", gp.Ref, 1, nil, f.now.AddDate(-1, 0, 0)))
	old["id"] = "old1"
	oldIssue := asJSON(t, clinical.IssueBy(old, "MedicationRequest/old1", gp, f.now.AddDate(-1, 0, 0)))
	oldIssue["id"] = "old1-issue1"
	f.put(oldIssue)
	f.put(asJSON(t, clinical.Reauthorised(old)))
	rx2 := rx
	rx2.Prior = "MedicationRequest/old1"
	renewed := asJSON(t, rx2.Authorisation("rich", gp.Ref, 0, nil, f.now))
	renewed["id"] = "new1"
	f.put(renewed)
	// A medicine from the hospital, recorded by the practice.
	ms := asJSON(t, clinical.Elsewhere{Medicine: clinical.Medicine{Code: "322236009", Name: "Paracetamol 500mg tablets", Unit: "tablet"},
		Dose: "two four times a day", Source: "hospital"}.Resource("rich", clinical.Ref{Reference: "Practitioner/gp1"}, f.now))
	ms["id"] = "ms1"
	f.put(ms)

	withIssues := func(include *bool, from string) fhir.Resource {
		t.Helper()
		var parts []any
		if include != nil {
			parts = append(parts, map[string]any{"name": "includePrescriptionIssues", "valueBoolean": *include})
		}
		if from != "" {
			parts = append(parts, map[string]any{"name": "medicationSearchFromDate", "valueDate": from})
		}
		code, b, _ := f.do(structuredReq(nhsRich, param("includeMedication", parts...)))
		if code != 200 {
			t.Fatalf("%d %v", code, b)
		}
		return b
	}
	requests := func(b fhir.Resource) (plans, orders []fhir.Resource) {
		for _, m := range entriesOf(b, "MedicationRequest") {
			if m["intent"] == "plan" {
				plans = append(plans, m)
			} else {
				orders = append(orders, m)
			}
		}
		return plans, orders
	}

	// Issues are sent unless asked not to (the default is true).
	b := withIssues(nil, "")
	items := listItems(b, "933361000000108")
	slices.Sort(items)
	if !slices.Equal(items, []string{"MedicationStatement/stmt-med1", "MedicationStatement/stmt-ms-ms1", "MedicationStatement/stmt-new1",
		"MedicationStatement/stmt-old1", "MedicationStatement/stmt-rep1"}) {
		t.Errorf("medications list %v: one statement per authorisation", items)
	}
	var stmt fhir.Resource
	for _, s := range entriesOf(b, "MedicationStatement") {
		if s.ID() == "stmt-rep1" {
			stmt = s
		}
	}
	if stmt["status"] != "stopped" || str(obj(list(stmt["basedOn"])[0])["reference"]) != "MedicationRequest/auth-rep1" ||
		str(extValue(stmt, lastIssueDateURL, "valueDateTime")) != first.AddDate(0, 0, 28).In(clinical.London).Format("2006-01-02") {
		t.Errorf("statement %v", stmt)
	}
	plans, orders := requests(b)
	var plan fhir.Resource
	for _, p := range plans {
		if p.ID() == "auth-rep1" {
			plan = p
		}
	}
	if plan == nil || plan["status"] != "stopped" || extValue(plan, medStatusReasonURL, "extension") == nil ||
		extValue(plan, repeatInformationURL, "extension") == nil || str(obj(plan["recorder"])["reference"]) != "Practitioner/gp1" {
		t.Errorf("plan %v", plan)
	}
	if len(orders) != 3 {
		t.Fatalf("%d orders, want the repeat's two issues and the old one's", len(orders))
	}
	if prior := priorOf(plans, "auth-new1"); prior != "MedicationRequest/auth-old1" {
		t.Errorf("the reauthorisation's prior prescription %q", prior)
	}
	for _, o := range orders {
		if o.ID() == "issue-old1-issue1" {
			continue
		}
		if str(obj(list(o["basedOn"])[0])["reference"]) != "MedicationRequest/auth-rep1" || str(obj(o["recorder"])["reference"]) != "Practitioner/gp1" {
			t.Errorf("order %v", o)
		}
	}
	found := false
	for _, p := range entriesOf(b, "Practitioner") {
		found = found || p.ID() == "gp1"
	}
	if !found {
		t.Errorf("the recorder's Practitioner is not in the bundle")
	}

	// Not asked for: statements and plans only.
	no := false
	b = withIssues(&no, "")
	if plans, orders := requests(b); len(orders) != 0 || len(plans) != 5 {
		t.Errorf("includePrescriptionIssues false: %d plans, %d orders", len(plans), len(orders))
	}

	// A date after today is refused; from today, the stopped repeat (ended
	// today) is still sent, the active ones too.
	today := f.now.In(clinical.London).Format("2006-01-02")
	if code, _, _ := f.do(structuredReq(nhsRich, param("includeMedication",
		map[string]any{"name": "medicationSearchFromDate", "valueDate": f.now.AddDate(0, 0, 2).Format("2006-01-02")}))); code != 422 {
		t.Errorf("a search date after today: %d", code)
	}
	// The old authorisation ended a year ago: left out, and the new one no
	// longer points at it.
	b = withIssues(nil, today)
	if got := listItems(b, "933361000000108"); len(got) != 4 || slices.Contains(got, "MedicationStatement/stmt-old1") {
		t.Errorf("from today: %v", got)
	}
	if plans, _ := requests(b); priorOf(plans, "auth-new1") != "" {
		t.Errorf("a prior prescription not in the Bundle is referenced")
	}

	// In XML: the plan's and orders' elements are written (basedOn,
	// groupIdentifier, the nested repeat information and status reason).
	code, x, _ := f.doXML(structuredReq(nhsRich, param("includeMedication")), "application/fhir+xml")
	for _, want := range []string{`<intent value="order"/>`, `<groupIdentifier>`, `<extension url="numberOfRepeatPrescriptionsIssued"><valuePositiveInt value="2"/>`, `url="` + medStatusReasonURL + `"`, `<reference value="MedicationRequest/auth-rep1"/>`} {
		if code != 200 || !strings.Contains(string(x), want) {
			t.Errorf("XML structured record (%d) has no %s", code, want)
		}
	}
}

// priorOf is the priorPrescription reference of the plan with that id.
func priorOf(plans []fhir.Resource, id string) string {
	for _, p := range plans {
		if p.ID() == id {
			return str(obj(p["priorPrescription"])["reference"])
		}
	}
	return ""
}
