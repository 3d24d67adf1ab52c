package clinical

import (
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

func rxAllergy(code, display string, status string) fhir.Resource {
	a := fhir.Resource{"resourceType": "AllergyIntolerance",
		"clinicalStatus": map[string]any{"coding": []any{map[string]any{"code": status}}}}
	if code != "" {
		a["code"] = map[string]any{"coding": []any{map[string]any{"system": SNOMED, "code": code, "display": display}}, "text": display}
	} else {
		a["code"] = map[string]any{"text": display}
	}
	return a
}

func rxCurrent(code string, repeat bool, authored string) fhir.Resource {
	m := med(code)
	course := "acute"
	if repeat {
		course = "continuous"
	}
	return fhir.Resource{"resourceType": "MedicationRequest", "status": "active", "intent": "plan", "authoredOn": authored,
		"courseOfTherapyType":       map[string]any{"coding": []any{map[string]any{"code": course}}},
		"medicationCodeableConcept": map[string]any{"coding": []any{map[string]any{"system": SNOMED, "code": m.Code}}, "text": m.Name}}
}

func TestSafetyChecks(t *testing.T) {
	child := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	adult := time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		in   SafetyInput
		want []string // kind:severity:text fragment, in order
	}{
		{"nothing", SafetyInput{Medicine: med(amoxicillin), Dose: "One capsule three times a day", Quantity: 15, Days: 5, BirthDate: adult}, nil},
		{"penicillin allergy by class", SafetyInput{Medicine: med(amoxicillin), Allergies: []fhir.Resource{rxAllergy("91936005", "Allergy to penicillin", "active")}},
			[]string{"allergy:high:Allergy to penicillin"}},
		{"penicillin substance", SafetyInput{Medicine: med(amoxicillin), Allergies: []fhir.Resource{rxAllergy("373270004", "Penicillin class of antibiotic", "active")}},
			[]string{"allergy:high:Penicillin"}},
		{"ingredient", SafetyInput{Medicine: med(ibuprofen), Allergies: []fhir.Resource{rxAllergy("387207008", "Ibuprofen", "")}},
			[]string{"allergy:high:Ibuprofen"}},
		{"resolved allergy", SafetyInput{Medicine: med(amoxicillin), Allergies: []fhir.Resource{rxAllergy("91936005", "Allergy to penicillin", "resolved")}}, nil},
		{"other class", SafetyInput{Medicine: med(paracetamol), Allergies: []fhir.Resource{rxAllergy("91936005", "Allergy to penicillin", "active")}}, nil},
		{"no known allergy", SafetyInput{Medicine: med(amoxicillin), Allergies: []fhir.Resource{rxAllergy(NoKnownAllergyCode, "No known allergy", "active")}}, nil},
		{"text-only allergy", SafetyInput{Medicine: med(paracetamol), Allergies: []fhir.Resource{rxAllergy("", "Sticking plaster", "active")}},
			[]string{"allergy:moderate:Sticking plaster"}},
		{"duplicate repeat", SafetyInput{Medicine: med(sertraline), Medications: []fhir.Resource{rxCurrent(sertraline, true, "2025-01-01")}},
			[]string{"duplicate:moderate:Sertraline"}},
		{"old acute is not current", SafetyInput{Medicine: med(amoxicillin), Medications: []fhir.Resource{rxCurrent(amoxicillin, false, "2026-01-01")}}, nil},
		{"recent acute is", SafetyInput{Medicine: med(amoxicillin), Medications: []fhir.Resource{rxCurrent(amoxicillin, false, "2026-06-01")}},
			[]string{"duplicate:moderate:Amoxicillin"}},
		{"dose over maximum", SafetyInput{Medicine: med(paracetamol), Dose: "Three tablets four times a day", Quantity: 96, Days: 8},
			[]string{"dose:high:12 tablets a day"}},
		{"quantity too large", SafetyInput{Medicine: med(amoxicillin), Dose: "One capsule three times a day", Quantity: 100, Days: 5},
			[]string{"dose:moderate:more than twice"}},
		{"CD over 30 days", SafetyInput{Medicine: med(morphine), Dose: "One tablet twice a day", Quantity: 60, Days: 30 + 1},
			[]string{"dose:moderate:30 days"}},
		{"child", SafetyInput{Medicine: med(amoxicillin), BirthDate: child},
			[]string{"age:moderate:child (6)"}},
		{"pregnant, known caution", SafetyInput{Medicine: med(simvastatin), Pregnant: true},
			[]string{"pregnancy:high:contraindicated"}},
		{"pregnant, none known", SafetyInput{Medicine: med(paracetamol), Pregnant: true},
			[]string{"pregnancy:moderate:suitable in pregnancy"}},
		{"NSAID with CKD", SafetyInput{Medicine: med(ibuprofen), Conditions: []fhir.Resource{rxCondition("709044004", "Chronic kidney disease", "active")}},
			[]string{"condition:high:kidney function"}},
		{"NSAID with resolved CKD", SafetyInput{Medicine: med(ibuprofen), Conditions: []fhir.Resource{rxCondition("709044004", "Chronic kidney disease", "resolved")}}, nil},
		{"paracetamol with CKD", SafetyInput{Medicine: med(paracetamol), Conditions: []fhir.Resource{rxCondition("709044004", "Chronic kidney disease", "active")}}, nil},
		{"duplicate from elsewhere", SafetyInput{Medicine: med(ibuprofen), Medications: []fhir.Resource{Elsewhere{Medicine: med(ibuprofen), Dose: "One tablet three times a day", Source: "otc"}.Resource("pt", Ref{}, rxNow)}},
			[]string{"duplicate:moderate:from elsewhere"}},
		{"interaction from elsewhere", SafetyInput{Medicine: med(ibuprofen), Medications: []fhir.Resource{Elsewhere{Medicine: med(sertraline), Dose: "One tablet once a day", Source: "hospital"}.Resource("pt", Ref{}, rxNow)}},
			[]string{"interaction:moderate:Sertraline"}},
		{"interaction", SafetyInput{Medicine: med(ibuprofen), Medications: []fhir.Resource{rxCurrent(sertraline, true, "2025-01-01")}},
			[]string{"interaction:moderate:gastrointestinal bleeding"}},
		{"severe first", SafetyInput{Medicine: med(amoxicillin), BirthDate: child, Allergies: []fhir.Resource{rxAllergy("91936005", "Allergy to penicillin", "active")}},
			[]string{"allergy:high:", "age:moderate:"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.Now = rxNow
			got := SafetyChecks(tc.in, LocalInteractions{})
			if len(got) != len(tc.want) {
				t.Fatalf("warnings %+v, want %v", got, tc.want)
			}
			for i, w := range tc.want {
				parts := strings.SplitN(w, ":", 3)
				if got[i].Kind != parts[0] || got[i].Severity != parts[1] || !strings.Contains(got[i].Text, parts[2]) {
					t.Errorf("warning %d = %+v, want %s", i, got[i], w)
				}
			}
		})
	}
}

