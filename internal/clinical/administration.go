package clinical

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Medicines given at the practice (issue 17, E00099): a depot injection
// (hydroxocobalamin, medroxyprogesterone, goserelin, testosterone), a
// contraceptive implant, a joint injection. Each dose given is a FHIR
// MedicationAdministration (UK Core profile), its product a dm+d code
// read from the terminology service, never the form's words. dm+d marks
// the packs the practice claims back from the NHSBSA (PADM); the flag is
// recorded on the administration as it stood when the dose was given, so
// that the month's FP34D appendix (PAClaimFor) lists what dm+d said
// then. Vaccines stay Immunizations (entries.go).
//
// Choices made where R4 has no element:
//   - batch and expiry: R4 MedicationAdministration has neither (they are
//     Medication.batch's); BatchURL is an extension with the same two
//     parts, lotNumber and expirationDate, so that a recalled batch finds
//     its patients by one extension on one resource type.
//   - claimable: PersonallyAdministeredURL, a boolean extension, true when
//     dm+d marked a pack of the product PADM.
//   - category: "community" (medication-admin-category, UK Core's
//     extensible binding): given in general practice.

// Extensions and code systems of an administration.
const (
	AdministrationProfile     = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-MedicationAdministration"
	BatchURL                  = "https://gpcloud.dev/fhir/StructureDefinition/medication-batch"
	PersonallyAdministeredURL = "https://gpcloud.dev/fhir/StructureDefinition/personally-administered"
	adminCategorySystem       = "http://terminology.hl7.org/CodeSystem/medication-admin-category"
)

// AdministrationEffectDays is how long after a dose given at the
// practice the safety checks count it as a current medicine (duplicate
// therapy, interactions): 14 weeks, the longest interval of the depots a
// practice gives (medroxyprogesterone 13 weeks, hydroxocobalamin and
// goserelin 10.8 mg 12 weeks, testosterone undecanoate 10 to 14 weeks).
// dm+d does not say how long a product acts, so one window covers them
// all: a one-off injection is over-warned for a few weeks rather than a
// depot missed (hazard H-842).
const AdministrationEffectDays = 98

// AdministrationRoutes are the routes of the medicines a practice gives
// (SNOMED CT, as dm+d's routes and UK Core's preferred binding).
var AdministrationRoutes = []Choice{
	{"78421000", "Intramuscular"}, {"34206005", "Subcutaneous"}, {"263887005", "Subdermal (implant)"},
	{"12130007", "Intra-articular"}, {"372464004", "Intradermal"}, {"26643006", "Oral"},
}

// AdministrationSites are where on the body (HL7 v3 ActSite, as the
// immunisations' sites); "other" takes the site in words (a knee, a
// shoulder).
var AdministrationSites = []Choice{
	{"LA", "Left arm"}, {"RA", "Right arm"}, {"LG", "Left buttock (gluteal)"}, {"RG", "Right buttock (gluteal)"},
	{"LT", "Left thigh"}, {"RT", "Right thigh"}, {"LLAQ", "Left lower abdomen"}, {"RLAQ", "Right lower abdomen"},
	{"other", "Somewhere else (say where)"},
}

// routeDisplays and siteDisplays are the code systems' own displays of
// the choices (the choice's label, in the practice's words, is the
// CodeableConcept's text).
var (
	routeDisplays = map[string]string{"78421000": "Intramuscular route", "34206005": "Subcutaneous route", "263887005": "Subdermal route",
		"12130007": "Intra-articular route", "372464004": "Intradermal route", "26643006": "Oral route"}
	siteDisplays = map[string]string{"LA": "left arm", "RA": "right arm", "LG": "left gluteus medius", "RG": "right gluteus medius",
		"LT": "left thigh", "RT": "right thigh", "LLAQ": "left lower abd quadrant", "RLAQ": "right lower abd quadrant"}
)

// oralRoute is the one route that needs no batch.
const oralRoute = "26643006"

