package workspace_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/pathfeed"
	"github.com/gpcloud/gpcloud/internal/service"
)

// count counts the resources a search finds, as the GP.
func (se *session) count(t testing.TB, typ string, params url.Values) int {
	t.Helper()
	ctx := auth.WithPrincipal(context.Background(), se.principal)
	params.Set("_count", "500")
	out, err := se.s.Service.Search(ctx, service.SearchRequest{Type: typ, Params: params})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	entries, _ := out.Resource["entry"].([]any)
	for _, e := range entries {
		if s, _ := e.(map[string]any)["search"].(map[string]any); s["mode"] == "match" {
			n++
		}
	}
	return n
}

func (se *session) get(t testing.TB, path string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", se.s.URL+path, nil)
	req.AddCookie(&http.Cookie{Name: "gpcloud_session", Value: se.cookie})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestWorkflowWrongPatientRefused: a task, referral or task change from
// a page about one patient, posted to another's, is refused with
// nothing written.
func TestWorkflowWrongPatientRefused(t *testing.T) {
	se := signedIn(t)
	a, b := se.practice.Patients[0], se.practice.Patients[1]
	teamRes, err := se.s.Service.Create(context.Background(), "Group", clinical.GroupOf(clinical.Team{Name: "Reception"}, se.practice.OrganizationID), "")
	if err != nil {
		t.Fatal(err)
	}
	team := "Group/" + teamRes.Version.ID
	task := url.Values{"patient": {a}, "description": {"Ring the patient"}, "priority": {"routine"}, "assignee": {team}}
	if resp := se.post(t, "/workspace/patients/"+b+"/tasks/new", task); resp.StatusCode != http.StatusConflict {
		t.Errorf("a task form for %s posted to %s answered %d, want 409", a, b, resp.StatusCode)
	}
	if n := se.count(t, "Task", url.Values{}); n != 0 {
		t.Fatalf("the refused task wrote %d", n)
	}
	ref := url.Values{"patient": {a}, "service": {"Cardiology"}, "type": {"assessment"}, "urgency": {"routine"}, "reason": {"Palpitations"}}
	if resp := se.post(t, "/workspace/patients/"+b+"/referrals/new", ref); resp.StatusCode != http.StatusConflict {
		t.Errorf("a referral form for %s posted to %s answered %d, want 409", a, b, resp.StatusCode)
	}
	if n := se.count(t, "ServiceRequest", url.Values{}); n != 0 {
		t.Fatalf("the refused referral wrote %d", n)
	}
	// The right patient: saved.
	resp := se.post(t, "/workspace/patients/"+a+"/tasks/new", task)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the right patient's task answered %d", resp.StatusCode)
	}
	loc := resp.Header.Get("Location")
	// A change to it from a page about another patient.
	path, _, _ := strings.Cut(loc, "?")
	if resp := se.post(t, path, url.Values{"patient": {b}, "version": {"1"}, "do": {"complete"}}); resp.StatusCode != http.StatusConflict {
		t.Errorf("a task change for another patient answered %d, want 409", resp.StatusCode)
	}
	if n := se.count(t, "Task", url.Values{"status": {"completed"}}); n != 0 {
		t.Error("the refused change completed the task")
	}
}

