package clinical

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Prescribing as FHIR, the way GP Connect Access Record Structured and
// UK Core model it: a prescriber's decision is an authorisation, a
// MedicationRequest of intent "plan" (acute: courseOfTherapyType acute,
// one issue; repeat: continuous, with the number of issues authorised
// and a review date); each issue is its own MedicationRequest of intent
// "order" whose basedOn is the authorisation, carrying the prescriber,
// the dose and the quantity of that issue. The authorisation keeps UK
// Core's repeat information (issues made, authorisation expiry). A
// warning overridden is a DetectedIssue with the prescriber's reason as
// its mitigation, referenced from the authorisation's detectedIssue.

// Code systems of prescribing.
const (
	CourseSystem     = "http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy"
	RepeatInfoURL    = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-MedicationRepeatInformation"
	ucumSystem       = "http://unitsofmeasure.org"
	actCodeSystem    = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
	statusReasonText = "Stopped"
)

// Prescription is what a prescriber enters: the form's values as typed,
// checked by Check.
type Prescription struct {
	Medicine Medicine
	Dose     string // the dosage instruction, in words
	Quantity string // in the medicine's unit
	Days     string // the duration in days
	Course   string // "acute", "repeat" or "repeat-dispensing" (a batch)
	Issues   string // a repeat's number of issues authorised
	// Review is a repeat's review date, YYYY-MM-DD ("" when not given).
	Review string
	// Prior is the authorisation this one replaces ("MedicationRequest/id"),
	// when it reauthorises a repeat.
	Prior string
	// Delayed: a back-up acute prescription, to be used only if the
	// symptoms do not improve (E00105).
	Delayed bool
	// By is the prescriber with their type and code (the requester,
	// unless empty: then the Ref given to Authorisation); OnBehalf the
	// prescriber responsible, when By prescribes on behalf of another.
	By       Prescriber
	OnBehalf Ref
	// Instalments are an instalment prescription's (Course
	// "instalments", E00098).
	Instalments Instalments
	// SLS: the prescriber confirms the patient meets the conditions of
	// the Selected List Scheme, for a medicine in it (tariff.go); the
	// prescription is endorsed SLS. Ignored for any other medicine.
	SLS bool
}

// DelayedURL marks a delayed (back-up) prescription: R4 and UK Core have
// no element for it.
const DelayedURL = "https://gpcloud.dev/fhir/StructureDefinition/delayed-prescription"

// delayedNote is what a delayed prescription says, on the record and the
// token.
const delayedNote = "Delayed (back-up) prescription: use only if the symptoms do not improve or get worse"

// PrescriptionCourses are the choices of course.
var PrescriptionCourses = []Choice{{Key: "acute", Label: "Acute (one issue)"}, {Key: "repeat", Label: "Repeat"},
	{Key: "repeat-dispensing", Label: "Repeat dispensing (a batch the pharmacy dispenses at intervals)"},
	{Key: InstalmentCourse, Label: "Instalment dispensing (FP10MDA: methadone, buprenorphine)"}}

// Repeat dispensing (E00097): one prescription authorising a batch of
// issues that the pharmacy dispenses at the prescription's interval,
// issued at once. EPS codes its course of therapy so.
const (
	EPSCourseSystem  = "https://fhir.nhs.uk/CodeSystem/medicationrequest-course-of-therapy"
	RepeatDispensing = "continuous-repeat-dispensing"
)

// IsRepeatDispensing reports a repeat-dispensing authorisation or issue.
func IsRepeatDispensing(res fhir.Resource) bool {
	return conceptCode(res["courseOfTherapyType"]) == RepeatDispensing
}

// latinAbbreviations must not reach a patient's label.
var latinAbbreviations = regexp.MustCompile(`(?i)\b(od|bd|bid|tds|tid|qds|qid|prn|nocte|mane|stat|pc|ac)\b`)

