package portal

import (
	"net/http"
	"net/url"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Repeat prescriptions: the patient's current repeats to choose from
// (clinical.PortalRepeats: repeats only, none asked for twice, none with
// a pre-authorised issue outstanding, none before the practice's
// ordering window opens, each saying why), a note,
// and the status of their requests. A request is a Task for the
// practice, based on the MedicationRequests asked for. The nominated
// pharmacy lives on PDS, which is not connected: it is shown read-only
// as not connected rather than as a local setting that would mislead.

type repeatsPage struct {
	page
	Repeats []clinical.PortalRepeat
	// Orderable are the repeats that may be ordered now; Waiting those
	// asked for (listed apart, without a checkbox); Blocked those that
	// cannot be ordered yet, each saying why.
	Orderable, Waiting, Blocked []clinical.PortalRepeat
	Requests                    []clinical.PortalTaskRow
	Order                       clinical.RepeatOrder
	Sent                        bool
	// Pharmacy is the nominated pharmacy the record holds (a copy of
	// PDS's), nil when none: shown read-only.
	Pharmacy *clinical.Ref
}

// repeatsFor reads the patient's repeats, by the practice's rules, and
// their requests. The medicines read are the active ones (the repeats,
// issues still to start, batches running) and everything of the last 13
// months (the issues that date the last supply, prescriptions being
// prepared): an issue older than that has run out under any window.
func (pt *Portal) repeatsFor(r *http.Request, v *visit) ([]clinical.PortalRepeat, []fhir.Resource, error) {
	patient := "Patient/" + v.Patient.ID
	now := pt.opts.Now()
	active, err := pt.search(r, "MedicationRequest", url.Values{"patient": {patient}, "status": {"active"}, "_count": {"500"}})
	if err != nil {
		return nil, nil, err
	}
	recent, err := pt.search(r, "MedicationRequest", url.Values{"patient": {patient}, "authoredon": {"ge" + now.AddDate(0, -13, 0).Format("2006-01-02")}, "_sort": {"-authoredon"}, "_count": {"500"}})
	if err != nil {
		return nil, nil, err
	}
	tasks, err := pt.search(r, "Task", url.Values{"patient": {patient}, "_count": {"200"}})
	if err != nil {
		return nil, nil, err
	}
	meds := active
	seen := map[string]bool{}
	for _, m := range active {
		seen[m.ID()] = true
	}
	for _, m := range recent {
		if !seen[m.ID()] {
			meds = append(meds, m)
		}
	}
	return clinical.PortalRepeats(clinical.ForPatient(meds), clinical.PendingRepeats(tasks), pt.settings(r, v), now), tasks, nil
}

// settings are the patient's practice's portal rules (the defaults when
// the practice's record cannot be read).
func (pt *Portal) settings(r *http.Request, v *visit) clinical.PortalSettings {
	if v.Practice == "" {
		return clinical.DefaultPortalSettings
	}
	org, err := pt.read(r, "Organization", v.Practice)
	if err != nil {
		return clinical.DefaultPortalSettings
	}
	return clinical.PortalSettingsOf(org)
}

func (pt *Portal) repeatsPage(r *http.Request, v *visit) (*repeatsPage, error) {
	repeats, tasks, err := pt.repeatsFor(r, v)
	if err != nil {
		return nil, err
	}
	patient, err := pt.read(r, "Patient", v.Patient.ID)
	if err != nil {
		return nil, err
	}
	p := &repeatsPage{page: pt.base(v, "Order a repeat prescription", "Prescriptions"), Repeats: repeats,
		Requests: clinical.PortalTaskRows(tasks, clinical.TaskRepeatRequest), Pharmacy: clinical.NominatedPharmacyOf(patient)}
	for _, m := range repeats {
		switch {
		case m.Requested:
			p.Waiting = append(p.Waiting, m)
		case m.Blocked != "":
			p.Blocked = append(p.Blocked, m)
		default:
			p.Orderable = append(p.Orderable, m)
		}
	}
	return p, nil
}

func (pt *Portal) repeats(w http.ResponseWriter, r *http.Request, v *visit) {
	p, err := pt.repeatsPage(r, v)
	if err != nil {
		pt.failed(w, r, v, err)
		return
	}
	p.Sent = r.URL.Query().Get("sent") == "1"
	pt.pages.Render(w, "repeats", http.StatusOK, p)
}

// orderRepeats sends the request, checked against the repeats as they
// are now.
func (pt *Portal) orderRepeats(w http.ResponseWriter, r *http.Request, v *visit) {
	p, err := pt.repeatsPage(r, v)
	if err != nil {
		pt.failed(w, r, v, err)
		return
	}
	p.Order = clinical.RepeatOrder{Chosen: r.PostForm["medicine"], Note: r.PostFormValue("note")}
	if errs := p.Order.Check(p.Repeats); len(errs) > 0 {
		if e := errs["medicines"]; e != "" {
			id := "medicines"
			if len(p.Orderable) > 0 {
				id = "medicine-" + p.Orderable[0].ID
			}
			p.AddError(id, e)
		}
		if e := errs["note"]; e != "" {
			p.AddError("note", e)
		}
		pt.pages.Render(w, "repeats", http.StatusUnprocessableEntity, p)
		return
	}
	task := p.Order.Task(pt.requester(v), p.Repeats, clinical.NewRequestReference("RX"), pt.opts.Now())
	if _, err := pt.opts.Service.Create(r.Context(), "Task", task, ""); err != nil {
		pt.failed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/patient/prescriptions?sent=1", http.StatusSeeOther)
}
