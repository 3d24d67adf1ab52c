package workspace

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/pds"
	"github.com/gpcloud/gpcloud/internal/service"
)

// registerPage is the registration form and its relatives, which share
// its fields: a new registration, registering a patient again, changing
// a patient's details, a deduction, a death. Mode says which.
type registerPage struct {
	page
	Mode   string // register, reregister, details, deduct, death
	Action string
	Form   clinical.Registration
	// Version is the Patient's version the form started from (an edit
	// whose patient changed since is refused: If-Match).
	Version    string
	Deduction  clinical.Deduction
	Death      clinical.Death
	Current    *clinical.RegistrationView
	Clinicians []option
	// Duplicates are existing patients who may be this one, shown before
	// anything is saved; Checked are the ids the user saw.
	Duplicates []clinical.Duplicate
	Checked    string
	Different  bool
	// Restricted: PDS's restricted flag; the address is not to be given.
	Restricted bool
	// PDS says whether the national service is connected.
	PDSConnected bool
	PDSNote      string
	// The choices, for the template.
	Types                                       []clinical.RegistrationType
	Sexes, Ethnicities, Forces, Reason, Formats []clinical.Choice
}

// HasDuplicateNHS reports a duplicate with the same NHS number: the
// patient exists and cannot be registered as new.
func (p *registerPage) HasDuplicateNHS() bool {
	for _, d := range p.Duplicates {
		if d.SameNHS {
			return true
		}
	}
	return false
}

// pdsService is the PDS seam: the local stand-in until PDS is connected.
func (ws *Workspace) pdsService() pds.Service { return pds.Local{Service: ws.opts.Service} }

// mayRegister reports whether the user's role registers patients.
func mayRegister(p *auth.Principal) bool {
	for _, typ := range []string{"Patient", "EpisodeOfCare"} {
		if _, ok := p.ReachFor(typ, auth.Create); !ok {
			return false
		}
	}
	return true
}

// registerForm shows an empty registration form.
func (ws *Workspace) registerForm(w http.ResponseWriter, r *http.Request, v *visit) {
	if !mayRegister(v.principal) {
		ws.message(w, r, v, http.StatusForbidden, "Not available to your role", "Registering patients is not available to your role.")
		return
	}
	p, err := ws.registerChoices(r.Context(), v, "register")
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	p.Form.Type = "regular"
	ws.pages.Render(w, "register", http.StatusOK, p)
}

// register takes the form: it is checked, the likely duplicates are
// shown before anything is saved (the same NHS number: open that record;
// the same name, date of birth and postcode: open it or confirm a
// different person), and the Patient and its registration are written
// in one transaction whose creates are conditional on the NHS number, so
// that two desks registering the same number at once make one patient.
func (ws *Workspace) register(w http.ResponseWriter, r *http.Request, v *visit) {
	if !mayRegister(v.principal) {
		ws.message(w, r, v, http.StatusForbidden, "Not available to your role", "Registering patients is not available to your role.")
		return
	}
	ctx := r.Context()
	p, err := ws.registerChoices(ctx, v, "register")
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	p.Form = parseRegistration(r.PostForm)
	practice, clinicians, err := ws.practiceAndClinicians(ctx, v)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	if errs := p.Form.Check(ws.opts.Now(), clinicians); len(errs) > 0 {
		fieldErrors(&p.page, errs, registerFieldOrder)
		ws.pages.Render(w, "register", http.StatusUnprocessableEntity, p)
		return
	}
	trace, dups, err := ws.duplicates(ctx, p.Form.Demographics, practice)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	if ws.stopForDuplicates(w, p, dups, r.PostForm) {
		return
	}
	verified := ""
	if trace.Verified {
		verified = clinical.NHSVerified
	}
	bundle := clinical.RegistrationBundle(p.Form, practice)
	if verified != "" {
		setVerified(bundle, verified)
	}
	results, err := ws.transact(ctx, bundle)
	var fe *fhir.Error
	if errors.As(err, &fe) && fe.Status == http.StatusPreconditionFailed {
		results, err = []entryResult{{Status: "200"}}, nil // several registrations already: someone registered them
	}
	if errors.As(err, &fe) && (fe.Status == http.StatusBadRequest || fe.Status == http.StatusUnprocessableEntity) {
		// The diagnostics name the NHS number: log the status only.
		ws.opts.Logger.Error("registration refused by the record", "status", fe.Status)
		p.AddError("nhs", "The record refused this registration, so nothing was saved. Check the details and try again, or ask the practice manager.")
		ws.pages.Render(w, "register", http.StatusUnprocessableEntity, p)
		return
	}
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	if !strings.HasPrefix(results[0].Status, "201") && len(results) > 1 && strings.HasPrefix(results[1].Status, "201") {
		// The number's patient was on the records without a registration
		// (an imported record) and appeared between the check and the
		// save: the registration went to that record, the details typed
		// did not. Say so, on that record.
		http.Redirect(w, r, "/workspace/patients/"+results[0].ID+"/registration?done=existing", http.StatusSeeOther)
		return
	}
	if !strings.HasPrefix(results[0].Status, "201") {
		// Another desk registered this NHS number between the check and
		// the save: nothing was written; show them.
		_, dups, err := ws.duplicates(ctx, p.Form.Demographics, practice)
		if err != nil {
			ws.failed(w, r, v, err)
			return
		}
		p.Duplicates = dups
		p.AddError("nhs", "Someone registered a patient with this NHS number a moment ago, so nothing was saved: open their record below")
		ws.pages.Render(w, "register", http.StatusConflict, p)
		return
	}
	http.Redirect(w, r, "/workspace/patients/"+results[0].ID+"/registration?done=registered", http.StatusSeeOther)
}

