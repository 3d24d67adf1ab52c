package workspace

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gpcloud/gpcloud/internal/appointments"
)

// displacedPage is the worklist of patients booked into time a
// clinician's rota now takes out (off sick on the day, leave): a group
// per clinician, each with "move them to another clinician" at once and
// "rang the patient" per row. A patient stays on it until their
// appointment is moved or cancelled.
type displacedPage struct {
	page
	Groups []displacedGroup
	Result *appointments.RebookResult
	// Names are the Schedules' clinicians, for the result's words.
	Names map[string]string
	Flash string
}

// displacedGroup is one clinician's displaced appointments.
type displacedGroup struct {
	Schedule, Name string
	Items          []appointments.DisplacedAppointment
	Targets        []option // the other clinicians
	Target         string
}

func (ws *Workspace) displacedView(r *http.Request, v *visit) (*displacedPage, error) {
	p := &displacedPage{page: ws.base(v, "Displaced patients", "Appointments")}
	wl, err := appointments.DisplacedOf(r.Context(), ws.opts.Service, "", ws.opts.Now())
	if err != nil {
		return nil, err
	}
	p.Names = wl.Names
	var all []option
	for id, name := range wl.Names {
		all = append(all, option{id, name})
	}
	slices.SortFunc(all, func(a, b option) int { return strings.Compare(a.Label, b.Label) })
	index := map[string]int{}
	for _, it := range wl.Items {
		i, ok := index[it.Schedule]
		if !ok {
			g := displacedGroup{Schedule: it.Schedule, Name: wl.Names[it.Schedule]}
			for _, o := range all {
				if o.Value != it.Schedule {
					g.Targets = append(g.Targets, o)
				}
			}
			i = len(p.Groups)
			index[it.Schedule] = i
			p.Groups = append(p.Groups, g)
		}
		p.Groups[i].Items = append(p.Groups[i].Items, it)
	}
	return p, nil
}

func (ws *Workspace) displaced(w http.ResponseWriter, r *http.Request, v *visit) {
	p, err := ws.displacedView(r, v)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	ws.pages.Render(w, "displaced", http.StatusOK, p)
}

// rebook takes the worklist's form: "move the chosen patients" to the
// clinician chosen, or one patient marked as rung. Either way the page
// is shown again as it now is, with what was done.
func (ws *Workspace) rebook(w http.ResponseWriter, r *http.Request, v *visit) {
	now := ws.opts.Now()
	if c := r.PostFormValue("contacted"); c != "" {
		id, version, ok := idVersion(c)
		if !ok {
			http.Error(w, "bad appointment", http.StatusBadRequest)
			return
		}
		err := appointments.MarkContacted(r.Context(), ws.opts.Service, id, version, now)
		p, verr := ws.displacedView(r, v)
		if verr != nil {
			ws.failed(w, r, v, verr)
			return
		}
		status := http.StatusOK
		if err != nil {
			p.AddError("contacted-"+id, "Someone else changed that appointment a moment ago, so nothing was recorded. It is shown as it is now.")
			status = http.StatusConflict
		} else {
			p.Flash = "Recorded that the patient was rung. They stay on the list until their appointment is moved or cancelled."
		}
		ws.pages.Render(w, "displaced", status, p)
		return
	}
	source, target := r.PostFormValue("schedule"), r.PostFormValue("target")
	chosen := map[string]int64{}
	for _, c := range r.PostForm["appt"] {
		if id, version, ok := idVersion(c); ok {
			chosen[id] = version
		}
	}
	if !isID(source) {
		http.Error(w, "bad schedule", http.StatusBadRequest)
		return
	}
	p, err := ws.displacedView(r, v)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	for i := range p.Groups {
		if p.Groups[i].Schedule == source {
			p.Groups[i].Target = target
		}
	}
	if !isID(target) || target == source || p.Names[target] == "" {
		p.AddError("target-"+source, "Choose the clinician to move the patients to")
	}
	if len(chosen) == 0 {
		p.AddError("target-"+source, "Choose at least one patient to move")
	}
	if len(p.Errors) > 0 {
		ws.pages.Render(w, "displaced", http.StatusUnprocessableEntity, p)
		return
	}
	res, err := appointments.Rebook(r.Context(), ws.opts.Service, source, target, chosen, now)
	if err != nil && res == nil {
		ws.failed(w, r, v, err)
		return
	}
	p, verr := ws.displacedView(r, v)
	if verr != nil {
		ws.failed(w, r, v, verr)
		return
	}
	p.Result = res
	if err != nil {
		p.AddError("result", err.Error())
	}
	ws.pages.Render(w, "displaced", http.StatusOK, p)
}

// idVersion reads "id.version", a row of the worklist as it was shown.
func idVersion(s string) (string, int64, bool) {
	i := strings.LastIndexByte(s, '.')
	if i < 0 {
		return "", 0, false
	}
	v, err := strconv.ParseInt(s[i+1:], 10, 64)
	return s[:i], v, err == nil && isID(s[:i])
}
