package portal

import (
	"errors"
	"net/http"
	"slices"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// homePage is where a patient lands after signing in: whose record, and
// the things they can do, one link each.
type homePage struct {
	page
	Name, NHSNumber string
	Switched        bool
	// Allowed are the services the user may use for this record (a
	// proxy's grant); Why says why there are none.
	Allowed map[string]bool
	Why     string
}

func (pt *Portal) home(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &homePage{page: pt.base(v, "Your GP services", ""), Name: v.Patient.Name, NHSNumber: v.Patient.NHSNumber,
		Switched: r.URL.Query().Get("switched") == "1", Allowed: map[string]bool{}}
	for _, svc := range append(clinical.ProxyServices, clinical.Choice{Key: anyService}) {
		ok, why := v.allows(svc.Key)
		p.Allowed[svc.Key] = ok || svc.Key == clinical.ServiceRecord && !v.Proxy // the record page tells a patient why it shows nothing
		if !ok && p.Why == "" {
			p.Why = why
		}
	}
	if p.Allowed[anyService] {
		p.Why = ""
	}
	if v.Proxy {
		// Not the person's name: page titles stay in browser history.
		p.Title = "GP services"
	}
	pt.pages.Render(w, "home", http.StatusOK, p)
}

// switchPage chooses whose record a proxy uses.
type switchPage struct {
	page
	People  []clinical.Banner
	Current string
}

// unavailablePerson stands for a person a proxy may not read anything
// of, not even their name (a refusal, an ended grant).
const unavailablePerson = "A person whose details are not available to you online"

func (pt *Portal) people(r *http.Request, v *visit) ([]clinical.Banner, error) {
	var out []clinical.Banner
	for _, id := range v.user.Patients {
		res, err := pt.read(r, "Patient", id)
		var fe *fhir.Error
		if errors.As(err, &fe) && fe.Status == http.StatusNotFound {
			// A person the practice has not given them access for (or no
			// longer): not even their name is read.
			out = append(out, clinical.Banner{ID: id, Name: unavailablePerson})
			continue
		}
		if err != nil {
			return nil, err
		}
		b := clinical.BannerOf(res, pt.opts.Now())
		b.Name = clinical.PlainName(res, b.Name)
		out = append(out, b)
	}
	return out, nil
}

func (pt *Portal) switchForm(w http.ResponseWriter, r *http.Request, v *visit) {
	people, err := pt.people(r, v)
	if err != nil {
		pt.failed(w, r, v, err)
		return
	}
	p := &switchPage{page: pt.base(v, "Whose record do you want to use?", ""), People: people, Current: v.Patient.ID}
	pt.pages.Render(w, "switch", http.StatusOK, p)
}

// switchRecord remembers the chosen record for this browser (a cookie
// with the Patient's opaque id, checked on every request).
func (pt *Portal) switchRecord(w http.ResponseWriter, r *http.Request, v *visit) {
	id := r.PostFormValue("person")
	if !slices.Contains(v.user.Patients, id) {
		people, err := pt.people(r, v)
		if err != nil {
			pt.failed(w, r, v, err)
			return
		}
		p := &switchPage{page: pt.base(v, "Whose record do you want to use?", ""), People: people, Current: v.Patient.ID}
		if len(people) > 0 {
			p.AddError("person-"+people[0].ID, "Select whose record you want to use")
		}
		pt.pages.Render(w, "switch", http.StatusUnprocessableEntity, p)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: recordCookie, Value: id, Path: "/patient/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	http.Redirect(w, r, "/patient/?switched=1", http.StatusSeeOther)
}