// Check returns the prescription's errors by field (empty when it may be
// offered for issue): a known medicine, a dose in plain words (no Latin
// abbreviations; "as directed" refused for a controlled drug; a "when
// required" dose must say its maximum), a whole positive quantity, a
// duration, and for a repeat the issues authorised and a review date in
// the future. Schedule 2 and 3 controlled drugs are refused on repeat.
// A medicine not prescribable on the NHS (Drug Tariff Part XVIIIA) is
// refused; one in the Selected List Scheme needs the prescriber's SLS
// confirmation.
func (p Prescription) Check(now time.Time) map[string]string {
	errs := map[string]string{}
	switch {
	case p.Medicine.Code == "":
		errs["medicine"] = "Choose a medicine from the list"
	case p.Medicine.NeverPrescribe() != "":
		errs["medicine"] = p.Medicine.Name + " must not be prescribed (dm+d: " + p.Medicine.NeverPrescribe() + "): choose another product"
	case p.Medicine.Unavailable() != "":
		errs["medicine"] = p.Medicine.Name + " cannot be supplied (dm+d: " + p.Medicine.Unavailable() + "): choose another product"
	case p.Medicine.Blacklisted:
		errs["medicine"] = NotNHSMessage(p.Medicine)
	case p.Medicine.SLS && !p.SLS:
		errs["sls"] = SLSMessage(p.Medicine)
	}
	if msg := CheckDose(p.Medicine, p.Dose); msg != "" {
		errs["dose"] = msg
	}
	if q, err := strconv.Atoi(strings.TrimSpace(p.Quantity)); err != nil || q <= 0 || q > 10000 {
		errs["quantity"] = "Enter the quantity as a whole number, for example 21"
	}
	if d, err := strconv.Atoi(strings.TrimSpace(p.Days)); err != nil || d <= 0 || d > 366 {
		errs["days"] = "Enter how many days the supply is for, from 1 to 366"
	}
	switch p.Course {
	case "acute":
	case InstalmentCourse:
		p.checkInstalments(errs, now)
	case "repeat-dispensing":
		if p.Delayed {
			errs["delayed"] = "A delayed prescription is an acute: select Acute, or clear Delayed"
		}
		if p.Medicine.Schedule == 2 || p.Medicine.Schedule == 3 {
			errs["course"] = "A Schedule 2 or 3 controlled drug cannot be prescribed for repeat dispensing"
		}
		n, err := strconv.Atoi(strings.TrimSpace(p.Issues))
		d, _ := strconv.Atoi(strings.TrimSpace(p.Days))
		switch {
		case err != nil || n < 2 || n > 13:
			errs["issues"] = "Enter how many issues the batch has, from 2 to 13"
		case d > 0 && n*d > 366:
			errs["issues"] = fmt.Sprintf("The batch must last no more than a year: %d issues of %d days is %d days", n, d, n*d)
		}
	case "repeat":
		if p.Delayed {
			errs["delayed"] = "A delayed prescription is an acute: select Acute, or clear Delayed"
		}
		if p.Medicine.Schedule == 2 || p.Medicine.Schedule == 3 {
			errs["course"] = "A Schedule 2 or 3 controlled drug cannot be prescribed as a repeat"
		}
		if n, err := strconv.Atoi(strings.TrimSpace(p.Issues)); err != nil || n < 1 || n > 13 {
			errs["issues"] = "Enter how many issues are authorised, from 1 to 13"
		}
		if msg := CheckReviewDate(p.Review, now); msg != "" {
			errs["review"] = msg
		}
	default:
		errs["course"] = "Select acute or repeat"
	}
	return errs
}

// CheckDose returns what is wrong with a dose in words for medicine m, or
// "": the same rules when prescribing and when a dose is changed. It is
// given in plain words (no Latin abbreviations); "as directed" is refused
// for a controlled drug; a weekly dose names the day (weekly
// methotrexate); a "when required" dose says its maximum.
func CheckDose(m Medicine, text string) string {
	dose := strings.TrimSpace(text)
	switch {
	case dose == "":
		return "Enter the dose, for example One tablet three times a day"
	case len(dose) > 200:
		return "The dose must be 200 characters or fewer"
	case latinAbbreviations.MatchString(dose):
		return "Write the dose in words the patient understands, without abbreviations such as " + strings.ToUpper(latinAbbreviations.FindString(dose))
	case m.controlled() && strings.Contains(lower(dose), "as directed"):
		return "A controlled drug needs an exact dose: \"as directed\" is not allowed"
	case weeklyRE.MatchString(dose) && !weekdayRE.MatchString(dose):
		return "A weekly dose must name the day, for example Four tablets once a week on Monday"
	}
	if d := ParseDose(dose); d.AsNeeded && d.MaxPerDay == 0 {
		return "A dose taken when required must say its maximum, for example up to 4 times a day"
	}
	return ""
}

// CheckReviewDate returns what is wrong with a repeat's review date
// (YYYY-MM-DD), or "": given, after today and within a year. The same
// rule when authorising and when a medication review sets the next one.
func CheckReviewDate(review string, now time.Time) string {
	switch {
	case review == "":
		return "Enter the date the repeat is due for review"
	case review <= now.In(London).Format("2006-01-02"):
		return "The review date must be in the future"
	case review > now.AddDate(1, 0, 1).Format("2006-01-02"):
		return "The review date must be within a year"
	}
	return ""
}

// Dose is what ParseDose understood of a dosage instruction.
type Dose struct {
	// Amount is the units per dose (0 when not understood) and PerDay the
	// doses a day (0 when not understood).
	Amount, PerDay float64
	AsNeeded       bool
	// MaxPerDay is the most doses a day a "when required" dose allows.
	MaxPerDay float64
}

