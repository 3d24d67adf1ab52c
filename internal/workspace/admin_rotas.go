package workspace

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/appointments"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// rotasPage lists the clinicians' rotas (a Schedule each) and offers a
// rota to a clinician who has none.
type rotasPage struct {
	adminPage
	Rotas   []rotaRow
	Without []option // Practitioners with no Schedule
}

// rotaRow is one Schedule with its sessions in words.
type rotaRow struct {
	ID, Name   string
	Sessions   []string
	Exceptions []string
}

func (ws *Workspace) newRotasPage(r *http.Request, v *visit) (*rotasPage, error) {
	p := &rotasPage{adminPage: ws.adminBase(r, v, "Rotas", "Rotas")}
	names, err := appointments.ScheduleNames(r.Context(), ws.opts.Service)
	if err != nil {
		return nil, err
	}
	out, err := ws.opts.Service.Search(r.Context(), service.SearchRequest{Type: "Schedule", Params: url.Values{"_count": {"200"}, "active": {"true"}}})
	if err != nil {
		return nil, err
	}
	has := map[string]bool{}
	for _, s := range searchMatches(out.Resource) {
		sessions, exceptions := clinical.RotaOf(s)
		row := rotaRow{ID: s.ID(), Name: names[s.ID()]}
		for _, se := range sessions {
			row.Sessions = append(row.Sessions, sessionWords(se))
		}
		for _, x := range exceptions {
			row.Exceptions = append(row.Exceptions, exceptionWords(x))
		}
		p.Rotas = append(p.Rotas, row)
		for _, a := range list(s["actor"]) {
			has[text(a["reference"])] = true
		}
	}
	slices.SortFunc(p.Rotas, func(a, b rotaRow) int { return strings.Compare(a.Name, b.Name) })
	prs, err := ws.opts.Service.Search(r.Context(), service.SearchRequest{Type: "Practitioner", Params: url.Values{"_count": {"200"}, "active": {"true"}}})
	if err != nil {
		return nil, err
	}
	for _, pr := range searchMatches(prs.Resource) {
		if !has["Practitioner/"+pr.ID()] {
			p.Without = append(p.Without, option{pr.ID(), practitionerName(pr)})
		}
	}
	slices.SortFunc(p.Without, func(a, b option) int { return strings.Compare(a.Label, b.Label) })
	return p, nil
}

func (ws *Workspace) rotasPage(w http.ResponseWriter, r *http.Request, v *visit) {
	p, err := ws.newRotasPage(r, v)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	adminPages.Render(w, "admin-rotas", http.StatusOK, p)
}

// addRota gives a clinician an empty rota (a Schedule), then opens it.
func (ws *Workspace) addRota(w http.ResponseWriter, r *http.Request, v *visit) {
	id := r.PostFormValue("practitioner")
	if !isID(id) {
		p, err := ws.newRotasPage(r, v)
		if err != nil {
			ws.failed(w, r, v, err)
			return
		}
		p.AddError("practitioner", "Choose the clinician")
		adminPages.Render(w, "admin-rotas", http.StatusUnprocessableEntity, p)
		return
	}
	pr, err := ws.opts.Service.Read(r.Context(), "Practitioner", id)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	res, _ := fhir.Unmarshal(pr.Version.Body)
	sched := fhir.Resource{"resourceType": "Schedule", "active": true,
		"actor": []any{map[string]any{"reference": "Practitioner/" + id, "display": practitionerName(res)}}}
	out, err := ws.opts.Service.Create(r.Context(), "Schedule", sched, "actor=Practitioner/"+id)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/admin/rotas/"+out.Version.ID, http.StatusSeeOther)
}

// rotaPage is one clinician's rota: its sessions and exceptions, forms to
// add and remove them, and slot generation.
type rotaPage struct {
	adminPage
	ID, Name, Version string
	Sessions          []string
	Exceptions        []string
	Form              sessionForm
	Exception         exceptionForm
	Weeks             string
	Generated         *appointments.Generated
	Days              []option
	Categories        []clinical.Concept
	Settings          []clinical.Concept
	Contexts          []clinical.Concept
	Modes             []option
	Channels          []option
	OrgTypes          []clinical.Concept // GPConnect-OrganisationType-1
}

