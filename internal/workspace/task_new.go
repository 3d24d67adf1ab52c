package workspace

import (
	"net/http"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/service"
)

// Creating a task, from the inbox (about no patient, or a practice
// matter) or from a patient's record (about that patient: the form
// carries the banner's patient and the server refuses another).

// taskNewPage is the form.
type taskNewPage struct {
	page
	Form       clinical.NewTask
	Assignees  []clinical.Choice
	Priorities []clinical.Choice
	Action     string
}

func (ws *Workspace) newTaskPage(w http.ResponseWriter, r *http.Request, v *visit) (*taskNewPage, clinical.TaskAssignees, bool) {
	a, err := ws.taskAssignees(r.Context(), v)
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, a, false
	}
	p := &taskNewPage{Assignees: a.Choices(), Priorities: clinical.TaskPriorities, Action: "/workspace/tasks/new",
		Form: clinical.NewTask{Priority: "routine"}}
	if r.PathValue("id") != "" {
		patient, ok := ws.patient(w, r, v)
		if !ok {
			return nil, a, false
		}
		p.page = ws.recordBase(v, "Create a task", "Tasks", &patient)
		p.Action = "/workspace/patients/" + patient.ID + "/tasks/new"
		p.Form.Patient = clinical.Ref{Reference: "Patient/" + patient.ID, Display: patient.Name}
	} else {
		p.page = ws.base(v, "Create a task", tasksNavLabel)
	}
	return p, a, true
}

func (ws *Workspace) newTaskForm(w http.ResponseWriter, r *http.Request, v *visit) {
	p, _, ok := ws.newTaskPage(w, r, v)
	if !ok {
		return
	}
	ws.pages.Render(w, "task-new", http.StatusOK, p)
}

func (ws *Workspace) createTask(w http.ResponseWriter, r *http.Request, v *visit) {
	p, a, ok := ws.newTaskPage(w, r, v)
	if !ok || (p.Banner != nil && !ws.samePatient(w, r, v, *p.Banner)) {
		return
	}
	f := &p.Form
	f.Description, f.Priority, f.Assignee = r.PostFormValue("description"), r.PostFormValue("priority"), r.PostFormValue("assignee")
	f.DueDay, f.DueMonth, f.DueYear = r.PostFormValue("due-day"), r.PostFormValue("due-month"), r.PostFormValue("due-year")
	f.Requester = ws.authorRef(r.Context(), v)
	if errs := f.Check(a, ws.opts.Now()); len(errs) > 0 {
		fieldErrors(&p.page, errs, []string{"description", "assignee", "priority", "due-day"})
		ws.pages.Render(w, "task-new", http.StatusUnprocessableEntity, p)
		return
	}
	res, err := f.Resource(ws.opts.Now())
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	if f.Requester.Reference == "" {
		delete(res, "requester") // a user without a directory entry: the audit names them
	}
	out, err := ws.opts.Service.Create(r.Context(), "Task", res, "")
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/tasks/"+out.Version.ID+"?done=created", http.StatusSeeOther)
}

// patientTasks is the record's Tasks tab: the patient's tasks, open
// first, and a link to create one.
func (ws *Workspace) patientTasks(w http.ResponseWriter, r *http.Request, v *visit) {
	patient, ok := ws.patient(w, r, v)
	if !ok {
		return
	}
	out, err := ws.opts.Service.Search(r.Context(), service.SearchRequest{Type: "Task",
		Params: map[string][]string{"patient": {"Patient/" + patient.ID}, "_count": {"200"}, "_sort": {"-_lastUpdated"}}})
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	var open, done []clinical.Task
	for _, res := range searchMatches(out.Resource) {
		if t := clinical.TaskOf(res); t.Open() {
			open = append(open, t)
		} else {
			done = append(done, t)
		}
	}
	clinical.SortTasks(open, ws.opts.Now())
	p := struct {
		page
		Open, Done []taskRow
	}{ws.recordBase(v, "Tasks", "Tasks", &patient), ws.taskRows(open), ws.taskRows(done)}
	ws.pages.Render(w, "patient-tasks", http.StatusOK, &p)
}
