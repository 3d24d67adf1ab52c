// Package portal is the patients' pages at /patient/: their home after
// signing in, appointments (book an online slot, cancel), asking the
// practice for help (an online consultation), ordering repeat
// prescriptions and reading their record. A proxy (a parent or carer)
// does the same for the people they act for, switching between them.
//
// It is a thin web layer, like the workspace: a handler decodes a form,
// asks internal/clinical for the rules (red flags, repeat ordering,
// record access) and reads and writes only through internal/service as
// the signed-in patient's Principal, so a patient reaches exactly what
// their FHIR token would (their own record, or those they act for), the
// booking rules apply to every booking, and every page is audited. Pages
// follow the NHS.UK service manual: one thing per page, plain English,
// mobile first, and every flow works as plain form posts without
// JavaScript.
package portal

import (
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gpcloud/gpcloud/internal/audit"
	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/patientview"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/video"
	"github.com/gpcloud/gpcloud/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

// Options configure the portal.
type Options struct {
	Store   store.Store
	Service *service.Service
	// Audit records every page view and change, as the API's requests.
	Audit  *audit.Trail
	Logger *slog.Logger
	// Video is the video consultations' hub (nil: none offered).
	Video *video.Hub
	// Now is the clock (tests fix it).
	Now func() time.Time
}

// Portal serves /patient/.
type Portal struct {
	opts  Options
	mux   *http.ServeMux
	pages *web.Renderer
	// published is set once the request form's Questionnaire is in the
	// store (help.go).
	published sync.Once
	// registerLimit throttles registration per address (register.go).
	registerLimit *web.Limiter
}

// New returns the portal.
func New(opts Options) *Portal {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	pt := &Portal{opts: opts, mux: http.NewServeMux(), registerLimit: web.NewLimiter(registerThrottle, 15*time.Minute)}
	pt.pages = web.NewRenderer(templateFS, "templates", funcs, []string{"portal-shared"}, pageNames...)
	pt.routes()
	return pt
}

func (pt *Portal) ServeHTTP(w http.ResponseWriter, r *http.Request) { pt.mux.ServeHTTP(w, r) }

// Routes lists the patterns the portal handles, for mounting it.
func Routes() []string { return []string{"/patient/"} }

var funcs = template.FuncMap{
	"longDate": func(t time.Time) string { return t.In(clinical.UKTime).Format("Monday 2 January 2006") },
	"hhmm":     func(t time.Time) string { return t.In(clinical.UKTime).Format("3:04pm") },
	"chosen":   func(ids []string, id string) bool { return slices.Contains(ids, id) },
	"ukTime":   func() *time.Location { return clinical.UKTime },
	"lower":    strings.ToLower,
	"modeLabel": func(m string) string {
		if l, ok := modeLabels[m]; ok {
			return l
		}
		return "Appointment"
	},
}

var modeLabels = map[string]string{"face-to-face": "At the surgery", "telephone": "Phone call", "video": "Video call", "home-visit": "Home visit"}

// recordCookie remembers whose record a proxy is looking at. It holds
// an opaque Patient id, checked against the account's patients on every
// request: a changed cookie reaches nobody else.
const recordCookie = "gp_record"

// visit is one signed-in request.
type visit struct {
	sess      *identity.Session
	user      *identity.User
	principal *auth.Principal
	// Patient is the record the pages are about: the patient's own, or
	// the one a proxy chose.
	Patient clinical.Banner
	// Practice is the patient's registered practice (Organization id),
	// the owner of their requests.
	Practice string
	Proxy    bool
	// access is what a proxy may use of this record, as the service
	// decides it (service.PatientAccess: their grant, the age rules).
	access patientview.Access
	// unavailable: a proxy who may read nothing of the person, not even
	// their name (Patient.Name is then unavailablePerson).
	unavailable bool
}

// patient wraps a page for patients and proxies: their principal goes
// into the request's context (every service call runs as them), the
// record the page is about is chosen (and must be one they reach), a
// form's CSRF token and patient are checked, and the request is audited
// as the API's are.
func (pt *Portal) patient(interaction string, h func(http.ResponseWriter, *http.Request, *visit)) http.HandlerFunc {
	return web.SignedInPage(pt.opts.Store, pt.opts.Audit, interaction, nil, func(rec http.ResponseWriter, r *http.Request, pv web.PageVisit) {
		sess, u := pv.Session, pv.User
		v := &visit{sess: sess, user: u, principal: pv.Principal, Proxy: u.Role == auth.RoleProxy}
		switch {
		case u.Role != auth.RolePatient && u.Role != auth.RoleProxy:
			pt.message(rec, v, http.StatusForbidden, "Not available", "These pages are for patients. Practice staff use the workspace.")
			return
		case len(u.Patients) == 0:
			pt.message(rec, v, http.StatusForbidden, "No record linked", "Your account is not linked to a GP record yet. Contact your GP surgery.")
			return
		case !pv.CSRFOK:
			pt.message(rec, v, http.StatusForbidden, "Form expired", "This form has expired. Go back, reload the page and try again.")
			return
		}
		id := u.Patients[0]
		if c, err := r.Cookie(recordCookie); err == nil && slices.Contains(u.Patients, c.Value) {
			id = c.Value
		}
		// Every form carries the patient it was shown for; a form from a
		// tab showing someone else (the proxy switched meanwhile) is
		// refused with nothing written: the wrong-patient hazard
		// (H-1003). The switch itself names its own target.
		if r.Method == http.MethodPost && r.URL.Path != "/patient/switch" && r.PostFormValue("patient") != id {
			pt.message(rec, v, http.StatusConflict, "Record changed", "You have switched to another person's record since this page was shown, so nothing was sent. Go to the home page to check whose record you are using, then try again.")
			return
		}
		if v.Proxy {
			access, err := pt.opts.Service.PatientAccess(r.Context(), id)
			if err != nil {
				pt.failed(rec, r, v, err)
				return
			}
			v.access = access
		}
		if v.Proxy && v.access.Shut() {
			// A proxy who may use nothing for this person reads nothing of
			// them, not even their details (a refusal, an ended grant):
			// the home and record pages say why, and they may switch to
			// another.
			v.Patient, v.unavailable = clinical.Banner{ID: id, Name: unavailablePerson}, true
			if r.URL.Path != "/patient/" && r.URL.Path != "/patient/switch" && r.URL.Path != "/patient/record" {
				_, why := v.allows(anyService)
				pt.message(rec, v, http.StatusForbidden, "Not available", why)
				return
			}
			h(rec, r, v)
			return
		}
		if err := pt.load(r, v, id); err != nil {
			pt.failed(rec, r, v, err)
			return
		}
		// A record closed to the portal (died, left the practice) shows
		// nothing and takes nothing; a proxy may still switch to another.
		if why := clinical.OnlineAccessClosed(v.Patient); why != "" && r.URL.Path != "/patient/switch" {
			pt.message(rec, v, http.StatusForbidden, "Record not available", why)
			return
		}
		// A proxy uses only the services the practice has given them, under
		// the age and capacity rules (clinical.ProxyAccess, H-1011); the
		// record page says itself why it shows nothing.
		if v.Proxy {
			if svc := serviceOf(r.URL.Path); svc != "" && svc != clinical.ServiceRecord {
				if ok, why := v.allows(svc); !ok {
					pt.message(rec, v, http.StatusForbidden, "Not available", why)
					return
				}
			}
		}
		h(rec, r, v)
	})
}

// serviceOf is the proxy service a page belongs to: "" for home and the
// record switch, anyService for pages of no one service (contact
// details), which a proxy may use when they have any.
func serviceOf(path string) string {
	for prefix, svc := range map[string]string{
		"/patient/appointments": clinical.ServiceAppointments, "/patient/book": clinical.ServiceAppointments,
		"/patient/help": clinical.ServiceRequests, "/patient/prescriptions": clinical.ServiceRepeats,
		"/patient/record": clinical.ServiceRecord, "/patient/messages": clinical.ServiceMessages,
		"/patient/details": anyService,
	} {
		if path == prefix || strings.HasPrefix(path, prefix+"/") {
			return svc
		}
	}
	return ""
}

const anyService = "any"

// allows says whether the visit may use a service: a patient their own
// (the record by its own rules), a proxy what their grant allows.
func (v *visit) allows(svc string) (bool, string) {
	if !v.Proxy {
		return true, ""
	}
	if svc == anyService {
		var first string
		for _, s := range clinical.ProxyServices {
			if v.access.Uses(s.Key) {
				return true, ""
			}
			if first == "" {
				first = v.access.Why(s.Key)
			}
		}
		return false, first
	}
	return v.access.Uses(svc), v.access.Why(svc)
}

// load reads the chosen patient, as the user.
func (pt *Portal) load(r *http.Request, v *visit, id string) error {
	res, err := pt.read(r, "Patient", id)
	if err != nil {
		return err
	}
	v.Patient = clinical.BannerOf(res, pt.opts.Now())
	v.Patient.Name = clinical.PlainName(res, v.Patient.Name)
	for _, key := range []string{"generalPractitioner", "managingOrganization"} {
		refs, _ := res[key].([]any)
		if m, ok := res[key].(map[string]any); ok {
			refs = []any{m}
		}
		for _, x := range refs {
			m, _ := x.(map[string]any)
			ref, _ := m["reference"].(string)
			if org, ok := strings.CutPrefix(ref, "Organization/"); ok && v.Practice == "" {
				v.Practice = org
			}
		}
	}
	if v.Practice == "" {
		v.Practice = v.user.Practice
	}
	return nil
}

// read reads one resource as the user.
func (pt *Portal) read(r *http.Request, typ, id string) (fhir.Resource, error) {
	out, err := pt.opts.Service.Read(r.Context(), typ, id)
	if err != nil {
		return nil, err
	}
	return fhir.Unmarshal(out.Version.Body)
}

// failed answers a service error in plain English.
func (pt *Portal) failed(w http.ResponseWriter, r *http.Request, v *visit, err error) {
	var fe *fhir.Error
	if errors.As(err, &fe) {
		switch fe.Status {
		case http.StatusNotFound, http.StatusGone:
			pt.message(w, v, http.StatusNotFound, "Page not found", "We could not find this. It may have been removed, or it is not part of a record you can see.")
			return
		case http.StatusForbidden:
			pt.message(w, v, http.StatusForbidden, "Not available", "You cannot do this online. Contact your GP surgery.")
			return
		case http.StatusServiceUnavailable:
			pt.message(w, v, http.StatusServiceUnavailable, "Sorry, there is a problem", "Try again in a few minutes. Nothing was changed.")
			return
		}
	}
	pt.opts.Logger.Error("portal page failed", "path", r.URL.Path, "error", err)
	pt.message(w, v, http.StatusInternalServerError, "Sorry, there is a problem with the service", "Try again later. Nothing was changed. If you need help now, call your GP surgery or 111.")
}
