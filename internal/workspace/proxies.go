package workspace

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/service"
)

// A patient's proxies: the accounts that act for them online (a parent,
// a carer), what the practice has decided for each (the services, the
// basis: parental responsibility, the child's or the patient's consent,
// a lasting power of attorney, a court deputy, a best-interests
// decision; or a refusal for safeguarding), and what that allows today
// under the age rules (clinical/proxy_grants.go). Each decision is a new
// version of the proxy's Consent, written If-Match the version shown.

// proxiesTab is the record tab of the proxies page.
const proxiesTab = "Online access"

// proxyRow is one proxy account with the practice's decision.
type proxyRow struct {
	Username, Name, Proof string
	Grant                 *clinical.ProxyGrant
	// Today says, per service, whether it is allowed now and why not.
	Today []proxyToday
	// Form: what the form was filled with (after an error).
	Basis    string
	Services []string
	Note     string
	Version  string
}

type proxyToday struct {
	Service, Why string
	OK           bool
}

type proxiesPage struct {
	page
	Proxies  []proxyRow
	Bases    []clinical.Choice
	Services []clinical.Choice
	MayWrite bool
	Saved    bool
	Conflict bool
	// Form is the username whose form has errors.
	Form string
	// Access is the patient's own online access (record_access.go);
	// Invite the proxy-invitation form (invitations.go).
	Access accessPanel
	Invite invitePanel
}

func (ws *Workspace) proxiesPage(w http.ResponseWriter, r *http.Request, v *visit) (*proxiesPage, string, map[string]fhir.Resource, bool) {
	patient, ok := ws.patient(w, r, v)
	if !ok {
		return nil, "", nil, false
	}
	res, err := ws.read(r.Context(), "Patient", patient.ID)
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, "", nil, false
	}
	birth, _ := res["birthDate"].(string)
	users, err := identity.ProxiesOf(r.Context(), ws.opts.Store, patient.ID)
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, "", nil, false
	}
	out, err := ws.opts.Service.Search(r.Context(), service.SearchRequest{Type: "Consent", Params: url.Values{
		"patient": {"Patient/" + patient.ID}, "category": {clinical.ProxyGrantSystem + "|proxy-access," + clinical.RecordAccessSystem + "|record-access"}, "_count": {"100"}}})
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, "", nil, false
	}
	consents := searchMatches(out.Resource)
	_, mayWrite := v.principal.ReachFor("Consent", auth.Update)
	// A role whose Consent writes are narrowed to one category (a
	// receptionist: the GP Connect sharing choice) decides no online
	// access, proxies or levels (the service would refuse the write).
	if _, narrowed := auth.WritesOnlyCategory[v.user.Role]["Consent"]; narrowed {
		mayWrite = false
	}
	p := &proxiesPage{page: ws.recordBase(v, "Online access", proxiesTab, &patient), Bases: clinical.ProxyBases, Services: clinical.ProxyServices,
		MayWrite: mayWrite, Saved: r.URL.Query().Get("saved") == "1"}
	p.Access.Saved = r.URL.Query().Get("saved")
	current := map[string]fhir.Resource{}
	now := ws.opts.Now()
	for _, u := range users {
		row := proxyRow{Username: u.ID, Name: u.Name, Proof: u.IdentityProof, Grant: clinical.GrantFor(consents, u.ID)}
		if row.Grant != nil {
			row.Version, row.Basis, row.Services = row.Grant.Version, row.Grant.Basis, row.Grant.Services
			for _, c := range consents {
				if c.ID() == row.Grant.ID {
					current[u.ID] = c
				}
			}
		}
		for _, s := range clinical.ProxyServices {
			ok, why := clinical.ProxyAccess(row.Grant, birth, s.Key, now)
			if !ok && row.Grant != nil && !row.Grant.Refused && !row.Grant.Ended && !slices.Contains(row.Grant.Services, s.Key) {
				why = "not given" // the proxy's wording is for the proxy
			}
			row.Today = append(row.Today, proxyToday{Service: s.Label, OK: ok, Why: why})
		}
		p.Proxies = append(p.Proxies, row)
	}
	if err := ws.fillAccess(r.Context(), p, patient.ID, birth, consents, now); err != nil {
		ws.failed(w, r, v, err)
		return nil, "", nil, false
	}
	return p, birth, current, true
}

