package workspace

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// Opening a task and working on it: start, complete, cancel (with a
// reason), add a note, give it to someone else. Every change is written
// If-Match the version the user saw, so that two people working on one
// task cannot overwrite each other: the second is told and shown the
// task as it now is.

// taskPage is one task.
type taskPage struct {
	page
	Task      clinical.Task
	Overdue   bool
	Assignees []clinical.Choice
	Note      string
	Assignee  string
	Done      string
	// Conflict: the task changed since the user opened it.
	Conflict bool
	// Patient is the task's patient's id, for the record link and the
	// wrong-patient guard.
	Patient string
}

func (ws *Workspace) taskPageOf(w http.ResponseWriter, r *http.Request, v *visit) (*taskPage, fhir.Resource, clinical.TaskAssignees, bool) {
	res, err := ws.read(r.Context(), "Task", r.PathValue("task"))
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, nil, clinical.TaskAssignees{}, false
	}
	a, err := ws.taskAssignees(r.Context(), v)
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, nil, a, false
	}
	t := clinical.TaskOf(res)
	p := &taskPage{page: ws.base(v, "Task", tasksNavLabel), Task: t, Overdue: t.Overdue(ws.opts.Now()), Assignees: a.Choices(),
		Done: taskDoneMessage(r.URL.Query().Get("done"))}
	if id, ok := strings.CutPrefix(t.Patient.Reference, "Patient/"); ok {
		p.Patient = id
	}
	return p, res, a, true
}

func (ws *Workspace) task(w http.ResponseWriter, r *http.Request, v *visit) {
	p, _, _, ok := ws.taskPageOf(w, r, v)
	if !ok {
		return
	}
	ws.pages.Render(w, "task", http.StatusOK, p)
}

// changeTask applies the user's change If-Match the version they saw.
func (ws *Workspace) changeTask(w http.ResponseWriter, r *http.Request, v *visit) {
	p, res, a, ok := ws.taskPageOf(w, r, v)
	if !ok {
		return
	}
	// The form carries the task's patient: a form from a page about
	// another patient (an old tab) is refused.
	if r.PostFormValue("patient") != p.Patient {
		ws.message(w, r, v, http.StatusConflict, "Not saved: wrong patient",
			"This form was opened for a different patient from the task it was sent to, so nothing was saved. Open the task again.")
		return
	}
	c := clinical.TaskChange{Do: r.PostFormValue("do"), Note: r.PostFormValue("note"), Assignee: r.PostFormValue("assignee"),
		Who: ws.authorRef(r.Context(), v)}
	p.Note, p.Assignee = c.Note, c.Assignee
	version, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil || strconv.FormatInt(version, 10) != p.Task.Version {
		p.Conflict = true
		ws.pages.Render(w, "task", http.StatusConflict, p)
		return
	}
	next, errs := clinical.ChangeTask(res, c, a, ws.opts.Now())
	if len(errs) > 0 {
		fieldErrors(&p.page, errs, []string{"do", "assignee", "note"})
		ws.pages.Render(w, "task", http.StatusUnprocessableEntity, p)
		return
	}
	if _, err := ws.opts.Service.Update(r.Context(), "Task", p.Task.ID, next, service.Precondition{Set: true, Version: version}); err != nil {
		var fe *fhir.Error
		if errors.As(err, &fe) && (fe.Status == http.StatusPreconditionFailed || fe.Status == http.StatusConflict) {
			// Changed between our read and our write.
			p.Conflict = true
			ws.pages.Render(w, "task", http.StatusConflict, p)
			return
		}
		ws.failed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/tasks/"+p.Task.ID+"?done="+c.Do, http.StatusSeeOther)
}
