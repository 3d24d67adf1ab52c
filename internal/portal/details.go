package portal

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// Contact details: the phone number and email address on the record,
// and a form to change them. A new mobile or email is applied to the
// record at once as the patient (the service lets a patient change only
// their own telecom, and audits it), and the practice is told by a Task;
// a new home address goes to the practice to check and apply
// (clinical.ContactChange says why). A proxy sends every change to the
// practice: they act for the patient, not as them.

type detailsPage struct {
	page
	Current, Change clinical.ContactChange
	Version         int64
	// Saved: the mobile or email was applied; Sent: an address (or a
	// proxy's change) went to the practice.
	Saved, Sent bool
	// Proxy: changes go to the practice rather than being applied.
	Proxy bool
}

func (pt *Portal) detailsPage(r *http.Request, v *visit) (*detailsPage, fhir.Resource, error) {
	out, err := pt.opts.Service.Read(r.Context(), "Patient", v.Patient.ID)
	if err != nil {
		return nil, nil, err
	}
	res, err := fhir.Unmarshal(out.Version.Body)
	if err != nil {
		return nil, nil, err
	}
	cur := clinical.CurrentContact(res)
	return &detailsPage{page: pt.base(v, "Your contact details", ""), Current: cur, Change: cur, Version: out.Version.VersionID, Proxy: v.Proxy}, res, nil
}

func (pt *Portal) details(w http.ResponseWriter, r *http.Request, v *visit) {
	p, _, err := pt.detailsPage(r, v)
	if err != nil {
		pt.failed(w, r, v, err)
		return
	}
	p.Saved = r.URL.Query().Get("saved") == "1"
	p.Sent = r.URL.Query().Get("sent") == "1"
	pt.pages.Render(w, "details", http.StatusOK, p)
}

func (pt *Portal) changeDetails(w http.ResponseWriter, r *http.Request, v *visit) {
	p, patient, err := pt.detailsPage(r, v)
	if err != nil {
		pt.failed(w, r, v, err)
		return
	}
	p.Change = clinical.ContactChange{Mobile: r.PostFormValue("mobile"), Email: r.PostFormValue("email"), Address: r.PostFormValue("address")}
	if errs := p.Change.Check(p.Current); len(errs) > 0 {
		for _, f := range []string{"mobile", "email", "address"} {
			if e := errs[f]; e != "" {
				p.AddError(f, e)
			}
		}
		pt.pages.Render(w, "details", http.StatusUnprocessableEntity, p)
		return
	}
	applied := !p.Proxy && p.Change.ContactApplied(p.Current)
	if applied {
		// If-Match the version the form was shown with: a change made
		// meanwhile (by the practice) is not overwritten unseen.
		version, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
		if err != nil || version != p.Version {
			pt.message(w, v, http.StatusConflict, "Your details have changed", "Your record changed after you opened the page, so nothing was saved. Go back, check your details and try again.")
			return
		}
		_, err = pt.opts.Service.Update(r.Context(), "Patient", v.Patient.ID, p.Change.Applied(patient, p.Current), service.Precondition{Set: true, Version: version})
		var fe *fhir.Error
		switch {
		case errors.As(err, &fe) && fe.Status == http.StatusPreconditionFailed:
			pt.message(w, v, http.StatusConflict, "Your details have changed", "Your record changed after you opened the page, so nothing was saved. Go back, check your details and try again.")
			return
		case err != nil:
			pt.failed(w, r, v, err)
			return
		}
	}
	task := p.Change.Task(pt.requester(v), p.Current, clinical.NewRequestReference("CD"), pt.opts.Now())
	if _, err := pt.opts.Service.Create(r.Context(), "Task", task, ""); err != nil {
		pt.failed(w, r, v, err)
		return
	}
	to := "/patient/details?sent=1"
	if applied {
		to = "/patient/details?saved=1"
		if p.Change.Address != "" {
			to += "&sent=1"
		}
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}
