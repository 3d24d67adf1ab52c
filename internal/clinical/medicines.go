package clinical

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gpcloud/gpcloud/internal/codes"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/terminology"
)

// Medicine is a dm+d product the prescribing rules know: its VMP (id and
// name, the code a prescription carries), its VTM (the therapeutic
// moiety, for duplicate therapy), its ingredients' SNOMED substances and
// its allergy classes (for the allergy check), the unit it is counted in
// and the most units a day that is plausible for an adult (the dose
// sanity check), its controlled-drug schedule (0 for none) and what is
// known of its use in pregnancy.
type Medicine struct {
	Code, Name  string
	VTM         string
	Ingredients []string // SNOMED substance ids
	Classes     []string // allergy and interaction classes: "penicillin", "nsaid", ...
	Unit        string   // "tablet", "capsule", "dose"
	MaxPerDay   float64
	Schedule    int
	// Pregnancy is a caution shown when the patient is recorded pregnant,
	// "" when the stand-in knows none (which is not "safe").
	Pregnancy string
	// Kind is dm+d's VMP or AMP ("" for the built-in list). Category is
	// dm+d's controlled-drug category ("Schedule 4 (CD Benz)"), from which
	// Schedule is read. PrescribingStatus (a VMP's) and Availability (a
	// VMP's non-availability, an AMP's restriction) are dm+d's words.
	Kind, Category, PrescribingStatus, Availability string
	// NurseFormulary: on the Nurse Prescribers' Formulary (dm+d).
	NurseFormulary bool
	// Blacklisted: Drug Tariff Part XVIIIA, not prescribable on the NHS;
	// SLS: Part XVIIIB, the Selected List Scheme (dm+d; tariff.go).
	Blacklisted, SLS bool
	// PersonallyAdministered: dm+d marks a pack of it PADM, so that a
	// dose the practice gives is claimed on the FP34D appendix
	// (administration.go).
	PersonallyAdministered bool
	// Inactive: dm+d no longer holds the product as current (the
	// built-in list's are all current).
	Inactive bool
	// Moiety is the VTM's name (dm+d), for the rules that go by it.
	Moiety string
}

// Medicines is the stand-in's list of common dm+d VMPs, until the
// terminology service's dm+d is connected. It is clinical content: every
// code passes the SNOMED check digit (tested), but a clinical safety
// officer must check each against the dm+d release, and its classes,
// limits and cautions against the BNF (hazard H-801).
var Medicines = []Medicine{
	{Code: "323509004", Name: "Amoxicillin 500mg capsules", VTM: "Amoxicillin", Ingredients: []string{"372687004"}, Classes: []string{"penicillin"}, Unit: "capsule", MaxPerDay: 6},
	{Code: "329652003", Name: "Ibuprofen 400mg tablets", VTM: "Ibuprofen", Ingredients: []string{"387207008"}, Classes: []string{"nsaid"}, Unit: "tablet", MaxPerDay: 6,
		Pregnancy: "NSAIDs should be avoided in pregnancy unless essential, and not from 20 weeks"},
	{Code: "322236009", Name: "Paracetamol 500mg tablets", VTM: "Paracetamol", Ingredients: []string{"387517004"}, Unit: "tablet", MaxPerDay: 8},
	{Code: "325278007", Name: "Metformin 500mg modified-release tablets", VTM: "Metformin", Ingredients: []string{"372567009"}, Unit: "tablet", MaxPerDay: 4},
	{Code: "321949006", Name: "Sertraline 50mg tablets", VTM: "Sertraline", Ingredients: []string{"372594008"}, Classes: []string{"ssri"}, Unit: "tablet", MaxPerDay: 4},
	{Code: "320000009", Name: "Simvastatin 40mg tablets", VTM: "Simvastatin", Ingredients: []string{"387584000"}, Classes: []string{"statin-cyp3a4"}, Unit: "tablet", MaxPerDay: 2,
		Pregnancy: "Statins are contraindicated in pregnancy"},
	{Code: "317335000", Name: "Omeprazole 20mg gastro-resistant capsules", VTM: "Omeprazole", Ingredients: []string{"387137007"}, Unit: "capsule", MaxPerDay: 2},
	{Code: "322503009", Name: "Morphine 10mg modified-release tablets", VTM: "Morphine", Ingredients: []string{"373529000"}, Classes: []string{"opioid"}, Unit: "tablet", MaxPerDay: 4, Schedule: 2},
}

