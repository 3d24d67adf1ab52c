package clinical

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/terminology"
)

// dm+d-shaped products for the rules: VMPs and AMPs as the terminology
// service reads them.
var (
	dmdAmoxicillin = terminology.Product{Code: "323509004", Name: "Amoxicillin 500mg capsules", Kind: "VMP", VTM: "27658006", Ingredients: []string{"372687004"},
		Unit: "capsule", ControlledDrug: "No Controlled Drug Status", PrescribingStatus: "Valid as a prescribable product"}
	dmdCoAmoxiclav = terminology.Product{Code: "39732311000001104", Name: "Co-amoxiclav 500mg/125mg tablets", Kind: "VMP", VTM: "96068000", Ingredients: []string{"372687004", "395938000"},
		Unit: "tablet", PrescribingStatus: "Valid as a prescribable product"}
	dmdPregabalin = terminology.Product{Code: "415160008", Name: "Pregabalin 75mg capsules", Kind: "VMP", VTM: "415160008", Ingredients: []string{"415160008"},
		Unit: "capsule", ControlledDrug: "Schedule 3 (CD No Register)", PrescribingStatus: "Valid as a prescribable product"}
	dmdDiazepam = terminology.Product{Code: "3623111000001109", Name: "Diazepam 2mg tablets", Kind: "VMP", VTM: "387264003", Ingredients: []string{"387264003"},
		Unit: "tablet", ControlledDrug: "Schedule 4 (CD Benz)", PrescribingStatus: "Valid as a prescribable product"}
	dmdLithium = terminology.Product{Code: "12345611000001108", Name: "Lithium carbonate 400mg modified-release tablets", Kind: "VMP", VTM: "1111", Ingredients: []string{"2222"},
		Unit: "tablet", PrescribingStatus: "Not recommended to prescribe as a VMP due to lack of bioequivalence"}
	dmdPriadel = terminology.Product{Code: "12345711000001104", Name: "Priadel 400mg modified-release tablets", Kind: "AMP", VMP: "12345611000001108", VTM: "1111", Ingredients: []string{"2222"},
		Unit: "tablet", PrescribingStatus: "Not recommended to prescribe as a VMP due to lack of bioequivalence", AvailabilityRestriction: "None"}
	dmdInvalid = terminology.Product{Code: "12345811000001109", Name: "Old product 10mg tablets", Kind: "VMP", PrescribingStatus: "Invalid as a prescribable product"}
	dmdGone    = terminology.Product{Code: "12345911000001103", Name: "Gone 5mg tablets (Acme)", Kind: "AMP", VMP: "1", AvailabilityRestriction: "Discontinued"}
	dmdNoneVMP = terminology.Product{Code: "12346011000001108", Name: "Rare 5mg tablets", Kind: "VMP", NonAvailability: "Actual Products not Available"}
)

