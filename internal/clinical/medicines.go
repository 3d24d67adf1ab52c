package clinical

import (
	"strings"

	"github.com/gpcloud/gpcloud/internal/codes"
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

// medicineName is a stored MedicationRequest's medicine, by the list or
// as the record names it.
func medicineOf(res map[string]any) (Medicine, bool) {
	for _, c := range codesOf(res["medicationCodeableConcept"]) {
		if m, ok := MedicineByCode(c); ok {
			return m, true
		}
	}
	return Medicine{}, false
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
