package workspace_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/demo"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// TestPrescriptionsQueue: repeat requests (seeded as the portal makes
// them) wait in the queue; the two clean ones are approved in bulk (each
// issued once, its Task completed with the issue, a repeated post
// issuing nothing), the one with an allergy warning is not bulk-
// approvable (a forged tick holds it) and is rejected with a message the
// portal shows; reception records a phone request, which the prescriber
// issues with a reason over its warning. A non-prescriber is refused.
func TestPrescriptionsQueue(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { prescriptionsQueue(t, testbrowser.NewStack(t)) })
	t.Run("postgres", func(t *testing.T) { prescriptionsQueue(t, stackOn(t, storetest.OpenPostgres(t))) })
}

// rxFixture is two patients with repeats and three open requests: two
// clean (omeprazole for each) and one whose ibuprofen meets an allergy
// recorded after it was authorised.
type rxFixture struct {
	ctx                    context.Context
	practice               *demo.Practice
	gp                     *medSession
	p0, p1                 string
	omep0, omep1, nsaid1   string
	clean0, clean1, warned string
}

func newRxFixture(t *testing.T, s *testbrowser.Stack) *rxFixture {
	t.Helper()
	practice, p0 := medPractice(t, s)
	f := &rxFixture{p0: p0, p1: practice.Patients[1], practice: practice}
	f.ctx = auth.WithPrincipal(context.Background(), &auth.Principal{Subject: "test", Role: auth.RoleGP, Practice: practice.OrganizationID, Scopes: auth.ScopesOf(auth.RoleGP)})
	f.gp = staffSession(t, s, "gp@rxqueue", auth.RoleGP, practice.OrganizationID, "Practitioner/"+practice.Clinicians[0].ID)
	f.omep0 = authoriseRepeat(t, s, f.gp, f.ctx, f.p0, "317335000|Omeprazole 20mg gastro-resistant capsules", "One capsule once a day").ID()
	f.omep1 = authoriseRepeat(t, s, f.gp, f.ctx, f.p1, "317335000|Omeprazole 20mg gastro-resistant capsules", "One capsule once a day").ID()
	f.nsaid1 = authoriseRepeat(t, s, f.gp, f.ctx, f.p1, "329652003|Ibuprofen 400mg tablets", "One tablet three times a day").ID()
	// An allergy recorded since the ibuprofen was authorised: a warning
	// at its next issue.
	if _, err := s.Service.Create(f.ctx, "AllergyIntolerance", fhir.Resource{"resourceType": "AllergyIntolerance",
		"clinicalStatus": map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": "active"}}},
		"code":           map[string]any{"coding": []any{map[string]any{"system": clinical.SNOMED, "code": "293586001", "display": "Allergy to aspirin"}}, "text": "Allergy to aspirin"},
		"patient":        map[string]any{"reference": "Patient/" + f.p1}}, ""); err != nil {
		t.Fatal(err)
	}
	f.clean0 = seedRequest(t, s, f.ctx, practice.OrganizationID, f.p0, f.omep0, "Omeprazole 20mg gastro-resistant capsules", "Running low", time.Now().Add(-3*time.Hour))
	f.clean1 = seedRequest(t, s, f.ctx, practice.OrganizationID, f.p1, f.omep1, "Omeprazole 20mg gastro-resistant capsules", "", time.Now().Add(-2*time.Hour))
	f.warned = seedRequest(t, s, f.ctx, practice.OrganizationID, f.p1, f.nsaid1, "Ibuprofen 400mg tablets", "For my knee", time.Now().Add(-time.Hour))
	return f
}

// seedRequest creates a repeat request as the portal does.
func seedRequest(t *testing.T, s *testbrowser.Stack, ctx context.Context, practice, patient, auth, name, note string, at time.Time) string {
	t.Helper()
	task := clinical.RepeatOrder{Chosen: []string{auth}, Note: note}.Task(clinical.PortalRequester{PatientID: patient, PatientName: "Patient", Practice: practice},
		[]clinical.PortalRepeat{{ID: auth, Name: name}}, clinical.NewRequestReference("RX"), at)
	out, err := s.Service.Create(ctx, "Task", task, "")
	if err != nil {
		t.Fatal(err)
	}
	return out.Version.ID
}

