package workspace

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/service"
)

// The task inboxes: "My tasks" (the open tasks the user owns) and "Team
// tasks" (the open tasks of the teams the user is in, their members'
// included, so that an absent colleague's work is not lost), overdue
// and urgent first, with counts in the navigation that htmx refreshes.

// tasksNavLabel is the navigation entry of the task inboxes.
const tasksNavLabel = "Tasks"

// taskLimit bounds the open tasks read for an inbox; the page says when
// there are more.
const taskLimit = 1000

// tasksPage is an inbox.
type tasksPage struct {
	page
	// Team: the team queues, not the user's own.
	Team        bool
	Tasks       []taskRow
	Mine, Teams int
	// MyTeams names the teams the user is in.
	MyTeams []string
	// NoDirectory: the user has no Practitioner, so no task can be theirs.
	NoDirectory bool
	More        bool
	Done        string
	// Assignees and Assignee: the bulk reassignment form (team tasks).
	Assignees []clinical.Choice
	Assignee  string
}

// inbox is what the inboxes are built from: the practice's open tasks,
// the user's teams and the user's own tasks.
type inbox struct {
	open, mine, team []clinical.Task
	teams            []clinical.Team
	more             bool
}

// readInbox reads the open tasks the user can see and sorts them into
// the user's and their teams'.
func (ws *Workspace) readInbox(ctx context.Context, v *visit) (inbox, error) {
	var in inbox
	out, err := ws.opts.Service.Search(ctx, service.SearchRequest{Type: "Task",
		Params: url.Values{"status": {clinical.TaskRequested + "," + clinical.TaskInProgress}, "_count": {strconv.Itoa(taskLimit)}}})
	if err != nil {
		return in, err
	}
	// More, not the total: a search whose first page is streamed (a
	// practice with thousands of open tasks) leaves its total out.
	in.more = out.More
	teams, err := ws.practiceTeams(ctx, v)
	if err != nil {
		return in, err
	}
	me := v.principal.FHIRUser
	for _, t := range teams {
		if me != "" && slices.ContainsFunc(t.Members, func(m clinical.Ref) bool { return m.Reference == me }) {
			in.teams = append(in.teams, t)
		}
	}
	now := ws.opts.Now()
	for _, res := range searchMatches(out.Resource) {
		t := clinical.TaskOf(res)
		in.open = append(in.open, t)
		if me != "" && t.Owner.Reference == me {
			in.mine = append(in.mine, t)
		}
		if slices.ContainsFunc(in.teams, func(team clinical.Team) bool { return clinical.InQueueOf(t, team) }) {
			in.team = append(in.team, t)
		}
	}
	clinical.SortTasks(in.mine, now)
	clinical.SortTasks(in.team, now)
	return in, nil
}

// practiceTeams reads the practice's teams (Group).
func (ws *Workspace) practiceTeams(ctx context.Context, v *visit) ([]clinical.Team, error) {
	out, err := ws.opts.Service.Search(ctx, service.SearchRequest{Type: "Group",
		Params: url.Values{"managing-entity": {"Organization/" + v.user.Practice}, "_count": {"100"}}})
	if err != nil {
		return nil, err
	}
	var teams []clinical.Team
	for _, res := range searchMatches(out.Resource) {
		if active, ok := res["active"].(bool); ok && !active {
			continue
		}
		teams = append(teams, clinical.TeamOf(res))
	}
	slices.SortFunc(teams, func(a, b clinical.Team) int { return compareFold(a.Name, b.Name) })
	return teams, nil
}

// taskAssignees are who a task can be given to: the practice's teams
// and its staff who have a directory entry and can sign in.
func (ws *Workspace) taskAssignees(ctx context.Context, v *visit) (clinical.TaskAssignees, error) {
	var a clinical.TaskAssignees
	teams, err := ws.practiceTeams(ctx, v)
	if err != nil {
		return a, err
	}
	a.Teams = teams
	users, err := identity.PracticeStaff(ctx, ws.opts.Store, v.user.Practice)
	if err != nil {
		return a, err
	}
	for _, u := range users {
		if strings.HasPrefix(u.FHIRUser, "Practitioner/") && !u.Suspended {
			a.People = append(a.People, clinical.Ref{Reference: u.FHIRUser, Display: u.Name + " (" + roleName(u.Role) + ")"})
		}
	}
	slices.SortFunc(a.People, func(x, y clinical.Ref) int { return compareFold(x.Display, y.Display) })
	return a, nil
}

func (ws *Workspace) myTasks(w http.ResponseWriter, r *http.Request, v *visit) {
	ws.tasksInbox(w, r, v, false)
}

func (ws *Workspace) teamTasks(w http.ResponseWriter, r *http.Request, v *visit) {
	ws.tasksInbox(w, r, v, true)
}

