package clinical

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// The practice's back office: tasks (FHIR Task) for a person or a team,
// about a patient or not, with a priority, a due date, a status that only
// moves forward and a thread of notes.
//
// FHIR mapping: Task.status (requested, in-progress, completed,
// cancelled), intent "order", priority (routine, urgent, asap),
// description (what to do), for (the patient), focus (what the task is
// about: a result, a letter, a referral), requester (who asked),
// owner (the person: Practitioner), restriction.period.end (the due
// date), note (the thread), authoredOn, lastModified, statusReason (why
// it was cancelled). R4 does not allow a Group as Task.owner, so the team
// is the TaskTeamURL extension (a Reference(Group)); a task for a person
// also names a team, so that when the person is away their tasks are in
// the team's queue and nothing waits on one absent person.

// TaskTeamURL is the extension naming the team (a Group) a task is for.
const TaskTeamURL = "https://gpcloud.dev/fhir/StructureDefinition/task-team"

// Task statuses gpcloud moves a task through (FHIR task-status codes).
const (
	TaskRequested  = "requested"
	TaskInProgress = "in-progress"
	TaskCompleted  = "completed"
	TaskCancelled  = "cancelled"
)

// TaskPriorities are the choices of Task.priority (FHIR request-priority).
var TaskPriorities = []Choice{{"routine", "Routine"}, {"urgent", "Urgent"}, {"asap", "As soon as possible"}}

// taskMoves are the status changes allowed: a task moves forward only,
// and a finished one (completed or cancelled) stays finished, so that a
// task ticked off cannot silently come back as if never done.
var taskMoves = map[string][]string{
	TaskRequested:  {TaskInProgress, TaskCompleted, TaskCancelled},
	TaskInProgress: {TaskCompleted, TaskCancelled},
}

// TaskStatusLabel is a status as the screen says it.
func TaskStatusLabel(s string) string {
	switch s {
	case TaskRequested:
		return "To do"
	case TaskInProgress:
		return "In progress"
	case TaskCompleted:
		return "Completed"
	case TaskCancelled:
		return "Cancelled"
	}
	return s
}

// TaskNote is one entry of a task's thread.
type TaskNote struct {
	Author Ref
	Time   time.Time
	Text   string
}

// Task is a task as the screens show it.
type Task struct {
	ID, Version string
	Description string
	Status      string
	Priority    string
	// Due is the date it is due by (2006-01-02), or "".
	Due       string
	Patient   Ref // "" when about no patient
	Owner     Ref // the person (a Practitioner), or ""
	Team      Ref // the team (a Group), or ""
	Requester Ref
	Focus     Ref // what the task is about (a result, a letter), or ""
	Authored  time.Time
	Notes     []TaskNote
	// Reason is why it was cancelled.
	Reason string
}

// Open reports whether the task still needs doing.
func (t Task) Open() bool { return t.Status == TaskRequested || t.Status == TaskInProgress }

// Overdue reports whether an open task is past its due date on the day
// of now (a task due today is not yet overdue).
func (t Task) Overdue(now time.Time) bool {
	return t.Open() && t.Due != "" && t.Due < now.Format("2006-01-02")
}

// DueLabel is the due date as the screen says it ("2 March 2026"), or
// "No date".
func (t Task) DueLabel() string {
	d, err := time.Parse("2006-01-02", t.Due)
	if err != nil {
		return "No date"
	}
	return d.Format("2 January 2006")
}

// StatusLabel is the task's status as the screen says it.
func (t Task) StatusLabel() string { return TaskStatusLabel(t.Status) }

// PriorityLabel is the task's priority as the screen says it.
func (t Task) PriorityLabel() string { return ChoiceLabel(TaskPriorities, t.Priority) }

// Urgent reports a priority above routine.
func (t Task) Urgent() bool {
	return t.Priority == "urgent" || t.Priority == "asap" || t.Priority == "stat"
}

// Assignee is who the task is for, as the screen says it: the person,
// and their team, or the team alone.
func (t Task) Assignee() string {
	switch {
	case t.Owner.Reference != "" && t.Team.Reference != "":
		return t.Owner.Display + " (" + t.Team.Display + ")"
	case t.Owner.Reference != "":
		return t.Owner.Display
	}
	return t.Team.Display
}

// Moves are the statuses the task may move to next.
func (t Task) Moves() []string { return taskMoves[t.Status] }

// NewTask is the form that creates a task.
type NewTask struct {
	Description string
	Priority    string
	// Assignee is "Practitioner/<id>" or "Group/<id>": one of Choices.
	Assignee                  string
	DueDay, DueMonth, DueYear string
	Patient, Focus, Requester Ref
	// Set by Check: the due date, the person and the team, and that
	// the form was checked.
	due         string
	owner, team Ref
	checked     bool
}

// TaskAssignees are who a task can be for: the practice's teams and its
// staff with a directory entry, and the teams each person is in (their
// fallback while they are away).
type TaskAssignees struct {
	Teams  []Team
	People []Ref
}