// UnitsPerDay is the most units a day the dose gives, 0 when unknown.
func (d Dose) UnitsPerDay() float64 {
	per := d.PerDay
	if d.AsNeeded || per == 0 {
		per = d.MaxPerDay
	}
	return d.Amount * per
}

var (
	numberWords = map[string]float64{"half": 0.5, "one": 1, "a": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "eight": 8, "ten": 10}
	amountRE    = regexp.MustCompile(`(?i)^(?:take\s+)?(half|one|a|two|three|four|five|six|eight|ten|\d+(?:\.\d+)?)\s+(tablet|tablets|capsule|capsules|puff|puffs|dose|doses|sachet|sachets)\b`)
	timesRE     = regexp.MustCompile(`(?i)\b(once|twice|one|two|three|four|five|six|\d+)\s*(?:times?)?\s+(?:a|per|each)\s+day\b`)
	maxRE       = regexp.MustCompile(`(?i)\bup to\s+(one|two|three|four|five|six|eight|\d+)\s+times?\s+(?:a|per|each)\s+day\b`)
	needRE      = regexp.MustCompile(`(?i)\b(when required|when needed|as needed|if needed)\b`)
	weeklyRE    = regexp.MustCompile(`(?i)\b(weekly|(?:a|per|each|every)\s+week)\b`)
	weekdayRE   = regexp.MustCompile(`(?i)\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)s?\b`)
)

// ParseDose understands the simple shapes of a dose in words ("One
// tablet three times a day", "Two puffs when required, up to four times
// a day"); anything else is kept as text alone, never guessed.
func ParseDose(text string) Dose {
	var d Dose
	t := strings.TrimSpace(text)
	if m := amountRE.FindStringSubmatch(t); m != nil {
		d.Amount = wordNumber(m[1])
	}
	d.AsNeeded = needRE.MatchString(t)
	if m := maxRE.FindStringSubmatch(t); m != nil {
		d.MaxPerDay = wordNumber(m[1])
		t = maxRE.ReplaceAllString(t, "")
	}
	if m := timesRE.FindStringSubmatch(t); m != nil && !d.AsNeeded {
		switch lower(m[1]) {
		case "once":
			d.PerDay = 1
		case "twice":
			d.PerDay = 2
		default:
			d.PerDay = wordNumber(m[1])
		}
	}
	return d
}

func wordNumber(s string) float64 {
	if v, ok := numberWords[lower(s)]; ok {
		return v
	}
	v, _ := strconv.ParseFloat(s, 64)
	return v
}

// dosage is the FHIR Dosage of a dose: the text always, the structured
// dose and timing only where ParseDose understood them.
func dosage(text string, unit string) map[string]any {
	out := map[string]any{"text": strings.TrimSpace(text), "patientInstruction": strings.TrimSpace(text)}
	d := ParseDose(text)
	if d.Amount > 0 {
		out["doseAndRate"] = []any{map[string]any{"doseQuantity": map[string]any{"value": d.Amount, "unit": unit}}}
	}
	if d.PerDay > 0 {
		out["timing"] = map[string]any{"repeat": map[string]any{"frequency": int(d.PerDay), "period": 1, "periodUnit": "d"}}
	}
	if d.AsNeeded {
		out["asNeededBoolean"] = true
		if d.MaxPerDay > 0 && d.Amount > 0 {
			out["maxDosePerPeriod"] = map[string]any{"numerator": map[string]any{"value": d.Amount * d.MaxPerDay, "unit": unit},
				"denominator": map[string]any{"value": 1, "unit": "day", "system": ucumSystem, "code": "d"}}
		}
	}
	return out
}

// Authorisation is the MedicationRequest (intent plan) a checked
// prescription is authorised as; issued counts the issues made with it
// (1 for an acute made and issued at once).
func (p Prescription) Authorisation(patientID string, prescriber Ref, issued int, issues []any, now time.Time) fhir.Resource {
	q, _ := strconv.Atoi(strings.TrimSpace(p.Quantity))
	days, _ := strconv.Atoi(strings.TrimSpace(p.Days))
	res := p.base(patientID, prescriber, q, days, now)
	res["intent"] = "plan"
	if p.Course == "repeat" {
		res["status"] = "active"
		res["courseOfTherapyType"] = codeable(CourseSystem, "continuous", "Continuous long term therapy", "")
		n, _ := strconv.Atoi(strings.TrimSpace(p.Issues))
		res["dispenseRequest"].(map[string]any)["numberOfRepeatsAllowed"] = n
		res["extension"] = append(anyList(res["extension"]), repeatInfo(issued, p.Review))
	} else if p.Course == "repeat-dispensing" {
		res["status"] = "completed" // its batch is issued with it
		res["courseOfTherapyType"] = codeable(EPSCourseSystem, RepeatDispensing, "Continuous long term (repeat dispensing)", "")
		n, _ := strconv.Atoi(strings.TrimSpace(p.Issues))
		res["dispenseRequest"].(map[string]any)["numberOfRepeatsAllowed"] = n
		res["extension"] = append(anyList(res["extension"]), repeatInfo(n, ""))
	} else {
		res["status"] = "completed" // its one issue is made with it
		res["courseOfTherapyType"] = codeable(CourseSystem, "acute", "Short course (acute) therapy", "")
		if p.Course == InstalmentCourse {
			p.withInstalments(res)
		}
	}
	if len(issues) > 0 {
		res["detectedIssue"] = issues
	}
	if p.Prior != "" {
		res["priorPrescription"] = map[string]any{"reference": p.Prior}
	}
	if p.Delayed {
		res["extension"] = append(anyList(res["extension"]), map[string]any{"url": DelayedURL, "valueBoolean": true})
		res["note"] = []any{map[string]any{"text": delayedNote}}
	}
	return res
}