type sessionForm struct {
	Days                          []string
	Start, End, Minutes, Category string
	Mode, Release                 string
	BookableBy                    []string
	ServiceSetting, ContextType   string
	// The GP Connect release: "all" consumers or only those "listed"
	// (ODS codes as typed, organisation types).
	GPCRelease, GPCOrganisations string
	GPCTypes                     []string
}

type exceptionForm struct{ From, To, Reason string }

var rotaDays = []option{{"mon", "Monday"}, {"tue", "Tuesday"}, {"wed", "Wednesday"}, {"thu", "Thursday"}, {"fri", "Friday"}, {"sat", "Saturday"}, {"sun", "Sunday"}}

func (ws *Workspace) rotaView(w http.ResponseWriter, r *http.Request, v *visit) (*rotaPage, fhir.Resource, bool) {
	out, err := ws.opts.Service.Read(r.Context(), "Schedule", r.PathValue("schedule"))
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, nil, false
	}
	s, err := fhir.Unmarshal(out.Version.Body)
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, nil, false
	}
	p := &rotaPage{adminPage: ws.adminBase(r, v, "Rota", "Rotas"), ID: s.ID(), Version: strconv.FormatInt(out.Version.VersionID, 10),
		Weeks: "6", Days: rotaDays, Categories: clinical.NationalSlotCategories,
		Form:     sessionForm{Minutes: "10", Mode: "face-to-face", BookableBy: []string{clinical.BookedByPractice}, GPCRelease: "all"},
		OrgTypes: clinical.GPConnectOrganisationTypes,
		Settings: clinical.ServiceSettings, Contexts: clinical.ContextTypes,
		Channels: []option{{clinical.BookedByPractice, "The practice"}, {clinical.BookedOnline, "Patients online"}, {clinical.BookedByGPConnect, "Other organisations (GP Connect, NHS 111)"}}}
	for _, m := range clinical.Modes {
		p.Modes = append(p.Modes, option{m, modeLabels[m]})
	}
	for _, a := range list(s["actor"]) {
		p.Name = text(a["display"])
	}
	sessions, exceptions := clinical.RotaOf(s)
	for _, se := range sessions {
		p.Sessions = append(p.Sessions, sessionWords(se))
	}
	for _, x := range exceptions {
		p.Exceptions = append(p.Exceptions, exceptionWords(x))
	}
	return p, s, true
}

func (ws *Workspace) rotaPage(w http.ResponseWriter, r *http.Request, v *visit) {
	p, _, ok := ws.rotaView(w, r, v)
	if !ok {
		return
	}
	adminPages.Render(w, "admin-rota", http.StatusOK, p)
}

