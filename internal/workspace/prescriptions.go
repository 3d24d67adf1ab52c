package workspace

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// The prescriptions queue (issue 17): every open repeat request of the
// practice, oldest first, each with its patient, the repeats asked for,
// the patient's note, how long it has waited and whether it is clean
// (clinical.RequestClean: every repeat may be issued and the issue's
// safety checks say nothing). A prescriber ticks clean ones and
// approves them in bulk: each request is one transaction (its issues,
// the repeats' counters If-Match the versions shown, and the Task
// completed If-Match the version shown, so a double post issues once).
// A request with a warning or a problem has no tick box: it is opened
// (prescription.go) and issued with a reason, or rejected with a
// message to the patient. Only a prescriber sees the queue.

const prescriptionsNavLabel = "Prescriptions"

// prescriptionRoutes are the queue's pages (prescriptions.go,
// prescription.go) and reception's recording of a request
// (medication_request.go).
func (ws *Workspace) prescriptionRoutes() {
	m := ws.mux
	m.HandleFunc("GET /workspace/prescriptions", ws.staff("search-type", ws.prescriptionQueue))
	m.HandleFunc("POST /workspace/prescriptions", ws.staff("transaction", ws.approveRequests))
	m.HandleFunc("GET /workspace/prescriptions/{task}", ws.staff("read", ws.repeatRequest))
	m.HandleFunc("POST /workspace/prescriptions/{task}/issue", ws.staff("transaction", ws.issueRequest))
	m.HandleFunc("POST /workspace/prescriptions/{task}/reject", ws.staff("update", ws.rejectRequest))
	m.HandleFunc("GET /workspace/patients/{id}/medication/request", ws.staff("read", ws.recordRequestForm))
	m.HandleFunc("POST /workspace/patients/{id}/medication/request", ws.staff("create", ws.recordRequest))
}

// authVersion is a repeat as the page showed it, for If-Match.
type authVersion struct{ ID, Version string }

// rxRequest is one repeat request as the queue and its page show it.
type rxRequest struct {
	Task    clinical.Task
	res     fhir.Resource
	Patient clinical.Banner
	Items   []clinical.Ref
	Note    string
	Channel string
	Waited  string
	// Problems are why its repeats cannot be issued as they stand;
	// Warnings what the issue's safety checks say.
	Problems []string
	Warnings []clinical.Warning
	Versions []authVersion
	// Unchecked says the request could not be checked here (a sealed
	// record, a read refused): it is opened, never approved in bulk.
	Unchecked string
	check     *repeatCheck
}

// Clean reports a request the prescriber may approve in bulk.
func (q rxRequest) Clean() bool {
	return q.Unchecked == "" && clinical.RequestClean(q.Problems, q.Warnings)
}

type prescriptionsPage struct {
	page
	Rows               []rxRequest
	More               bool
	Approved, Rejected int
	Held               int
	Selected           map[string]bool
}

// AnyClean reports a request that may be approved from the queue.
func (p *prescriptionsPage) AnyClean() bool {
	for _, row := range p.Rows {
		if row.Clean() {
			return true
		}
	}
	return false
}

// openRepeatRequests are the practice's open repeat requests, oldest
// first.
func (ws *Workspace) openRepeatRequests(ctx context.Context) ([]fhir.Resource, bool, error) {
	out, err := ws.opts.Service.Search(ctx, service.SearchRequest{Type: "Task", Params: url.Values{
		"code":   {clinical.PortalTaskSystem + "|" + clinical.TaskRepeatRequest},
		"status": {clinical.TaskRequested + "," + clinical.TaskInProgress}, "_sort": {"authored-on"}, "_count": {strconv.Itoa(queueLimit)}}})
	if err != nil {
		return nil, false, err
	}
	return searchMatches(out.Resource), totalOf(out.Resource) > queueLimit, nil
}

// checkRequest reads a request's patient and repeats and runs the checks
// an issue runs; version(id) is the repeat's version a page showed, or
// nil to check the repeats as they are now.
func (ws *Workspace) checkRequest(ctx context.Context, res fhir.Resource, version func(string) string) rxRequest {
	now := ws.opts.Now()
	t := clinical.TaskOf(res)
	q := rxRequest{Task: t, res: res, Items: clinical.RequestedItems(res), Note: clinical.RequestNote(res),
		Channel: clinical.ChannelLabel(clinical.RequestChannelOf(res)), Waited: clinical.RequestQueueAge(t.Authored, now, false).Waited}
	patientID, _ := strings.CutPrefix(t.Patient.Reference, "Patient/")
	patient, err := ws.read(ctx, "Patient", patientID)
	if err != nil {
		q.Patient = clinical.Banner{ID: patientID, Name: t.Patient.Display}
		q.Unchecked = "The patient's record could not be read here: open the request."
		return q
	}
	q.Patient = clinical.BannerOf(patient, now)
	if q.Patient.Sensitive {
		q.Unchecked = "A sealed record: open the request to give your reason and check it."
		return q
	}
	if msg := clinical.RequestPatientProblem(q.Patient); msg != "" {
		q.Problems = []string{msg}
		return q
	}
	var ids []string
	for _, it := range q.Items {
		ids = append(ids, strings.TrimPrefix(it.Reference, "MedicationRequest/"))
	}
	if len(ids) == 0 {
		q.Problems = []string{"The request names no repeat medicine"}
		return q
	}
	shown := version
	if shown == nil {
		shown = func(string) string { return "now" } // replaced below by each repeat's version
	}
	c, err := ws.checkRepeats(ctx, q.Patient, ids, shown, now)
	if err != nil {
		if errors.Is(err, errWrongPatient) {
			q.Problems = []string{"A repeat the request names is not this patient's"}
		} else {
			ws.opts.Logger.Error("repeat request check", "task", t.ID, "error", err)
			q.Unchecked = "Its repeats could not be checked here: open the request."
		}
		return q
	}
	q.Problems, q.Warnings, q.check = c.problems, c.all, c
	for i := range c.todo {
		if version == nil {
			c.todo[i].version = versionOf(c.todo[i].auth)
		}
		q.Versions = append(q.Versions, authVersion{ID: c.todo[i].id, Version: c.todo[i].version})
	}
	return q
}

