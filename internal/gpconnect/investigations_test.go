package gpconnect

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// labMessage is a pathology message (DAPB4101 shape) for the rich
// patient: a full blood count of two tests, quoting order number ORD-7.
const labMessage = `{"resourceType":"Bundle","type":"message","entry":[
 {"fullUrl":"urn:uuid:h","resource":{"resourceType":"MessageHeader","id":"h1","eventCoding":{"system":"https://fhir.nhs.uk/CodeSystem/message-event","code":"pathology-test-report"},"source":{"name":"Leeds Pathology"}}},
 {"fullUrl":"urn:uuid:dr","resource":{"resourceType":"DiagnosticReport","identifier":[{"system":"https://lab.example/report","value":"R1"}],"status":"final","code":{"text":"Full blood count"},"subject":{"reference":"urn:uuid:pt"},"issued":"2026-11-30T09:00:00Z","performer":[{"reference":"urn:uuid:org"}],"basedOn":[{"reference":"urn:uuid:sr"}],"result":[{"reference":"urn:uuid:fbc"}],"specimen":[{"reference":"urn:uuid:sp"}],"conclusion":"Low haemoglobin"}},
 {"fullUrl":"urn:uuid:sp","resource":{"resourceType":"Specimen","type":{"coding":[{"system":"http://snomed.info/sct","code":"87612001","display":"Blood"}]},"subject":{"reference":"urn:uuid:pt"},"collection":{"collectedDateTime":"2026-11-29T09:30:00Z"}}},
 {"fullUrl":"urn:uuid:pt","resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"name":[{"family":"Test-rich","given":["Sam"]}],"birthDate":"1970-01-01"}},
 {"fullUrl":"urn:uuid:org","resource":{"resourceType":"Organization","name":"Leeds Teaching Hospitals Pathology"}},
 {"fullUrl":"urn:uuid:sr","resource":{"resourceType":"ServiceRequest","identifier":[{"system":"https://gpcloud.dev/fhir/Id/order-number","value":"ORD-7"}],"status":"active","intent":"order","subject":{"reference":"urn:uuid:pt"}}},
 {"fullUrl":"urn:uuid:fbc","resource":{"resourceType":"Observation","status":"final","code":{"text":"Full blood count"},"subject":{"reference":"urn:uuid:pt"},"hasMember":[{"reference":"urn:uuid:hb"},{"reference":"urn:uuid:plt"}]}},
 {"fullUrl":"urn:uuid:hb","resource":{"resourceType":"Observation","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],"code":{"coding":[{"system":"http://snomed.info/sct","code":"1022431000000105","display":"Haemoglobin estimation"}]},"subject":{"reference":"urn:uuid:pt"},"specimen":{"reference":"urn:uuid:sp"},"valueQuantity":{"value":98,"unit":"g/L"},"referenceRange":[{"low":{"value":115,"unit":"g/L"},"high":{"value":165,"unit":"g/L"}}],"interpretation":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation","code":"L"}]}],"note":[{"text":"Repeat in 2 weeks"}]}},
 {"fullUrl":"urn:uuid:plt","resource":{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://snomed.info/sct","code":"1022651000000100","display":"Platelet count"}]},"subject":{"reference":"urn:uuid:pt"},"valueQuantity":{"value":250,"unit":"10*9/L"}}}
]}`