func (ws *Workspace) tasksInbox(w http.ResponseWriter, r *http.Request, v *visit, team bool) {
	in, err := ws.readInbox(r.Context(), v)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	title := "My tasks"
	if team {
		title = "Team tasks"
	}
	p := &tasksPage{page: ws.base(v, title, tasksNavLabel), Team: team, Mine: len(in.mine), Teams: len(in.team),
		NoDirectory: v.principal.FHIRUser == "", More: in.more, Done: taskDoneMessage(r.URL.Query().Get("done"))}
	p.Tasks = ws.taskRows(in.mine)
	if team {
		p.Tasks = ws.taskRows(in.team)
	}
	for _, t := range in.teams {
		p.MyTeams = append(p.MyTeams, t.Name)
	}
	if team {
		a, err := ws.taskAssignees(r.Context(), v)
		if err != nil {
			ws.failed(w, r, v, err)
			return
		}
		p.Assignees = a.Choices()
	}
	if n := r.URL.Query().Get("moved"); n != "" {
		p.Done = bulkMessage(n, r.URL.Query().Get("stale"))
	}
	ws.pages.Render(w, "tasks", http.StatusOK, p)
}

// bulkMessage says what a bulk reassignment did: counts only.
func bulkMessage(moved, stale string) string {
	msg := moved + " tasks given to someone else."
	if stale != "" && stale != "0" {
		msg += " " + stale + " could not be given: changed by someone else or finished since the list was shown. Check them."
	}
	return msg
}

// reassignTasks gives the selected team tasks to someone else, each If-Match
// the version the list showed; one changed since is left as it is and
// counted.
func (ws *Workspace) reassignTasks(w http.ResponseWriter, r *http.Request, v *visit) {
	_ = r.ParseForm()
	picked, assignee := r.PostForm["task"], r.PostFormValue("assignee")
	a, err := ws.taskAssignees(r.Context(), v)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	_, _, msg := a.Resolve(assignee)
	if len(picked) == 0 || msg != "" {
		in, err := ws.readInbox(r.Context(), v)
		if err != nil {
			ws.failed(w, r, v, err)
			return
		}
		p := &tasksPage{page: ws.base(v, "Team tasks", tasksNavLabel), Team: true, Mine: len(in.mine), Teams: len(in.team),
			Tasks: ws.taskRows(in.team), Assignees: a.Choices(), Assignee: assignee}
		for _, t := range in.teams {
			p.MyTeams = append(p.MyTeams, t.Name)
		}
		if len(picked) == 0 {
			p.AddError("task", "Select the tasks to give to someone else")
		}
		if msg != "" {
			p.AddError("assignee", msg)
		}
		ws.pages.Render(w, "tasks", http.StatusUnprocessableEntity, p)
		return
	}
	who := ws.authorRef(r.Context(), v)
	moved, stale := 0, 0
	for _, pick := range picked {
		id, ver, _ := strings.Cut(pick, ":")
		version, err := strconv.ParseInt(ver, 10, 64)
		if err != nil {
			continue
		}
		res, err := ws.read(r.Context(), "Task", id)
		if err != nil {
			stale++
			continue
		}
		next, errs := clinical.ChangeTask(res, clinical.TaskChange{Do: "reassign", Assignee: assignee, Who: who}, a, ws.opts.Now())
		if len(errs) > 0 {
			stale++
			continue
		}
		if _, err := ws.opts.Service.Update(r.Context(), "Task", id, next, service.Precondition{Set: true, Version: version}); err != nil {
			stale++
			continue
		}
		moved++
	}
	http.Redirect(w, r, "/workspace/tasks/team?moved="+strconv.Itoa(moved)+"&stale="+strconv.Itoa(stale), http.StatusSeeOther)
}

// taskCounts answers htmx's refresh of the navigation's count: the
// user's open tasks and their teams', as a number.
func (ws *Workspace) taskCounts(w http.ResponseWriter, r *http.Request, v *visit) {
	in, err := ws.readInbox(r.Context(), v)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	n := len(in.team)
	for _, t := range in.mine {
		if !slices.ContainsFunc(in.team, func(x clinical.Task) bool { return x.ID == t.ID }) {
			n++
		}
	}
	if n > 0 {
		_, _ = w.Write([]byte(strconv.Itoa(n) + `<span class="nhsuk-u-visually-hidden"> open</span>`))
	}
}

// taskDoneMessage is what a redirect after a change announces.
func taskDoneMessage(what string) string {
	return map[string]string{
		"created":  "Task created.",
		"start":    "Task started: it is yours.",
		"complete": "Task completed.",
		"cancel":   "Task cancelled.",
		"comment":  "Note added.",
		"reassign": "Task given to someone else.",
	}[what]
}

// taskRow is a task in a list, with whether it is overdue today.
type taskRow struct {
	clinical.Task
	Overdue bool
}

func (ws *Workspace) taskRows(ts []clinical.Task) []taskRow {
	now := ws.opts.Now()
	out := make([]taskRow, 0, len(ts))
	for _, t := range ts {
		out = append(out, taskRow{Task: t, Overdue: t.Overdue(now)})
	}
	return out
}
