package clinical

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// RegistrationView is one registration (an EpisodeOfCare) as the desk
// reads it.
type RegistrationView struct {
	ID, Version string
	Type        string // "Regular", "Temporary resident", ...
	TypeKey     string
	Start, End  string // "12-Mar-2026", "" when open
	UsualGP     string
	// Status: "Registered", "Ends 12-Jun-2026", "Ended 12-Jun-2026 (temporary)",
	// "Deducted 1-Dec-2026: Moved out of the practice area".
	Status string
	// Current: registered now (active, and not past a temporary end).
	Current bool
	Reason  string
	// PreviousPractice as given on the GMS1.
	PreviousPractice string
}

// ViewRegistration reads an EpisodeOfCare.
func ViewRegistration(ep fhir.Resource, now time.Time) RegistrationView {
	v := RegistrationView{ID: ep.ID(), Version: versionOf(ep), UsualGP: str(mapOf(ep["careManager"]), "display")}
	for _, t := range list(ep, "type") {
		for _, c := range list(t, "coding") {
			if c["system"] == RegistrationTypeSystem {
				if rt, ok := RegistrationTypeOf(str(c, "code")); ok {
					v.Type, v.TypeKey = rt.Label, rt.Key
				}
			}
		}
	}
	if v.Type == "" {
		v.Type = "Registration"
	}
	period := mapOf(ep["period"])
	start, _ := time.Parse("2006-01-02", str(period, "start"))
	end, endErr := time.Parse("2006-01-02", str(period, "end"))
	if !start.IsZero() {
		v.Start = ShortDate(start)
	}
	if endErr == nil {
		v.End = ShortDate(end)
	}
	for _, e := range list(ep, "extension") {
		switch e["url"] {
		case DeductionReasonURL:
			cc := mapOf(e["valueCodeableConcept"])
			v.Reason = str(cc, "text")
			for _, c := range list(cc, "coding") {
				v.Reason = firstNonEmpty(v.Reason, str(c, "display"))
			}
		case PreviousPracticeURL:
			v.PreviousPractice = str(e, "valueString")
		}
	}
	today := now.In(London).Format("2006-01-02")
	switch status := str(ep, "status"); {
	case status == "active" && endErr == nil && str(period, "end") <= today:
		v.Status = "Ended " + v.End + " (" + strings.ToLower(v.Type) + ")"
	case status == "active" && endErr == nil:
		v.Status, v.Current = "Registered until "+v.End, true
	case status == "active":
		v.Status, v.Current = "Registered", true
	case status == "finished" && v.Reason != "":
		v.Status = "Deducted " + v.End + ": " + v.Reason
	case status == "entered-in-error":
		v.Status = "Entered in error"
	default:
		v.Status = "Ended " + v.End
	}
	return v
}

// ViewRegistrations reads a patient's EpisodeOfCares, newest first.
func ViewRegistrations(eps []fhir.Resource, now time.Time) []RegistrationView {
	// Newest first; of two begun the same day, the one still open.
	sort.SliceStable(eps, func(i, j int) bool {
		si, sj := str(mapOf(eps[i]["period"]), "start"), str(mapOf(eps[j]["period"]), "start")
		if si != sj {
			return si > sj
		}
		return str(eps[i], "status") == "active" && str(eps[j], "status") != "active"
	})
	out := make([]RegistrationView, 0, len(eps))
	for _, ep := range eps {
		if isRegistration(ep) {
			out = append(out, ViewRegistration(ep, now))
		}
	}
	return out
}

// isRegistration tells a registration from other episodes of care (a
// diabetes service, say): it has a registration type.
func isRegistration(ep fhir.Resource) bool {
	for _, t := range list(ep, "type") {
		for _, c := range list(t, "coding") {
			if c["system"] == RegistrationTypeSystem {
				return true
			}
		}
	}
	return false
}

// Deduction is a patient leaving the list.
type Deduction struct {
	Reason string // a DeductionReasons key
	// Other says why when Reason is "other".
	Other              string
	Day, Month, Year   string
	Date               time.Time // set by Check
	EpisodeID, Version string    // the registration ended, as read
	PatientVersion     string
}

// Check checks a deduction: a reason from the list (and words for
// "other"), and a date not in the future and not before the
// registration started (start, "" when unknown).
func (d *Deduction) Check(now time.Time, start string) map[string]string {
	errs := map[string]string{}
	if ChoiceLabel(DeductionReasons, d.Reason) == "" {
		errs["reason"] = "Select why the patient is leaving the list"
	}
	d.Other = clean(d.Other)
	if d.Reason == "other" && d.Other == "" {
		errs["other"] = "Say why the patient is leaving the list"
	}
	var msg string
	d.Date, msg = ParseDateInput(d.Day, d.Month, d.Year, "date of deduction", now)
	switch {
	case msg != "":
		errs["date-day"] = msg
	case d.Date.After(now):
		errs["date-day"] = "Date of deduction must be today or in the past"
	case start != "" && d.Date.Format("2006-01-02") < start:
		errs["date-day"] = "Date of deduction must be on or after the date the registration started"
	}
	return errs
}