// Administration is what the person who gave a medicine enters.
type Administration struct {
	// Medicine is the dm+d product as the terminology service read it.
	Medicine Medicine
	// Date is the day it was given, 2006-01-02.
	Date string
	// Dose is the amount given in the product's unit ("1" ampoule,
	// "0.5" ml).
	Dose string
	// Route and Site are choice keys; SiteText the site in words when
	// Site is "other".
	Route, Site, SiteText string
	// Batch is the batch (lot) number, Expiry its expiry (2006-01-02,
	// optional).
	Batch, Expiry string
	Note          string
	// Encounter is the consultation it was given in ("Encounter/id"), ""
	// outside one; Request the authorisation it was given under
	// ("MedicationRequest/id"), "" when none.
	Encounter, Request string
}

// Check returns the form's errors by field (empty when it may be
// recorded): a current dm+d product, a day that is not in the future, a
// dose greater than nothing in the product's unit, a known route and
// site, and the batch of anything injected or implanted (a recalled
// batch must find its patients), whose expiry is not before the day it
// was given.
func (a Administration) Check(now time.Time) map[string]string {
	errs := map[string]string{}
	switch {
	case a.Medicine.Code == "":
		errs["medicine"] = "Choose the medicine from the list (type its name and select Find)"
	case a.Medicine.Inactive:
		errs["medicine"] = a.Medicine.Name + " is no longer a current dm+d product: choose the product given from the list"
	}
	today := now.In(London).Format("2006-01-02")
	if a.Date > today {
		errs["date-day"] = "The date given must be today or in the past"
	}
	if d := strings.TrimSpace(a.Dose); d == "" {
		errs["dose"] = "Enter the dose given, for example 1"
	} else if n, err := strconv.ParseFloat(d, 64); err != nil || n <= 0 || n > 100 {
		errs["dose"] = "The dose must be a number greater than 0 and no more than 100, for example 1 or 0.5"
	}
	if !choiceKnown(AdministrationRoutes, a.Route) {
		errs["route"] = "Select the route"
	}
	switch {
	case a.Site == "":
	case !choiceKnown(AdministrationSites, a.Site):
		errs["site"] = "Select the site"
	case a.Site == "other" && strings.TrimSpace(a.SiteText) == "":
		errs["site-text"] = "Enter where it was given, for example Left knee"
	case len(a.SiteText) > 100:
		errs["site-text"] = "The site must be 100 characters or fewer"
	}
	if strings.TrimSpace(a.Batch) == "" && a.Route != oralRoute {
		errs["batch"] = "Enter the batch number from the pack: an injection or implant is recorded with its batch"
	} else if len(a.Batch) > 40 {
		errs["batch"] = "The batch number must be 40 characters or fewer"
	}
	if a.Expiry != "" && a.Date != "" && a.Expiry < a.Date {
		errs["expiry-day"] = "The medicine had expired on the day it was given: check the expiry date"
	}
	if len(a.Note) > 1000 {
		errs["note"] = "The note must be 1000 characters or fewer"
	}
	return errs
}