// MedicineFromDMD is a dm+d product as the prescribing rules read it: its
// VTM (duplicate therapy), ingredients (allergies), unit, controlled-drug
// schedule, prescribing status and availability from dm+d; the classes,
// daily maximum and pregnancy caution that dm+d does not carry from the
// stand-in's clinical content (by product, else by ingredient), until a
// drug knowledge base is connected (H-803).
func MedicineFromDMD(p terminology.Product) Medicine {
	m := Medicine{Code: p.Code, Name: p.Name, VTM: p.VTM, Ingredients: slices.Clone(p.Ingredients), Unit: lower(p.Unit),
		Kind: p.Kind, Category: p.ControlledDrug, Schedule: ScheduleOf(p.ControlledDrug), PrescribingStatus: p.PrescribingStatus, NurseFormulary: p.NurseFormulary, Moiety: p.VTMName,
		Blacklisted: p.Blacklisted, SLS: p.SelectedList,
		PersonallyAdministered: p.PersonallyAdministered, Inactive: !p.Active}
	if m.VTM == "" {
		m.VTM = "dmd:" + p.Code // no moiety (a device): a duplicate only of itself
	}
	switch {
	case p.NonAvailability != "" && !strings.EqualFold(p.NonAvailability, "Actual Products Available"):
		m.Availability = p.NonAvailability
	case p.AvailabilityRestriction != "" && !strings.EqualFold(p.AvailabilityRestriction, "None"):
		m.Availability = p.AvailabilityRestriction
	}
	if m.Unit == "" {
		m.Unit = "dose"
	}
	if b, ok := MedicineByCode(p.Code); ok {
		m.Classes, m.MaxPerDay, m.Pregnancy = b.Classes, b.MaxPerDay, b.Pregnancy
		if p.Unit == "" {
			m.Unit = b.Unit
		}
	} else if p.VMP != "" {
		if b, ok := MedicineByCode(p.VMP); ok {
			m.Classes, m.MaxPerDay, m.Pregnancy = b.Classes, b.MaxPerDay, b.Pregnancy
		}
	}
	for _, in := range m.Ingredients {
		for _, c := range ingredientClasses[in] {
			if !slices.Contains(m.Classes, c) {
				m.Classes = append(m.Classes, c)
			}
		}
		if m.Pregnancy == "" {
			m.Pregnancy = ingredientPregnancy[in]
		}
	}
	return m
}

// ingredientClasses are the stand-in's classes of a dm+d ingredient
// (SNOMED CT substance), for the allergy and interaction checks of
// products outside the built-in list. Clinical content (H-801, H-803).
var ingredientClasses = func() map[string][]string {
	out := map[string][]string{
		"372756006": {"anticoagulant"},  // Warfarin
		"387381009": {"methotrexate"},   // Methotrexate
		"387170002": {"antifolate"},     // Trimethoprim
		"387487009": {"macrolide"},      // Clarithromycin
		"372694001": {"macrolide"},      // Erythromycin
		"387264003": {"benzodiazepine"}, // Diazepam
		"372664007": {"benzodiazepine"}, // Lorazepam
		"387494007": {"opioid"},         // Codeine
		"373492002": {"opioid"},         // Tramadol
		"373270004": {"penicillin"},     // Penicillin class
		"372725003": {"penicillin"},     // Flucloxacillin
		"387458008": {"nsaid"},          // Aspirin
		"386832008": {"nsaid"},          // Naproxen
	}
	for _, m := range Medicines {
		for _, in := range m.Ingredients {
			for _, c := range m.Classes {
				if !slices.Contains(out[in], c) {
					out[in] = append(out[in], c)
				}
			}
		}
	}
	return out
}()

// ingredientPregnancy are the stand-in's pregnancy cautions by ingredient.
var ingredientPregnancy = func() map[string]string {
	out := map[string]string{
		"387381009": "Methotrexate is contraindicated in pregnancy", // Methotrexate
		"372756006": "Warfarin is teratogenic: avoid in pregnancy",  // Warfarin
	}
	for _, m := range Medicines {
		for _, in := range m.Ingredients {
			if m.Pregnancy != "" {
				out[in] = m.Pregnancy
			}
		}
	}
	return out
}()

var scheduleRE = regexp.MustCompile(`(?i)\bschedule\s*([1-5])`)