// Choices are the assignees as radio choices: teams first (a queue is
// the safer default than one person who may be away), then people.
func (a TaskAssignees) Choices() []Choice {
	var out []Choice
	for _, t := range a.Teams {
		out = append(out, Choice{"Group/" + t.ID, t.Name + " (team)"})
	}
	for _, p := range a.People {
		out = append(out, Choice{p.Reference, p.Display})
	}
	return out
}

// TeamOf returns the first team a person is a member of, for a task
// assigned to them (their team picks it up while they are away).
func (a TaskAssignees) TeamOf(person string) (Ref, bool) {
	for _, t := range a.Teams {
		for _, m := range t.Members {
			if m.Reference == person {
				return Ref{Reference: "Group/" + t.ID, Display: t.Name}, true
			}
		}
	}
	return Ref{}, false
}

// Resolve finds an assignee among the choices: the owner (a person) and
// the team, or an error message.
func (a TaskAssignees) Resolve(assignee string) (owner, team Ref, msg string) {
	if assignee == "" {
		return Ref{}, Ref{}, "Select who the task is for"
	}
	for _, t := range a.Teams {
		if assignee == "Group/"+t.ID {
			return Ref{}, Ref{Reference: assignee, Display: t.Name}, ""
		}
	}
	for _, p := range a.People {
		if assignee == p.Reference {
			team, _ := a.TeamOf(p.Reference)
			return p, team, ""
		}
	}
	return Ref{}, Ref{}, "Select who the task is for from the list"
}

// Check validates the form against the assignees that exist, returning
// errors keyed by field id; a due date must not be in the past.
func (n *NewTask) Check(a TaskAssignees, now time.Time) map[string]string {
	errs := map[string]string{}
	n.Description = strings.TrimSpace(n.Description)
	switch {
	case n.Description == "":
		errs["description"] = "Enter what needs doing"
	case len(n.Description) > 2000:
		errs["description"] = "What needs doing must be 2000 characters or fewer"
	}
	if !choiceKnown(TaskPriorities, n.Priority) {
		errs["priority"] = "Select the priority"
	}
	var msg string
	if n.owner, n.team, msg = a.Resolve(n.Assignee); msg != "" {
		errs["assignee"] = msg
	}
	if d, msg := ParseDay(n.DueDay, n.DueMonth, n.DueYear, "the date it is due", true); msg != "" {
		errs["due-day"] = msg
	} else if d != "" && d < now.Format("2006-01-02") {
		errs["due-day"] = "The date it is due must be today or in the future"
	} else {
		n.due = d
	}
	n.checked = true
	return errs
}

// Resource is the checked form as a Task.
func (n *NewTask) Resource(now time.Time) (fhir.Resource, error) {
	if !n.checked {
		return nil, fmt.Errorf("clinical: task not checked")
	}
	t := fhir.Resource{"resourceType": "Task", "status": TaskRequested, "intent": "order", "priority": n.Priority,
		"description": n.Description, "authoredOn": now.UTC().Format(time.RFC3339), "lastModified": now.UTC().Format(time.RFC3339)}
	if n.Requester.Reference != "" {
		t["requester"] = refMap(n.Requester)
	}
	if n.Patient.Reference != "" {
		t["for"] = refMap(n.Patient)
	}
	if n.Focus.Reference != "" {
		t["focus"] = refMap(n.Focus)
	}
	if n.due != "" {
		t["restriction"] = map[string]any{"period": map[string]any{"end": n.due}}
	}
	setAssignee(t, n.owner, n.team)
	return t, nil
}

// SetTaskAssignee gives a Task to a person (owner) and a team.
func SetTaskAssignee(t fhir.Resource, owner, team Ref) { setAssignee(t, owner, team) }

func setAssignee(t fhir.Resource, owner, team Ref) {
	delete(t, "owner")
	if owner.Reference != "" {
		t["owner"] = refMap(owner)
	}
	var ext []any
	for _, e := range list(t, "extension") {
		if e["url"] != TaskTeamURL {
			ext = append(ext, e)
		}
	}
	if team.Reference != "" {
		ext = append(ext, map[string]any{"url": TaskTeamURL, "valueReference": refMap(team)})
	}
	delete(t, "extension")
	if len(ext) > 0 {
		t["extension"] = ext
	}
}