// seedWorkspace records for the rich patient what the workspace records,
// with the practice's own code: a test request, its result arriving from
// the lab, matched and filed by a GP with a comment; a result still
// waiting to be filed; a confidential one; a report imported with the
// record (results by reference, a specimen); referrals; recalls.
func (f *fixture) seedWorkspace() {
	f.t.Helper()
	gp := clinical.Ref{Reference: "Practitioner/gp1", Display: "Dr Aisha Khan"}
	patient := clinical.Ref{Reference: "Patient/rich"}
	banner := clinical.Banner{ID: "rich", Name: "TEST-RICH, Sam", NHSNumber: nhsRich}
	f.put(fhir.Resource{"resourceType": "PractitionerRole", "id": "role-gp1", "practitioner": ref("Practitioner/gp1")})

	tr := clinical.NewTestRequest{Tests: "Full blood count", Reason: "Tired all the time", Urgency: "routine", Patient: patient,
		Requester: clinical.Ref{Reference: "PractitionerRole/role-gp1"}}
	if errs := tr.Check(); len(errs) > 0 {
		f.t.Fatal(errs)
	}
	sr := tr.Resource("ORD-7", f.now.AddDate(0, 0, -3))
	sr["id"] = "test-request"
	f.put(sr)

	msg, err := fhir.Unmarshal([]byte(labMessage))
	if err != nil {
		f.t.Fatal(err)
	}
	items, _, err := clinical.InboxItemsFromMessage(msg)
	if err != nil {
		f.t.Fatal(err)
	}
	filed := clinical.Filed(clinical.MatchTo(items[0], banner),
		clinical.Filing{Action: "discuss", Comment: "Low Hb: iron studies", By: gp}, f.now.Add(-time.Hour))
	filed["id"] = "fbc"
	f.put(filed)
	waiting := clinical.MatchTo(items[0], banner)
	waiting["id"] = "to-file"
	f.put(waiting)
	secret := clinical.Filed(clinical.MatchTo(items[0], banner), clinical.Filing{Action: "none", Comment: "ok", By: gp}, f.now)
	secret["id"] = "confidential-report"
	secret["meta"].(map[string]any)["security"] = []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R"}}
	f.put(secret)

	// A report that came with the record (GP2GP, an import): results by
	// reference, a specimen contained, no inbox filing.
	f.put(fhir.Resource{"resourceType": "Observation", "id": "old-hba1c", "status": "final", "subject": ref("Patient/rich"),
		"category":      []any{coded("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory")},
		"code":          map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": "1049301000000100", "display": "HbA1c level"}}},
		"valueQuantity": map[string]any{"value": json.Number("48"), "unit": "mmol/mol"}, "effectiveDateTime": "2019-05-01"})
	f.put(fhir.Resource{"resourceType": "DiagnosticReport", "id": "imported", "status": "final", "subject": ref("Patient/rich"),
		"code": map[string]any{"text": "HbA1c"}, "issued": "2019-05-02T10:00:00Z", "result": []any{ref("Observation/old-hba1c")},
		"contained": []any{map[string]any{"resourceType": "Specimen", "id": "s1", "type": map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": "87612001", "display": "Blood"}}},
			"collection": map[string]any{"collectedDateTime": "2019-05-01T09:00:00Z"}}},
		"specimen": []any{ref("#s1")}})

	ref1 := clinical.NewReferral{Service: "Leeds Rheumatology", Recipient: "Dr Patel", Type: "assessment", Urgency: "usc",
		Reason: "Suspected myeloma", Supporting: "Bone pain, raised calcium", Requester: gp, Patient: patient}
	if errs := ref1.Check(); len(errs) > 0 {
		f.t.Fatal(errs)
	}
	r := ref1.Resource("DocumentReference/letter", f.now.AddDate(0, 0, -2))
	r["id"] = "referral"
	r["meta"] = map[string]any{"security": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "NOPAT"}}}
	delete(r, "supportingInfo")
	f.put(r)
	old := ref1
	old.Urgency = "routine"
	r = old.Resource("", time.Date(2020, 3, 1, 10, 0, 0, 0, time.UTC))
	r["id"], r["status"] = "referral-2020", "revoked"
	delete(r, "supportingInfo")
	f.put(r)
	r = old.Resource("", f.now.AddDate(0, 0, -1))
	r["id"], r["status"] = "referral-error", "entered-in-error"
	delete(r, "supportingInfo")
	f.put(r)

	recall := func(id, what, due, status string) {
		n := clinical.NewRecall{Kind: "review", What: what, Patient: patient, Requester: gp}
		d, _ := time.Parse("2006-01-02", due)
		n.DueDay, n.DueMonth, n.DueYear = d.Format("2"), d.Format("1"), d.Format("2006")
		if errs := n.Check(f.now.AddDate(-1, 0, 0)); len(errs) > 0 {
			f.t.Fatal(errs)
		}
		res := n.Resource(f.now.AddDate(0, -1, 0))
		res["id"], res["status"] = id, status
		f.put(res)
	}
	// Two repeats due for review on one date, one stopped: one medication
	// review diary entry naming both.
	review := f.now.AddDate(0, 3, 0).Format("2006-01-02")
	for id, status := range map[string]string{"rep-a": "active", "rep-b": "active", "rep-stopped": "stopped"} {
		f.put(fhir.Resource{"resourceType": "MedicationRequest", "id": id, "status": status, "intent": "plan", "subject": ref("Patient/rich"),
			"medicationCodeableConcept": map[string]any{"text": "Medicine " + id}, "authoredOn": "2026-01-01",
			"requester": ref("PractitionerRole/role-gp1"),
			"extension": []any{map[string]any{"url": clinical.RepeatInfoURL, "extension": []any{
				map[string]any{"url": "authorisationExpiryDate", "valueDateTime": review}}}}})
	}
	recall("recall-asthma", "Asthma review", f.now.AddDate(0, 1, 0).Format("2006-01-02"), "active")
	recall("recall-overdue", "Diabetes review", f.now.AddDate(0, -2, 0).Format("2006-01-02"), "active")
	recall("recall-late", "Over 75 check", f.now.AddDate(2, 0, 0).Format("2006-01-02"), "active")
	recall("recall-done", "Blood pressure check", f.now.AddDate(0, 0, 10).Format("2006-01-02"), "completed")
}

