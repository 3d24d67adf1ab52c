package clinical

import (
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

var (
	wfNow       = time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	wfReception = Team{ID: "rec", Name: "Reception", Members: []Ref{{Reference: "Practitioner/amy", Display: "Amy Reed"}}}
	wfAssignees = TaskAssignees{Teams: []Team{wfReception}, People: []Ref{{Reference: "Practitioner/amy", Display: "Amy Reed"}, {Reference: "Practitioner/gp", Display: "Dr Gill"}}}
)

func TestNewTaskCheck(t *testing.T) {
	ok := NewTask{Description: "Book a blood test", Priority: "routine", Assignee: "Group/rec"}
	cases := []struct {
		name  string
		edit  func(*NewTask)
		field string // the error expected, "" for none
	}{
		{"valid, for a team", func(*NewTask) {}, ""},
		{"valid, for a person, due today", func(n *NewTask) { n.Assignee, n.DueDay, n.DueMonth, n.DueYear = "Practitioner/gp", "10", "3", "2026" }, ""},
		{"no description", func(n *NewTask) { n.Description = "  " }, "description"},
		{"too long", func(n *NewTask) { n.Description = strings.Repeat("x", 2001) }, "description"},
		{"unknown priority", func(n *NewTask) { n.Priority = "whenever" }, "priority"},
		{"no assignee", func(n *NewTask) { n.Assignee = "" }, "assignee"},
		{"assignee not among the staff", func(n *NewTask) { n.Assignee = "Practitioner/elsewhere" }, "assignee"},
		{"not a real date", func(n *NewTask) { n.DueDay, n.DueMonth, n.DueYear = "31", "2", "2026" }, "due-day"},
		{"due in the past", func(n *NewTask) { n.DueDay, n.DueMonth, n.DueYear = "9", "3", "2026" }, "due-day"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := ok
			c.edit(&n)
			errs := n.Check(wfAssignees, wfNow)
			if c.field == "" && len(errs) > 0 {
				t.Fatalf("errors %v", errs)
			}
			if c.field != "" && errs[c.field] == "" {
				t.Fatalf("no error for %s: %v", c.field, errs)
			}
		})
	}
}

func TestNewTaskResource(t *testing.T) {
	n := NewTask{Description: "Ring about the result", Priority: "urgent", Assignee: "Practitioner/amy", DueDay: "12", DueMonth: "3", DueYear: "2026",
		Patient: Ref{Reference: "Patient/p1", Display: "SMITH, Jo"}, Requester: Ref{Reference: "Practitioner/gp"}, Focus: Ref{Reference: "DiagnosticReport/r1"}}
	if _, err := n.Resource(wfNow); err == nil {
		t.Fatal("an unchecked form made a Task")
	}
	if errs := n.Check(wfAssignees, wfNow); len(errs) > 0 {
		t.Fatal(errs)
	}
	res, err := n.Resource(wfNow)
	if err != nil {
		t.Fatal(err)
	}
	got := TaskOf(res)
	// A person's task names their team too: the team's fallback.
	if got.Owner.Reference != "Practitioner/amy" || got.Team.Reference != "Group/rec" || got.Patient.Reference != "Patient/p1" ||
		got.Due != "2026-03-12" || got.Status != TaskRequested || got.Priority != "urgent" || got.Focus.Reference != "DiagnosticReport/r1" {
		t.Fatalf("task %+v", got)
	}
	if got.Assignee() != "Amy Reed (Reception)" {
		t.Errorf("assignee %q", got.Assignee())
	}
	if res["intent"] != "order" {
		t.Errorf("intent %v", res["intent"])
	}
}

func taskRes(status, owner, team string) fhir.Resource {
	res := fhir.Resource{"resourceType": "Task", "id": "t1", "status": status, "intent": "order", "description": "x"}
	setAssignee(res, Ref{Reference: owner}, Ref{Reference: team})
	return res
}