func TestMedicineFromDMD(t *testing.T) {
	for _, tc := range []struct {
		name     string
		p        terminology.Product
		schedule int
		classes  string
		marks    string
		never    bool
		gone     bool
		brand    bool
	}{
		{"amoxicillin takes the stand-in's classes by code", dmdAmoxicillin, 0, "penicillin", "", false, false, false},
		{"co-amoxiclav is a penicillin by its ingredient", dmdCoAmoxiclav, 0, "penicillin", "", false, false, false},
		{"pregabalin is Schedule 3 from dm+d", dmdPregabalin, 3, "", "Controlled drug, Schedule 3", false, false, false},
		{"diazepam is Schedule 4 and a benzodiazepine", dmdDiazepam, 4, "benzodiazepine", "Controlled drug, Schedule 4", false, false, false},
		{"lithium VMP: prescribe by brand", dmdLithium, 0, "", "Prescribe by brand", false, false, true},
		{"a brand of lithium is what to prescribe", dmdPriadel, 0, "", "", false, false, false},
		{"invalid to prescribe", dmdInvalid, 0, "", "Do not prescribe: Invalid as a prescribable product", true, false, false},
		{"discontinued AMP", dmdGone, 0, "", "Unavailable: Discontinued", false, true, false},
		{"VMP without actual products", dmdNoneVMP, 0, "", "Unavailable: Actual Products not Available", false, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := MedicineFromDMD(tc.p)
			if m.Schedule != tc.schedule || strings.Join(m.Classes, ",") != tc.classes {
				t.Errorf("schedule %d classes %v", m.Schedule, m.Classes)
			}
			if got := strings.Join(m.Marks(), ". "); tc.marks == "" && got != "" || !strings.Contains(got, tc.marks) {
				t.Errorf("marks %q, want %q", got, tc.marks)
			}
			if (m.NeverPrescribe() != "") != tc.never || (m.Unavailable() != "") != tc.gone || m.BrandCritical() != tc.brand {
				t.Errorf("never %q unavailable %q brand %v", m.NeverPrescribe(), m.Unavailable(), m.BrandCritical())
			}
			if m.VTM == "" || m.Unit == "" {
				t.Errorf("VTM %q unit %q", m.VTM, m.Unit)
			}
		})
	}
}

func TestScheduleOf(t *testing.T) {
	for in, want := range map[string]int{"Schedule 2 (CD)": 2, "Schedule 3 (CD No Register)": 3, "Schedule 4 (CD Benz)": 4, "Schedule 4 (CD Anab)": 4,
		"Schedule 5 (CD Inv)": 5, "Schedule 1 (CD Lic)": 1, "No Controlled Drug Status": 0, "": 0} {
		if got := ScheduleOf(in); got != want {
			t.Errorf("%q: %d, want %d", in, got, want)
		}
	}
}