// IsDelayed reports a delayed (back-up) prescription.
func IsDelayed(res fhir.Resource) bool {
	for _, e := range list(res, "extension") {
		if e["url"] == DelayedURL && e["valueBoolean"] == true {
			return true
		}
	}
	return false
}

// PrescriptionFrom is a repeat authorisation as a prescription to
// reauthorise: the same medicine, dose, quantity, duration and issues;
// the review date is the prescriber's to give again.
func PrescriptionFrom(auth fhir.Resource) Prescription {
	p := Prescription{Dose: dosageText(auth), Course: "repeat", Prior: "MedicationRequest/" + auth.ID()}
	p.Medicine, _ = medicineOf(auth, nil) // the caller resolves it from dm+d again
	if dr := mapOf(auth["dispenseRequest"]); dr != nil {
		if q := intOf(mapOf(dr["quantity"])["value"]); q > 0 {
			p.Quantity = strconv.Itoa(q)
		}
		if d := intOf(mapOf(dr["expectedSupplyDuration"])["value"]); d > 0 {
			p.Days = strconv.Itoa(d)
		}
		if n := intOf(dr["numberOfRepeatsAllowed"]); n > 0 {
			p.Issues = strconv.Itoa(n)
		}
	}
	return p
}

// Reauthorised returns a copy of a repeat authorisation replaced by a new
// one: completed, its issues kept, no more to be issued from it.
func Reauthorised(auth fhir.Resource) fhir.Resource {
	out := cloneResource(auth)
	out["status"] = "completed"
	out["statusReason"] = map[string]any{"text": "Reauthorised"}
	return out
}

// WithoutCourse leaves out of meds an authorisation (ref,
// "MedicationRequest/id"), its issues and the doses given at the
// practice under it: a repeat being reauthorised or issued is not a
// duplicate of itself, nor of the B12 injection it supplied.
func WithoutCourse(meds []fhir.Resource, ref string) []fhir.Resource {
	var out []fhir.Resource
	for _, m := range meds {
		if "MedicationRequest/"+m.ID() == ref || slices.ContainsFunc(list(m, "basedOn"), func(b map[string]any) bool { return b["reference"] == ref }) {
			continue
		}
		if m.Type() == "MedicationAdministration" && str(mapOf(m["request"]), "reference") == ref {
			continue
		}
		out = append(out, m)
	}
	return out
}

func (p Prescription) base(patientID string, prescriber Ref, q, days int, now time.Time) fhir.Resource {
	res := fhir.Resource{"resourceType": "MedicationRequest",
		"medicationCodeableConcept": map[string]any{"coding": []any{map[string]any{"system": SNOMED, "code": p.Medicine.Code, "display": p.Medicine.Name}}, "text": p.Medicine.Name},
		"subject":                   map[string]any{"reference": "Patient/" + patientID},
		"authoredOn":                now.In(London).Format("2006-01-02T15:04:05-07:00"),
		"requester":                 refMap(prescriber),
		"dosageInstruction":         []any{dosage(p.Dose, p.Medicine.Unit)},
		"dispenseRequest": map[string]any{
			"quantity":               map[string]any{"value": q, "unit": p.Medicine.Unit},
			"expectedSupplyDuration": map[string]any{"value": days, "unit": "day", "system": ucumSystem, "code": "d"},
		},
		"substitution": map[string]any{"allowedBoolean": true},
	}
	if e := controlledDrugExtension(p.Medicine, q); e != nil {
		res["extension"] = []any{e}
	}
	if p.Medicine.SLS && p.SLS {
		res["extension"] = append(anyList(res["extension"]), slsEndorsement())
	}
	if p.By.Reference != "" {
		res["requester"] = requesterOf(p.By)
		res["extension"] = append(anyList(res["extension"]), prescriberExtensions(p.By, p.OnBehalf)...)
	}
	return res
}

