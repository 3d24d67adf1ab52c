package workspace_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/demo"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// workflowPractice is a demo practice with a receptionist in a
// Reception team, and accounts for a GP and the receptionist.
type workflowPractice struct {
	s                      *testbrowser.Stack
	practice               *demo.Practice
	gp, rec, pm            testbrowser.Account
	receptionistID, teamID string
}

func newWorkflowPractice(t *testing.T) *workflowPractice {
	t.Helper()
	s := testbrowser.NewStack(t)
	ctx := context.Background()
	practice, err := demo.Make(ctx, s.Service, demo.Options{Patients: 3, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	amy, err := s.Service.Create(ctx, "Practitioner", fhir.Resource{"resourceType": "Practitioner", "active": true,
		"name": []any{map[string]any{"family": "Reed", "given": []any{"Amy"}}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	team, err := s.Service.Create(ctx, "Group", clinical.GroupOf(clinical.Team{Name: "Reception",
		Members: []clinical.Ref{{Reference: "Practitioner/" + amy.Version.ID, Display: "Amy Reed"}}}, practice.OrganizationID), "")
	if err != nil {
		t.Fatal(err)
	}
	return &workflowPractice{s: s, practice: practice, receptionistID: amy.Version.ID, teamID: team.Version.ID,
		gp:  s.Staff(t, "gp@workflow", auth.RoleGP, practice.OrganizationID, "Practitioner/"+practice.Clinicians[0].ID),
		rec: s.Staff(t, "amy@workflow", auth.RoleReceptionist, practice.OrganizationID, "Practitioner/"+amy.Version.ID),
		pm:  s.Staff(t, "pm@workflow", auth.RolePracticeAdmin, practice.OrganizationID, "")}
}

// waitFor polls a JavaScript condition until it is "true".
func waitFor(t *testing.T, b *testbrowser.Browser, what, js string) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); b.Eval(js) != "true"; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s", what)
		}
	}
}

// navCount is the Tasks entry's count in the header, once htmx has
// fetched it.
func navCount(t *testing.T, b *testbrowser.Browser, want string) {
	t.Helper()
	js := `String((document.querySelector('a[href="/workspace/tasks"] .gp-count')||{}).textContent||"").trim()`
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		got := b.Eval(js)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("tasks count %q, want %q", got, want)
		}
	}
}

