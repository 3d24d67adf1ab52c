package clinical

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// SummaryInput is what the record summary is made from: the patient's
// resources of each kind, as the user may read them.
type SummaryInput struct {
	Conditions, Medications, Allergies, Observations, Encounters, Immunizations, Flags []fhir.Resource
}

// Summary is the record summary.
type Summary struct {
	ActiveProblems, PastProblems []Entry
	Acute, Repeats               []Entry // acute: issued in the last three months
	Allergies                    []Entry
	NoKnownAllergies             bool
	Measurements                 []Measurement
	Consultations                []Entry // the last three
	Immunisations                []Entry
	Alerts                       []Entry
}

// Entry is one line of the summary: what, when, and a detail.
type Entry struct {
	ID, Type string
	Text     string
	Date     string // "12-Mar-2024", or ""
	Detail   string
	// Significant marks a problem as significant (severity severe, or the
	// UK problem significance extension), listed first.
	Significant bool
	sortKey     string
}

// Measurement is the latest value of one kind.
type Measurement struct {
	Label, Value, Date string
}

// Summarise builds the summary.
func Summarise(in SummaryInput, now time.Time) Summary {
	var s Summary
	for _, c := range in.Conditions {
		if verification(c) == "entered-in-error" || verification(c) == "refuted" {
			continue
		}
		e := Entry{ID: c.ID(), Type: "Condition", Text: conceptText(c["code"]), Date: day(firstStr(c, "onsetDateTime", "recordedDate")),
			Significant: severity(c) == "severe" || significant(c), sortKey: firstStr(c, "onsetDateTime", "recordedDate")}
		switch clinicalStatus(c) {
		case "active", "recurrence", "relapse", "":
			s.ActiveProblems = append(s.ActiveProblems, e)
		default:
			e.Detail = "ended " + day(str(c, "abatementDateTime"))
			s.PastProblems = append(s.PastProblems, e)
		}
	}
	sort.SliceStable(s.ActiveProblems, func(i, j int) bool {
		a, b := s.ActiveProblems[i], s.ActiveProblems[j]
		if a.Significant != b.Significant {
			return a.Significant
		}
		return a.sortKey > b.sortKey
	})
	sort.SliceStable(s.PastProblems, func(i, j int) bool { return s.PastProblems[i].sortKey > s.PastProblems[j].sortKey })

	threeMonths := now.AddDate(0, -3, 0).Format("2006-01-02")
	for _, m := range in.Medications {
		status := str(m, "status")
		if status == "entered-in-error" || status == "cancelled" || status == "stopped" {
			continue
		}
		if len(list(m, "basedOn")) > 0 {
			continue // an issue of an authorisation, which the summary shows (prescribing.go)
		}
		if str(m, "intent") == "proposal" {
			continue // prepared for a prescriber, not prescribed (prescription_prepared.go)
		}
		authored := str(m, "authoredOn")
		e := Entry{ID: m.ID(), Type: "MedicationRequest", Text: conceptText(m["medicationCodeableConcept"]), Date: day(authored), sortKey: authored}
		if e.Text == "" {
			e.Text = refDisplay(m["medicationReference"])
		}
		if d := dosageText(m); d != "" {
			e.Detail = d
		}
		if conceptCode(m["courseOfTherapyType"]) == "continuous" {
			if status == "active" {
				s.Repeats = append(s.Repeats, e)
			}
			continue
		}
		if authored >= threeMonths {
			s.Acute = append(s.Acute, e)
		}
	}
	for _, a := range in.Allergies {
		if verification(a) == "entered-in-error" || verification(a) == "refuted" {
			continue
		}
		if clinicalStatus(a) != "" && clinicalStatus(a) != "active" {
			continue
		}
		if IsNoKnownAllergy(a) {
			s.NoKnownAllergies = true
			continue
		}
		e := Entry{ID: a.ID(), Type: "AllergyIntolerance", Text: conceptText(a["code"]), Date: day(firstStr(a, "onsetDateTime", "recordedDate"))}
		for _, r := range list(a, "reaction") {
			for _, mf := range anyList(r["manifestation"]) {
				if t := conceptText(mf); t != "" {
					e.Detail = strings.TrimPrefix(e.Detail+", "+t, ", ")
				}
			}
		}
		s.Allergies = append(s.Allergies, e)
	}
	if len(s.Allergies) > 0 {
		s.NoKnownAllergies = false // an allergy outweighs an old "none known"
	}
	s.Measurements = latestMeasurements(in.Observations)
	for _, enc := range in.Encounters {
		if str(enc, "status") == "entered-in-error" || str(enc, "status") == "cancelled" {
			continue // retracted: the journal shows it struck through, the summary not at all
		}
		start := str(mapOf(enc["period"]), "start")
		text := conceptText(firstOf(enc["type"]))
		if text == "" {
			text = str(mapOf(enc["class"]), "display")
		}
		var who string
		for _, p := range list(enc, "participant") {
			if d := refDisplay(p["individual"]); d != "" {
				who = d
				break
			}
		}
		s.Consultations = append(s.Consultations, Entry{ID: enc.ID(), Type: "Encounter", Text: text, Date: day(start), Detail: who, sortKey: start})
	}
	for _, im := range in.Immunizations {
		status := str(im, "status")
		if status == "entered-in-error" {
			continue
		}
		e := Entry{ID: im.ID(), Type: "Immunization", Text: conceptText(im["vaccineCode"]), Date: day(str(im, "occurrenceDateTime"))}
		if status == "not-done" {
			e.Detail = "not given"
			if r := conceptText(im["statusReason"]); r != "" {
				e.Detail += ": " + r
			}
		}
		s.Immunisations = append(s.Immunisations, e)
	}
	for _, f := range in.Flags {
		if str(f, "status") != "active" {
			continue
		}
		s.Alerts = append(s.Alerts, Entry{ID: f.ID(), Type: "Flag", Text: conceptText(f["code"]), Date: day(str(mapOf(f["period"]), "start"))})
	}
	return s
}