func TestLocalInteractionsPairs(t *testing.T) {
	statin, macrolide := Medicine{Name: "Simvastatin", Classes: []string{"statin-cyp3a4"}}, Medicine{Name: "Clarithromycin", Classes: []string{"macrolide"}}
	for _, tc := range []struct {
		a, b Medicine
		n    int
	}{
		{statin, macrolide, 1}, {macrolide, statin, 1}, {statin, statin, 0},
		{Medicine{Classes: []string{"opioid"}}, Medicine{Name: "Diazepam", Classes: []string{"benzodiazepine"}}, 1},
	} {
		if got := (LocalInteractions{}).Find(tc.a, []Medicine{tc.b}); len(got) != tc.n {
			t.Errorf("%v + %v: %v", tc.a.Name, tc.b.Name, got)
		}
	}
	if (LocalInteractions{}).Connected() {
		t.Error("the stand-in says it is connected")
	}
}

func TestOverride(t *testing.T) {
	w := Warning{Kind: "allergy", Severity: "high", Text: "Allergy to penicillin"}
	d := Override(w, "pt", "urn:uuid:1", Ref{Reference: "Practitioner/p", Display: "Dr A"}, "Tolerated amoxicillin in 2024", rxNow)
	if conceptCode(d["code"]) != "ALGY" || d["severity"] != "high" || !strings.Contains(str(list(d, "mitigation")[0]["action"].(map[string]any), "text"), "Tolerated") {
		t.Errorf("override %v", d)
	}
	for reason, want := range map[string]string{"": "Enter why", "ok": "few words", "Tolerated before": ""} {
		if got := CheckOverrideReason(reason); (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("reason %q: %q", reason, got)
		}
	}
	if !IsPregnant([]fhir.Resource{{"clinicalStatus": map[string]any{"coding": []any{map[string]any{"code": "active"}}}, "code": map[string]any{"coding": []any{map[string]any{"code": PregnancyCode}}}}}) {
		t.Error("pregnancy not seen")
	}
}