// DeductionBundle ends the registration (the EpisodeOfCare finished
// on the date, with the reason) and marks the Patient inactive, in one
// transaction whose updates are If-Match: a registration or patient
// someone changed since they were read is not overwritten.
func DeductionBundle(patient, episode fhir.Resource, d Deduction) fhir.Resource {
	ep := copyResource(episode)
	ep["status"] = "finished"
	period := copyMap(mapOf(ep["period"]))
	period["end"] = d.Date.Format("2006-01-02")
	ep["period"] = period
	reason := codeable(DeductionReasonSystem, d.Reason, ChoiceLabel(DeductionReasons, d.Reason), d.Other)
	var exts []any
	for _, e := range list(ep, "extension") {
		if e["url"] != DeductionReasonURL {
			exts = append(exts, e)
		}
	}
	ep["extension"] = append(exts, map[string]any{"url": DeductionReasonURL, "valueCodeableConcept": reason})
	p := copyResource(patient)
	p["active"] = false
	return transaction(update(ep), update(p))
}

// ReregistrationBundle registers a patient who left again: a new
// EpisodeOfCare, and the Patient active with the usual GP chosen, in
// one transaction (the Patient If-Match). Registrations of eps that are
// still active but past their end (a temporary registration that ran
// out) are finished in the same transaction, so that no client reads
// two current registrations.
func ReregistrationBundle(patient fhir.Resource, r Registration, practice Practice, eps []fhir.Resource, now time.Time) fhir.Resource {
	p := copyResource(patient)
	p["active"] = true
	p["generalPractitioner"] = []any{refMap(r.GP)}
	p["managingOrganization"] = refMap(practice.Ref())
	entries := []any{update(p)}
	for _, old := range eps {
		if str(old, "status") == "active" && isRegistration(old) && !ViewRegistration(old, now).Current {
			ended := copyResource(old)
			ended["status"] = "finished"
			entries = append(entries, update(ended))
		}
	}
	ep := EpisodeOf(r, "Patient/"+patient.ID(), practice)
	entries = append(entries, map[string]any{"fullUrl": "urn:uuid:" + fhir.NewUUID(), "resource": map[string]any(ep),
		"request": map[string]any{"method": "POST", "url": "EpisodeOfCare"}})
	return transaction(entries...)
}

// Death is a death the practice was told of.
type Death struct {
	Day, Month, Year string
	// Place is where the patient died (optional); Informant who told the
	// practice (a relative, the hospital, the coroner, PDS...).
	Place, Informant string
	Date             time.Time // set by Check
	PatientVersion   string
}

// Check checks the date of death: a real date, not in the future and
// not before the date of birth (birth, "" when unknown).
func (d *Death) Check(now time.Time, birth string) map[string]string {
	errs := map[string]string{}
	var msg string
	d.Date, msg = ParseDateInput(d.Day, d.Month, d.Year, "date of death", now)
	switch {
	case msg != "":
		errs["death-day"] = msg
	case d.Date.After(now):
		errs["death-day"] = "Date of death must be today or in the past"
	case birth != "" && d.Date.Format("2006-01-02") < birth:
		errs["death-day"] = "Date of death must be on or after the date of birth"
	}
	d.Place, d.Informant = clean(d.Place), clean(d.Informant)
	if d.Informant == "" {
		errs["informant"] = "Say who told the practice of the death"
	}
	return errs
}

// DeathBundle records a death: Patient.deceasedDateTime (If-Match), and
// the patient's future appointments cancelled (reason "Patient:
// Deceased"), so that no reminder reaches a bereaved family. appts are
// the patient's booked appointments from today.
func DeathBundle(patient fhir.Resource, d Death, appts []fhir.Resource) fhir.Resource {
	p := copyResource(patient)
	delete(p, "deceasedBoolean")
	p["deceasedDateTime"] = d.Date.Format("2006-01-02")
	// Who told the practice, and where: the record of the notification
	// (cause and certification are the GP's to record).
	note := []any{map[string]any{"url": "informant", "valueString": d.Informant}}
	if d.Place != "" {
		note = append(note, map[string]any{"url": "place", "valueString": d.Place})
	}
	var exts []any
	for _, e := range list(p, "extension") {
		if e["url"] != DeathNotificationURL {
			exts = append(exts, e)
		}
	}
	p["extension"] = append(exts, map[string]any{"url": DeathNotificationURL, "extension": note})
	entries := []any{update(p)}
	for _, a := range appts {
		switch str(a, "status") {
		case "proposed", "pending", "booked", "waitlist":
			c := copyResource(a)
			c["status"] = "cancelled"
			c["cancelationReason"] = codeable("http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason", "pat-dec", "Patient: Deceased", "")
			entries = append(entries, update(c))
		}
	}
	return transaction(entries...)
}

