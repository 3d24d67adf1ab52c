package clinical

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Safety checks run before any issue. Each returns warnings, never a
// refusal: the prescriber may override each with a reason, which is kept
// as a DetectedIssue. What the checks know is the stand-in's (the
// Medicines list, allergenClasses, LocalInteractions): a licensed drug
// knowledge base replaces them behind Interactions, and until then the
// page says so (hazard H-803).

// Warning is one thing a prescriber must see before issuing.
type Warning struct {
	// Kind is allergy, duplicate, dose, age, pregnancy or interaction.
	Kind string
	// Severity is high, moderate or low (DetectedIssue.severity), shown
	// as the alert's tier so that the serious stand out.
	Severity string
	Text     string
}

// SafetyInput is what the checks look at.
type SafetyInput struct {
	Medicine       Medicine
	Dose           string
	Quantity, Days int
	// Allergies are the patient's AllergyIntolerances, Medications their
	// MedicationRequests (authorisations and issues), MedicationStatements
	// (from elsewhere) and MedicationAdministrations (given at the
	// practice, current for AdministrationEffectDays).
	Allergies, Medications []fhir.Resource
	// Conditions are the patient's problems (Condition), for the
	// drug–condition cautions.
	Conditions []fhir.Resource
	BirthDate  time.Time // zero when unknown
	Pregnant   bool
	Now        time.Time
	// Known are the medicines of the patient's records as dm+d describes
	// them (VTM, ingredients, schedule), by code: the caller resolves them
	// (MedicineCodes) before the checks; a code it could not resolve is
	// compared by code and the built-in list.
	Known map[string]Medicine
	// Results are the patient's recent Observations, read by the caller
	// only when the medicine is a high-risk drug (MonitoringTestsOf): the
	// monitoring warning names the latest of each test it needs.
	Results []fhir.Resource
	// ResultsRead says the caller read Results: only then does the
	// monitoring warning say what the results are, or that none is
	// recorded (a check that did not read them must not say so).
	ResultsRead bool
}

// Interactions finds interactions between a medicine and the patient's
// current ones. Connected says whether a national or licensed drug
// database answers; the stand-in's false is shown on screen.
type Interactions interface {
	Find(m Medicine, current []Medicine) []Warning
	Connected() bool
}

// LocalInteractions is the stand-in: a few well-known pairs, by class
// or VTM. Clinical content (H-803).
type LocalInteractions struct{}

// interactionPairs are the stand-in's pairs.
var interactionPairs = []struct {
	a, b, severity, text string
}{
	{"statin-cyp3a4", "macrolide", "high", "Simvastatin with clarithromycin or erythromycin: risk of myopathy and rhabdomyolysis; avoid the combination"},
	{"nsaid", "ssri", "moderate", "An NSAID with an SSRI: increased risk of gastrointestinal bleeding; consider a proton pump inhibitor"},
	{"nsaid", "anticoagulant", "high", "An NSAID with an anticoagulant: increased risk of bleeding"},
	{"opioid", "benzodiazepine", "high", "An opioid with a benzodiazepine: risk of respiratory depression"},
	{"antifolate", "methotrexate", "high", "Trimethoprim with methotrexate: risk of bone marrow suppression"},
}

// Find implements Interactions.
func (LocalInteractions) Find(m Medicine, current []Medicine) []Warning {
	var out []Warning
	for _, c := range current {
		for _, p := range interactionPairs {
			if (m.hasClass(p.a) && c.hasClass(p.b)) || (m.hasClass(p.b) && c.hasClass(p.a)) {
				out = append(out, Warning{Kind: "interaction", Severity: p.severity, Text: fmt.Sprintf("Interaction with %s. %s.", c.Name, p.text)})
			}
		}
	}
	return out
}

// Connected implements Interactions: the stand-in is not connected.
func (LocalInteractions) Connected() bool { return false }

// InteractionsNotice is what the prescribing pages say of the stand-in.
const InteractionsNotice = KnowledgeNotice