func taskOf(t *testing.T, s *testbrowser.Stack, ctx context.Context, id string) fhir.Resource {
	t.Helper()
	out, err := s.Service.Read(ctx, "Task", id)
	if err != nil {
		t.Fatal(err)
	}
	res, err := fhir.Unmarshal(out.Version.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// issuesOf counts the issues of an authorisation.
func issuesOf(t *testing.T, s *testbrowser.Stack, ctx context.Context, patient, auth string) int {
	t.Helper()
	n := 0
	for _, m := range searchMatchesOf(mustSearch(t, s, ctx, "MedicationRequest", url.Values{"patient": {patient}, "intent": {"order"}})) {
		if strings.Contains(fmt.Sprint(m["basedOn"]), "MedicationRequest/"+auth) {
			n++
		}
	}
	return n
}

// hidden is the value of a hidden input in a page.
func hidden(body, name string) string {
	key := `name="` + name + `" value="`
	i := strings.Index(body, key)
	if i < 0 {
		return ""
	}
	rest := body[i+len(key):]
	return rest[:strings.Index(rest, `"`)]
}

func prescriptionsQueue(t *testing.T, s *testbrowser.Stack) {
	f := newRxFixture(t, s)
	ctx, gp := f.ctx, f.gp
	prac := f.practice.OrganizationID
	nurse := staffSession(t, s, "nurse@rxqueue", auth.RoleNurse, prac, "")
	desk := staffSession(t, s, "desk@rxqueue", auth.RoleReceptionist, prac, "")

	// Non-prescribers are refused the queue, its posts and a request.
	for _, c := range []*medSession{nurse, desk} {
		if status, _, _ := c.do(t, "/workspace/prescriptions", nil); status != http.StatusForbidden {
			t.Errorf("a non-prescriber's queue: %d", status)
		}
		if status, _, _ := c.do(t, "/workspace/prescriptions", url.Values{"request": {f.clean0}}); status != http.StatusForbidden {
			t.Errorf("a non-prescriber's approval: %d", status)
		}
		if status, _, _ := c.do(t, "/workspace/prescriptions/"+f.warned+"/reject", url.Values{"patient": {f.p1}, "message": {"No"}}); status != http.StatusForbidden {
			t.Errorf("a non-prescriber's rejection: %d", status)
		}
	}

	// The queue: oldest first, the clean ones with a tick box, the one with
	// the allergy warning without.
	status, _, body := gp.do(t, "/workspace/prescriptions", nil)
	if status != http.StatusOK {
		t.Fatalf("queue: %d", status)
	}
	i0, i1, i2 := strings.Index(body, `id="rx-`+f.clean0), strings.Index(body, `id="rx-`+f.clean1), strings.Index(body, `id="rx-`+f.warned)
	if i0 < 0 || i1 < 0 || i2 < 0 || !(i0 < i1 && i1 < i2) {
		t.Fatalf("the queue is not the three requests oldest first: %d %d %d", i0, i1, i2)
	}
	if !strings.Contains(body, `id="request-`+f.clean0+`"`) || !strings.Contains(body, `id="request-`+f.clean1+`"`) {
		t.Error("a clean request has no tick box")
	}
	if strings.Contains(body, `id="request-`+f.warned+`"`) || !strings.Contains(body[i2:], "aspirin") {
		t.Error("the request with an allergy warning is bulk-approvable, or its warning is not shown")
	}
	if !strings.Contains(body, "Running low") {
		t.Error("the patient's note is not shown")
	}

	// Nothing ticked: the error summary, nothing issued.
	if status, _, body := gp.do(t, "/workspace/prescriptions", url.Values{}); status != http.StatusUnprocessableEntity || !strings.Contains(body, "Select the requests to approve") {
		t.Errorf("approve nothing: %d", status)
	}

	// Approve the two clean ones, and the warned one forged in: two issued, one held.
	form := url.Values{"request": {f.clean0, f.clean1, f.warned}}
	for _, k := range []string{"task-version-" + f.clean0, "task-version-" + f.clean1, "version-" + f.omep0, "version-" + f.omep1} {
		form.Set(k, hidden(body, k))
	}
	form.Set("task-version-"+f.warned, "1")
	form.Set("version-"+f.nsaid1, "1")
	status, loc, _ := gp.do(t, "/workspace/prescriptions", form)
	if status != http.StatusSeeOther || !strings.Contains(loc, "approved=2") || !strings.Contains(loc, "held=1") {
		t.Fatalf("bulk approve: %d %s", status, loc)
	}
	for _, c := range []struct{ task, patient, auth string }{{f.clean0, f.p0, f.omep0}, {f.clean1, f.p1, f.omep1}} {
		if n := issuesOf(t, s, ctx, c.patient, c.auth); n != 1 {
			t.Errorf("issues of %s: %d", c.auth, n)
		}
		task := taskOf(t, s, ctx, c.task)
		if task["status"] != "completed" || !strings.Contains(fmt.Sprint(task["output"]), "MedicationRequest/") {
			t.Errorf("the approved request: %v %v", task["status"], task["output"])
		}
		rows := clinical.PortalTaskRows([]fhir.Resource{task}, clinical.TaskRepeatRequest)
		if len(rows) != 1 || rows[0].Status != "Done: prescription issued" {
			t.Errorf("the portal's status: %+v", rows)
		}
	}
	if n := issuesOf(t, s, ctx, f.p1, f.nsaid1); n != 0 || taskOf(t, s, ctx, f.warned)["status"] != "requested" {
		t.Errorf("the warned request was issued by a bulk approval: %d", n)
	}
	// The same post again (a double click): nothing more issued.
	if status, loc, _ := gp.do(t, "/workspace/prescriptions", form); status != http.StatusSeeOther || !strings.Contains(loc, "approved=0") {
		t.Errorf("double post: %d %s", status, loc)
	}
	if n := issuesOf(t, s, ctx, f.p0, f.omep0); n != 1 {
		t.Errorf("a double post issued again: %d", n)
	}

	// The warned request's page: its warning; rejecting needs a message.
	status, _, body = gp.do(t, "/workspace/prescriptions/"+f.warned, nil)
	if status != http.StatusOK || !strings.Contains(body, "aspirin") || !strings.Contains(body, `id="override"`) {
		t.Fatalf("the warned request's page: %d", status)
	}
	reject := url.Values{"patient": {f.p1}, "task-version": {hidden(body, "task-version")}, "message": {"  "}}
	if status, _, body := gp.do(t, "/workspace/prescriptions/"+f.warned+"/reject", reject); status != http.StatusUnprocessableEntity || !strings.Contains(body, "nhsuk-error-summary") {
		t.Errorf("reject without a message: %d", status)
	}
	reject.Set("message", "You are allergic to aspirin: please book an appointment")
	if status, _, _ := gp.do(t, "/workspace/prescriptions/"+f.warned+"/reject", reject); status != http.StatusSeeOther {
		t.Fatalf("reject: %d", status)
	}
	rows := clinical.PortalTaskRows([]fhir.Resource{taskOf(t, s, ctx, f.warned)}, clinical.TaskRepeatRequest)
	if len(rows) != 1 || rows[0].Status != "Turned down: You are allergic to aspirin: please book an appointment" {
		t.Errorf("the portal's status of the rejection: %+v", rows)
	}
	if status, _, _ := gp.do(t, "/workspace/prescriptions/"+f.warned+"/reject", reject); status != http.StatusConflict {
		t.Errorf("rejecting twice: %d", status)
	}

	// Reception records a phone request for the ibuprofen: refused
	// without saying how the patient asked, then in the queue.
	path := "/workspace/patients/" + f.p1 + "/medication/request"
	if status, _, body := desk.do(t, path, nil); status != http.StatusOK || !strings.Contains(body, `id="medicine-`+f.nsaid1+`"`) {
		t.Fatalf("reception's form: %d", status)
	}
	rec := url.Values{"patient": {f.p1}, "medicine": {f.nsaid1}}
	if status, _, body := desk.do(t, path, rec); status != http.StatusUnprocessableEntity || !strings.Contains(body, "Select how the patient asked") {
		t.Errorf("a request without its channel: %d", status)
	}
	rec.Set("channel", clinical.ChannelPhone)
	if status, loc, _ := desk.do(t, path, rec); status != http.StatusSeeOther || !strings.Contains(loc, "saved=requested") {
		t.Fatalf("record a request: %d %s", status, loc)
	}
	if status, _, body := desk.do(t, path, rec); status != http.StatusUnprocessableEntity || !strings.Contains(body, "already asked") {
		t.Errorf("recording the same request twice: %d", status)
	}
	_, _, body = gp.do(t, "/workspace/prescriptions", nil)
	var phoned string
	for _, m := range searchMatchesOf(mustSearch(t, s, ctx, "Task", url.Values{"patient": {f.p1}, "status": {"requested"}})) {
		if clinical.RequestChannelOf(m) == clinical.ChannelPhone {
			phoned = m.ID()
		}
	}
	if phoned == "" || !strings.Contains(body, `id="rx-`+phoned+`"`) || !strings.Contains(body, "By phone") {
		t.Fatalf("the phoned request is not in the queue")
	}

	// Issued with a reason over the warning.
	_, _, body = gp.do(t, "/workspace/prescriptions/"+phoned, nil)
	issue := url.Values{"patient": {f.p1}, "task-version": {hidden(body, "task-version")}, "version-" + f.nsaid1: {hidden(body, "version-"+f.nsaid1)}}
	if status, _, body := gp.do(t, "/workspace/prescriptions/"+phoned+"/issue", issue); status != http.StatusOK || !strings.Contains(body, "aspirin") {
		t.Errorf("issue without seeing the warnings: %d", status)
	}
	issue.Set("seen", hidden(body, "seen"))
	if status, _, body := gp.do(t, "/workspace/prescriptions/"+phoned+"/issue", issue); status != http.StatusUnprocessableEntity || !strings.Contains(body, "nhsuk-error-summary") {
		t.Errorf("issue over a warning without a reason: %d", status)
	}
	issue.Set("reason", "Tolerated ibuprofen for years; allergy entry being checked")
	if status, _, _ := gp.do(t, "/workspace/prescriptions/"+phoned+"/issue", issue); status != http.StatusSeeOther {
		t.Fatalf("issue with a reason: %d", status)
	}
	if n := issuesOf(t, s, ctx, f.p1, f.nsaid1); n != 1 {
		t.Errorf("issues of the ibuprofen: %d", n)
	}
	if got := searchMatchesOf(mustSearch(t, s, ctx, "DetectedIssue", url.Values{"patient": {f.p1}})); !strings.Contains(fmt.Sprint(got), "Tolerated ibuprofen for years") {
		t.Error("the override's reason is not kept as a DetectedIssue")
	}
	if status, _, _ := gp.do(t, "/workspace/prescriptions/"+phoned+"/issue", issue); status != http.StatusConflict {
		t.Errorf("issuing twice: %d", status)
	}
}