func repeatInfo(issued int, review string) map[string]any {
	ext := []any{map[string]any{"url": "numberOfPrescriptionsIssued", "valueUnsignedInt": issued}}
	if review != "" {
		ext = append(ext, map[string]any{"url": "authorisationExpiryDate", "valueDateTime": review})
	}
	return map[string]any{"url": RepeatInfoURL, "extension": ext}
}

// IssueOf is the MedicationRequest (intent order) of one issue of an
// authorisation: the authorisation's medicine, dose and quantity, its
// endorsements (SLS), the issuing prescriber, basedOn the authorisation
// (authRef, "Type/id" or a urn). Until EPS is connected an issue is a
// printed prescription.
func IssueOf(auth fhir.Resource, authRef string, prescriber Ref, now time.Time) fhir.Resource {
	res := fhir.Resource{"resourceType": "MedicationRequest", "status": "active", "intent": "order",
		"basedOn":    []any{map[string]any{"reference": authRef}},
		"authoredOn": now.In(London).Format("2006-01-02T15:04:05-07:00"),
		"requester":  refMap(prescriber)}
	for _, k := range []string{"medicationCodeableConcept", "subject", "courseOfTherapyType", "dosageInstruction", "dispenseRequest", "substitution"} {
		if v, ok := auth[k]; ok {
			res[k] = normalise(v)
		}
	}
	if IsDelayed(auth) {
		res["extension"] = []any{map[string]any{"url": DelayedURL, "valueBoolean": true}}
		res["note"] = []any{map[string]any{"text": delayedNote}}
	}
	for _, e := range list(auth, "extension") {
		if e["url"] == ControlledDrugURL || e["url"] == InstalmentURL || e["url"] == EndorsementURL {
			res["extension"] = append(anyList(res["extension"]), normalise(e))
		}
	}
	if IsInstalment(auth) {
		res["note"] = normalise(auth["note"])
	}
	if dr, ok := res["dispenseRequest"].(map[string]any); ok {
		batch := intOf(dr["numberOfRepeatsAllowed"])
		delete(dr, "numberOfRepeatsAllowed")
		valid := validityDays(auth)
		if IsRepeatDispensing(auth) && batch > 1 {
			// A batch: the repeats after the first (EPS's reading), valid
			// for the batch's span (at most a year; a Schedule 4 or 5
			// drug's first supply still within 28 days: not checked here).
			dr["numberOfRepeatsAllowed"] = batch - 1
			days := intOf(mapOf(dr["expectedSupplyDuration"])["value"])
			valid = min(batch*days, 366)
		}
		dr["validityPeriod"] = map[string]any{"start": now.In(London).Format("2006-01-02"), "end": now.AddDate(0, 0, valid).In(London).Format("2006-01-02")}
	}
	return res
}

// IssueBy is IssueOf by a prescriber: the issue records their type (EPS
// prescription type) and professional code, and the prescriber the
// authorisation was made on behalf of.
func IssueBy(auth fhir.Resource, authRef string, by Prescriber, now time.Time) fhir.Resource {
	res := IssueOf(auth, authRef, by.Ref, now)
	res["requester"] = requesterOf(by)
	var onBehalf Ref
	for _, e := range list(auth, "extension") {
		if e["url"] == ResponsibleURL {
			r := mapOf(e["valueReference"])
			onBehalf = Ref{Reference: str(r, "reference"), Display: str(r, "display")}
		}
	}
	if ext := prescriberExtensions(by, onBehalf); len(ext) > 0 {
		res["extension"] = append(anyList(res["extension"]), ext...)
	}
	return res
}

// validityDays: a controlled drug (Schedules 2 to 4) is valid 28 days,
// any other prescription 6 months.
func validityDays(auth fhir.Resource) int {
	if s := ScheduleOfPrescription(auth); s >= 2 && s <= 4 {
		return 28
	}
	return 182
}

// ControlledDrugURL is EPS's controlled-drug extension on a
// MedicationRequest: the schedule (CD2, CD3, CD4-1, CD4-2, CD5) and the
// quantity in words, as the Misuse of Drugs Regulations ask.
const (
	ControlledDrugURL    = "https://fhir.nhs.uk/StructureDefinition/Extension-DM-ControlledDrug"
	controlledDrugSystem = "https://fhir.nhs.uk/CodeSystem/medicationrequest-controlled-drug"
)

// controlledDrugExtension is a Schedule 2 to 5 medicine's extension, nil
// for any other.
func controlledDrugExtension(m Medicine, quantity int) map[string]any {
	if m.Schedule < 2 {
		return nil
	}
	code, display := "CD"+strconv.Itoa(m.Schedule), "Schedule "+strconv.Itoa(m.Schedule)
	if m.Schedule == 4 {
		code = "CD4-1" // benzodiazepines and z-drugs
		if strings.Contains(lower(m.Category), "anab") {
			code = "CD4-2"
		}
		display = "Schedule 4 (Part " + code[4:] + ")"
	}
	return map[string]any{"url": ControlledDrugURL, "extension": []any{
		map[string]any{"url": "quantityWords", "valueString": NumberWords(quantity)},
		map[string]any{"url": "schedule", "valueCoding": map[string]any{"system": controlledDrugSystem, "code": code, "display": display}}}}
}