func TestChangeTask(t *testing.T) {
	gp := Ref{Reference: "Practitioner/gp", Display: "Dr Gill"}
	amy := Ref{Reference: "Practitioner/amy", Display: "Amy Reed"}
	cases := []struct {
		name         string
		from         fhir.Resource
		change       TaskChange
		field        string // error expected
		status       string // status after
		owner, notes string
	}{
		{"start a team task: the starter owns it", taskRes(TaskRequested, "", "Group/rec"), TaskChange{Do: "start", Who: amy}, "", TaskInProgress, "Practitioner/amy", ""},
		{"complete with a note", taskRes(TaskInProgress, "Practitioner/amy", "Group/rec"), TaskChange{Do: "complete", Note: "Booked for Friday", Who: amy}, "", TaskCompleted, "Practitioner/amy", "Booked for Friday"},
		{"complete straight from requested", taskRes(TaskRequested, "Practitioner/amy", ""), TaskChange{Do: "complete", Who: amy}, "", TaskCompleted, "Practitioner/amy", ""},
		{"cancel needs a reason", taskRes(TaskRequested, "", "Group/rec"), TaskChange{Do: "cancel", Who: gp}, "note", "", "", ""},
		{"cancel with a reason", taskRes(TaskRequested, "", "Group/rec"), TaskChange{Do: "cancel", Note: "Done at the desk", Who: gp}, "", TaskCancelled, "", "Done at the desk"},
		{"a completed task cannot restart", taskRes(TaskCompleted, "Practitioner/amy", ""), TaskChange{Do: "start", Who: amy}, "do", "", "", ""},
		{"a cancelled task cannot complete", taskRes(TaskCancelled, "", "Group/rec"), TaskChange{Do: "complete", Who: amy}, "do", "", "", ""},
		{"in progress cannot start again", taskRes(TaskInProgress, "Practitioner/amy", ""), TaskChange{Do: "start", Who: amy}, "do", "", "", ""},
		{"a comment needs text", taskRes(TaskRequested, "", "Group/rec"), TaskChange{Do: "comment", Note: " ", Who: gp}, "note", "", "", ""},
		{"a finished task still takes a comment", taskRes(TaskCompleted, "Practitioner/amy", ""), TaskChange{Do: "comment", Note: "Patient rang back", Who: gp}, "", TaskCompleted, "Practitioner/amy", "Patient rang back"},
		{"reassign to a person keeps their team", taskRes(TaskRequested, "Practitioner/gp", ""), TaskChange{Do: "reassign", Assignee: "Practitioner/amy", Who: gp}, "", TaskRequested, "Practitioner/amy", ""},
		{"reassign to a team clears the person", taskRes(TaskInProgress, "Practitioner/gp", ""), TaskChange{Do: "reassign", Assignee: "Group/rec", Who: gp}, "", TaskInProgress, "", ""},
		{"reassign to a stranger", taskRes(TaskRequested, "Practitioner/gp", ""), TaskChange{Do: "reassign", Assignee: "Practitioner/x", Who: gp}, "assignee", "", "", ""},
		{"a finished task is not reassigned", taskRes(TaskCompleted, "Practitioner/gp", ""), TaskChange{Do: "reassign", Assignee: "Group/rec", Who: gp}, "assignee", "", "", ""},
		{"unknown action", taskRes(TaskRequested, "", "Group/rec"), TaskChange{Do: "delete", Who: gp}, "do", "", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := TaskOf(c.from)
			out, errs := ChangeTask(c.from, c.change, wfAssignees, wfNow)
			if c.field != "" {
				if errs[c.field] == "" || out != nil {
					t.Fatalf("want an error for %s, got %v", c.field, errs)
				}
				return
			}
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			got := TaskOf(out)
			if got.Status != c.status || got.Owner.Reference != c.owner {
				t.Fatalf("status %s owner %q", got.Status, got.Owner.Reference)
			}
			if c.notes != "" && (len(got.Notes) != 1 || got.Notes[0].Text != c.notes || got.Notes[0].Author.Reference != c.change.Who.Reference) {
				t.Fatalf("notes %+v", got.Notes)
			}
			if c.change.Do == "reassign" && c.change.Assignee == "Practitioner/amy" && got.Team.Reference != "Group/rec" {
				t.Errorf("team %q", got.Team.Reference)
			}
			if TaskOf(c.from).Status != before.Status {
				t.Error("the change altered the resource it was given")
			}
		})
	}
}

func TestTaskQueues(t *testing.T) {
	mine := Task{ID: "a", Status: TaskRequested, Owner: Ref{Reference: "Practitioner/amy"}}
	team := Task{ID: "b", Status: TaskRequested, Team: Ref{Reference: "Group/rec"}}
	other := Task{ID: "c", Status: TaskRequested, Owner: Ref{Reference: "Practitioner/gp"}}
	nobody := Task{ID: "d", Status: TaskRequested}
	for _, c := range []struct {
		t    Task
		want bool
	}{{mine, true}, {team, true}, {other, false}, {nobody, false}} {
		// A member's own task is in the team's queue: when Amy is away
		// the rest of reception sees it.
		if got := InQueueOf(c.t, wfReception); got != c.want {
			t.Errorf("task %s in reception's queue: %v", c.t.ID, got)
		}
	}
}

func TestTaskOverdueAndOrder(t *testing.T) {
	ts := []Task{
		{ID: "routine-later", Status: TaskRequested, Priority: "routine", Due: "2026-03-20"},
		{ID: "routine-none", Status: TaskRequested, Priority: "routine"},
		{ID: "urgent", Status: TaskRequested, Priority: "urgent", Due: "2026-03-11"},
		{ID: "overdue", Status: TaskInProgress, Priority: "routine", Due: "2026-03-09"},
		{ID: "routine-soon", Status: TaskRequested, Priority: "routine", Due: "2026-03-10"},
	}
	if !ts[3].Overdue(wfNow) || ts[4].Overdue(wfNow) {
		t.Error("overdue: a task due yesterday is overdue, one due today is not")
	}
	if (Task{Status: TaskCompleted, Due: "2026-01-01"}).Overdue(wfNow) {
		t.Error("a completed task is never overdue")
	}
	SortTasks(ts, wfNow)
	var ids []string
	for _, x := range ts {
		ids = append(ids, x.ID)
	}
	if got := strings.Join(ids, " "); got != "overdue urgent routine-soon routine-later routine-none" {
		t.Errorf("order %s", got)
	}
}