// changeRota adds or removes a session or an exception (action), checks
// the whole rota (no overlaps), and saves it if the Schedule is still at
// the version shown.
func (ws *Workspace) changeRota(w http.ResponseWriter, r *http.Request, v *visit) {
	p, s, ok := ws.rotaView(w, r, v)
	if !ok {
		return
	}
	_ = r.ParseForm()
	sessions, exceptions := clinical.RotaOf(s)
	now := ws.opts.Now()
	action := r.PostFormValue("action")
	switch {
	case action == "add-session":
		f := sessionForm{Days: r.PostForm["day"], Start: strings.TrimSpace(r.PostFormValue("start")), End: strings.TrimSpace(r.PostFormValue("end")),
			Minutes: strings.TrimSpace(r.PostFormValue("minutes")), Category: r.PostFormValue("category"), Mode: r.PostFormValue("mode"),
			Release: strings.TrimSpace(r.PostFormValue("release")), BookableBy: r.PostForm["bookable-by"],
			ServiceSetting: r.PostFormValue("service-setting"), ContextType: r.PostFormValue("context-type"),
			GPCRelease: r.PostFormValue("gpc-release"), GPCOrganisations: strings.TrimSpace(r.PostFormValue("gpc-organisations")), GPCTypes: r.PostForm["gpc-type"]}
		p.Form = f
		se := clinical.Session{Start: f.Start, End: f.End, Mode: f.Mode, Release: f.Release, BookableBy: f.BookableBy,
			ServiceSetting: f.ServiceSetting, ContextType: f.ContextType}
		se.Minutes, _ = strconv.Atoi(f.Minutes)
		for _, d := range f.Days {
			if i := slices.IndexFunc(rotaDays, func(o option) bool { return o.Value == d }); i >= 0 {
				se.Days = append(se.Days, time.Weekday((i+1)%7))
			}
		}
		for _, c := range clinical.NationalSlotCategories {
			if c.Code == f.Category {
				se.Category = c
			}
		}
		release := clinical.GPConnectRelease{Organisations: clinical.ParseODSCodes(f.GPCOrganisations), Types: f.GPCTypes}
		if f.GPCRelease == "listed" {
			se.GPConnect = release
		}
		errs := se.Check()
		if len(f.BookableBy) == 0 {
			errs["bookableBy"] = "Choose who may book the slots"
		}
		// The choice is explicit: codes typed under "all consumers" are
		// not silently dropped (the slots would go wider than meant).
		if f.GPCRelease == "" {
			f.GPCRelease, p.Form.GPCRelease = "all", "all" // the form's default
		}
		switch {
		case f.GPCRelease != "all" && f.GPCRelease != "listed":
			errs["gpConnectRelease"] = "Choose which GP Connect consumers the slots are released to"
		case f.GPCRelease == "all" && release.Restricted():
			errs["gpConnectRelease"] = "Choose only the organisations and types listed, or clear the organisations and types"
		case f.GPCRelease == "listed" && !release.Restricted():
			errs["gpConnectOrganisations"] = "Enter the ODS codes of the organisations, or choose organisation types"
		}
		if len(errs) == 0 {
			for i, other := range sessions {
				if se.Overlaps(other) {
					errs["start"] = "This session overlaps session " + strconv.Itoa(i+1) + " (" + sessionWords(other) + ")"
				}
			}
		}
		if len(errs) > 0 {
			fieldErrors(&p.page, renameRotaErrors(errs), []string{"day-mon", "start", "end", "minutes", "category", "mode-face-to-face", "bookable-by-practice", "gpc-release-all", "gpc-organisations", "gpc-type-gp-practice", "service-setting", "context-type", "release"})
			adminPages.Render(w, "admin-rota", http.StatusUnprocessableEntity, p)
			return
		}
		sessions = append(sessions, se)
	case strings.HasPrefix(action, "remove-session-"):
		i, err := strconv.Atoi(strings.TrimPrefix(action, "remove-session-"))
		if err != nil || i < 0 || i >= len(sessions) {
			http.Error(w, "bad session", http.StatusBadRequest)
			return
		}
		sessions = slices.Delete(sessions, i, i+1)
	case action == "add-exception":
		f := exceptionForm{From: r.PostFormValue("from"), To: r.PostFormValue("to"), Reason: strings.TrimSpace(r.PostFormValue("reason"))}
		p.Exception = f
		future := now.AddDate(5, 0, 0)
		from, ok1 := clinical.ParseDate(f.From, future)
		to, ok2 := clinical.ParseDate(f.To, future)
		if !ok1 {
			p.AddError("from", "Enter the first day as a real date, like 15/03/2027")
		}
		if !ok2 {
			p.AddError("to", "Enter the last day as a real date, like 15/03/2027")
		}
		if ok1 && ok2 && to < from {
			p.AddError("to", "The last day must be on or after the first")
		}
		if f.Reason == "" {
			p.AddError("reason", "Enter the reason, like Annual leave")
		}
		if len(p.Errors) > 0 {
			adminPages.Render(w, "admin-rota", http.StatusUnprocessableEntity, p)
			return
		}
		fromT, _ := time.ParseInLocation("2006-01-02", from, clinical.UKTime)
		toT, _ := time.ParseInLocation("2006-01-02", to, clinical.UKTime)
		exceptions = append(exceptions, clinical.Exception{From: fromT, To: toT.AddDate(0, 0, 1), Reason: f.Reason})
	case strings.HasPrefix(action, "remove-exception-"):
		i, err := strconv.Atoi(strings.TrimPrefix(action, "remove-exception-"))
		if err != nil || i < 0 || i >= len(exceptions) {
			http.Error(w, "bad exception", http.StatusBadRequest)
			return
		}
		exceptions = slices.Delete(exceptions, i, i+1)
	default:
		http.Error(w, "bad action", http.StatusBadRequest)
		return
	}
	clinical.SetRota(s, sessions, exceptions)
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	_, err := ws.opts.Service.Update(r.Context(), "Schedule", s.ID(), s, service.Precondition{Set: true, Version: version})
	var fe *fhir.Error
	if errors.As(err, &fe) && fe.Status == http.StatusPreconditionFailed {
		fresh, _, ok := ws.rotaView(w, r, v)
		if !ok {
			return
		}
		fresh.AddError("weeks", "Someone else changed this rota a moment ago, so nothing was saved. It is shown as it is now.")
		adminPages.Render(w, "admin-rota", http.StatusConflict, fresh)
		return
	}
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/admin/rotas/"+s.ID()+"?done=rota", http.StatusSeeOther)
}