// Resource is the MedicationAdministration of a dose given; performer is
// who gave it (the user). A dose given today is timed now; one recorded
// for an earlier day carries the day only.
func (a Administration) Resource(patientID string, performer Ref, now time.Time) fhir.Resource {
	m := a.Medicine
	effective := a.Date
	if a.Date == now.In(London).Format("2006-01-02") {
		effective = now.In(London).Format("2006-01-02T15:04:05-07:00")
	}
	dose, _ := strconv.ParseFloat(strings.TrimSpace(a.Dose), 64)
	unit := firstNonEmpty(m.Unit, "dose")
	dosage := map[string]any{
		"text":  a.DoseText(),
		"route": codeable(SNOMED, a.Route, routeDisplays[a.Route], ChoiceLabel(AdministrationRoutes, a.Route)),
		"dose":  map[string]any{"value": json.Number(strconv.FormatFloat(dose, 'f', -1, 64)), "unit": unit},
	}
	switch {
	case a.Site == "other":
		dosage["site"] = map[string]any{"text": strings.TrimSpace(a.SiteText)}
	case a.Site != "":
		dosage["site"] = codeable(siteSystem, a.Site, siteDisplays[a.Site], ChoiceLabel(AdministrationSites, a.Site))
	}
	batch := []any{}
	if b := strings.TrimSpace(a.Batch); b != "" {
		batch = append(batch, map[string]any{"url": "lotNumber", "valueString": b})
	}
	if a.Expiry != "" {
		batch = append(batch, map[string]any{"url": "expirationDate", "valueDate": a.Expiry})
	}
	ext := []any{map[string]any{"url": PersonallyAdministeredURL, "valueBoolean": m.PersonallyAdministered}}
	if len(batch) > 0 {
		ext = append(ext, map[string]any{"url": BatchURL, "extension": batch})
	}
	r := fhir.Resource{"resourceType": "MedicationAdministration",
		"meta":                      map[string]any{"profile": []any{AdministrationProfile}},
		"extension":                 ext,
		"status":                    "completed",
		"category":                  codeable(adminCategorySystem, "community", "Community", "Given at the practice"),
		"medicationCodeableConcept": map[string]any{"coding": []any{map[string]any{"system": SNOMED, "code": m.Code, "display": m.Name}}, "text": m.Name},
		"subject":                   map[string]any{"reference": "Patient/" + patientID},
		"effectiveDateTime":         effective,
		"performer":                 []any{map[string]any{"actor": refMap(performer)}},
		"dosage":                    dosage,
	}
	if a.Encounter != "" {
		r["context"] = map[string]any{"reference": a.Encounter}
	}
	if a.Request != "" {
		r["request"] = map[string]any{"reference": a.Request}
	}
	if n := strings.TrimSpace(a.Note); n != "" {
		r["note"] = []any{map[string]any{"text": n}}
	}
	return r
}

// DoseText is the dose in words: "1 ampoule, intramuscular, left
// buttock (gluteal)".
func (a Administration) DoseText() string {
	dose, _ := strconv.ParseFloat(strings.TrimSpace(a.Dose), 64)
	parts := []string{doseAmount(dose, firstNonEmpty(a.Medicine.Unit, "dose"))}
	if a.Route != "" {
		parts = append(parts, strings.ToLower(ChoiceLabel(AdministrationRoutes, a.Route)))
	}
	switch {
	case a.Site == "other":
		parts = append(parts, strings.TrimSpace(a.SiteText))
	case a.Site != "":
		parts = append(parts, strings.ToLower(ChoiceLabel(AdministrationSites, a.Site)))
	}
	return strings.Join(parts, ", ")
}

// doseAmount is "1 ampoule", "2 ampoules", "0.5 ml".
func doseAmount(v float64, unit string) string {
	n := strconv.FormatFloat(v, 'f', -1, 64)
	if v != 1 && unit != "" && !strings.HasSuffix(unit, "s") && !measureUnits[unit] && v == float64(int(v)) {
		unit += "s"
	}
	return strings.TrimSpace(n + " " + unit)
}

// floatOf reads a JSON number however it was decoded (toFloat), 0 when
// it is not one.
func floatOf(v any) float64 {
	f, _ := toFloat(v)
	return f
}

// AdministeredUnder is the authorisation a dose of code is given under:
// the patient's one current authorisation of exactly that product
// ("MedicationRequest/id"), "" when there is none or more than one (a
// guess between two would link the dose to the wrong course).
func AdministeredUnder(meds []fhir.Resource, code string, now time.Time) string {
	var found []string
	for _, m := range currentAuthorisations(meds, now) {
		if m.Type() == "MedicationRequest" && slices.Contains(codesOf(m["medicationCodeableConcept"]), code) {
			found = append(found, "MedicationRequest/"+m.ID())
		}
	}
	if len(found) == 1 {
		return found[0]
	}
	return ""
}

// administrationCurrent reports a dose given at the practice whose
// effect the checks still count (AdministrationEffectDays).
func administrationCurrent(m fhir.Resource, now time.Time) bool {
	if str(m, "status") != "completed" {
		return false
	}
	when := str(m, "effectiveDateTime")
	if len(when) < 10 {
		return false
	}
	return when[:10] >= now.AddDate(0, 0, -AdministrationEffectDays).In(London).Format("2006-01-02")
}

