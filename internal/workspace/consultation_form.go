package workspace

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/codes"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// consultPage is the consultation form: a new consultation, or an
// amendment of a saved one.
type consultPage struct {
	page
	Action string // where the form posts
	// Embedded: the form is on the video call page (?embed=call), loaded
	// and posted by htmx into its container so the call never reloads.
	Embedded bool
	Amend    bool
	// Version is the Composition's version the amendment started from:
	// a save is refused when someone changed it since.
	Version, Reason string
	Type            string
	Day, Month      string
	Year, Time      string
	ClinicianFixed  string // the signed-in clinician's name, when they are the clinician
	Clinician       string
	Clinicians      []option
	Place           string
	Places          []option
	Appointment     string
	Appointments    []option
	Meas            clinical.MeasurementInput
	BMI             string
	Chaperone       string
	ChaperoneName   string
	Topics          []topicForm
	Problems        []option
	Refs            map[string]string
	Connected       bool
	// OtherDrafts are unsaved consultations of the user's for other
	// patients (the wrong-patient warning).
	OtherDrafts []clinical.Banner
	// Types, Headings and Episodes are the choices, for the template.
	Types    []clinical.ConsultationType
	Headings []clinical.Heading
	Episodes []struct{ Code, Label, Hint string }
}

type option struct{ Value, Label string }

type topicForm struct {
	Index         int
	Q, Code       string // typed text; "code|display" once chosen
	Picks         []codes.Concept
	Searched      bool
	Link, Episode string
	Notes         map[string]string
	Entries       []entryForm
}

type entryForm struct {
	Topic, Index     int
	Heading          string
	Q, Code, Comment string
	Picks            []codes.Concept
	Searched         bool
}

// Field names of a topic's and an entry's inputs.
func (t topicForm) F(name string) string { return clinical.TopicField(t.Index, name) }
func (e entryForm) F(name string) string { return clinical.EntryField(e.Topic, e.Index, name) }

// maxTopics and maxEntries bound what one form may hold.
const maxTopics, maxEntries = 10, 30