// TestBrowserTasks: a GP creates a task about a patient from the
// record (an empty form first: the error summary), for the Reception
// team; the receptionist sees it in Team tasks with the count in the
// header, starts it (it becomes hers), adds a note and completes it; the
// count goes; a change from a page opened before someone else's change
// is refused and the task shown as it now is. Every page passes axe and
// works at 320 px.
func TestBrowserTasks(t *testing.T) {
	b := testbrowser.Start(t)
	wp := newWorkflowPractice(t)
	s, patient := wp.s, wp.practice.Patients[0]
	b.SignIn(s.URL, wp.gp)

	b.Do(chromedp.Navigate(s.URL+"/workspace/patients/"+patient+"/tasks"), chromedp.WaitVisible(chromedp.ID("new-patient-task")))
	b.Axe("patient tasks")
	b.ClickAndLoad("#new-patient-task")
	b.Axe("new task")
	rxSubmit(t, b, "#create-task")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "Enter what needs doing") || !strings.Contains(got, "Select who the task is for") {
		t.Fatalf("error summary: %q", got)
	}
	b.Axe("new task with errors")
	b.Shot("task-new-errors")
	tomorrow := time.Now().In(clinical.London).AddDate(0, 0, 1)
	b.Do(chromedp.SendKeys(chromedp.ID("description"), "Book a routine appointment to discuss the blood test"),
		chromedp.SetValue(chromedp.ID("assignee"), "Group/"+wp.teamID),
		chromedp.Click(chromedp.ID("priority-urgent")),
		chromedp.SendKeys(chromedp.ID("due-day"), tomorrow.Format("2")),
		chromedp.SendKeys(chromedp.ID("due-month"), tomorrow.Format("1")),
		chromedp.SendKeys(chromedp.ID("due-year"), tomorrow.Format("2006")))
	rxSubmit(t, b, "#create-task")
	if got := b.Text("#task-for"); got != "Reception" {
		t.Errorf("task for %q", got)
	}
	if got := b.Text("#saved"); !strings.Contains(got, "Task created") {
		t.Errorf("saved: %q", got)
	}
	b.Axe("task")
	b.Shot("task")
	taskPath := b.Eval(`location.pathname`)

	// The receptionist's team queue.
	rb := testbrowser.Start(t)
	rb.SignIn(s.URL, wp.rec)
	rb.Do(chromedp.Navigate(s.URL+"/workspace/tasks/team"), chromedp.WaitVisible(chromedp.ID("task-list")))
	navCount(t, rb, "1 open")
	if got := rb.Text("#task-list"); !strings.Contains(got, "Book a routine appointment") || !strings.Contains(got, "Urgent") {
		t.Errorf("team tasks: %q", got)
	}
	rb.Axe("team tasks")
	rb.Shot("team-tasks")
	rb.Narrow("team-tasks", 320)
	// By keyboard alone: from the queue to the task.
	rb.KeyAndLoad("#task-list a")
	if rb.Eval(`document.getElementById("do-start") ? "yes" : "no"`) != "yes" {
		t.Errorf("Enter on the team queue's task did not open it")
	}
	rb.Do(chromedp.Navigate(s.URL+taskPath), chromedp.WaitVisible(chromedp.ID("do-start")))
	rxSubmit(t, rb, "#do-start")
	if got := rb.Text("#task-for"); got != "Amy Reed (Reception)" {
		t.Errorf("started task for %q, want the receptionist", got)
	}
	// Now in her own tasks too.
	rb.Do(chromedp.Navigate(s.URL+"/workspace/tasks"), chromedp.WaitVisible(chromedp.ID("task-list")))
	rb.Axe("my tasks")
	rb.Do(chromedp.Navigate(s.URL+taskPath), chromedp.WaitVisible(chromedp.ID("do-complete")))

	// Someone else changes the task while this page is open: the
	// receptionist's Complete is refused, nothing is lost.
	ctx := context.Background()
	id := strings.TrimPrefix(taskPath, "/workspace/tasks/")
	cur, err := s.Service.Read(ctx, "Task", id)
	if err != nil {
		t.Fatal(err)
	}
	res, _ := fhir.Unmarshal(cur.Version.Body)
	res["note"] = []any{map[string]any{"text": "Patient prefers mornings", "time": time.Now().UTC().Format(time.RFC3339)}}
	if _, err := s.Service.Update(ctx, "Task", id, res, service.Precondition{Set: true, Version: cur.Version.VersionID}); err != nil {
		t.Fatal(err)
	}
	rb.Do(chromedp.SendKeys(chromedp.ID("note"), "Booked for Friday 10:20"))
	rxSubmit(t, rb, "#do-complete")
	if got := rb.Text("#conflict"); !strings.Contains(got, "someone else changed this task") {
		t.Fatalf("conflict: %q", got)
	}
	if got := rb.Text("#task-notes"); !strings.Contains(got, "Patient prefers mornings") {
		t.Errorf("the task as it now is: %q", got)
	}
	rb.Axe("task conflict")
	rb.Shot("task-conflict")
	rxSubmit(t, rb, "#do-complete")
	if got := rb.Text("#task-status"); got != "Completed" {
		t.Errorf("status %q", got)
	}
	if got := rb.Text("#task-notes"); !strings.Contains(got, "Booked for Friday 10:20") {
		t.Errorf("notes %q", got)
	}
	rb.Axe("task completed")
	rb.Shot("task-completed")
	rb.Narrow("task-completed", 320)
	rb.Do(chromedp.Navigate(s.URL+"/workspace/tasks/team"), chromedp.WaitVisible(chromedp.ID("task-list-none")))
	navCount(t, rb, "")

	// The GP sees it finished on the record's Tasks tab.
	b.Do(chromedp.Navigate(s.URL+"/workspace/patients/"+patient+"/tasks"), chromedp.WaitVisible(chromedp.ID("done-tasks")))
	b.Shot("patient-tasks")
}