// checkNHS answers the NHS number field as it is typed (htmx): the
// practice's patients with that number, so reception sees an existing
// record before filling in the rest. The number travels in the body.
func (ws *Workspace) checkNHS(w http.ResponseWriter, r *http.Request, v *visit) {
	data := map[string]any{}
	if n, ok := clinical.NormalizeNHSNumber(strings.TrimSpace(r.PostFormValue("nhs"))); ok && clinical.ValidNHSNumber(n) {
		trace, err := ws.pdsService().Lookup(r.Context(), n)
		if err != nil {
			ws.failed(w, r, v, err)
			return
		}
		var found []clinical.Banner
		for _, p := range trace.Records {
			found = append(found, clinical.BannerOf(p, ws.opts.Now()))
		}
		data["Found"], data["Checked"] = found, true
	}
	w.Header().Set("Vary", "HX-Request")
	ws.pages.Fragment(w, "register", "nhs-check", http.StatusOK, data)
}

// stopForDuplicates shows the likely duplicates and answers true when
// the registration must not go on: a patient with the same NHS number
// exists (the same person), or one with the same name, date of birth and
// postcode that the user has not yet seen and confirmed as a different
// person.
func (ws *Workspace) stopForDuplicates(w http.ResponseWriter, p *registerPage, dups []clinical.Duplicate, form url.Values) bool {
	if len(dups) == 0 {
		return false
	}
	p.Duplicates = dups
	var ids []string
	for _, d := range dups {
		ids = append(ids, d.ID)
	}
	seen := strings.Split(form.Get("checked"), ",")
	confirmed := form.Get("different") == "yes"
	allSeen := true
	for _, id := range ids {
		allSeen = allSeen && slices.Contains(seen, id)
	}
	switch {
	case p.HasDuplicateNHS():
		p.AddError("nhs", "A patient with this NHS number is already on the practice's records: open their record below (to register them again, or to change their details)")
	case confirmed && allSeen:
		return false
	default:
		p.Checked = strings.Join(ids, ",")
		p.AddError("different", "This may be a patient already on the practice's records: open their record, or confirm this is a different person")
	}
	ws.pages.Render(w, "register", http.StatusConflict, p)
	return true
}