// CurrentMedicines are the medicines of a patient's current
// authorisations (active repeats, acutes of the last three months), for
// duplicate and interaction checks; unknown products are skipped by the
// interaction check but still compared by code.
func currentAuthorisations(meds []fhir.Resource, now time.Time) []fhir.Resource {
	threeMonths := now.AddDate(0, -3, 0).In(London).Format("2006-01-02")
	var out []fhir.Resource
	for _, m := range meds {
		if m.Type() == "MedicationAdministration" {
			// A dose given at the practice (a depot) acts for weeks: it
			// is current for AdministrationEffectDays.
			if administrationCurrent(m, now) {
				out = append(out, m)
			}
			continue
		}
		if m.Type() == "MedicationStatement" {
			// A medicine from elsewhere (hospital, over the counter) is
			// current while active (E00102: in every check).
			if str(m, "status") == "active" {
				out = append(out, m)
			}
			continue
		}
		if len(list(m, "basedOn")) > 0 || str(m, "intent") == "proposal" {
			continue // an issue (its authorisation counts); a prepared prescription
		}
		st := str(m, "status")
		if IsRepeatDispensing(m) {
			// A batch is current while the pharmacy may still dispense it.
			dr := mapOf(m["dispenseRequest"])
			span := intOf(dr["numberOfRepeatsAllowed"]) * intOf(mapOf(dr["expectedSupplyDuration"])["value"])
			if when, err := time.Parse(time.RFC3339, str(m, "authoredOn")); err == nil && st == "completed" && !when.AddDate(0, 0, span).Before(now) {
				out = append(out, m)
			}
			continue
		}
		repeat := conceptCode(m["courseOfTherapyType"]) == "continuous"
		if (repeat && st == "active") || (!repeat && (st == "active" || st == "completed") && str(m, "authoredOn") >= threeMonths) {
			out = append(out, m)
		}
	}
	return out
}

// SafetyChecks returns the warnings for prescribing in.Medicine, the
// most severe first.
func SafetyChecks(in SafetyInput, ix Interactions) []Warning {
	var out []Warning
	m := in.Medicine
	// Allergy: an active allergy to one of its ingredients or a class it
	// belongs to; an allergy recorded only as text cannot be matched, so
	// it is shown to be read.
	for _, a := range in.Allergies {
		if !activeAllergy(a) || slices.Contains(codesOf(a["code"]), NoKnownAllergyCode) {
			continue
		}
		name := conceptText(a["code"])
		cs := codesOf(a["code"])
		matched := false
		for _, c := range cs {
			if slices.Contains(m.Ingredients, c) || c == m.Code {
				matched = true
			}
			for _, cl := range allergenClasses[c] {
				if m.hasClass(cl) {
					matched = true
				}
			}
		}
		switch {
		case matched:
			out = append(out, Warning{Kind: "allergy", Severity: "high", Text: fmt.Sprintf("The patient has an active allergy: %s. %s may cause a reaction.", name, m.Name)})
		case len(cs) == 0 && name != "":
			out = append(out, Warning{Kind: "allergy", Severity: "moderate", Text: fmt.Sprintf("An allergy recorded as text cannot be checked: %s. Read it before prescribing.", name)})
		}
	}
	// Duplicate therapy: the same VTM (or code) already current.
	var current []Medicine
	for _, a := range currentAuthorisations(in.Medications, in.Now) {
		cm, known := medicineOf(a, in.Known)
		if known {
			current = append(current, cm)
		}
		if (known && (cm.VTM == m.VTM || sharesIngredient(cm, m))) || slices.Contains(codesOf(a["medicationCodeableConcept"]), m.Code) {
			when := day(str(a, "authoredOn"))
			switch a.Type() {
			case "MedicationStatement":
				when = "from elsewhere, recorded " + day(str(a, "dateAsserted"))
			case "MedicationAdministration":
				when = "given at the practice on " + day(str(a, "effectiveDateTime"))
			}
			out = append(out, Warning{Kind: "duplicate", Severity: "moderate", Text: fmt.Sprintf("Duplicate therapy: %s is already current (%s).", conceptText(a["medicationCodeableConcept"]), when)})
		}
	}
	// dm+d: a product not to be prescribed generically.
	if m.BrandCritical() {
		out = append(out, Warning{Kind: "product", Severity: "high", Text: fmt.Sprintf("dm+d: %s (%s). Prescribe the brand the patient takes, so that each supply is the same product.", m.PrescribingStatus, m.Name)})
	}
	// Dose and quantity.
	d := ParseDose(in.Dose)
	if u := d.UnitsPerDay(); u > 0 {
		if m.MaxPerDay > 0 && u > m.MaxPerDay {
			out = append(out, Warning{Kind: "dose", Severity: "high", Text: fmt.Sprintf("The dose gives %g %ss a day, more than the usual adult maximum of %g.", u, m.Unit, m.MaxPerDay)})
		}
		if in.Days > 0 && in.Quantity > 0 {
			need := u * float64(in.Days)
			if float64(in.Quantity) > need*2 && !d.AsNeeded {
				out = append(out, Warning{Kind: "dose", Severity: "moderate", Text: fmt.Sprintf("The quantity (%d) is more than twice what the dose needs for %d days (%g).", in.Quantity, in.Days, need)})
			}
		}
	}
	if m.controlled() && in.Days > 30 {
		out = append(out, Warning{Kind: "dose", Severity: "moderate", Text: "A controlled drug should not be prescribed for more than 30 days' supply."})
	}
	// Age.
	if !in.BirthDate.IsZero() {
		age := in.Now.Year() - in.BirthDate.Year()
		if in.Now.YearDay() < in.BirthDate.YearDay() {
			age--
		}
		if age < 18 {
			out = append(out, Warning{Kind: "age", Severity: "moderate", Text: fmt.Sprintf("The patient is a child (%d). The dose is not checked for children: check it in the BNF for Children.", max(age, 0))})
		}
	}
	// Pregnancy.
	if in.Pregnant {
		text := "The patient is recorded as pregnant. Check " + m.Name + " is suitable in pregnancy."
		sev := "moderate"
		if m.Pregnancy != "" {
			text, sev = "The patient is recorded as pregnant. "+m.Pregnancy+".", "high"
		}
		out = append(out, Warning{Kind: "pregnancy", Severity: sev, Text: text})
	}
	// Drug–condition cautions: the stand-in's few (conditionCautions).
	for _, c := range in.Conditions {
		if conceptCode(c["clinicalStatus"]) != "active" {
			continue
		}
		for _, code := range codesOf(c["code"]) {
			for _, cc := range conditionCautions {
				if cc.condition == code && m.hasClass(cc.class) {
					out = append(out, Warning{Kind: "condition", Severity: cc.severity, Text: fmt.Sprintf("%s: %s.", conceptText(c["code"]), cc.text)})
				}
			}
		}
	}
	if ix != nil {
		out = append(out, ix.Find(m, current)...)
	}
	if kb, ok := ix.(KnowledgeBase); ok {
		ws := kb.Monitoring(m)
		if mt, ok := kb.(MonitoringTester); ok && in.ResultsRead {
			ws = withLatestResults(ws, mt.MonitoringTests(m), in.Results, in.Now)
		}
		out = append(out, ws...)
	}
	slices.SortStableFunc(out, func(a, b Warning) int { return severityRank(a.Severity) - severityRank(b.Severity) })
	return out
}

