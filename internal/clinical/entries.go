package clinical

import (
	"fmt"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Immunisations, alerts, dates typed in three fields, and retraction of
// an entry of the record (entered in error, never deleted).

// ParseDay reads a date typed in the NHS.UK date input (day, month,
// year) as 2006-01-02; all three empty is "" with no error when the date
// is optional. what names the date in the message ("the date it began").
func ParseDay(day, month, year, what string, optional bool) (string, string) {
	d, m, y := strings.TrimSpace(day), strings.TrimSpace(month), strings.TrimSpace(year)
	if d == "" && m == "" && y == "" {
		if optional {
			return "", ""
		}
		return "", "Enter " + what
	}
	var di, mi, yi int
	if _, err := fmt.Sscanf(d+" "+m+" "+y, "%d %d %d", &di, &mi, &yi); err != nil || yi < 1900 || yi > 9999 || mi < 1 || mi > 12 || di < 1 || di > 31 {
		return "", upperFirst(what) + " must be a real date, like 27 3 2025"
	}
	t := time.Date(yi, time.Month(mi), di, 0, 0, 0, 0, time.UTC)
	if t.Day() != di {
		return "", upperFirst(what) + " must be a real date, like 27 3 2025"
	}
	return t.Format("2006-01-02"), ""
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// Immunisation routes (v3 RouteOfAdministration) and sites (v3 ActSite)
// a practice uses.
var (
	ImmunisationRoutes = []Choice{{"IM", "Intramuscular"}, {"SC", "Subcutaneous"}, {"PO", "Oral"}, {"NASINHLC", "Nasal"}, {"IDINJ", "Intradermal"}}
	ImmunisationSites  = []Choice{{"LA", "Left arm"}, {"RA", "Right arm"}, {"LT", "Left thigh"}, {"RT", "Right thigh"}, {"MOUTH", "Mouth"}, {"NOSE", "Nose"}}
	// ImmunisationConsents are who consented (a gpcloud extension: R4
	// Immunization has no element for it).
	ImmunisationConsents = []Choice{{"patient", "The patient"}, {"parent", "A parent or guardian"}, {"best-interests", "Best interests decision"}}
)

const (
	routeSystem = "http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration"
	siteSystem  = "http://terminology.hl7.org/CodeSystem/v3-ActSite"
	// ConsentExtensionURL records who consented to an immunisation.
	ConsentExtensionURL = "https://gpcloud.dev/fhir/StructureDefinition/immunisation-consent"
	actReasonSystem     = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
)

// NewImmunisation is an immunisation given, or offered and declined.
type NewImmunisation struct {
	Vaccine Concept
	Given   bool
	Date    string // 2006-01-02
	// Given only: batch, its expiry, route, site, dose number and consent.
	Batch, Expiry, Route, Site, Consent string
	Dose                                int
	// Declined only: the reason in the patient's words (optional).
	DeclinedNote string
}

// Check returns the form's errors by field. A vaccine given needs its
// batch (a recalled batch must find its patients) and its expiry, which
// must not be before the day it was given.
func (im NewImmunisation) Check(now time.Time) map[string]string {
	errs := map[string]string{}
	if im.Vaccine.Code == "" {
		errs["vaccine"] = "Choose the vaccine from the matches (type its name and select Find)"
	}
	today := now.In(London).Format("2006-01-02")
	if im.Date > today {
		errs["date-day"] = "The date must be today or in the past"
	}
	if !im.Given {
		return errs
	}
	if strings.TrimSpace(im.Batch) == "" {
		errs["batch"] = "Enter the batch number"
	}
	if im.Expiry != "" && im.Date != "" && im.Expiry < im.Date {
		errs["expiry-day"] = "The vaccine had expired on the day it was given: check the expiry date"
	}
	if !choiceKnown(ImmunisationRoutes, im.Route) {
		errs["route"] = "Select the route"
	}
	if im.Site != "" && !choiceKnown(ImmunisationSites, im.Site) {
		errs["site"] = "Select the site"
	}
	if im.Dose < 0 || im.Dose > 20 {
		errs["dose"] = "The dose number must be between 1 and 20, or left empty"
	}
	if !choiceKnown(ImmunisationConsents, im.Consent) {
		errs["consent"] = "Select who gave consent"
	}
	return errs
}

// Resource is the Immunization to write; performer is who gave it (the
// user).
func (im NewImmunisation) Resource(patientID string, performer Ref, now time.Time) fhir.Resource {
	r := fhir.Resource{"resourceType": "Immunization",
		"vaccineCode":        codeable(SNOMED, im.Vaccine.Code, im.Vaccine.Display, ""),
		"patient":            map[string]any{"reference": "Patient/" + patientID},
		"occurrenceDateTime": im.Date,
		"recorded":           fhir.FormatInstant(now),
		"primarySource":      true,
	}
	if !im.Given {
		r["status"] = "not-done"
		r["statusReason"] = map[string]any{"coding": []any{map[string]any{"system": actReasonSystem, "code": "PATOBJ", "display": "patient objection"}}, "text": "Declined"}
		if n := strings.TrimSpace(im.DeclinedNote); n != "" {
			r["note"] = []any{map[string]any{"text": n}}
		}
		return r
	}
	r["status"] = "completed"
	r["lotNumber"] = strings.TrimSpace(im.Batch)
	if im.Expiry != "" {
		r["expirationDate"] = im.Expiry
	}
	r["route"] = codeable(routeSystem, im.Route, ChoiceLabel(ImmunisationRoutes, im.Route), "")
	if im.Site != "" {
		r["site"] = codeable(siteSystem, im.Site, ChoiceLabel(ImmunisationSites, im.Site), "")
	}
	if im.Dose > 0 {
		r["protocolApplied"] = []any{map[string]any{"doseNumberPositiveInt": im.Dose}}
	}
	r["performer"] = []any{map[string]any{"actor": refMap(performer)}}
	r["extension"] = []any{map[string]any{"url": ConsentExtensionURL, "valueCode": im.Consent}}
	return r
}

// ImmunisationRow is one line of the immunisations page.
type ImmunisationRow struct {
	ID, Version    string
	Vaccine, Date  string
	Given          bool
	Detail         string // batch, route, site, dose; or the reason not given
	By             string
	EnteredInError bool
}

// ImmunisationRows lists immunisations newest first (they come so).
func ImmunisationRows(ims []fhir.Resource) []ImmunisationRow {
	var rows []ImmunisationRow
	for _, im := range ims {
		row := ImmunisationRow{ID: im.ID(), Version: versionOf(im), Vaccine: conceptText(im["vaccineCode"]), Date: day(str(im, "occurrenceDateTime")),
			Given: str(im, "status") == "completed", EnteredInError: str(im, "status") == "entered-in-error"}
		var parts []string
		if str(im, "status") == "not-done" {
			parts = append(parts, "Not given: "+strings.ToLower(firstNonEmpty(conceptText(im["statusReason"]), "no reason recorded")))
			for _, n := range list(im, "note") {
				parts = append(parts, str(n, "text"))
			}
		}
		if b := str(im, "lotNumber"); b != "" {
			parts = append(parts, "batch "+b)
		}
		if e := str(im, "expirationDate"); e != "" {
			parts = append(parts, "expires "+day(e))
		}
		if t := conceptText(im["route"]); t != "" {
			parts = append(parts, strings.ToLower(t))
		}
		if t := conceptText(im["site"]); t != "" {
			parts = append(parts, strings.ToLower(t))
		}
		for _, pa := range list(im, "protocolApplied") {
			if n, ok := pa["doseNumberPositiveInt"].(float64); ok {
				parts = append(parts, fmt.Sprintf("dose %d", int(n)))
			}
		}
		row.Detail = strings.Join(parts, ", ")
		for _, p := range list(im, "performer") {
			if d := refDisplay(p["actor"]); d != "" {
				row.By = d
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// AlertKinds are the alerts staff record (CLINICAL.md, Workspace 1), each
// with its FHIR flag category. The Flag's code carries the kind and the
// detail as text: the SNOMED CT codes for each are to be bound when the
// terminology service lands.
var AlertKinds = []struct {
	Key, Label, Category string
}{
	{"staff-safety", "Staff safety: violence or aggression", "safety"},
	{"child-protection", "Safeguarding: child protection plan", "safety"},
	{"looked-after-child", "Safeguarding: looked-after child", "safety"},
	{"adult-at-risk", "Safeguarding: adult at risk", "safety"},
	{"communication", "Communication needs (interpreter, language)", "admin"},
	{"reasonable-adjustment", "Reasonable adjustments", "admin"},
	{"dnacpr", "DNACPR / ReSPECT", "clinical"},
	{"carer", "Carer", "contact"},
	{"firearms", "Firearms certificate holder", "safety"},
	{"other", "Other", "admin"},
}

const flagCategorySystem = "http://terminology.hl7.org/CodeSystem/flag-category"

// AlertKindChoices are AlertKinds as form choices.
func AlertKindChoices() []Choice {
	out := make([]Choice, len(AlertKinds))
	for i, k := range AlertKinds {
		out[i] = Choice{k.Key, k.Label}
	}
	return out
}

// NewAlert is an alert as staff add it.
type NewAlert struct {
	Kind, Detail string
}

// Check returns the form's errors by field.
func (a NewAlert) Check() map[string]string {
	errs := map[string]string{}
	if !choiceKnown(AlertKindChoices(), a.Kind) {
		errs["kind"] = "Select the kind of alert"
	}
	if a.Kind == "other" && strings.TrimSpace(a.Detail) == "" {
		errs["detail"] = "Say what the alert is"
	}
	if a.Kind == "communication" && strings.TrimSpace(a.Detail) == "" {
		errs["detail"] = "Say what is needed, for example the interpreter's language"
	}
	if len(a.Detail) > 300 {
		errs["detail"] = "The detail must be 300 characters or fewer"
	}
	return errs
}

// Resource is the Flag to write.
func (a NewAlert) Resource(patientID string, author Ref, now time.Time) fhir.Resource {
	var kind struct{ Key, Label, Category string }
	for _, k := range AlertKinds {
		if k.Key == a.Kind {
			kind = k
		}
	}
	text := kind.Label
	if d := strings.TrimSpace(a.Detail); d != "" {
		if a.Kind == "other" {
			text = d
		} else {
			text += ": " + d
		}
	}
	categories := []Choice{{"safety", "Safety"}, {"admin", "Administrative"}, {"clinical", "Clinical"}, {"contact", "Subject Contact"}}
	return fhir.Resource{"resourceType": "Flag", "status": "active",
		"category": []any{codeable(flagCategorySystem, kind.Category, ChoiceLabel(categories, kind.Category), "")},
		"code":     map[string]any{"text": text},
		"subject":  map[string]any{"reference": "Patient/" + patientID},
		"period":   map[string]any{"start": fhir.FormatInstant(now)},
		"author":   refMap(author),
	}
}

// EndAlert makes an alert inactive from now.
func EndAlert(f fhir.Resource, now time.Time) fhir.Resource {
	out := cloneResource(f)
	out["status"] = "inactive"
	period := mapOf(out["period"])
	p := map[string]any{}
	for k, v := range period {
		p[k] = v
	}
	p["end"] = fhir.FormatInstant(now)
	out["period"] = p
	return out
}

// AlertRow is one line of the alerts page.
type AlertRow struct {
	ID, Version, Text, Start, End string
	Active, EnteredInError        bool
}

// AlertRows lists alerts: active first.
func AlertRows(flags []fhir.Resource) []AlertRow {
	var active, other []AlertRow
	for _, f := range flags {
		row := AlertRow{ID: f.ID(), Version: versionOf(f), Text: conceptText(f["code"]), Start: day(str(mapOf(f["period"]), "start")),
			End: day(str(mapOf(f["period"]), "end")), Active: str(f, "status") == "active", EnteredInError: str(f, "status") == "entered-in-error"}
		if row.Active {
			active = append(active, row)
		} else {
			other = append(other, row)
		}
	}
	return append(active, other...)
}

// RetractEntry marks a problem, allergy, immunisation or alert entered
// in error (never deleted); false for other types.
func RetractEntry(res fhir.Resource) (fhir.Resource, bool) {
	out := cloneResource(res)
	switch res.Type() {
	case "Flag", "MedicationAdministration":
		// A dose given marked in error leaves the safety checks and the
		// month's claim (administration.go).
		out["status"] = "entered-in-error"
		return out, true
	case "Condition", "AllergyIntolerance", "Immunization":
		return out, MarkEnteredInError(out)
	}
	return nil, false
}

// CheckRetractReason refuses an empty or overlong reason for marking an
// entry entered in error.
func CheckRetractReason(reason string) string {
	switch r := strings.TrimSpace(reason); {
	case r == "":
		return "Say why it was entered in error"
	case len(r) > 500:
		return "The reason must be 500 characters or fewer"
	}
	return ""
}

// CheckBreakGlassReason refuses an empty or trivial reason for opening a
// sensitive record: it is kept in the audit trail for the practice to
// review.
func CheckBreakGlassReason(reason string) string {
	switch r := strings.TrimSpace(reason); {
	case r == "":
		return "Give the reason you need to open this record"
	case len(r) < 5:
		return "Give the reason in a few words, for example \"Seeing the patient today\""
	case len(r) > 300:
		return "The reason must be 300 characters or fewer"
	}
	return ""
}