// TaskOf reads a Task.
func TaskOf(res fhir.Resource) Task {
	t := Task{ID: res.ID(), Version: versionOf(res), Description: str(res, "description"), Status: str(res, "status"),
		Priority: str(res, "priority"), Patient: refOf(res["for"]), Owner: refOf(res["owner"]), Requester: refOf(res["requester"]),
		Focus: refOf(res["focus"])}
	if t.Priority == "" {
		t.Priority = "routine"
	}
	t.Due = str(mapOf(mapOf(res["restriction"])["period"]), "end")
	if len(t.Due) > 10 {
		t.Due = t.Due[:10]
	}
	t.Authored, _ = time.Parse(time.RFC3339, str(res, "authoredOn"))
	for _, e := range list(res, "extension") {
		if e["url"] == TaskTeamURL {
			t.Team = refOf(e["valueReference"])
		}
	}
	for _, n := range list(res, "note") {
		when, _ := time.Parse(time.RFC3339, str(n, "time"))
		t.Notes = append(t.Notes, TaskNote{Author: refOf(n["authorReference"]), Time: when, Text: str(n, "text")})
	}
	if sr := mapOf(res["statusReason"]); sr != nil {
		t.Reason = str(sr, "text")
	}
	return t
}

func refOf(v any) Ref {
	m := mapOf(v)
	return Ref{Reference: str(m, "reference"), Display: str(m, "display")}
}

// TaskChange is what a user does to a task: move it to another status,
// add a note, or give it to someone else.
type TaskChange struct {
	// Do is "start", "complete", "cancel", "comment" or "reassign".
	Do       string
	Note     string
	Assignee string
	Who      Ref
}

// taskDoes maps an action to the status it moves the task to.
var taskDoes = map[string]string{"start": TaskInProgress, "complete": TaskCompleted, "cancel": TaskCancelled}

// ChangeTask applies a change to a task and returns the new version's
// content, or errors keyed by field id. A finished task takes no change
// but a note; cancelling needs a reason (the note), commenting a note.
func ChangeTask(res fhir.Resource, c TaskChange, a TaskAssignees, now time.Time) (fhir.Resource, map[string]string) {
	t := TaskOf(res)
	out := cloneResource(res)
	errs := map[string]string{}
	c.Note = strings.TrimSpace(c.Note)
	if len(c.Note) > 2000 {
		errs["note"] = "The note must be 2000 characters or fewer"
		return nil, errs
	}
	switch c.Do {
	case "comment":
		if c.Note == "" {
			errs["note"] = "Enter a note"
		}
	case "reassign":
		if !t.Open() {
			errs["assignee"] = "This task is " + strings.ToLower(t.StatusLabel()) + ": it cannot be given to someone else"
			break
		}
		owner, team, msg := a.Resolve(c.Assignee)
		if msg != "" {
			errs["assignee"] = msg
			break
		}
		setAssignee(out, owner, team)
	case "start", "complete", "cancel":
		to := taskDoes[c.Do]
		if !slices.Contains(t.Moves(), to) {
			errs["do"] = "This task is " + strings.ToLower(t.StatusLabel()) + ": it cannot be moved to " + strings.ToLower(TaskStatusLabel(to))
			break
		}
		if to == TaskCancelled {
			if c.Note == "" {
				errs["note"] = "Enter why the task is cancelled"
				break
			}
			out["statusReason"] = map[string]any{"text": c.Note}
		}
		out["status"] = to
		if to == TaskInProgress && t.Owner.Reference == "" && c.Who.Reference != "" {
			// Whoever starts a team's task owns it, so that two people
			// do not both work on it; the team still sees it.
			setAssignee(out, c.Who, t.Team)
		}
		if to == TaskCompleted || to == TaskCancelled {
			out["executionPeriod"] = map[string]any{"end": now.UTC().Format(time.RFC3339)}
		}
	default:
		errs["do"] = "Unknown action"
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if c.Note != "" {
		note := map[string]any{"time": now.UTC().Format(time.RFC3339), "text": c.Note}
		if c.Who.Reference != "" {
			note["authorReference"] = refMap(c.Who)
		}
		out["note"] = append(anyList(out["note"]), note)
	}
	out["lastModified"] = now.UTC().Format(time.RFC3339)
	return out, nil
}

// InQueueOf reports whether a task is in a team's queue: the team's own
// tasks and every open task of its members, so that a member's tasks are
// not lost while they are away.
func InQueueOf(t Task, team Team) bool {
	if t.Team.Reference == "Group/"+team.ID {
		return true
	}
	if t.Owner.Reference == "" {
		return false
	}
	return slices.ContainsFunc(team.Members, func(m Ref) bool { return m.Reference == t.Owner.Reference })
}

// SortTasks orders a queue as it should be worked: overdue first, then
// by priority (most urgent first), then by due date (none last), then
// oldest first.
func SortTasks(ts []Task, now time.Time) {
	rank := map[string]int{"stat": 0, "asap": 1, "urgent": 2, "routine": 3}
	slices.SortStableFunc(ts, func(a, b Task) int {
		if ao, bo := a.Overdue(now), b.Overdue(now); ao != bo {
			if ao {
				return -1
			}
			return 1
		}
		if d := rank[a.Priority] - rank[b.Priority]; d != 0 {
			return d
		}
		if a.Due != b.Due {
			switch {
			case a.Due == "":
				return 1
			case b.Due == "":
				return -1
			}
			return strings.Compare(a.Due, b.Due)
		}
		return a.Authored.Compare(b.Authored)
	})
}