func resourceByID(b fhir.Resource, typ, id string) fhir.Resource {
	for _, r := range entriesOf(b, typ) {
		if r.ID() == id {
			return r
		}
	}
	return nil
}

func listByCode(b fhir.Resource, code string) fhir.Resource {
	for _, l := range entriesOf(b, "List") {
		if firstCode(l["code"]) == code {
			return l
		}
	}
	return nil
}

func warnings(l fhir.Resource) []string {
	var out []string
	for _, e := range list(l["extension"]) {
		if obj(e)["url"] == listWarningExtURL {
			out = append(out, str(obj(e)["valueCode"]))
		}
	}
	slices.Sort(out)
	return out
}

// Round trip over HTTP: a filed result, a referral and a recall recorded
// by the practice's own code appear in the structured record with the
// codes GP Connect 1.6 gives them; a result waiting to be filed, a
// confidential one and entries in error do not, and the Lists say so.
func TestStructuredInvestigationsReferralsDiary(t *testing.T) {
	forEachStore(t, testStructuredInvestigationsReferralsDiary)
}

func testStructuredInvestigationsReferralsDiary(t *testing.T, open func(testing.TB) store.Store) {
	f := newFixture(t, open)
	f.seedWorkspace()
	code, b, _ := f.do(structuredReq(nhsRich, param("includeInvestigations"), param("includeReferrals"), param("includeDiaryEntries")))
	if code != 200 {
		t.Fatalf("%d %v", code, b)
	}

	// Investigations.
	inv := listByCode(b, "887191000000108")
	if got := listItems(b, "887191000000108"); !slices.Equal(got, []string{"DiagnosticReport/fbc", "DiagnosticReport/imported"}) {
		t.Errorf("investigations %v (only filed and imported reports, newest first)", got)
	}
	if w := warnings(inv); !slices.Equal(w, []string{"confidential-items", "data-awaiting-filing"}) {
		t.Errorf("investigations warnings %v", w)
	}
	dr := resourceByID(b, "DiagnosticReport", "fbc")
	if firstCode(dr["code"]) != diagnosticStudiesReport || dr["status"] != "final" || dr["issued"] != "2026-11-30T09:00:00Z" ||
		firstCode(dr["category"]) != "LAB" || dr["conclusion"] != "Low haemoglobin" || dr["effectiveDateTime"] != nil {
		t.Errorf("report %v", dr)
	}
	if str(obj(obj(list(dr["performer"])[0])["actor"])["display"]) != "Leeds Teaching Hospitals Pathology" {
		t.Errorf("performer %v", dr["performer"])
	}
	var results []string
	for _, r := range list(dr["result"]) {
		results = append(results, str(obj(r)["reference"]))
	}
	if !slices.Equal(results, []string{"Observation/fbc-group", "Observation/fbc-filing"}) {
		t.Fatalf("report results %v (the test group, then the filing comments)", results)
	}
	group := resourceByID(b, "Observation", "fbc-group")
	if firstText(group["code"]) != "Full blood count" || len(list(group["related"])) != 2 || group["valueQuantity"] != nil {
		t.Errorf("test group header %v", group)
	}
	for _, rel := range list(group["related"]) {
		target := strings.TrimPrefix(str(obj(obj(rel)["target"])["reference"]), "Observation/")
		res := resourceByID(b, "Observation", target)
		if obj(rel)["type"] != "has-member" || res == nil {
			t.Errorf("member %v not in the bundle", rel)
			continue
		}
		if back := obj(list(res["related"])[0]); back["type"] != "derived-from" || str(obj(back["target"])["reference"]) != "Observation/fbc-group" {
			t.Errorf("result %s does not point back at its group: %v", target, res["related"])
		}
		if res["issued"] != "2026-11-30T09:00:00Z" || str(obj(res["subject"])["reference"]) != "Patient/rich" {
			t.Errorf("result %s: issued %v subject %v", target, res["issued"], res["subject"])
		}
	}
	hb := resourceByID(b, "Observation", "fbc-obs1")
	if firstCode(hb["code"]) != "1022431000000105" || firstCode(hb["interpretation"]) != "L" || hb["comment"] != "Repeat in 2 weeks" ||
		str(obj(obj(list(hb["category"])[0])["coding"].([]any)[0])["system"]) != "http://hl7.org/fhir/observation-category" {
		t.Errorf("haemoglobin %v", hb)
	}
	if sp := resourceByID(b, "Specimen", "fbc-spec1"); sp == nil || firstCode(sp["type"]) != "87612001" ||
		str(obj(sp["collection"])["collectedDateTime"]) != "2026-11-29T09:30:00Z" ||
		str(obj(list(dr["specimen"])[0])["reference"]) != "Specimen/fbc-spec1" ||
		str(obj(hb["specimen"])["reference"]) != "Specimen/fbc-spec1" {
		t.Errorf("the lab's specimen: %v; report's %v; haemoglobin's %v", sp, dr["specimen"], hb["specimen"])
	}
	filing := resourceByID(b, "Observation", "fbc-filing")
	if firstCode(filing["code"]) != clinical.CommentNoteCode || filing["status"] != "unknown" ||
		!strings.Contains(str(filing["comment"]), "Low Hb: iron studies") ||
		str(obj(list(filing["performer"])[0])["reference"]) != "Practitioner/gp1" || filing["effectiveDateTime"] == nil {
		t.Errorf("filing comments %v", filing)
	}
	if based := str(obj(list(dr["basedOn"])[0])["reference"]); based != "ProcedureRequest/test-request" {
		t.Errorf("basedOn %v", dr["basedOn"])
	}
	pr := resourceByID(b, "ProcedureRequest", "test-request")
	if pr["status"] != "active" || pr["intent"] != "order" || firstText(pr["code"]) != "Full blood count" ||
		str(obj(obj(pr["requester"])["agent"])["reference"]) != "Practitioner/gp1" {
		t.Errorf("test request %v (the role's practitioner as requester)", pr)
	}
	imported := resourceByID(b, "DiagnosticReport", "imported")
	if got := list(imported["result"]); len(got) != 1 || str(obj(got[0])["reference"]) != "Observation/old-hba1c" {
		t.Errorf("imported report results %v (one test: no group)", got)
	}
	if sp := resourceByID(b, "Specimen", "imported-s1"); sp == nil || firstCode(sp["type"]) != "87612001" ||
		str(obj(list(imported["specimen"])[0])["reference"]) != "Specimen/imported-s1" {
		t.Errorf("specimen %v, report's %v", sp, imported["specimen"])
	}
	for _, e := range entriesOf(b, "") {
		if strings.HasPrefix(e.ID(), "to-file") || strings.HasPrefix(e.ID(), "confidential") || strings.Contains(e.ID(), "error") {
			t.Errorf("%s/%s is in the bundle", e.Type(), e.ID())
		}
	}

	// Referrals.
	if got := listItems(b, "792931000000107"); !slices.Equal(got, []string{"ReferralRequest/referral", "ReferralRequest/referral-2020"}) {
		t.Errorf("referrals %v", got)
	}
	rr := resourceByID(b, "ReferralRequest", "referral")
	var reasons []string
	for _, rc := range list(rr["reasonCode"]) {
		reasons = append(reasons, firstCode(rc))
	}
	if rr["status"] != "unknown" || rr["intent"] != "order" || rr["priority"] != "asap" ||
		!slices.Equal(reasons, []string{"306206005", clinical.USCReferralCode.Code}) || rr["description"] != "Suspected myeloma" {
		t.Errorf("referral %v", rr)
	}
	var notes []string
	for _, n := range list(rr["note"]) {
		notes = append(notes, str(obj(n)["text"]))
	}
	if !slices.Contains(notes, "Referred to: Leeds Rheumatology") || !slices.Contains(notes, "Recipient: Dr Patel") ||
		!slices.Contains(notes, "Bone pain, raised calcium") {
		t.Errorf("referral notes %v", notes)
	}
	if sec := list(obj(rr["meta"])["security"]); len(sec) != 1 || obj(sec[0])["code"] != "NOPAT" {
		t.Errorf("the no-disclosure-to-patient label is lost: %v", rr["meta"])
	}
	if str(obj(obj(rr["requester"])["agent"])["reference"]) != "Practitioner/gp1" {
		t.Errorf("referrer %v", rr["requester"])
	}
	if c := resourceByID(b, "ReferralRequest", "referral-2020"); c["status"] != "unknown" || c["priority"] != "routine" ||
		!strings.Contains(fmtNotes(c), "Status: cancelled by the practice") {
		t.Errorf("cancelled referral %v", c)
	}

	// Diary entries: the recalls still due, the soonest first.
	reviewID := "ProcedureRequest/medication-review-" + f.now.AddDate(0, 3, 0).Format("2006-01-02")
	if got := listItems(b, "714311000000108"); !slices.Equal(got, []string{"ProcedureRequest/recall-overdue", "ProcedureRequest/recall-asthma", reviewID, "ProcedureRequest/recall-late"}) {
		t.Errorf("diary %v", got)
	}
	mr := resourceByID(b, "ProcedureRequest", strings.TrimPrefix(reviewID, "ProcedureRequest/"))
	if firstCode(mr["code"]) != medicationReviewDue || mr["status"] != "active" || mr["intent"] != "plan" ||
		fmtNotes(mr) != "Review of: Medicine rep-a\nReview of: Medicine rep-b" && fmtNotes(mr) != "Review of: Medicine rep-b\nReview of: Medicine rep-a" ||
		str(obj(obj(mr["requester"])["agent"])["reference"]) != "Practitioner/gp1" {
		t.Errorf("medication review %v (the stopped repeat's not named)", mr)
	}
	d := resourceByID(b, "ProcedureRequest", "recall-asthma")
	if d["status"] != "active" || d["intent"] != "plan" || firstText(d["code"]) != "Asthma review" || d["occurrenceDateTime"] == nil ||
		d["authoredOn"] == nil || str(obj(obj(d["requester"])["agent"])["reference"]) != "Practitioner/gp1" ||
		obj(d["meta"])["profile"].([]any)[0] != profileProcedureRequest {
		t.Errorf("diary entry %v", d)
	}
	if resourceByID(b, "Practitioner", "gp1") == nil {
		t.Errorf("the practitioners the entries name are not in the bundle")
	}

	// Search periods and date.
	today := f.now.Format("2006-01-02")
	_, b, _ = f.do(structuredReq(nhsRich,
		param("includeInvestigations", map[string]any{"name": "investigationSearchPeriod", "valuePeriod": map[string]any{"start": "2020-01-01", "end": today}}),
		param("includeReferrals", map[string]any{"name": "referralSearchPeriod", "valuePeriod": map[string]any{"end": "2021-01-01"}}),
		param("includeDiaryEntries", map[string]any{"name": "diaryEntriesSearchDate", "valueDate": f.now.AddDate(0, 6, 0).Format("2006-01-02")})))
	if got := listItems(b, "887191000000108"); !slices.Equal(got, []string{"DiagnosticReport/fbc"}) {
		t.Errorf("investigations since 2020: %v", got)
	}
	if got := listItems(b, "792931000000107"); !slices.Equal(got, []string{"ReferralRequest/referral-2020"}) {
		t.Errorf("referrals before 2021: %v", got)
	}
	if got := listItems(b, "714311000000108"); !slices.Equal(got, []string{"ProcedureRequest/recall-overdue", "ProcedureRequest/recall-asthma", reviewID}) {
		t.Errorf("diary in the next six months (overdue always): %v", got)
	}

	// The same in XML: well formed, each new resource in its STU3 name.
	code, x, _ := f.doXML(structuredReq(nhsRich, param("includeInvestigations"), param("includeReferrals"), param("includeDiaryEntries")), "application/fhir+xml")
	if code != 200 {
		t.Fatalf("XML: %d %s", code, x)
	}
	wellFormed(t, x)
	for _, want := range []string{"<DiagnosticReport>", "<ReferralRequest>", "<ProcedureRequest>", "<Specimen>", `<intent value="plan"/>`,
		`<valueCode value="data-awaiting-filing"/>`} {
		if !bytes.Contains(x, []byte(want)) {
			t.Errorf("XML has no %s", want)
		}
	}

	if code, _, _ := f.do(structuredReq(nhsDissent, param("includeReferrals"))); code != 403 {
		t.Errorf("dissent: %d", code)
	}

	for _, c := range []struct {
		name string
		p    map[string]any
	}{
		{"time in a period", param("includeInvestigations", map[string]any{"name": "investigationSearchPeriod", "valuePeriod": map[string]any{"start": "2020-01-01T10:00:00Z"}})},
		{"partial date", param("includeReferrals", map[string]any{"name": "referralSearchPeriod", "valuePeriod": map[string]any{"start": "2020-01"}})},
		{"end before start", param("includeReferrals", map[string]any{"name": "referralSearchPeriod", "valuePeriod": map[string]any{"start": "2021-01-01", "end": "2020-01-01"}})},
		{"future period", param("includeInvestigations", map[string]any{"name": "investigationSearchPeriod", "valuePeriod": map[string]any{"end": f.now.AddDate(0, 0, 2).Format("2006-01-02")}})},
		{"past diary date", param("includeDiaryEntries", map[string]any{"name": "diaryEntriesSearchDate", "valueDate": "2020-01-01"})},
		{"diary date with time", param("includeDiaryEntries", map[string]any{"name": "diaryEntriesSearchDate", "valueDate": "2030-01-01T00:00:00Z"})},
		{"unknown part", param("includeReferrals", map[string]any{"name": "includeStatus", "valueCode": "active"})},
	} {
		code, oo, _ := f.do(structuredReq(nhsRich, c.p))
		if code != 422 || spineCode(oo) != InvalidParameter {
			t.Errorf("%s: %d %v", c.name, code, oo)
		}
	}
}

// A patient with none of these recorded: each List is empty with "no
// content recorded", never "unavailable".
func TestStructuredInvestigationsEmpty(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite)
	code, b, _ := f.do(structuredReq(nhsRich, param("includeInvestigations"), param("includeReferrals"), param("includeDiaryEntries")))
	if code != 200 {
		t.Fatalf("%d %v", code, b)
	}
	for _, c := range []string{"887191000000108", "792931000000107", "714311000000108"} {
		l := listByCode(b, c)
		if l == nil || firstCode(l["emptyReason"]) != "no-content-recorded" || len(warnings(l)) != 0 {
			t.Errorf("list %s: %v", c, l)
		}
	}
}

func fmtNotes(r fhir.Resource) string {
	var out []string
	for _, n := range list(r["note"]) {
		out = append(out, str(obj(n)["text"]))
	}
	return strings.Join(out, "\n")
}