func severityRank(s string) int {
	return map[string]int{"high": 0, "moderate": 1, "low": 2}[s]
}

// conditionCautions are the stand-in's drug–condition cautions, by the
// condition's SNOMED CT code and the medicine's class. Clinical content
// (H-803): a licensed knowledge base replaces them.
var conditionCautions = []struct{ condition, class, severity, text string }{
	{"709044004", "nsaid", "high", "NSAIDs can worsen kidney function; avoid if possible, or monitor renal function"},        // Chronic kidney disease
	{"84114007", "nsaid", "high", "NSAIDs can worsen heart failure"},                                                         // Heart failure
	{"195967001", "nsaid", "moderate", "NSAIDs can trigger bronchospasm in some people with asthma: ask about previous use"}, // Asthma
}

// PregnancyCode is SNOMED CT's "Pregnancy" (a finding); an active
// Condition with it marks the patient pregnant for the checks.
const PregnancyCode = "77386006"

// IsPregnant reports an active pregnancy among the patient's conditions.
func IsPregnant(conditions []fhir.Resource) bool {
	for _, c := range conditions {
		if conceptCode(c["clinicalStatus"]) == "active" && slices.Contains(codesOf(c["code"]), PregnancyCode) {
			return true
		}
	}
	return false
}

// detectedIssueCodes are the v3 ActCode detected-issue codes of each
// kind of warning.
var detectedIssueCodes = map[string][2]string{
	"allergy":     {"ALGY", "Allergy Alert"},
	"duplicate":   {"DUPTHPY", "Duplicate Therapy Alert"},
	"dose":        {"DOSE", "Dosage problem"},
	"age":         {"AGE", "Age Alert"},
	"pregnancy":   {"COND", "Condition Alert"},
	"interaction": {"DRG", "Drug Interaction Alert"},
	"early":       {"TOOSOON", "Refill Too Soon Alert"},
	"product":     {"DACT", "Drug Action Detected Issue"},
	"monitoring":  {"LAB", "Lab Alert"},
	"condition":   {"COND", "Condition Alert"},
}

