package validate

import (
	"strconv"
	"strings"
	"sync"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
)

// valueSet is an enumerable value set as a lookup set.
type valueSet struct {
	url     string
	codes   map[definitions.Code]bool
	byCode  map[string]bool
	systems map[string]bool
}

var valueSets sync.Map // url → *valueSet, or nil when not enumerable

func lookupValueSet(url string) *valueSet {
	if vs, ok := valueSets.Load(url); ok {
		return vs.(*valueSet)
	}
	var vs *valueSet
	if codes, ok := definitions.ValueSetCodes(url); ok {
		vs = &valueSet{url: url, codes: map[definitions.Code]bool{}, byCode: map[string]bool{}, systems: map[string]bool{}}
		for _, c := range codes {
			vs.codes[c] = true
			vs.byCode[c.Code] = true
			vs.systems[c.System] = true
		}
	}
	actual, _ := valueSets.LoadOrStore(url, vs)
	return actual.(*valueSet)
}

// binding checks a value against its element's required binding. A code
// must be in the value set; a Coding with a code must be; a CodeableConcept
// must have at least one coding that is (text alone does not satisfy a
// required binding).
func (v *validator) binding(val any, code string, e *definitions.Element, expr string) {
	if e.Binding == nil || e.Binding.Strength != "required" {
		return
	}
	vs := lookupValueSet(e.Binding.ValueSet)
	if vs == nil {
		// Not enumerable from R4 (languages, mime types, SNOMED CT...):
		// the CodeValidator (the terminology service) may know it.
		if code != "code" && code != "Coding" && code != "CodeableConcept" {
			return
		}
		if bad := v.notInValueSet(val, e.Binding.ValueSet); len(bad) > 0 {
			v.add(fhir.CodeCodeInvalid, expr, "%s: code %s is not in the required value set %s", e.Path, strings.Join(bad, ", "), e.Binding.ValueSet)
		}
		return
	}
	switch code {
	case "code":
		if s, _ := val.(string); s != "" && !vs.byCode[s] {
			v.add(fhir.CodeCodeInvalid, expr, "%q is not in the required value set %s", s, vs.url)
		}
	case "Coding":
		m, _ := val.(map[string]any)
		if c, ok := codingIn(m, vs); !ok {
			v.add(fhir.CodeCodeInvalid, expr, "%s is not in the required value set %s", c, vs.url)
		}
	case "CodeableConcept":
		m, _ := val.(map[string]any)
		codings, _ := m["coding"].([]any)
		if len(codings) == 0 {
			v.add(fhir.CodeCodeInvalid, expr, "%s has a required binding to %s: a coding from it is needed", e.Path, vs.url)
			return
		}
		for _, c := range codings {
			if cm, ok := c.(map[string]any); ok {
				if _, in := codingIn(cm, vs); in {
					return
				}
			}
		}
		v.add(fhir.CodeCodeInvalid, expr, "none of the %s codings is in the required value set %s", strconv.Itoa(len(codings)), vs.url)
	}
}

// codingIn reports whether a Coding is in vs; one without a code carries
// no concept to check and passes.
func codingIn(m map[string]any, vs *valueSet) (string, bool) {
	c, _ := m["code"].(string)
	if c == "" {
		return "", true
	}
	system, _ := m["system"].(string)
	label := system + "|" + c
	if system == "" {
		return label, vs.byCode[c]
	}
	return label, vs.codes[definitions.Code{System: system, Code: c}]
}
