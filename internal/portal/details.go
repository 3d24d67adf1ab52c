package portal

import (
	"net/http"

	"github.com/gpcloud/gpcloud/internal/clinical"
)

// Contact details: the phone number and email address on the record,
// and a form to send new ones to the practice (a Task; the practice
// checks and applies the change: clinical.ContactChange).

type detailsPage struct {
	page
	Current, Change clinical.ContactChange
	Sent            bool
}

func (pt *Portal) detailsPage(r *http.Request, v *visit) (*detailsPage, error) {
	res, err := pt.read(r, "Patient", v.Patient.ID)
	if err != nil {
		return nil, err
	}
	cur := clinical.CurrentContact(res)
	return &detailsPage{page: pt.base(v, "Your contact details", ""), Current: cur, Change: cur}, nil
}

func (pt *Portal) details(w http.ResponseWriter, r *http.Request, v *visit) {
	p, err := pt.detailsPage(r, v)
	if err != nil {
		pt.failed(w, r, v, err)
		return
	}
	p.Sent = r.URL.Query().Get("sent") == "1"
	pt.pages.Render(w, "details", http.StatusOK, p)
}

func (pt *Portal) changeDetails(w http.ResponseWriter, r *http.Request, v *visit) {
	p, err := pt.detailsPage(r, v)
	if err != nil {
		pt.failed(w, r, v, err)
		return
	}
	p.Change = clinical.ContactChange{Mobile: r.PostFormValue("mobile"), Email: r.PostFormValue("email")}
	if errs := p.Change.Check(p.Current); len(errs) > 0 {
		for _, f := range []string{"mobile", "email"} {
			if e := errs[f]; e != "" {
				p.AddError(f, e)
			}
		}
		pt.pages.Render(w, "details", http.StatusUnprocessableEntity, p)
		return
	}
	task := p.Change.Task(pt.requester(v), p.Current, clinical.NewRequestReference("CD"), pt.opts.Now())
	if _, err := pt.opts.Service.Create(r.Context(), "Task", task, ""); err != nil {
		pt.failed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/patient/details?sent=1", http.StatusSeeOther)
}