// Override is the DetectedIssue that records a warning the prescriber
// saw and overrode, with their reason as its mitigation; implicated is
// the authorisation's reference.
func Override(w Warning, patientID, implicated string, prescriber Ref, reason string, now time.Time) fhir.Resource {
	code := detectedIssueCodes[w.Kind]
	return fhir.Resource{"resourceType": "DetectedIssue", "status": "final",
		"code":               codeable(actCodeSystem, code[0], code[1], ""),
		"severity":           w.Severity,
		"patient":            map[string]any{"reference": "Patient/" + patientID},
		"identifiedDateTime": fhir.FormatInstant(now),
		"author":             refMap(prescriber),
		"implicated":         []any{map[string]any{"reference": implicated}},
		"detail":             w.Text,
		"mitigation": []any{map[string]any{
			"action": map[string]any{"text": "Overridden by the prescriber: " + strings.TrimSpace(reason)},
			"date":   fhir.FormatInstant(now), "author": refMap(prescriber)}}}
}

// CheckOverrideReason refuses an override without a real reason.
func CheckOverrideReason(reason string) string {
	switch r := strings.TrimSpace(reason); {
	case r == "":
		return "Enter why you are prescribing despite the warnings"
	case len([]rune(r)) < 5:
		return "Give the reason in a few words, for example \"Tolerated amoxicillin in 2024\""
	case len(r) > 500:
		return "The reason must be 500 characters or fewer"
	}
	return ""
}

// IssueWarnings are the safety warnings an issue of an authorisation
// raises now that were not overridden when it was authorised
// (overridden: the details of its DetectedIssues): an allergy recorded
// since, a new interacting medicine, a pregnancy. The authorisation and
// its own issues are not duplicates of it.
func IssueWarnings(in SafetyInput, auth fhir.Resource, overridden []string, ix Interactions) []Warning {
	in.Medicine, in.Dose = MedicineOfRequest(auth, in.Known), dosageText(auth)
	if dr := mapOf(auth["dispenseRequest"]); dr != nil {
		in.Quantity = intOf(mapOf(dr["quantity"])["value"])
		in.Days = intOf(mapOf(dr["expectedSupplyDuration"])["value"])
	}
	var out []Warning
	if w, early := earlyIssue(auth, in.Medications, in.Now); early {
		out = append(out, w)
	}
	in.Medications = WithoutCourse(in.Medications, "MedicationRequest/"+auth.ID())
	for _, w := range SafetyChecks(in, ix) {
		if !slices.Contains(overridden, w.Text) {
			out = append(out, w)
		}
	}
	slices.SortStableFunc(out, func(a, b Warning) int { return severityRank(a.Severity) - severityRank(b.Severity) })
	return out
}

// MedicineOfRequest is the medicine of an authorisation or issue, as
// dm+d describes it (known, by code) or else as the built-in list or
// the record's words do.
func MedicineOfRequest(req fhir.Resource, known map[string]Medicine) Medicine {
	m, ok := medicineOf(req, known)
	if !ok {
		m = Medicine{Name: conceptText(req["medicationCodeableConcept"]), Code: conceptCode(req["medicationCodeableConcept"])}
	}
	return m
}

// earlyIssue warns of a repeat issued before the last issue's supply is
// mostly used (less than 80% of its days gone): over-ordering, which
// matters most for opioids and benzodiazepines (E00106).
func earlyIssue(auth fhir.Resource, meds []fhir.Resource, now time.Time) (Warning, bool) {
	self := "MedicationRequest/" + auth.ID()
	last := auth // the authorisation records its last issue (LastIssueURL)
	when, recorded := LastIssueOf(auth)
	if !recorded {
		last = nil
		for _, m := range meds {
			if slices.ContainsFunc(list(m, "basedOn"), func(b map[string]any) bool { return b["reference"] == self }) &&
				str(m, "status") != "cancelled" && (last == nil || str(m, "authoredOn") > str(last, "authoredOn")) {
				last = m
			}
		}
		if last == nil {
			return Warning{}, false
		}
		var err error
		if when, err = time.Parse(time.RFC3339, str(last, "authoredOn")); err != nil {
			return Warning{}, false
		}
	}
	days := intOf(mapOf(mapOf(last["dispenseRequest"])["expectedSupplyDuration"])["value"])
	if days <= 0 || now.Sub(when) >= time.Duration(float64(days)*0.8*24)*time.Hour {
		return Warning{}, false
	}
	return Warning{Kind: "early", Severity: "moderate", Text: fmt.Sprintf("Issued early: %s was last issued on %s for %d days, which lasts until %s.",
		conceptText(auth["medicationCodeableConcept"]), when.In(London).Format("02-Jan-2006"), days, when.AddDate(0, 0, days).In(London).Format("02-Jan-2006"))}, true
}

// sharesIngredient reports two medicines with an ingredient in common
// (duplicate therapy across different VTMs: a combination product).
func sharesIngredient(a, b Medicine) bool {
	for _, i := range a.Ingredients {
		if slices.Contains(b.Ingredients, i) {
			return true
		}
	}
	return false
}