// generateSlots makes the rota's slots for the weeks asked.
func (ws *Workspace) generateSlots(w http.ResponseWriter, r *http.Request, v *visit) {
	p, s, ok := ws.rotaView(w, r, v)
	if !ok {
		return
	}
	p.Weeks = r.PostFormValue("weeks")
	weeks, err := strconv.Atoi(strings.TrimSpace(p.Weeks))
	if err != nil || weeks < 1 || weeks > 52 {
		p.AddError("weeks", "Enter a number of weeks from 1 to 52")
		adminPages.Render(w, "admin-rota", http.StatusUnprocessableEntity, p)
		return
	}
	now := ws.opts.Now()
	g, err := appointments.Generate(r.Context(), ws.opts.Service, s.ID(), now, now.AddDate(0, 0, 7*weeks))
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	p.Generated = &g
	adminPages.Render(w, "admin-rota", http.StatusOK, p)
}

// renameRotaErrors points the rules' errors at the form's first input of
// each field, so the error summary's links land on something.
func renameRotaErrors(errs map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range errs {
		switch k {
		case "days":
			k = "day-mon"
		case "mode":
			k = "mode-face-to-face"
		case "bookableBy":
			k = "bookable-by-practice"
		case "serviceSetting":
			k = "service-setting"
		case "contextType":
			k = "context-type"
		case "gpConnectRelease":
			k = "gpc-release-all"
		case "gpConnectOrganisations":
			k = "gpc-organisations"
		case "gpConnectTypes":
			k = "gpc-type-gp-practice"
		}
		out[k] = v
	}
	return out
}

// sessionWords says a session as a practice manager would.
func sessionWords(s clinical.Session) string {
	var days []string
	for _, d := range s.Days {
		days = append(days, d.String()[:3])
	}
	var by []string
	for _, b := range s.BookableBy {
		by = append(by, map[string]string{clinical.BookedByPractice: "practice", clinical.BookedOnline: "online", clinical.BookedByGPConnect: "GP Connect"}[b])
	}
	w := strings.Join(days, ", ") + " " + s.Start + " to " + s.End + ", " + strconv.Itoa(s.Minutes) + "-minute " + strings.ToLower(modeLabels[s.Mode]) +
		" slots (" + s.Category.Display + "), booked by " + strings.Join(by, ", ")
	if setting, context := s.GPADSetting(); setting != clinical.ServiceSettings[0].Code || context != clinical.ContextTypes[0].Code {
		w += ", " + conceptLabel(clinical.ServiceSettings, setting) + ", " + strings.ToLower(conceptLabel(clinical.ContextTypes, context))
	}
	if r := s.GPConnect; r.Restricted() {
		var to []string
		to = append(to, r.Organisations...)
		for _, t := range r.Types {
			to = append(to, conceptLabel(clinical.GPConnectOrganisationTypes, t))
		}
		w += ", GP Connect only for " + strings.Join(to, ", ")
	}
	if s.Release != "" {
		if strings.HasSuffix(s.Release, "h") {
			w += ", released " + strings.TrimSuffix(s.Release, "h") + " hours ahead"
		} else {
			w += ", released at " + s.Release + " on the day"
		}
	}
	return w
}

func exceptionWords(x clinical.Exception) string {
	return x.Reason + ": " + x.From.In(clinical.UKTime).Format("02-Jan-2006") + " to " + x.To.Add(-time.Minute).In(clinical.UKTime).Format("02-Jan-2006")
}

// conceptLabel is the display of code among cs.
func conceptLabel(cs []clinical.Concept, code string) string {
	for _, c := range cs {
		if c.Code == code {
			return c.Display
		}
	}
	return code
}