// parseConsultForm reads the posted form into the page (to show again)
// and the consultation (to check and save). Codes are resolved here: a
// chosen match (the radio of a typeahead's list) wins, then a code chosen
// before, else what was typed stays typed.
func parseConsultForm(form url.Values, p *consultPage, c *clinical.Consultation) map[string]string {
	errs := map[string]string{}
	p.Type, c.Type = form.Get("type"), form.Get("type")
	p.Day, p.Month, p.Year, p.Time = form.Get("date-day"), form.Get("date-month"), form.Get("date-year"), form.Get("time")
	start, msg := clinical.ParseConsultationTime(p.Day, p.Month, p.Year, p.Time)
	if msg != "" {
		field := "date-day"
		if strings.Contains(msg, "time") {
			field = "time"
		}
		errs[field] = msg
	}
	c.Start = start
	if p.ClinicianFixed == "" {
		p.Clinician = form.Get("clinician")
		c.Clinician = clinical.Ref{Reference: p.Clinician, Display: labelOf(p.Clinicians, p.Clinician)}
		if p.Clinician != "" && c.Clinician.Display == "" {
			c.Clinician.Reference = "" // not one of the practice's
		}
	}
	p.Place = form.Get("place")
	if p.Place != "" {
		if strings.HasPrefix(p.Place, "Location/") {
			c.Place = clinical.Ref{Reference: p.Place, Display: labelOf(p.Places, p.Place)}
		} else {
			c.Place = clinical.Ref{Display: labelOf(p.Places, p.Place)}
		}
	}
	p.Appointment = form.Get("appointment")
	if labelOf(p.Appointments, p.Appointment) != "" {
		c.Appointment = p.Appointment
	}
	p.Meas = clinical.MeasurementInput{Systolic: form.Get("systolic"), Diastolic: form.Get("diastolic"), Pulse: form.Get("pulse"),
		Weight: form.Get("weight"), Height: form.Get("height")}
	var merrs map[string]string
	c.Measurements, merrs = clinical.ParseMeasurements(p.Meas)
	for k, v := range merrs {
		errs[k] = v
	}
	if bmi, ok := c.Measurements.BMI(); ok {
		p.BMI = strconv.FormatFloat(bmi, 'f', 1, 64)
	}
	p.Chaperone, p.ChaperoneName = form.Get("chaperone"), form.Get("chaperone-name")
	c.Chaperone, c.ChaperoneName = p.Chaperone, p.ChaperoneName
	if c.Chaperone != "offered" && c.Chaperone != "present" {
		c.Chaperone = ""
	}
	topics := bounded(form.Get("topics"), 1, maxTopics)
	for i := 0; i < topics; i++ {
		t := topicForm{Index: i, Notes: map[string]string{}}
		t.Q, t.Code = resolve(form, clinical.TopicField(i, ""))
		t.Link, t.Episode = form.Get(t.F("link")), form.Get(t.F("episode"))
		ct := clinical.Topic{Problem: t.Link, Episode: t.Episode, Notes: map[string]string{}}
		if strings.HasPrefix(t.Link, "Condition/") {
			ct.ProblemDisplay = labelOf(p.Problems, t.Link)
			if ct.ProblemDisplay == "" {
				ct.Problem = "" // not one of the patient's problems
			}
		}
		if code, display, ok := strings.Cut(t.Code, "|"); ok {
			ct.Code = clinical.Concept{Code: code, Display: display}
		} else {
			ct.Title = strings.TrimSpace(t.Q)
		}
		for _, h := range clinical.Headings {
			t.Notes[h.Key] = form.Get(t.F(h.Key))
			ct.Notes[h.Key] = t.Notes[h.Key]
		}
		entries := bounded(form.Get(t.F("entries")), 1, maxEntries)
		for j := 0; j < entries; j++ {
			e := entryForm{Topic: i, Index: j}
			e.Heading, e.Comment = form.Get(e.F("heading")), form.Get(e.F("comment"))
			e.Q, e.Code = resolve(form, clinical.EntryField(i, j, ""))
			ce := clinical.CodedEntry{Heading: e.Heading, Comment: e.Comment}
			if code, display, ok := strings.Cut(e.Code, "|"); ok {
				ce.Concept = clinical.Concept{Code: code, Display: display}
			} else {
				ce.Typed = e.Q
			}
			t.Entries = append(t.Entries, e)
			ct.Entries = append(ct.Entries, ce)
		}
		p.Topics = append(p.Topics, t)
		c.Topics = append(c.Topics, ct)
	}
	// The resources an amendment's parts were saved as.
	for k, vs := range form {
		if slot, ok := strings.CutPrefix(k, "ref-"); ok && len(vs) > 0 {
			if p.Refs == nil {
				p.Refs = map[string]string{}
			}
			p.Refs[slot] = vs[0]
		}
	}
	return errs
}

// resolve reads a coded field (prefix "t0-" or "t0-e1-"): what was
// typed, and the code chosen as "code|display" ("" when none is).
func resolve(form url.Values, prefix string) (typed, code string) {
	typed, code = form.Get(prefix+"q"), form.Get(prefix+"code")
	if pick := form.Get(prefix + "pick"); pick != "" {
		if c, d, ok := strings.Cut(pick, "|"); ok && codes.ValidSCTID(c) {
			return d, pick
		}
	}
	if _, d, ok := strings.Cut(code, "|"); ok && d == strings.TrimSpace(typed) {
		return typed, code
	}
	return typed, ""
}

func bounded(s string, lo, hi int) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < lo {
		return lo
	}
	return min(n, hi)
}

func labelOf(opts []option, value string) string {
	for _, o := range opts {
		if o.Value == value && value != "" {
			return o.Label
		}
	}
	return ""
}