// ScheduleOfPrescription is the controlled-drug schedule a prescription
// records (its EPS extension), else its medicine's in the built-in list,
// 0 for none.
func ScheduleOfPrescription(res fhir.Resource) int {
	for _, e := range list(res, "extension") {
		if e["url"] != ControlledDrugURL {
			continue
		}
		for _, sub := range anyList(e["extension"]) {
			m, _ := sub.(map[string]any)
			if m["url"] == "schedule" {
				code := str(mapOf(m["valueCoding"]), "code")
				if n, err := strconv.Atoi(strings.TrimPrefix(strings.SplitN(code, "-", 2)[0], "CD")); err == nil {
					return n
				}
			}
		}
	}
	if m, ok := medicineOf(res, nil); ok {
		return m.Schedule
	}
	return 0
}

// LastIssueURL records on a repeat authorisation the date of its last
// issue (as GP Connect's lastIssueDate does on a MedicationStatement), so
// that the early re-issue check reads the authorisation alone.
const LastIssueURL = "https://gpcloud.dev/fhir/StructureDefinition/last-issue-date"

// LastIssueOf is the authorisation's last issue date and time as
// recorded, false when it does not say (an authorisation issued before
// the date was recorded, or never issued).
func LastIssueOf(auth fhir.Resource) (time.Time, bool) {
	for _, e := range list(auth, "extension") {
		if e["url"] == LastIssueURL {
			t, err := time.Parse(time.RFC3339, str(e, "valueDateTime"))
			return t, err == nil
		}
	}
	return time.Time{}, false
}

// RepeatState is a repeat authorisation's standing: issues authorised,
// made and left, its review date, and whether it may be issued now.
type RepeatState struct {
	Authorised, Issued, Left int
	Review                   string
	ReviewDue                bool
}

// RepeatStateOf reads an authorisation's repeat information.
func RepeatStateOf(auth fhir.Resource, now time.Time) RepeatState {
	var s RepeatState
	if dr := mapOf(auth["dispenseRequest"]); dr != nil {
		s.Authorised = intOf(dr["numberOfRepeatsAllowed"])
	}
	for _, e := range list(auth, "extension") {
		if e["url"] != RepeatInfoURL {
			continue
		}
		for _, sub := range anyList(e["extension"]) {
			m, _ := sub.(map[string]any)
			switch m["url"] {
			case "numberOfPrescriptionsIssued":
				s.Issued = intOf(m["valueUnsignedInt"])
			case "authorisationExpiryDate":
				s.Review, _ = m["valueDateTime"].(string)
			}
		}
	}
	s.Left = max(s.Authorised-s.Issued, 0)
	s.ReviewDue = s.Review != "" && s.Review <= now.In(London).Format("2006-01-02")
	return s
}

func intOf(v any) int {
	switch n := v.(type) {
	case float64:
		return int(n)
	case int:
		return n
	case int64:
		return int(n)
	case json.Number: // as the store's resources decode
		i, _ := n.Int64()
		return int(i)
	}
	return 0
}

// CheckIssue returns why a repeat authorisation cannot be issued now, or
// "": it must be an active repeat with issues left and not past its
// review date (a past review needs reauthorising first).
func CheckIssue(auth fhir.Resource, now time.Time) string {
	name := conceptText(auth["medicationCodeableConcept"])
	if str(auth, "status") != "active" || conceptCode(auth["courseOfTherapyType"]) != "continuous" {
		return name + " is not an active repeat"
	}
	s := RepeatStateOf(auth, now)
	if s.Left == 0 {
		return fmt.Sprintf("%s has had all %d authorised issues: reauthorise it before issuing", name, s.Authorised)
	}
	if s.ReviewDue {
		return name + " is past its review date: review and reauthorise it before issuing"
	}
	return ""
}

// Issued returns a copy of a repeat authorisation with one more issue
// counted and the issue's time recorded (its other extensions kept).
func Issued(auth fhir.Resource, now time.Time) fhir.Resource {
	out := cloneResource(auth)
	s := RepeatStateOf(auth, time.Time{})
	ext := []any{repeatInfo(s.Issued+1, s.Review)}
	for _, e := range list(auth, "extension") {
		if e["url"] != RepeatInfoURL && e["url"] != LastIssueURL {
			ext = append(ext, e)
		}
	}
	out["extension"] = append(ext, map[string]any{"url": LastIssueURL, "valueDateTime": now.In(London).Format(time.RFC3339)})
	return out
}

