package workspace

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/pds"
	"github.com/gpcloud/gpcloud/internal/service"
)

// registrationPage is a patient's registration: the current one and
// those before, the details registration recorded, and what the desk
// can do next (change details, deduct, register again, record a death).
type registrationPage struct {
	page
	Done          string // what was just saved: registered, deducted, ...
	Current       *clinical.RegistrationView
	Registrations []clinical.RegistrationView
	Details       []detail
	NHSStatus     string
	MayChange     bool
	PDSNote       string
	Sharing       clinical.SharingChoice // GP Connect (sharing.go)
}

type detail struct{ Key, Label, Value string }

// doneMessages are the confirmations after a change (the query names
// which; it carries nothing about the patient).
var doneMessages = map[string]string{"registered": "Patient registered", "reregistered": "Patient registered again",
	"deducted": "Patient deducted from the list", "died": "Death recorded", "details": "Details saved", "sharing": "Sharing choice saved",
	"existing": "This NHS number was already on the practice's records: the registration was added to that record. Check the details below"}

func (ws *Workspace) registration(w http.ResponseWriter, r *http.Request, v *visit) {
	patient, res, ok := ws.patientResource(w, r, v)
	if !ok {
		return
	}
	p := &registrationPage{page: ws.recordBase(v, "Registration", "Registration", &patient), Done: doneMessages[r.URL.Query().Get("done")],
		PDSNote: pds.NotConnected}
	ws.remember(r.Context(), v, patient.ID)
	eps, err := ws.episodes(r.Context(), patient.ID)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	p.Registrations = clinical.ViewRegistrations(eps, ws.opts.Now())
	for i := range p.Registrations {
		if p.Registrations[i].Current && p.Current == nil {
			p.Current = &p.Registrations[i]
		}
	}
	_, mayUpdate := v.principal.ReachFor("Patient", auth.Update)
	p.MayChange = mayUpdate && mayRegister(v.principal)
	p.Details, p.NHSStatus = details(res)
	if p.Sharing, _, err = ws.sharingChoice(r, patient.ID); err != nil {
		ws.failed(w, r, v, err)
		return
	}
	ws.pages.Render(w, "registration", http.StatusOK, p)
}

// patientResource reads the record's Patient as the user: its banner
// and the resource.
func (ws *Workspace) patientResource(w http.ResponseWriter, r *http.Request, v *visit) (clinical.Banner, fhir.Resource, bool) {
	res, err := ws.read(r.Context(), "Patient", r.PathValue("id"))
	if err != nil {
		ws.failed(w, r, v, err)
		return clinical.Banner{}, nil, false
	}
	return clinical.BannerOf(res, ws.opts.Now()), res, true
}

// episodes reads a patient's EpisodeOfCares as the user.
func (ws *Workspace) episodes(ctx context.Context, patientID string) ([]fhir.Resource, error) {
	out, err := ws.opts.Service.Search(ctx, service.SearchRequest{Type: "EpisodeOfCare",
		Params: url.Values{"patient": {patientID}, "_count": {"100"}}})
	if err != nil {
		return nil, err
	}
	return searchMatches(out.Resource), nil
}

// details lists what registration recorded about the patient, as the
// desk reads it, and the NHS number's verification status.
func details(p fhir.Resource) ([]detail, string) {
	d := clinical.DemographicsOf(p)
	var out []detail
	add := func(key, label, value string) {
		if value != "" {
			out = append(out, detail{key, label, value})
		}
	}
	add("phone", "Phone", clinical.FormatPhone(d.Phone))
	consent := func(ok bool) string {
		if ok {
			return " (agrees to be contacted so)"
		}
		return " (has not agreed to be contacted so)"
	}
	if d.Mobile != "" {
		add("mobile", "Mobile", clinical.FormatPhone(d.Mobile)+consent(d.SMSConsent))
	}
	if d.Email != "" {
		add("email", "Email", d.Email+consent(d.EmailConsent))
	}
	add("place-of-birth", "Place of birth", d.PlaceOfBirth)
	add("ethnicity", "Ethnic category", clinical.ChoiceLabel(clinical.EthnicCategories, d.Ethnicity))
	lang := d.Language
	if d.Interpreter {
		lang = strings.TrimSpace(lang + " (needs an interpreter)")
	}
	add("language", "Main language", lang)
	add("accessible-format", "Accessible format", clinical.ChoiceLabel(clinical.AccessibleFormats, d.AccessibleFormat))
	add("armed-forces", "Armed forces", clinical.ChoiceLabel(clinical.ArmedForces, d.ArmedForces))
	for _, a := range listOf(p["address"]) {
		if a["use"] == "old" {
			text, _ := a["text"].(string)
			pc, _ := a["postalCode"].(string)
			add("previous-address", "Previous address", strings.Trim(text+", "+pc, ", "))
		}
	}
	if dd, ok := p["deceasedDateTime"].(string); ok {
		if t, err := time.Parse("2006-01-02", dd[:min(len(dd), 10)]); err == nil {
			dd = clinical.ShortDate(t)
		}
		add("died", "Date of death", dd)
		for _, e := range listOf(p["extension"]) {
			if e["url"] == clinical.DeathNotificationURL {
				for _, part := range listOf(e["extension"]) {
					v, _ := part["valueString"].(string)
					switch part["url"] {
					case "informant":
						add("informant", "Death told by", v)
					case "place":
						add("place", "Place of death", v)
					}
				}
			}
		}
	}
	status := ""
	for _, id := range listOf(p["identifier"]) {
		if id["system"] != clinical.NHSNumberSystem {
			continue
		}
		status = "Not traced (PDS is not connected)"
		for _, e := range listOf(id["extension"]) {
			if e["url"] == clinical.NHSVerificationURL {
				cc, _ := e["valueCodeableConcept"].(map[string]any)
				for _, c := range listOf(cc["coding"]) {
					if c["code"] == clinical.NHSVerified {
						status = "Verified with PDS"
					}
				}
			}
		}
	}
	return out, status
}

func listOf(v any) []map[string]any {
	l, _ := v.([]any)
	var out []map[string]any
	for _, x := range l {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}