// fillForm puts a consultation (a saved one being amended, or a new
// one's defaults) into the page.
func fillForm(p *consultPage, c clinical.Consultation) {
	p.Type = c.Type
	if !c.Start.IsZero() {
		t := c.Start.In(clinical.London)
		p.Day, p.Month, p.Year, p.Time = strconv.Itoa(t.Day()), strconv.Itoa(int(t.Month())), strconv.Itoa(t.Year()), t.Format("15:04")
	}
	if p.ClinicianFixed == "" {
		p.Clinician = c.Clinician.Reference
	}
	p.Place = c.Place.Reference
	if p.Place == "" {
		for _, o := range p.Places {
			if o.Label == c.Place.Display {
				p.Place = o.Value
			}
		}
	}
	p.Appointment = c.Appointment
	m := c.Measurements
	num := func(n float64) string {
		if n == 0 {
			return ""
		}
		return strconv.FormatFloat(n, 'f', -1, 64)
	}
	p.Meas = clinical.MeasurementInput{Systolic: num(float64(m.Systolic)), Diastolic: num(float64(m.Diastolic)), Pulse: num(float64(m.Pulse)),
		Weight: num(m.WeightKg), Height: num(m.HeightCm)}
	if bmi, ok := m.BMI(); ok {
		p.BMI = strconv.FormatFloat(bmi, 'f', 1, 64)
	}
	p.Chaperone, p.ChaperoneName = c.Chaperone, c.ChaperoneName
	p.Topics = nil
	for i, t := range c.Topics {
		tf := topicForm{Index: i, Q: t.Title, Link: t.Problem, Episode: t.Episode, Notes: t.Notes}
		if t.Code.Code != "" {
			tf.Q, tf.Code = t.Code.Display, t.Code.Code+"|"+t.Code.Display
		}
		for j, e := range t.Entries {
			ef := entryForm{Topic: i, Index: j, Heading: e.Heading, Comment: e.Comment, Q: e.Typed}
			if e.Code != "" {
				ef.Q, ef.Code = e.Display, e.Code+"|"+e.Display
			}
			tf.Entries = append(tf.Entries, ef)
		}
		if len(tf.Entries) == 0 {
			tf.Entries = []entryForm{{Topic: i, Heading: "history"}}
		}
		p.Topics = append(p.Topics, tf)
	}
	if len(p.Topics) == 0 {
		p.Topics = []topicForm{{Notes: map[string]string{}, Entries: []entryForm{{Heading: "history"}}}}
	}
	p.Refs = c.Refs
}