// TestIssueWarnings: an issue repeats only the warnings not overridden
// at authorisation, and the authorisation and its issues are not
// duplicates of it.
func TestIssueWarnings(t *testing.T) {
	gp := Ref{Display: "Dr A"}
	auth := Prescription{Medicine: med(ibuprofen), Dose: "One tablet three times a day", Quantity: "84", Days: "28", Course: "repeat", Issues: "6", Review: "2026-12-01"}.Authorisation("pt", gp, 1, nil, rxNow)
	auth["id"] = "r"
	issue := IssueOf(auth, "MedicationRequest/r", gp, rxNow)
	issue["id"] = "i"
	base := SafetyInput{Medications: []fhir.Resource{auth, issue}, Now: rxNow.AddDate(0, 0, 25)}
	if got := IssueWarnings(base, auth, nil, LocalInteractions{}); len(got) != 0 {
		t.Errorf("the repeat against itself: %+v", got)
	}
	withAllergy := base
	withAllergy.Allergies = []fhir.Resource{rxAllergy("387207008", "Ibuprofen", "active")}
	got := IssueWarnings(withAllergy, auth, nil, LocalInteractions{})
	if len(got) != 1 || got[0].Kind != "allergy" {
		t.Fatalf("a new allergy: %+v", got)
	}
	if got := IssueWarnings(withAllergy, auth, []string{got[0].Text}, LocalInteractions{}); len(got) != 0 {
		t.Errorf("an allergy overridden at authorisation: %+v", got)
	}
	// Issued the day after the last issue of 28 days: early.
	early := base
	early.Now = rxNow.AddDate(0, 0, 1)
	if got := IssueWarnings(early, auth, nil, LocalInteractions{}); len(got) != 1 || got[0].Kind != "early" || !strings.Contains(got[0].Text, "lasts until 08-Jul-2026") {
		t.Errorf("an early issue: %+v", got)
	}
	late := base
	late.Now = rxNow.AddDate(0, 0, 23)
	if got := IssueWarnings(late, auth, nil, LocalInteractions{}); len(got) != 0 {
		t.Errorf("an issue after 23 of 28 days: %+v", got)
	}
	withSSRI := base
	withSSRI.Medications = append(withSSRI.Medications, rxCurrent(sertraline, true, "2026-06-01"))
	if got := IssueWarnings(withSSRI, auth, nil, LocalInteractions{}); len(got) != 1 || got[0].Kind != "interaction" {
		t.Errorf("a new interacting medicine: %+v", got)
	}
}

func rxCondition(code, display, status string) fhir.Resource {
	return fhir.Resource{"resourceType": "Condition", "clinicalStatus": map[string]any{"coding": []any{map[string]any{"code": status}}},
		"code": map[string]any{"coding": []any{map[string]any{"system": SNOMED, "code": code, "display": display}}, "text": display}}
}