func (ws *Workspace) proxies(w http.ResponseWriter, r *http.Request, v *visit) {
	p, _, _, ok := ws.proxiesPage(w, r, v)
	if !ok {
		return
	}
	ws.pages.Render(w, "proxies", http.StatusOK, p)
}

// accessWrite reads the Online access page for a form posted to it: a
// form for another patient, or from a role that may not decide online
// access, is answered here with nothing written.
func (ws *Workspace) accessWrite(w http.ResponseWriter, r *http.Request, v *visit) (*proxiesPage, string, map[string]fhir.Resource, bool) {
	p, birth, current, ok := ws.proxiesPage(w, r, v)
	if !ok || !ws.samePatient(w, r, v, *p.Banner) {
		return nil, "", nil, false
	}
	if !p.MayWrite {
		ws.message(w, r, v, http.StatusForbidden, "Not available to your role", "Your role cannot change online access.")
		return nil, "", nil, false
	}
	return p, birth, current, true
}

// saveConsent creates a Consent (id "") or writes a new version of one
// If-Match the version shown; a change made meanwhile shows the page
// again with the conflict (409). It reports whether it saved.
func (ws *Workspace) saveConsent(w http.ResponseWriter, r *http.Request, v *visit, p *proxiesPage, id, version string, res fhir.Resource) bool {
	var err error
	if id == "" {
		_, err = ws.opts.Service.Create(r.Context(), "Consent", res, "")
	} else {
		n, _ := strconv.ParseInt(version, 10, 64)
		_, err = ws.opts.Service.Update(r.Context(), "Consent", id, res, service.Precondition{Set: true, Version: n})
	}
	if err != nil {
		var fe *fhir.Error
		if errors.As(err, &fe) && (fe.Status == http.StatusPreconditionFailed || fe.Status == http.StatusConflict) {
			p.Conflict = true
			ws.pages.Render(w, "proxies", http.StatusConflict, p)
			return false
		}
		ws.failed(w, r, v, err)
		return false
	}
	return true
}

// decideProxy records the practice's decision about one proxy.
func (ws *Workspace) decideProxy(w http.ResponseWriter, r *http.Request, v *visit) {
	p, birth, current, ok := ws.accessWrite(w, r, v)
	if !ok {
		return
	}
	_ = r.ParseForm()
	username := r.PostFormValue("proxy")
	i := slices.IndexFunc(p.Proxies, func(row proxyRow) bool { return row.Username == username })
	if i < 0 {
		ws.message(w, r, v, http.StatusNotFound, "Not found", "This person is not linked to this patient's record.")
		return
	}
	row := &p.Proxies[i]
	c := clinical.GrantChange{Do: r.PostFormValue("do"), Basis: r.PostFormValue("basis"), Services: r.PostForm["service"], Note: r.PostFormValue("note")}
	row.Basis, row.Services, row.Note = c.Basis, c.Services, c.Note
	if r.PostFormValue("version") != row.Version {
		p.Conflict = true
		ws.pages.Render(w, "proxies", http.StatusConflict, p)
		return
	}
	if c.Do == "end" && row.Grant == nil {
		c.Do = "" // nothing to end
	}
	if errs := c.Check(birth, ws.opts.Now()); len(errs) > 0 {
		p.Form = username
		for _, f := range []string{"do", "service-" + clinical.ServiceAppointments, "basis-" + clinical.BasisParent, "note"} {
			if e := errs[f]; e != "" {
				p.AddError("p"+strconv.Itoa(i)+"-"+f, e) // ids by position: a username is no HTML id
			}
		}
		ws.pages.Render(w, "proxies", http.StatusUnprocessableEntity, p)
		return
	}
	u, err := identity.GetUser(r.Context(), ws.opts.Store, username)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	res := c.Resource(current[username], p.Banner.ID, v.user.Practice, u.ID, u.Name, u.FHIRUser, ws.opts.Now())
	id := ""
	if row.Grant != nil {
		id = row.Grant.ID
	}
	if !ws.saveConsent(w, r, v, p, id, row.Version, res) {
		return
	}
	http.Redirect(w, r, "/workspace/patients/"+p.Banner.ID+"/proxies?saved=1", http.StatusSeeOther)
}

// GivenLabel is when the decision was made, for the page.
func (r proxyRow) GivenLabel() string {
	if r.Grant == nil || r.Grant.Given.IsZero() {
		return ""
	}
	return r.Grant.Given.In(clinical.UKTime).Format("2 January 2006")
}