func (ws *Workspace) prescriptionQueue(w http.ResponseWriter, r *http.Request, v *visit) {
	if _, refusal := ws.prescriber(r.Context(), v); refusal != "" {
		ws.message(w, r, v, http.StatusForbidden, "Not a prescriber", refusal)
		return
	}
	p, ok := ws.prescriptionsPageOf(w, r, v)
	if !ok {
		return
	}
	qs := r.URL.Query()
	p.Approved, _ = strconv.Atoi(qs.Get("approved"))
	p.Rejected, _ = strconv.Atoi(qs.Get("rejected"))
	p.Held, _ = strconv.Atoi(qs.Get("held"))
	ws.pages.Render(w, "prescriptions", http.StatusOK, p)
}

func (ws *Workspace) prescriptionsPageOf(w http.ResponseWriter, r *http.Request, v *visit) (*prescriptionsPage, bool) {
	tasks, more, err := ws.openRepeatRequests(r.Context())
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, false
	}
	p := &prescriptionsPage{page: ws.base(v, "Repeat prescription requests", prescriptionsNavLabel), More: more, Selected: map[string]bool{}}
	for _, res := range tasks {
		p.Rows = append(p.Rows, ws.checkRequest(r.Context(), res, nil))
	}
	return p, true
}

// approveRequests issues the ticked requests, each in its own
// transaction, checked again as they are now: a request that is no
// longer open, changed since the page, or that now has a warning or a
// problem is held (left in the queue, with its reason shown there), not
// issued.
func (ws *Workspace) approveRequests(w http.ResponseWriter, r *http.Request, v *visit) {
	who, refusal := ws.prescriber(r.Context(), v)
	if refusal != "" {
		ws.message(w, r, v, http.StatusForbidden, "Not a prescriber", refusal)
		return
	}
	chosen := r.PostForm["request"]
	if len(chosen) == 0 {
		p, ok := ws.prescriptionsPageOf(w, r, v)
		if !ok {
			return
		}
		id := "request"
		for _, row := range p.Rows {
			if row.Clean() {
				id = "request-" + row.Task.ID
				break
			}
		}
		p.AddError(id, "Select the requests to approve and issue")
		ws.pages.Render(w, "prescriptions", http.StatusUnprocessableEntity, p)
		return
	}
	approved, held := 0, 0
	for _, id := range chosen {
		if err := ws.approveRequest(r.Context(), v, who, id, r.PostFormValue("task-version-"+id), func(auth string) string { return r.PostFormValue("version-" + auth) }); err != nil {
			held++
			var fe *fhir.Error
			if !errors.Is(err, errHeld) && !(errors.As(err, &fe) && fe.Status < 500) {
				ws.opts.Logger.Error("approve repeat request", "task", id, "error", err)
			}
			continue
		}
		approved++
	}
	http.Redirect(w, r, "/workspace/prescriptions?approved="+strconv.Itoa(approved)+"&held="+strconv.Itoa(held), http.StatusSeeOther)
}

// errHeld is a request not approved because it is not clean now, or no
// longer as the page showed it.
var errHeld = errors.New("repeat request held")

// approveRequest issues one clean request: its repeats as checked now at
// the versions shown, and the Task completed with its issues, in one
// transaction.
func (ws *Workspace) approveRequest(ctx context.Context, v *visit, who clinical.Prescriber, taskID, taskVersion string, version func(string) string) error {
	res, err := ws.read(ctx, "Task", taskID)
	if err != nil {
		return err
	}
	t := clinical.TaskOf(res)
	if !clinical.IsPortalTask(res, clinical.TaskRepeatRequest) || !t.Open() || taskVersion == "" || t.Version != taskVersion {
		return errHeld // dealt with already, or changed since the page
	}
	q := ws.checkRequest(ctx, res, version)
	if !q.Clean() {
		return errHeld
	}
	return ws.writeApproval(ctx, v, q, who, "")
}

// writeApproval writes the request's issues and the Task completed with
// them, If-Match the versions checked.
func (ws *Workspace) writeApproval(ctx context.Context, v *visit, q rxRequest, who clinical.Prescriber, reason string) error {
	now := ws.opts.Now()
	plan, issues, err := ws.issuePlan(ctx, v, q.Patient.ID, q.check, who, reason, now)
	if err != nil {
		return err
	}
	// The Task's note names the practitioner (a Task note's author may
	// not be a PractitionerRole); the issues name the prescriber's role.
	plan.Changes = append(plan.Changes, clinical.Change{Ref: "Task/" + q.Task.ID, Resource: clinical.ApprovedRequest(q.res, issues, ws.authorRef(ctx, v), now), Version: q.Task.Version})
	_, err = ws.write(ctx, plan, q.Patient.ID, who.Ref, "Repeat request approved and issued")
	return err
}