// ScheduleOf reads the schedule (1 to 5) of a dm+d controlled-drug
// category ("Schedule 3 (CD No Register)"), 0 for "No Controlled Drug
// Status" or none.
func ScheduleOf(category string) int {
	if m := scheduleRE.FindStringSubmatch(category); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// NeverPrescribe is why a product must not be prescribed at all (dm+d:
// invalid to prescribe, never valid as a VMP), or "".
func (m Medicine) NeverPrescribe() string {
	s := lower(m.PrescribingStatus)
	if strings.Contains(s, "invalid") || strings.Contains(s, "never valid") {
		return m.PrescribingStatus
	}
	return ""
}

// BrandCritical reports a VMP dm+d says not to prescribe generically
// (brands not bioequivalent, patient training): the brand must be chosen.
func (m Medicine) BrandCritical() bool {
	return m.Kind == "VMP" && strings.Contains(lower(m.PrescribingStatus), "not recommended")
}

// Unavailable is why a product cannot be supplied (dm+d: actual products
// not available, an AMP discontinued or not available), or "".
func (m Medicine) Unavailable() string {
	a := lower(m.Availability)
	if strings.Contains(a, "not available") || strings.Contains(a, "discontinued") {
		return m.Availability
	}
	return ""
}

// Marks are what a drug list says of a product beside its name: never to
// be prescribed, not available, not on the NHS (Drug Tariff Part
// XVIIIA), prescribe by brand, restricted, the Selected List Scheme, and
// its controlled-drug schedule.
func (m Medicine) Marks() []string {
	var out []string
	if s := m.NeverPrescribe(); s != "" {
		out = append(out, "Do not prescribe: "+s)
	}
	if s := m.Unavailable(); s != "" {
		out = append(out, "Unavailable: "+s)
	} else if m.Availability != "" {
		out = append(out, "Availability: "+m.Availability)
	}
	if m.Blacklisted {
		out = append(out, MarkNotNHS)
	}
	if m.BrandCritical() {
		out = append(out, "Prescribe by brand: "+m.PrescribingStatus)
	}
	if m.SLS {
		out = append(out, MarkSLS)
	}
	if m.Schedule >= 2 {
		out = append(out, "Controlled drug, Schedule "+strconv.Itoa(m.Schedule))
	}
	return out
}

// MedicineByCode finds a medicine of the list by its dm+d id.
func MedicineByCode(code string) (Medicine, bool) {
	for _, m := range Medicines {
		if m.Code == code {
			return m, true
		}
	}
	return Medicine{}, false
}

// MedicineConcepts are the list as a coded field's domain (the codes
// seam's typeahead), so that a chosen code must be one of them.
func MedicineConcepts() []codes.Concept {
	out := make([]codes.Concept, len(Medicines))
	for i, m := range Medicines {
		out[i] = codes.Concept{Code: m.Code, Display: m.Name}
	}
	return out
}

// allergenClasses maps an allergy's SNOMED code (a substance or an
// "allergy to" finding) to the classes of medicine it rules out: an
// allergy to penicillin is an allergy to amoxicillin. Clinical content
// (H-801); the terminology service will follow causative agent to dm+d
// ingredients instead.
var allergenClasses = map[string][]string{
	"373270004": {"penicillin"}, // Penicillin class of antibiotic
	"91936005":  {"penicillin"}, // Allergy to penicillin
	"294505008": {"penicillin"}, // Allergy to amoxicillin
	"764146007": {"penicillin"}, // Penicillin (substance)
	"387207008": {"nsaid"},      // Ibuprofen: cross-sensitivity across NSAIDs
	"387458008": {"nsaid"},      // Aspirin
	"293586001": {"nsaid"},      // Allergy to aspirin
}

// medicineOf is a stored MedicationRequest's (or MedicationStatement's)
// medicine: as known (resolved from dm+d by the caller, by code), else by
// the built-in list.
func medicineOf(res map[string]any, known map[string]Medicine) (Medicine, bool) {
	for _, c := range codesOf(res["medicationCodeableConcept"]) {
		if m, ok := known[c]; ok {
			return m, true
		}
		if m, ok := MedicineByCode(c); ok {
			return m, true
		}
	}
	return Medicine{}, false
}

// MedicineCodes are the medicine codes of resources (MedicationRequest,
// MedicationStatement), each once, for a caller to resolve from dm+d.
func MedicineCodes(res []fhir.Resource) []string {
	var out []string
	for _, r := range res {
		for _, c := range codesOf(r["medicationCodeableConcept"]) {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}

// hasClass reports whether m is in class c.
func (m Medicine) hasClass(c string) bool {
	for _, k := range m.Classes {
		if k == c {
			return true
		}
	}
	return false
}

// controlled reports a Schedule 2 to 4 controlled drug, whose dose must
// be given exactly and whose prescription is valid 28 days.
func (m Medicine) controlled() bool { return m.Schedule >= 2 && m.Schedule <= 4 }

// lower is strings.ToLower, short.
func lower(s string) string { return strings.ToLower(s) }