// StopMedication returns a copy of an authorisation stopped with a
// reason (an issue already printed stands; nothing is deleted).
func StopMedication(auth fhir.Resource, reason string) fhir.Resource {
	out := cloneResource(auth)
	out["status"] = "stopped"
	out["statusReason"] = map[string]any{"text": strings.TrimSpace(reason)}
	return out
}

// CheckStopReason refuses a stop without a reason.
func CheckStopReason(reason string) string {
	switch r := strings.TrimSpace(reason); {
	case r == "":
		return "Enter why the medicine is stopped"
	case len(r) > 500:
		return "The reason must be 500 characters or fewer"
	}
	return ""
}

// MedicationRow is a line of the medication tab.
type MedicationRow struct {
	ID, Version, Name, Dose, Quantity, Date, Prescriber string
	Repeat                                              bool
	Status                                              string // active, stopped, completed, entered-in-error
	StopReason                                          string
	State                                               RepeatState
	LastIssue                                           string
	// Review is the review date as shown.
	Review string
	// IssueID is the newest issue's id, for its printed token.
	IssueID string
	Delayed bool
	// Reauthorised: a repeat replaced by a new authorisation.
	Reauthorised bool
	// Batch is a repeat-dispensing prescription's number of issues, 0
	// for any other.
	Batch int
	// Instalments: an instalment prescription (FP10MDA).
	Instalments bool
}

// MedicationList is the medication tab: acute authorisations of the last
// three months, current repeats, and the past (stopped, old acutes).
type MedicationList struct {
	Acute, Repeats, Past []MedicationRow
}

// MedicationListOf sorts a patient's MedicationRequests into the tab's
// lists; an issue (basedOn an authorisation) shows as its
// authorisation's last issue, not as a line of its own.
func MedicationListOf(meds []fhir.Resource, now time.Time) MedicationList {
	var out MedicationList
	lastIssue := map[string]fhir.Resource{}
	for _, m := range meds {
		if str(m, "status") == "cancelled" || str(m, "status") == "entered-in-error" {
			continue // not a supply: the last issue is the last one standing
		}
		for _, b := range list(m, "basedOn") {
			ref, _ := b["reference"].(string)
			if cur, ok := lastIssue[ref]; !ok || str(m, "authoredOn") > str(cur, "authoredOn") {
				lastIssue[ref] = m
			}
		}
	}
	threeMonths := now.AddDate(0, -3, 0).In(London).Format("2006-01-02")
	for _, m := range meds {
		if len(list(m, "basedOn")) > 0 || str(m, "intent") == "proposal" {
			continue // an issue; a prescription prepared (PreparedRows)
		}
		row := MedicationRow{ID: m.ID(), Version: versionOf(m), Name: conceptText(m["medicationCodeableConcept"]), Dose: dosageText(m),
			Date: day(str(m, "authoredOn")), Prescriber: refDisplay(m["requester"]), Status: str(m, "status"),
			Repeat: conceptCode(m["courseOfTherapyType"]) == "continuous", Delayed: IsDelayed(m), Instalments: IsInstalment(m)}
		if dr := mapOf(m["dispenseRequest"]); dr != nil {
			if q := mapOf(dr["quantity"]); q != nil {
				row.Quantity = supplyText(intOf(q["value"]), str(q, "unit"))
			}
		}
		if sr := mapOf(m["statusReason"]); sr != nil && row.Status == "stopped" {
			row.StopReason = str(sr, "text")
		}
		row.Reauthorised = row.Status == "completed" && row.Repeat
		if IsRepeatDispensing(m) {
			row.Batch = intOf(mapOf(m["dispenseRequest"])["numberOfRepeatsAllowed"])
		}
		if is, ok := lastIssue["MedicationRequest/"+m.ID()]; ok {
			row.LastIssue, row.IssueID = day(str(is, "authoredOn")), is.ID()
		}
		row.State = RepeatStateOf(m, now)
		row.Review = day(row.State.Review)
		switch {
		case row.Status == "entered-in-error":
			continue
		case row.Status == "stopped" || row.Status == "cancelled":
			out.Past = append(out.Past, row)
		case row.Repeat && row.Status == "active":
			out.Repeats = append(out.Repeats, row)
		case !row.Repeat && str(m, "authoredOn") >= threeMonths:
			out.Acute = append(out.Acute, row)
		default:
			out.Past = append(out.Past, row)
		}
	}
	return out
}

// supplyText is a quantity with its unit, plural when it is not one
// ("28 tablets", "1 inhaler"); a unit of measure stays as it is ("840
// ml", not "mls").
func supplyText(n int, unit string) string {
	if n != 1 && unit != "" && !strings.HasSuffix(unit, "s") && !measureUnits[unit] {
		unit += "s"
	}
	return strings.TrimSpace(fmt.Sprintf("%d %s", n, unit))
}