// TestDMDPrescriptionRules: dm+d's status refuses a prescription, its
// schedule refuses a repeat and gives the controlled-drug extension and
// the 28-day validity; an AMP is fine where its VMP is brand-critical.
func TestDMDPrescriptionRules(t *testing.T) {
	base := Prescription{Dose: "One tablet twice a day", Quantity: "56", Days: "28", Course: "acute"}
	for _, tc := range []struct {
		name  string
		p     terminology.Product
		mod   func(*Prescription)
		field string
		want  string
	}{
		{"never prescribe", dmdInvalid, nil, "medicine", "must not be prescribed"},
		{"unavailable", dmdGone, nil, "medicine", "cannot be supplied"},
		{"Schedule 3 refused on repeat", dmdPregabalin, func(p *Prescription) { p.Course, p.Issues, p.Review = "repeat", "3", "2026-09-01" }, "course", "Schedule 2 or 3"},
		{"Schedule 4 'as directed' refused", dmdDiazepam, func(p *Prescription) { p.Dose = "As directed" }, "dose", "exact dose"},
		{"Schedule 4 may be a repeat", dmdDiazepam, func(p *Prescription) { p.Course, p.Issues, p.Review = "repeat", "3", "2026-09-01" }, "", ""},
		{"a brand of a brand-critical VMP", dmdPriadel, nil, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := base
			p.Medicine = MedicineFromDMD(tc.p)
			if tc.mod != nil {
				tc.mod(&p)
			}
			errs := p.Check(rxNow)
			if tc.field == "" && len(errs) > 0 || tc.field != "" && !strings.Contains(errs[tc.field], tc.want) {
				t.Errorf("errors %v", errs)
			}
		})
	}
	// The controlled-drug extension: schedule and quantity in words, kept
	// on the issue, which is valid 28 days.
	p := base
	p.Medicine = MedicineFromDMD(dmdDiazepam)
	auth := roundTrip(t, p.Authorisation("pt1", Ref{Reference: "PractitionerRole/r1"}, 1, nil, rxNow))
	b, _ := json.Marshal(auth)
	for _, want := range []string{ControlledDrugURL, `"CD4-1"`, `"fifty-six"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("authorisation lacks %s: %s", want, b)
		}
	}
	issue := IssueOf(auth, "MedicationRequest/a1", Ref{Reference: "PractitionerRole/r1"}, rxNow)
	vp := mapOf(mapOf(issue["dispenseRequest"])["validityPeriod"])
	if vp["end"] != rxNow.AddDate(0, 0, 28).Format("2006-01-02") {
		t.Errorf("a Schedule 4 issue valid until %v", vp["end"])
	}
	if ScheduleOfPrescription(issue) != 4 {
		t.Errorf("the issue's schedule: %d", ScheduleOfPrescription(issue))
	}
	if tok, _ := TokenOf(roundTrip(t, IssueOf(auth, "MedicationRequest/a1", Ref{}, rxNow))); tok.Schedule != 4 {
		t.Errorf("token %+v", tok)
	}
	p.Medicine = MedicineFromDMD(dmdPregabalin)
	if tok, _ := TokenOf(roundTrip(t, IssueOf(roundTrip(t, p.Authorisation("pt1", Ref{}, 1, nil, rxNow)), "MedicationRequest/a1", Ref{}, rxNow))); tok.QuantityWords != "fifty-six capsules" {
		t.Errorf("Schedule 3 token: %+v", tok)
	}
}

// TestDMDSafetyChecks: duplicate therapy by a shared ingredient across
// VTMs, allergy by an ingredient's class, a brand-critical VMP warned,
// stored medicines known through SafetyInput.Known.
func TestDMDSafetyChecks(t *testing.T) {
	amox := MedicineFromDMD(dmdAmoxicillin)
	coamox := MedicineFromDMD(dmdCoAmoxiclav)
	current := roundTrip(t, Prescription{Medicine: amox, Dose: "One capsule three times a day", Quantity: "15", Days: "5", Course: "acute"}.
		Authorisation("pt1", Ref{}, 1, nil, rxNow.AddDate(0, 0, -2)))
	current["id"] = "a1"
	penicillin := fhir.Resource{"resourceType": "AllergyIntolerance", "clinicalStatus": codeable("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active", "Active", ""),
		"code": codeable(SNOMED, "91936005", "Allergy to penicillin", "")}
	in := SafetyInput{Medicine: coamox, Dose: "One tablet three times a day", Quantity: 15, Days: 5, Now: rxNow,
		Medications: []fhir.Resource{current}, Allergies: []fhir.Resource{penicillin}, Known: map[string]Medicine{amox.Code: amox}}
	ws := SafetyChecks(in, LocalInteractions{})
	kinds := map[string]bool{}
	for _, w := range ws {
		kinds[w.Kind] = true
	}
	if !kinds["allergy"] || !kinds["duplicate"] {
		t.Errorf("co-amoxiclav with amoxicillin current and a penicillin allergy: %+v", ws)
	}
	in = SafetyInput{Medicine: MedicineFromDMD(dmdLithium), Dose: "One tablet twice a day", Quantity: 56, Days: 28, Now: rxNow}
	if ws := SafetyChecks(in, nil); len(ws) != 1 || ws[0].Kind != "product" || ws[0].Severity != "high" {
		t.Errorf("brand-critical VMP: %+v", ws)
	}
}

// TestEarlyIssueFromAuthorisation: the last issue recorded on the
// authorisation drives the early re-issue warning without its issues.
func TestEarlyIssueFromAuthorisation(t *testing.T) {
	p := Prescription{Medicine: med(sertraline), Dose: "One tablet once a day", Quantity: "28", Days: "28", Course: "repeat", Issues: "6", Review: "2026-12-01"}
	auth := roundTrip(t, p.Authorisation("pt1", Ref{}, 0, nil, rxNow.AddDate(0, -1, 0)))
	auth["id"] = "a1"
	for _, tc := range []struct {
		name  string
		last  time.Time
		early bool
	}{
		{"ten days ago of 28", rxNow.AddDate(0, 0, -10), true},
		{"25 days ago of 28", rxNow.AddDate(0, 0, -25), false},
	} {
		issued := roundTrip(t, Issued(auth, tc.last))
		_, early := earlyIssue(issued, nil, rxNow)
		if early != tc.early {
			t.Errorf("%s: early %v", tc.name, early)
		}
	}
}

func roundTrip(t *testing.T, res fhir.Resource) fhir.Resource {
	t.Helper()
	b, _ := json.Marshal(res)
	out, err := fhir.Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRepeatDispensing (E00097): a batch of issues authorised and issued
// at once, its issue carrying the repeats after the first and valid for
// the batch's span; refused for Schedule 2 and 3, for a batch of one or
// one lasting more than a year, and delayed.
func TestRepeatDispensing(t *testing.T) {
	base := Prescription{Medicine: med(sertraline), Dose: "One tablet once a day", Quantity: "28", Days: "28", Course: "repeat-dispensing", Issues: "6"}
	for _, tc := range []struct {
		name  string
		mod   func(*Prescription)
		field string
	}{
		{"six issues of 28 days", func(*Prescription) {}, ""},
		{"Schedule 3", func(p *Prescription) { p.Medicine = MedicineFromDMD(dmdPregabalin) }, "course"},
		{"Schedule 4 is allowed", func(p *Prescription) { p.Medicine = MedicineFromDMD(dmdDiazepam) }, ""},
		{"a batch of one", func(p *Prescription) { p.Issues = "1" }, "issues"},
		{"more than a year", func(p *Prescription) { p.Issues, p.Days = "13", "56" }, "issues"},
		{"delayed", func(p *Prescription) { p.Delayed = true }, "delayed"},
	} {
		p := base
		tc.mod(&p)
		errs := p.Check(rxNow)
		if tc.field == "" && len(errs) > 0 || tc.field != "" && errs[tc.field] == "" {
			t.Errorf("%s: %v", tc.name, errs)
		}
	}
	auth := roundTrip(t, base.Authorisation("pt1", Ref{}, 6, nil, rxNow))
	if !IsRepeatDispensing(auth) || auth["status"] != "completed" {
		t.Fatalf("authorisation %v", auth)
	}
	issue := roundTrip(t, IssueOf(auth, "MedicationRequest/a1", Ref{}, rxNow))
	dr := mapOf(issue["dispenseRequest"])
	if intOf(dr["numberOfRepeatsAllowed"]) != 5 || mapOf(dr["validityPeriod"])["end"] != rxNow.AddDate(0, 0, 168).Format("2006-01-02") {
		t.Errorf("issue's dispense request %v", dr)
	}
	if tok, _ := TokenOf(issue); tok.Batch != 6 || tok.BatchRepeats != 5 {
		t.Errorf("token %+v", tok)
	}
	auth["id"] = "a1"
	if l := MedicationListOf([]fhir.Resource{auth, issue}, rxNow); len(l.Acute) != 1 || l.Acute[0].Batch != 6 {
		t.Errorf("tab %+v", l)
	}
}

// TestRepeatDispensingCurrent: a batch counts as current for the checks
// while the pharmacy may still dispense it, past the acutes' 3 months.
func TestRepeatDispensingCurrent(t *testing.T) {
	p := Prescription{Medicine: med(sertraline), Dose: "One tablet once a day", Quantity: "28", Days: "28", Course: "repeat-dispensing", Issues: "6"}
	auth := roundTrip(t, p.Authorisation("pt1", Ref{}, 6, nil, rxNow.AddDate(0, -4, 0)))
	if cur := currentAuthorisations([]fhir.Resource{auth}, rxNow); len(cur) != 1 {
		t.Error("a batch of 168 days made 4 months ago is not current")
	}
	if cur := currentAuthorisations([]fhir.Resource{auth}, rxNow.AddDate(0, 3, 0)); len(cur) != 0 {
		t.Error("a batch past its span is current")
	}
}