// AdministrationRow is a line of "Given in the practice".
type AdministrationRow struct {
	ID, Version, Name, Date, Dose, Batch, By, Note string
	// Claimable: dm+d marked the product PADM when it was given.
	Claimable bool
	// Current: the safety checks still count it (AdministrationEffectDays).
	Current bool
	// given is the effectiveDateTime as recorded, for the order.
	given string
}

// AdministrationRows lists the doses given in the last 12 months, newest
// first; one entered in error is left out.
func AdministrationRows(res []fhir.Resource, now time.Time) []AdministrationRow {
	since := now.AddDate(-1, 0, 0).In(London).Format("2006-01-02")
	var out []AdministrationRow
	for _, m := range res {
		when := str(m, "effectiveDateTime")
		if str(m, "status") == "entered-in-error" || len(when) < 10 || when[:10] < since {
			continue
		}
		row := AdministrationRow{ID: m.ID(), Version: versionOf(m), Name: conceptText(m["medicationCodeableConcept"]), Date: day(when),
			Dose: str(mapOf(m["dosage"]), "text"), Claimable: personallyAdministered(m), Current: administrationCurrent(m, now)}
		for _, p := range list(m, "performer") {
			if d := refDisplay(p["actor"]); d != "" {
				row.By = d
			}
		}
		lot, expiry := BatchOf(m)
		row.Batch = lot
		if expiry != "" {
			row.Batch += ", expires " + day(expiry)
		}
		for _, n := range list(m, "note") {
			row.Note = str(n, "text")
		}
		row.given = when
		out = append(out, row)
	}
	slices.SortStableFunc(out, func(a, b AdministrationRow) int { return strings.Compare(b.given, a.given) })
	return out
}

// BatchOf is an administration's batch number and expiry (BatchURL).
func BatchOf(m fhir.Resource) (lot, expiry string) {
	for _, e := range list(m, "extension") {
		if str(e, "url") != BatchURL {
			continue
		}
		for _, p := range list(e, "extension") {
			switch str(p, "url") {
			case "lotNumber":
				lot = str(p, "valueString")
			case "expirationDate":
				expiry = str(p, "valueDate")
			}
		}
	}
	return lot, expiry
}

// personallyAdministered reads PersonallyAdministeredURL.
func personallyAdministered(m fhir.Resource) bool {
	for _, e := range list(m, "extension") {
		if str(e, "url") == PersonallyAdministeredURL {
			b, _ := e["valueBoolean"].(bool)
			return b
		}
	}
	return false
}

// PAClaim is a month's personally administered items for the FP34D
// appendix: one line per dm+d product.
type PAClaim struct {
	Month string // 2006-01
	Lines []PALine
	// Items is the number of doses in all.
	Items int
}

// PALine is one product of the claim.
type PALine struct {
	Code, Name, Unit string
	// Items are the doses given; Quantity the amount in Unit.
	Items    int
	Quantity float64
}

// QuantityText is the line's quantity with its unit.
func (l PALine) QuantityText() string { return doseAmount(l.Quantity, l.Unit) }

// ParseClaimMonth reads a claim's month (YYYY-MM) and returns its first
// instant and the next month's, London time; a month not yet begun is
// refused.
func ParseClaimMonth(s string, now time.Time) (from, to time.Time, msg string) {
	t, err := time.ParseInLocation("2006-01", strings.TrimSpace(s), London)
	if err != nil {
		return from, to, "Enter the month as year and month, for example 2026-11"
	}
	if t.After(now) {
		return from, to, "The month must be this month or an earlier one"
	}
	return t, t.AddDate(0, 1, 0), ""
}

