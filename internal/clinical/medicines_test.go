package clinical

import (
	"testing"

	"github.com/gpcloud/gpcloud/internal/codes"
)

// TestMedicinesCodes: every code of the built-in list and of the allergy
// class table is a well-formed SNOMED CT id (dm+d ids are), once.
func TestMedicinesCodes(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range Medicines {
		if !codes.ValidSCTID(m.Code) {
			t.Errorf("%s: %s is not a valid SNOMED/dm+d id", m.Name, m.Code)
		}
		for _, i := range m.Ingredients {
			if !codes.ValidSCTID(i) {
				t.Errorf("%s: ingredient %s is not a valid SNOMED id", m.Name, i)
			}
		}
		if seen[m.Code] {
			t.Errorf("%s listed twice", m.Code)
		}
		seen[m.Code] = true
		if m.VTM == "" || m.Unit == "" || m.MaxPerDay <= 0 {
			t.Errorf("%s: VTM, unit and daily maximum are needed for the checks", m.Name)
		}
	}
	for _, c := range conditionCautions {
		if !codes.ValidSCTID(c.condition) {
			t.Errorf("condition %s is not a valid SNOMED id", c.condition)
		}
	}
	for c := range allergenClasses {
		if !codes.ValidSCTID(c) {
			t.Errorf("allergen %s is not a valid SNOMED id", c)
		}
	}
}
