package validate

import (
	"sync"

	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
	"github.com/gpcloud/gpcloud/internal/fhir/ukcore"
)

// CodeValidator answers whether a code is in a value set. It is the seam
// to the terminology service: validation asks it for every element a
// profile binds with strength required or extensible, and for the R4
// required bindings whose value sets the R4 release cannot enumerate
// (mime types, currencies, UCUM units).
type CodeValidator interface {
	// ValidateCode reports whether system|code is a member of the value set
	// with the canonical URL valueSet. system is "" for a bare code. known
	// is false when the validator cannot tell (an unknown value set, or one
	// drawing on a code system it does not hold): the binding is then not
	// checked, never failed.
	ValidateCode(valueSet, system, code string) (in, known bool)
}

// DefinitionCodes is the CodeValidator used when none is given: it knows
// the value sets that can be enumerated from the R4 and UK Core releases
// (required bindings of R4, UK Core sets over their own code systems), and
// answers "unknown" for the rest (SNOMED CT, dm+d, LOINC, UCUM...).
type DefinitionCodes struct{}

type codeSet struct {
	codes  map[definitions.Code]bool
	byCode map[string]bool
}

var codeSets sync.Map // url → *codeSet (nil when not enumerable)

// ValidateCode implements CodeValidator.
func (DefinitionCodes) ValidateCode(valueSet, system, code string) (bool, bool) {
	cs := codeSetOf(valueSet)
	if cs == nil {
		return false, false
	}
	if system == "" {
		return cs.byCode[code], true
	}
	return cs.codes[definitions.Code{System: system, Code: code}], true
}

func codeSetOf(url string) *codeSet {
	if cs, ok := codeSets.Load(url); ok {
		return cs.(*codeSet)
	}
	var cs *codeSet
	add := func(system, code string) {
		if cs == nil {
			cs = &codeSet{codes: map[definitions.Code]bool{}, byCode: map[string]bool{}}
		}
		cs.codes[definitions.Code{System: system, Code: code}] = true
		cs.byCode[code] = true
	}
	if codes, ok := ukcore.ValueSetCodes(url); ok {
		for _, c := range codes {
			add(c.System, c.Code)
		}
	} else if codes, ok := definitions.ValueSetCodes(url); ok {
		for _, c := range codes {
			add(c.System, c.Code)
		}
	}
	actual, _ := codeSets.LoadOrStore(url, cs)
	return actual.(*codeSet)
}