// duplicates traces the NHS number (the PDS seam) and searches the
// practice's patients for the likely duplicates, as the user.
func (ws *Workspace) duplicates(ctx context.Context, d clinical.Demographics, practice clinical.Practice) (pds.Trace, []clinical.Duplicate, error) {
	var trace pds.Trace
	var candidates []fhir.Resource
	if d.NHS != "" {
		var err error
		if trace, err = ws.pdsService().Lookup(ctx, d.NHS); err != nil {
			return trace, nil, err
		}
		candidates = append(candidates, trace.Records...)
	}
	for _, q := range clinical.DuplicateSearches(d, practice) {
		if q.Has("identifier") {
			continue // the trace found them
		}
		q.Set("_count", "20")
		out, err := ws.opts.Service.Search(ctx, service.SearchRequest{Type: "Patient", Params: q})
		if err != nil {
			return trace, nil, err
		}
		candidates = append(candidates, searchMatches(out.Resource)...)
	}
	return trace, clinical.LikelyDuplicates(d, practice, candidates, ws.opts.Now()), nil
}

// setVerified marks the bundle's NHS number as traced and verified (only
// a connected PDS does).
func setVerified(bundle fhir.Resource, code string) {
	entries, _ := bundle["entry"].([]any)
	for _, e := range entries {
		res, _ := e.(map[string]any)["resource"].(map[string]any)
		if res["resourceType"] == "Patient" {
			ids, _ := res["identifier"].([]any)
			for _, id := range ids {
				idm, _ := id.(map[string]any)
				if idm["system"] == clinical.NHSNumberSystem {
					idm["extension"] = []any{map[string]any{"url": clinical.NHSVerificationURL, "valueCodeableConcept": map[string]any{
						"coding": []any{map[string]any{"system": clinical.NHSVerificationSystem, "code": code}}}}}
				}
			}
		}
	}
}

// entryResult is one entry of a transaction's response.
type entryResult struct{ Status, Type, ID string }

// transact runs a transaction Bundle as the user and reads each entry's
// status and resource.
func (ws *Workspace) transact(ctx context.Context, bundle fhir.Resource) ([]entryResult, error) {
	out, err := ws.opts.Service.ProcessBundle(ctx, bundle, service.BundleOptions{})
	if err != nil {
		return nil, err
	}
	var results []entryResult
	entries, _ := out.Resource["entry"].([]any)
	for _, e := range entries {
		em, _ := e.(map[string]any)
		resp, _ := em["response"].(map[string]any)
		status, _ := resp["status"].(string)
		loc, _ := resp["location"].(string)
		typ, rest, _ := strings.Cut(loc, "/")
		id, _, _ := strings.Cut(rest, "/")
		results = append(results, entryResult{Status: status, Type: typ, ID: id})
	}
	if len(results) == 0 {
		return nil, fmt.Errorf("the transaction answered no entries")
	}
	return results, nil
}

// registerChoices is the page with its choices.
func (ws *Workspace) registerChoices(ctx context.Context, v *visit, mode string) (*registerPage, error) {
	titles := map[string]string{"register": "Register a patient", "reregister": "Register again", "details": "Change details",
		"deduct": "Deduct from the list", "death": "Record a death"}
	p := &registerPage{page: ws.base(v, titles[mode], "Register a patient"), Mode: mode, Action: "/workspace/register",
		Types: clinical.RegistrationTypes, Sexes: clinical.Sexes, Ethnicities: clinical.EthnicCategories, Forces: clinical.ArmedForces,
		Reason: clinical.DeductionReasons, Formats: clinical.AccessibleFormats, PDSConnected: ws.pdsService().Connected(), PDSNote: pds.NotConnected}
	if mode != "register" {
		p.Nav = nav("")
	}
	if mode == "register" || mode == "reregister" {
		_, clinicians, err := ws.practiceAndClinicians(ctx, v)
		if err != nil {
			return nil, err
		}
		for _, c := range clinicians {
			p.Clinicians = append(p.Clinicians, option{c.Reference, c.Display})
		}
	}
	return p, nil
}

