package workspace

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gpcloud/gpcloud/internal/appointments"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// dutyPage is today's duty list: the patients the duty clinician must
// call back, outside the book's slots, and the form reception adds one
// with (find the patient, the reason, the number to ring).
type dutyPage struct {
	page
	Heading    string
	Entries    []appointments.DutyEntry
	Waiting    int
	Flash      string
	Query      string
	Results    []clinical.Banner
	Searched   bool
	Patient    *clinical.Banner
	Alerts     []string
	Reason     string
	Callback   string
	Clinician  string
	Clinicians []option
	Methods    []clinical.Concept
	Method     string
}

// dutyActions are the buttons that work an entry, by its status.
var dutyActions = map[string][]move{
	"booked":     {{"checked-in", "Calling now", "nhsuk-button--secondary"}, {"fulfilled", "Done", ""}},
	"checked-in": {{"fulfilled", "Done", ""}, {clinical.NoAnswer, "No answer", "nhsuk-button--secondary"}},
}

func (ws *Workspace) dutyView(r *http.Request, v *visit) (*dutyPage, error) {
	now := ws.opts.Now()
	p := &dutyPage{page: ws.base(v, "Duty list", "Appointments"), Methods: clinical.BookingMethods, Method: "telephone",
		Heading: now.In(clinical.UKTime).Format("Monday 2 January 2006")}
	list, err := appointments.DutyList(r.Context(), ws.opts.Service, now)
	if err != nil {
		return nil, err
	}
	p.Entries = list
	for _, e := range list {
		if e.Status == "booked" || e.Status == "checked-in" {
			p.Waiting++
		}
	}
	prs, err := ws.opts.Service.Search(r.Context(), service.SearchRequest{Type: "Practitioner", Params: url.Values{"_count": {"200"}, "active": {"true"}}})
	if err != nil {
		return nil, err
	}
	for _, pr := range searchMatches(prs.Resource) {
		p.Clinicians = append(p.Clinicians, option{pr.ID(), practitionerName(pr)})
	}
	slices.SortFunc(p.Clinicians, func(a, b option) int { return strings.Compare(a.Label, b.Label) })
	return p, nil
}

func (ws *Workspace) duty(w http.ResponseWriter, r *http.Request, v *visit) {
	p, err := ws.dutyView(r, v)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	switch r.URL.Query().Get("done") {
	case "added":
		p.Flash = "Added to the duty list."
	case "worked":
		p.Flash = "The duty list is updated."
	}
	ws.pages.Render(w, "duty", http.StatusOK, p)
}

// addDuty takes the add form: "find" searches for the patient (the
// query in the body, never the URL), "add" puts them on the list.
func (ws *Workspace) addDuty(w http.ResponseWriter, r *http.Request, v *visit) {
	p, err := ws.dutyView(r, v)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	p.Query, p.Reason, p.Callback = r.PostFormValue("q"), r.PostFormValue("reason"), r.PostFormValue("callback")
	p.Clinician, p.Method = r.PostFormValue("clinician"), r.PostFormValue("method")
	choose := func(id string) error {
		res, err := ws.read(r.Context(), "Patient", id)
		if err != nil {
			return err
		}
		b := clinical.BannerOf(res, ws.opts.Now())
		p.Patient = &b
		alerts, err := appointments.Alerts(r.Context(), ws.opts.Service, []string{"Patient/" + id})
		if err != nil {
			return err
		}
		p.Alerts = alerts["Patient/"+id]
		if p.Callback == "" {
			p.Callback = phoneOf(res)
		}
		return nil
	}
	if id := r.PostFormValue("patient"); id != "" && isID(id) && r.PostFormValue("action") != "find" {
		if err := choose(id); err != nil {
			p.AddError("q", "That patient could not be opened: search again")
			p.Patient = nil
		}
	}
	if r.PostFormValue("action") == "find" {
		q := clinical.ParsePatientQuery(p.Query, ws.opts.Now())
		if q.Empty() {
			p.AddError("q", "Enter a name, date of birth, NHS number or postcode")
		} else {
			results, err := ws.findPatients(r.Context(), q)
			if err != nil {
				ws.failed(w, r, v, err)
				return
			}
			p.Results, p.Searched = results, true
			if len(results) == 1 {
				_ = choose(results[0].ID)
			}
		}
		ws.pages.Render(w, "duty", http.StatusOK, p)
		return
	}
	req := clinical.DutyRequest{Reason: p.Reason, Callback: p.Callback, Method: p.Method,
		BookedBy: clinical.Ref{Reference: v.principal.FHIRUser, Display: v.user.Name}}
	if p.Patient != nil {
		req.PatientID, req.PatientName = p.Patient.ID, p.Patient.Name
	}
	for _, c := range p.Clinicians {
		if c.Value == p.Clinician {
			req.Clinician = clinical.Ref{Reference: "Practitioner/" + c.Value, Display: c.Label}
		}
	}
	if errs := req.Check(); len(errs) > 0 {
		if errs["patient"] != "" {
			errs["q"] = "Find and choose the patient"
			delete(errs, "patient")
		}
		if errs["method"] != "" {
			errs["method-telephone"] = errs["method"]
			delete(errs, "method")
		}
		fieldErrors(&p.page, errs, []string{"q", "reason", "callback", "method-telephone"})
		ws.pages.Render(w, "duty", http.StatusUnprocessableEntity, p)
		return
	}
	if _, err := appointments.AddToDuty(r.Context(), ws.opts.Service, req, ws.opts.Now()); err != nil {
		ws.failed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/duty?done=added", http.StatusSeeOther)
}

// workDuty moves one entry on (calling, done), If-Match the version the
// list showed.
func (ws *Workspace) workDuty(w http.ResponseWriter, r *http.Request, v *visit) {
	id, to := r.PathValue("appt"), r.PostFormValue("status")
	version, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil || !isID(id) {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	err = appointments.WorkDuty(r.Context(), ws.opts.Service, id, version, to, ws.opts.Now())
	var fe *fhir.Error
	if errors.As(err, &fe) && (fe.Status == http.StatusPreconditionFailed || fe.Status == http.StatusConflict || fe.Status == http.StatusUnprocessableEntity) {
		p, verr := ws.dutyView(r, v)
		if verr != nil {
			ws.failed(w, r, v, verr)
			return
		}
		p.AddError("entry-"+id, "Someone else changed this entry a moment ago, or it cannot be marked that way now, so nothing was changed. The list is shown as it is now.")
		ws.pages.Render(w, "duty", http.StatusConflict, p)
		return
	}
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/duty?done=worked", http.StatusSeeOther)
}

// phoneOf is the patient's first phone number, to ring back on.
func phoneOf(p fhir.Resource) string {
	for _, t := range list(p["telecom"]) {
		if s := text(t["system"]); (s == "phone" || s == "sms") && text(t["value"]) != "" {
			return text(t["value"])
		}
	}
	return ""
}