// latestMeasurements keeps the newest Observation of each kind (they come
// newest first), blood pressure from a panel or from its two parts.
func latestMeasurements(obs []fhir.Resource) []Measurement {
	latest := map[string]Measurement{}
	for _, o := range obs {
		if st := str(o, "status"); st == "entered-in-error" || st == "cancelled" {
			continue
		}
		key := measureOf(codesOf(o["code"]))
		if key == "" {
			continue
		}
		when := day(firstStr(o, "effectiveDateTime", "issued"))
		if key == "bp" {
			if _, done := latest["bp"]; done {
				continue
			}
			var sys, dia string
			for _, c := range list(o, "component") {
				switch measureOf(codesOf(c["code"])) {
				case "systolic":
					sys = quantityText(mapOf(c["valueQuantity"]), false)
				case "diastolic":
					dia = quantityText(mapOf(c["valueQuantity"]), false)
				}
			}
			if sys != "" && dia != "" {
				latest["bp"] = Measurement{Label: "Blood pressure", Value: sys + "/" + dia + " mmHg", Date: when}
			}
			continue
		}
		if _, done := latest[key]; done {
			continue
		}
		value := quantityText(mapOf(o["valueQuantity"]), true)
		if value == "" {
			value = conceptText(o["valueCodeableConcept"])
		}
		if value == "" && key == "smoking" {
			value = conceptText(o["code"])
		}
		if value != "" {
			latest[key] = Measurement{Label: labelOf(key), Value: value, Date: when}
		}
	}
	var out []Measurement
	for _, key := range []string{"bp", "pulse", "weight", "height", "bmi", "smoking"} {
		if m, ok := latest[key]; ok {
			out = append(out, m)
		}
	}
	return out
}

func labelOf(key string) string {
	for _, m := range measures {
		if m.key == key {
			return m.label
		}
	}
	return key
}

// IsNoKnownAllergy reports the "no known allergies" assertion: SNOMED
// 716186003 (no known allergy) or 409137002 (no known drug allergy).
func IsNoKnownAllergy(a fhir.Resource) bool {
	for _, c := range codesOf(a["code"]) {
		if c == "716186003" || c == "409137002" {
			return true
		}
	}
	return false
}

func clinicalStatus(r fhir.Resource) string { return conceptCode(r["clinicalStatus"]) }
func verification(r fhir.Resource) string   { return conceptCode(r["verificationStatus"]) }
func severity(r fhir.Resource) string {
	for _, c := range codesOf(r["severity"]) {
		if c == "24484000" {
			return "severe"
		}
	}
	return ""
}

// problemSignificanceURL is the UK Core extension for a problem's
// significance (major/minor).
const problemSignificanceURL = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-ProblemSignificance"

func significant(r fhir.Resource) bool {
	for _, x := range list(r, "extension") {
		if x["url"] == problemSignificanceURL && (x["valueCode"] == "major" || conceptCode(x["valueCodeableConcept"]) == "major") {
			return true
		}
	}
	return false
}

func dosageText(m fhir.Resource) string {
	for _, d := range list(m, "dosageInstruction") {
		if t := str(d, "text"); t != "" {
			return t
		}
	}
	return ""
}

// conceptText is a CodeableConcept's text, else its first coding's
// display, else its code.
func conceptText(v any) string {
	c := mapOf(v)
	if t := str(c, "text"); t != "" {
		return t
	}
	for _, cd := range list(c, "coding") {
		if d := str(cd, "display"); d != "" {
			return d
		}
	}
	for _, cd := range list(c, "coding") {
		if d := str(cd, "code"); d != "" {
			return d
		}
	}
	return ""
}

func conceptCode(v any) string {
	for _, cd := range list(mapOf(v), "coding") {
		if c := str(cd, "code"); c != "" {
			return c
		}
	}
	return ""
}

func codesOf(v any) []string {
	var out []string
	for _, cd := range list(mapOf(v), "coding") {
		if c := str(cd, "code"); c != "" {
			out = append(out, c)
		}
	}
	return out
}

func refDisplay(v any) string { return str(mapOf(v), "display") }

func quantityText(q map[string]any, unit bool) string {
	v, ok := q["value"]
	if !ok {
		return ""
	}
	s := fmt.Sprint(v)
	if f, ok := v.(float64); ok {
		s = strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.1f", f), "0"), ".")
	}
	if u := str(q, "unit"); unit && u != "" {
		s += " " + u
	}
	return s
}

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func firstOf(v any) any {
	if l := anyList(v); len(l) > 0 {
		return l[0]
	}
	return nil
}

func firstStr(r map[string]any, keys ...string) string {
	for _, k := range keys {
		if s := str(r, k); s != "" {
			return s
		}
	}
	return ""
}

// day writes a date or dateTime as 12-Mar-2024 ("" stays "").
func day(s string) string {
	if len(s) < 10 {
		return s
	}
	t, err := time.Parse("2006-01-02", s[:10])
	if err != nil {
		return s
	}
	return t.Format("02-Jan-2006")
}