// consultChoices fills the page's choices: the clinician (the user's own
// Practitioner when they have one), the practice's clinicians and places,
// the patient's appointments and problems. Each is read as the user.
func (ws *Workspace) consultChoices(ctx context.Context, v *visit, p *consultPage, patientID string) error {
	p.Types, p.Headings, p.Episodes = clinical.ConsultationTypes, clinical.Headings, clinical.Episodes
	p.Connected = ws.codes().Connected()
	search := func(typ string, params url.Values) ([]fhir.Resource, error) {
		out, err := ws.opts.Service.Search(ctx, service.SearchRequest{Type: typ, Params: params})
		var fe *fhir.Error
		if errors.As(err, &fe) && fe.Status == http.StatusForbidden {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return searchMatches(out.Resource), nil
	}
	pracs, err := search("Practitioner", url.Values{"_count": {"100"}, "active": {"true"}})
	if err != nil {
		return err
	}
	for _, pr := range pracs {
		ref := "Practitioner/" + pr.ID()
		name := practitionerName(pr)
		p.Clinicians = append(p.Clinicians, option{ref, name})
		if ref == v.principal.FHIRUser {
			p.ClinicianFixed, p.Clinician = name, ref
		}
	}
	sort.Slice(p.Clinicians, func(i, j int) bool { return p.Clinicians[i].Label < p.Clinicians[j].Label })
	locs, err := search("Location", url.Values{"_count": {"50"}})
	if err != nil {
		return err
	}
	for _, l := range locs {
		if name, _ := l["name"].(string); name != "" {
			p.Places = append(p.Places, option{"Location/" + l.ID(), name})
		}
	}
	p.Places = append(p.Places, option{"home", "Patient's home"}, option{"remote", "Remote (telephone or video)"})
	appts, err := search("Appointment", url.Values{"patient": {patientID}, "_sort": {"-date"}, "_count": {"10"},
		"date": {"ge" + ws.opts.Now().AddDate(0, 0, -7).Format("2006-01-02")}})
	if err != nil {
		return err
	}
	for _, a := range appts {
		start, _ := a["start"].(string)
		label := dayTimeLabel(start)
		if d, _ := a["description"].(string); d != "" {
			label += " – " + d
		}
		p.Appointments = append(p.Appointments, option{"Appointment/" + a.ID(), label})
	}
	conds, err := search("Condition", url.Values{"patient": {patientID}, "_count": {"200"}})
	if err != nil {
		return err
	}
	for _, cond := range conds {
		if clinical.EnteredInError(cond) {
			continue
		}
		p.Problems = append(p.Problems, option{"Condition/" + cond.ID(), clinical.ProblemLabel(cond)})
	}
	sort.Slice(p.Problems, func(i, j int) bool { return p.Problems[i].Label < p.Problems[j].Label })
	return nil
}

// practitionerName is a Practitioner's name as staff say it.
func practitionerName(pr fhir.Resource) string { return clinical.PractitionerName(pr) }

// mayConsult reports whether the user's role may record consultations;
// a receptionist may not (CLINICAL Workspace 6).
func mayConsult(p *auth.Principal) bool {
	for _, typ := range []string{"Encounter", "Composition", "Observation"} {
		if _, ok := p.ReachFor(typ, auth.Create); !ok {
			return false
		}
	}
	return true
}

func dayTimeLabel(s string) string {
	v := clinical.ViewConsultation(fhir.Resource{"period": map[string]any{"start": s}}, nil, nil, nil)
	return v.When
}

func fieldErrors(p *page, errs map[string]string, order []string) {
	seen := map[string]bool{}
	for _, f := range order {
		if msg, ok := errs[f]; ok {
			p.AddError(f, msg)
			seen[f] = true
		}
	}
	var rest []string
	for f := range errs {
		if !seen[f] {
			rest = append(rest, f)
		}
	}
	sort.Strings(rest)
	for _, f := range rest {
		p.AddError(f, errs[f])
	}
}

// consultFieldOrder is the order of the form's fields, for the error
// summary.
func consultFieldOrder(p *consultPage) []string {
	order := []string{"type", "date-day", "time", "clinician", "place", "appointment", "systolic", "diastolic", "pulse", "weight", "height", "chaperone", "chaperone-name"}
	for _, t := range p.Topics {
		order = append(order, t.F("q"), t.F("link"), t.F("episode"))
		for _, h := range clinical.Headings {
			order = append(order, t.F(h.Key))
		}
		for _, e := range t.Entries {
			order = append(order, e.F("heading"), e.F("q"), e.F("comment"))
		}
	}
	return append(order, "reason")
}

// pageFuncs are the workspace's template functions.
var consultFuncs = template.FuncMap{
	"lower": strings.ToLower,
	// choices makes a list of choices from key, label pairs.
	"choices": func(kv ...string) []clinical.Choice {
		var out []clinical.Choice
		for i := 0; i+1 < len(kv); i += 2 {
			out = append(out, clinical.Choice{Key: kv[i], Label: kv[i+1]})
		}
		return out
	},
	"inc": func(i int) int { return i + 1 },
	// codeOf is the concept id of a chosen "code|display".
	"codeOf": func(s string) string { c, _, _ := strings.Cut(s, "|"); return c },
}