// update is a transaction entry that writes res If-Match its version.
func update(res fhir.Resource) map[string]any {
	req := map[string]any{"method": "PUT", "url": res.Type() + "/" + res.ID()}
	if v := versionOf(res); v != "" {
		req["ifMatch"] = fmt.Sprintf(`W/"%s"`, v)
	}
	// The version and time are the server's to set; the rest of meta (a
	// security label of a sensitive record, profiles) is kept.
	body := copyResource(res)
	if meta := copyMap(mapOf(res["meta"])); len(meta) > 0 {
		delete(meta, "versionId")
		delete(meta, "lastUpdated")
		setOrDelete(body, "meta", len(meta) > 0, func() any { return meta })
	}
	return map[string]any{"resource": map[string]any(body), "request": req}
}

func transaction(entries ...any) fhir.Resource {
	return fhir.Resource{"resourceType": "Bundle", "type": "transaction", "entry": entries}
}

func copyResource(r fhir.Resource) fhir.Resource {
	out := fhir.Resource{}
	for k, v := range r {
		out[k] = v
	}
	return out
}

func copyMap(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// DemographicsOf reads a Patient back into the form's fields (to change
// them).
func DemographicsOf(p fhir.Resource) Demographics {
	var d Demographics
	for _, n := range listAny(p["name"]) {
		if n["use"] != "official" && d.Family != "" {
			continue
		}
		d.Family, _ = n["family"].(string)
		d.Given = strings.Join(stringsOf(n["given"]), " ")
		d.Title = strings.Join(stringsOf(n["prefix"]), " ")
		if n["use"] == "official" {
			break
		}
	}
	if b, ok := p["birthDate"].(string); ok && len(b) == 10 {
		d.BirthYear, d.BirthMonth, d.BirthDay = b[:4], strings.TrimPrefix(b[5:7], "0"), strings.TrimPrefix(b[8:], "0")
	}
	d.Sex, _ = p["gender"].(string)
	for _, a := range listAny(p["address"]) {
		switch a["use"] {
		case "old":
			continue
		case "temp":
			if t, _ := a["text"].(string); strings.HasPrefix(t, "No fixed abode") {
				d.NoFixedAbode = true
			}
		}
		lines := stringsOf(a["line"])
		if !d.NoFixedAbode {
			if len(lines) > 0 {
				d.Address1 = lines[0]
			}
			if len(lines) > 1 {
				d.Address2 = strings.Join(lines[1:], ", ")
			}
			d.Town, _ = a["city"].(string)
			d.Postcode, _ = a["postalCode"].(string)
		}
		break
	}
	for _, t := range listAny(p["telecom"]) {
		value, _ := t["value"].(string)
		consent := false
		for _, e := range listAny(t["extension"]) {
			if e["url"] == ContactConsentURL {
				consent, _ = e["valueBoolean"].(bool)
			}
		}
		switch {
		case t["system"] == "email":
			d.Email, d.EmailConsent = value, consent
		case t["system"] == "sms" || t["use"] == "mobile":
			d.Mobile, d.SMSConsent = value, consent
		case t["system"] == "phone":
			d.Phone = value
		}
	}
	for _, id := range listAny(p["identifier"]) {
		if id["system"] == NHSNumberSystem {
			v, _ := id["value"].(string)
			d.NHSNumber, d.NHS = FormatNHSNumber(v), v
		}
	}
	for _, c := range listAny(p["communication"]) {
		if l, ok := c["language"].(map[string]any); ok {
			d.Language, _ = l["text"].(string)
		}
	}
	for _, e := range listAny(p["extension"]) {
		switch e["url"] {
		case BirthPlaceURL:
			a, _ := e["valueAddress"].(map[string]any)
			d.PlaceOfBirth, _ = a["text"].(string)
		case InterpreterURL:
			d.Interpreter, _ = e["valueBoolean"].(bool)
		case EthnicCategoryURL, ArmedForcesURL, AccessibleFormatURL:
			cc, _ := e["valueCodeableConcept"].(map[string]any)
			for _, c := range listAny(cc["coding"]) {
				code, _ := c["code"].(string)
				switch e["url"] {
				case EthnicCategoryURL:
					d.Ethnicity = code
				case ArmedForcesURL:
					d.ArmedForces = code
				default:
					d.AccessibleFormat = code
				}
			}
		}
	}
	return d
}

func listAny(v any) []map[string]any {
	var out []map[string]any
	for _, x := range anyList(v) {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func stringsOf(v any) []string {
	var out []string
	for _, x := range anyList(v) {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