// measureUnits are dm+d's units of measure, which take no plural.
var measureUnits = map[string]bool{"ml": true, "g": true, "mg": true, "microgram": true, "kg": true, "cm": true, "mm": true}

// MedicineName is a MedicationRequest's medicine as the record names it.
func MedicineName(res fhir.Resource) string { return conceptText(res["medicationCodeableConcept"]) }

// CancelIssue returns a copy of an issue (intent order) cancelled with a
// reason (E00104); false when it is not an issue still active. The
// authorisation's count is not given back: an issue cancelled was made.
func CancelIssue(issue fhir.Resource, reason string) (fhir.Resource, bool) {
	if str(issue, "intent") != "order" || str(issue, "status") != "active" {
		return nil, false
	}
	out := cloneResource(issue)
	out["status"] = "cancelled"
	out["statusReason"] = map[string]any{"text": strings.TrimSpace(reason)}
	return out, true
}

// ElsewhereSources are where a medicine not prescribed here comes from.
var ElsewhereSources = []Choice{{Key: "hospital", Label: "Hospital"}, {Key: "otc", Label: "Bought over the counter"},
	{Key: "other", Label: "Another prescriber (dentist, clinic, private)"}}

// Elsewhere is a medicine the patient takes that this practice did not
// prescribe (E00102): recorded as a MedicationStatement, shown on the tab
// and included in every safety check.
type Elsewhere struct {
	Medicine Medicine
	Dose     string
	Source   string
}

// Check returns the form's errors by field.
func (e Elsewhere) Check() map[string]string {
	errs := map[string]string{}
	if e.Medicine.Code == "" {
		errs["elsewhere"] = "Choose the medicine from the list"
	}
	if d := strings.TrimSpace(e.Dose); d == "" {
		errs["elsewhere-dose"] = "Enter the dose the patient takes, as they tell you"
	} else if len(d) > 200 {
		errs["elsewhere-dose"] = "The dose must be 200 characters or fewer"
	}
	if !slices.ContainsFunc(ElsewhereSources, func(c Choice) bool { return c.Key == e.Source }) {
		errs["source"] = "Select where the medicine comes from"
	}
	return errs
}

// Resource is the MedicationStatement of a medicine from elsewhere.
func (e Elsewhere) Resource(patientID string, recorder Ref, now time.Time) fhir.Resource {
	category := map[string][2]string{"hospital": {"inpatient", "Inpatient"}, "otc": {"patientspecified", "Patient Specified"}, "other": {"community", "Community"}}[e.Source]
	return fhir.Resource{"resourceType": "MedicationStatement", "status": "active",
		"category":                  codeable("http://terminology.hl7.org/CodeSystem/medication-statement-category", category[0], category[1], ChoiceLabel(ElsewhereSources, e.Source)),
		"medicationCodeableConcept": map[string]any{"coding": []any{map[string]any{"system": SNOMED, "code": e.Medicine.Code, "display": e.Medicine.Name}}, "text": e.Medicine.Name},
		"subject":                   map[string]any{"reference": "Patient/" + patientID},
		"dateAsserted":              now.In(London).Format("2006-01-02T15:04:05-07:00"),
		"informationSource":         refMap(recorder),
		"dosage":                    []any{map[string]any{"text": strings.TrimSpace(e.Dose)}},
		"note":                      []any{map[string]any{"text": "Source: " + ChoiceLabel(ElsewhereSources, e.Source)}}}
}

// EndElsewhere returns a copy of a MedicationStatement no longer taken.
func EndElsewhere(st fhir.Resource) (fhir.Resource, bool) {
	if st.Type() != "MedicationStatement" || str(st, "status") != "active" {
		return nil, false
	}
	out := cloneResource(st)
	out["status"] = "completed"
	return out, true
}

// ElsewhereRow is a line of medicines from elsewhere.
type ElsewhereRow struct {
	ID, Version, Name, Dose, Source, Date string
	Active                                bool
}

// ElsewhereRows lists MedicationStatements, active first.
func ElsewhereRows(sts []fhir.Resource) []ElsewhereRow {
	var out []ElsewhereRow
	for _, st := range sts {
		if str(st, "status") == "entered-in-error" {
			continue
		}
		r := ElsewhereRow{ID: st.ID(), Version: versionOf(st), Name: conceptText(st["medicationCodeableConcept"]), Date: day(str(st, "dateAsserted")),
			Active: str(st, "status") == "active"}
		if ds := list(st, "dosage"); len(ds) > 0 {
			r.Dose = str(ds[0], "text")
		}
		if c := mapOf(st["category"]); c != nil {
			r.Source = str(c, "text")
		}
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(a, b ElsewhereRow) int {
		if a.Active != b.Active {
			if a.Active {
				return -1
			}
			return 1
		}
		return 0
	})
	return out
}