// practiceAndClinicians reads the user's practice (its name and
// address, for a patient of no fixed abode) and its clinicians, who may
// be a patient's usual GP: the Practitioners of the practice's
// PractitionerRoles, or, for a practice that has none recorded, every
// active Practitioner.
func (ws *Workspace) practiceAndClinicians(ctx context.Context, v *visit) (clinical.Practice, []clinical.Ref, error) {
	practice := clinical.Practice{ID: v.principal.Practice}
	org, err := ws.read(ctx, "Organization", v.principal.Practice)
	if err != nil {
		return practice, nil, err
	}
	practice.Name, _ = org["name"].(string)
	if addrs, _ := org["address"].([]any); len(addrs) > 0 {
		a, _ := addrs[0].(map[string]any)
		lines, _ := a["line"].([]any)
		for _, l := range lines {
			if s, _ := l.(string); s != "" {
				practice.Lines = append(practice.Lines, s)
			}
		}
		practice.Town, _ = a["city"].(string)
		practice.Postcode, _ = a["postalCode"].(string)
	}
	roles, err := ws.opts.Service.Search(ctx, service.SearchRequest{Type: "PractitionerRole",
		Params: url.Values{"organization": {"Organization/" + v.principal.Practice}, "_count": {"200"}}})
	if err != nil {
		return practice, nil, err
	}
	var ids []string
	for _, role := range searchMatches(roles.Resource) {
		if ref, _ := role["practitioner"].(map[string]any); ref != nil {
			if id, ok := strings.CutPrefix(fmt.Sprint(ref["reference"]), "Practitioner/"); ok && role["active"] != false {
				ids = append(ids, id)
			}
		}
	}
	params := url.Values{"active": {"true"}, "_count": {"200"}}
	if len(ids) > 0 {
		params.Set("_id", strings.Join(ids, ","))
	}
	pracs, err := ws.opts.Service.Search(ctx, service.SearchRequest{Type: "Practitioner", Params: params})
	if err != nil {
		return practice, nil, err
	}
	var out []clinical.Ref
	for _, pr := range searchMatches(pracs.Resource) {
		out = append(out, clinical.Ref{Reference: "Practitioner/" + pr.ID(), Display: practitionerName(pr)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Display < out[j].Display })
	return practice, out, nil
}

// parseDemographics reads the details' fields of a form.
func parseDemographics(f url.Values) clinical.Demographics {
	return clinical.Demographics{Title: f.Get("title"), Given: f.Get("given"), Family: f.Get("family"),
		BirthDay: f.Get("birth-day"), BirthMonth: f.Get("birth-month"), BirthYear: f.Get("birth-year"), Sex: f.Get("sex"),
		NoFixedAbode: f.Get("nfa") == "yes", Address1: f.Get("address1"), Address2: f.Get("address2"), Town: f.Get("town"), Postcode: f.Get("postcode"),
		Phone: f.Get("phone"), Mobile: f.Get("mobile"), Email: f.Get("email"),
		SMSConsent: f.Get("sms-consent") == "yes", EmailConsent: f.Get("email-consent") == "yes", NHSNumber: f.Get("nhs"),
		PlaceOfBirth: f.Get("place-of-birth"), Ethnicity: f.Get("ethnicity"), Language: f.Get("language"),
		Interpreter: f.Get("interpreter") == "yes", ArmedForces: f.Get("armed-forces"), AccessibleFormat: f.Get("accessible-format")}
}

// parseRegistration reads a registration form.
func parseRegistration(f url.Values) clinical.Registration {
	return clinical.Registration{Demographics: parseDemographics(f), Type: f.Get("type"), UsualGP: f.Get("gp"),
		PreviousPractice: f.Get("previous-practice"), PreviousAddress: f.Get("previous-address"), PreviousPostcode: f.Get("previous-postcode"),
		StartDay: f.Get("start-day"), StartMonth: f.Get("start-month"), StartYear: f.Get("start-year")}
}

// registerFieldOrder is the form's order, for the error summary.
var registerFieldOrder = []string{"nhs", "different", "title", "given", "family", "birth-day", "sex", "address1", "town", "postcode",
	"phone", "mobile", "email", "type", "gp", "start-day", "previous-practice", "previous-postcode",
	"place-of-birth", "ethnicity", "language", "accessible-format", "armed-forces", "reason", "other", "date-day", "death-day", "informant"}