// TestFilingOnce: two clinicians file the same result from pages opened
// at the same version: one filing and one task are written, the second
// is told the item changed.
func TestFilingOnce(t *testing.T) {
	se := signedIn(t)
	ctx := context.Background()
	out, err := se.s.Service.Read(ctx, "Patient", se.practice.Patients[0])
	if err != nil {
		t.Fatal(err)
	}
	p, _ := fhir.Unmarshal(out.Version.Body)
	b := clinical.BannerOf(p, time.Now())
	name := p["name"].([]any)[0].(map[string]any)
	if err := pathfeed.Send(ctx, se.s.Service, pathfeed.Report{
		Patient: pathfeed.Patient{NHSNumber: strings.ReplaceAll(b.NHSNumber, " ", ""), BirthDate: p["birthDate"].(string), Family: name["family"].(string)},
		Title:   "Urea and electrolytes", Lab: "Lab", Issued: time.Now(),
		Tests: []pathfeed.Test{{Name: "Potassium", Unit: "mmol/L", Value: 6.4, Low: 3.5, High: 5.3, Interpretation: "HH"}}}.Resource()); err != nil {
		t.Fatal(err)
	}
	if code := se.get(t, "/workspace/inbox"); code != http.StatusOK { // intake
		t.Fatalf("inbox %d", code)
	}
	if n := se.count(t, "DiagnosticReport", url.Values{"_tag": {clinical.InboxTagSystem + "|" + clinical.InboxToFile}, "patient": {"Patient/" + b.ID}}); n != 1 {
		t.Fatalf("%d results to file for the patient, want 1 (matched automatically)", n)
	}
	ctxGP := auth.WithPrincipal(ctx, se.principal)
	found, err := se.s.Service.Search(ctxGP, service.SearchRequest{Type: "DiagnosticReport", Params: url.Values{"patient": {"Patient/" + b.ID}}})
	if err != nil {
		t.Fatal(err)
	}
	entry := found.Resource["entry"].([]any)[0].(map[string]any)
	raw, err := json.Marshal(entry["resource"])
	if err != nil {
		t.Fatal(err)
	}
	rr, err := fhir.Unmarshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	id, version := rr.ID(), rr["meta"].(map[string]any)["versionId"].(string)
	teamRes, err := se.s.Service.Create(ctx, "Group", clinical.GroupOf(clinical.Team{Name: "Reception"}, se.practice.OrganizationID), "")
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"patient": {b.ID}, "version": {version}, "action": {"urgent"}, "assignee": {"Group/" + teamRes.Version.ID}, "comment": {"High potassium"}}
	first := se.post(t, "/workspace/inbox/results/"+id, form)
	second := se.post(t, "/workspace/inbox/results/"+id, form)
	if first.StatusCode != http.StatusSeeOther || second.StatusCode == http.StatusSeeOther {
		t.Fatalf("filings answered %d and %d: want one to win", first.StatusCode, second.StatusCode)
	}
	if n := se.count(t, "Task", url.Values{"patient": {"Patient/" + b.ID}}); n != 1 {
		t.Errorf("%d tasks, want 1", n)
	}
}

// TestBulkReassign: two team tasks given to a person at once; one
// changed by someone else since the list was shown is left as it is and
// counted.
func TestBulkReassign(t *testing.T) {
	se := signedIn(t)
	a := se.practice.Patients[0]
	teamRes, err := se.s.Service.Create(context.Background(), "Group", clinical.GroupOf(clinical.Team{Name: "Reception"}, se.practice.OrganizationID), "")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, what := range []string{"Ring the patient", "Post the form"} {
		resp := se.post(t, "/workspace/patients/"+a+"/tasks/new", url.Values{"patient": {a}, "description": {what}, "priority": {"routine"}, "assignee": {"Group/" + teamRes.Version.ID}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("create %d", resp.StatusCode)
		}
		path, _, _ := strings.Cut(resp.Header.Get("Location"), "?")
		ids = append(ids, strings.TrimPrefix(path, "/workspace/tasks/"))
	}
	// The second changes after the list was shown (version 1).
	if resp := se.post(t, "/workspace/tasks/"+ids[1], url.Values{"patient": {a}, "version": {"1"}, "do": {"comment"}, "note": {"Form posted"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("comment %d", resp.StatusCode)
	}
	resp := se.post(t, "/workspace/tasks/reassign", url.Values{"task": {ids[0] + ":1", ids[1] + ":1"}, "assignee": {se.principal.FHIRUser}})
	if got := resp.Header.Get("Location"); got != "/workspace/tasks/team?moved=1&stale=1" {
		t.Fatalf("bulk reassign: %d %s", resp.StatusCode, got)
	}
	if n := se.count(t, "Task", url.Values{"owner": {se.principal.FHIRUser}}); n != 1 {
		t.Errorf("%d tasks now the GP's, want 1", n)
	}
	if resp := se.post(t, "/workspace/tasks/reassign", url.Values{"assignee": {se.principal.FHIRUser}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("nothing selected answered %d", resp.StatusCode)
	}
}

// TestReferralLetterMatchesForm: a letter previewed from one form is
// not saved silently with a changed form; saved again after checking,
// it is.
func TestReferralLetterMatchesForm(t *testing.T) {
	se := signedIn(t)
	a := se.practice.Patients[0]
	form := url.Values{"patient": {a}, "service": {"Cardiology"}, "type": {"assessment"}, "urgency": {"routine"}, "reason": {"Palpitations"},
		"action": {"save"}, "letter": {"Dear colleague, routine referral."}}
	form.Set("letter-for", "stale")
	if resp := se.post(t, "/workspace/patients/"+a+"/referrals/new", form); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a letter for another form answered %d, want 422", resp.StatusCode)
	}
	if n := se.count(t, "ServiceRequest", url.Values{}); n != 0 {
		t.Fatalf("%d referrals written", n)
	}
	// Saved without a preview, the letter is written from the form.
	form.Del("letter")
	if resp := se.post(t, "/workspace/patients/"+a+"/referrals/new", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save answered %d", resp.StatusCode)
	}
	if n := se.count(t, "DocumentReference", url.Values{"patient": {"Patient/" + a}}); n != 1 {
		t.Errorf("%d letters", n)
	}
}