// PAClaimFor totals the month's personally administered items: the
// completed MedicationAdministrations whose product dm+d marked PADM when
// given (PersonallyAdministeredURL), and the completed Immunizations
// whose vaccine is a dm+d product known (by the caller, from the
// terminology service) to be PADM. Each resource counts once however
// often it is passed (a search read twice, paging overlap), and only
// when given within the month (London time): a dose is never claimed
// twice nor in the wrong month (hazard H-844).
func PAClaimFor(month string, from, to time.Time, admins, immunisations []fhir.Resource, known map[string]Medicine) PAClaim {
	out := PAClaim{Month: month}
	seen := map[string]bool{}
	byCode := map[string]*PALine{}
	var order []string
	add := func(res fhir.Resource, when string, concept any, qty float64, unit string) {
		key := res.Type() + "/" + res.ID()
		if seen[key] || str(res, "status") != "completed" || !within(when, from, to) {
			return
		}
		seen[key] = true
		code := conceptCode(concept)
		l := byCode[code]
		if l == nil {
			l = &PALine{Code: code, Name: conceptText(concept), Unit: unit}
			byCode[code] = l
			order = append(order, code)
		}
		l.Items++
		l.Quantity += qty
		out.Items++
	}
	for _, m := range admins {
		if !personallyAdministered(m) {
			continue
		}
		d := mapOf(mapOf(m["dosage"])["dose"])
		add(m, str(m, "effectiveDateTime"), m["medicationCodeableConcept"], floatOf(d["value"]), firstNonEmpty(str(d, "unit"), "dose"))
	}
	for _, im := range immunisations {
		var med Medicine
		for _, c := range codesOf(im["vaccineCode"]) {
			if k, ok := known[c]; ok && k.PersonallyAdministered {
				med = k
			}
		}
		if med.Code == "" {
			continue
		}
		q := 1.0
		if d := mapOf(im["doseQuantity"]); d != nil {
			if v := floatOf(d["value"]); v > 0 {
				q = v
			}
		}
		add(im, str(im, "occurrenceDateTime"), im["vaccineCode"], q, firstNonEmpty(med.Unit, "dose"))
	}
	for _, c := range order {
		out.Lines = append(out.Lines, *byCode[c])
	}
	slices.SortStableFunc(out.Lines, func(a, b PALine) int { return strings.Compare(lower(a.Name), lower(b.Name)) })
	return out
}

// within reports a FHIR date or dateTime within [from, to); a date alone
// is the day in London.
func within(when string, from, to time.Time) bool {
	var t time.Time
	var err error
	if len(when) == 10 {
		t, err = time.ParseInLocation("2006-01-02", when, London)
	} else {
		t, err = time.Parse(time.RFC3339, when)
	}
	return err == nil && !t.Before(from) && t.Before(to)
}

// CSV is the claim as rows for a spreadsheet: a header, a row per
// product, and the total.
func (c PAClaim) CSV() [][]string {
	out := [][]string{{"Month", "dm+d code", "Product", "Items", "Quantity", "Unit"}}
	for _, l := range c.Lines {
		out = append(out, []string{c.Month, l.Code, l.Name, strconv.Itoa(l.Items), strconv.FormatFloat(l.Quantity, 'f', -1, 64), l.Unit})
	}
	out = append(out, []string{c.Month, "", "Total items", strconv.Itoa(c.Items), "", ""})
	return out
}

// ClaimNotice says how the claim reaches the NHSBSA.
const ClaimNotice = "Submit the FP34D and its appendix to the NHSBSA as it directs (Manage Your Service, where your practice uses it), by its monthly deadline: gpcloud does not send it."

// AdministrationWarnings are the safety checks of a dose about to be
// recorded as given (in.Medicine): an allergy to it, the same medicine
// already current (another dose still acting, a repeat, one from
// elsewhere), an interaction, pregnancy and the problems it is cautioned
// in. The prescribing checks of quantity, supply and prescribing by brand
// are not the giver's.
func AdministrationWarnings(in SafetyInput, ix Interactions) []Warning {
	var out []Warning
	for _, w := range SafetyChecks(in, ix) {
		if w.Kind != "dose" && w.Kind != "product" {
			out = append(out, w)
		}
	}
	return out
}
