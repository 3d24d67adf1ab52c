package search

import (
	"slices"

	"github.com/gpcloud/gpcloud/internal/fhir/fhirpath"
)

// ReferencesTo evaluates the named reference parameters of the
// resource's type on it and returns the ids of the targetType resources
// they reference, without repeats. Access checks use it to find whose
// records a resource belongs to (the patient compartment's parameters)
// and where a patient is registered, without extracting every parameter.
func ReferencesTo(resource map[string]any, params []string, targetType string) []string {
	rt, _ := resource["resourceType"].(string)
	var ids []string
	seen := map[string]bool{}
	in := fhirpath.NewInput(resource, nil)
	for _, code := range params {
		p := Lookup(rt, code)
		if p == nil || p.Type != "reference" || p.expr == nil {
			continue
		}
		items, err := p.extract.EvaluateInput(in)
		if err != nil {
			continue
		}
		var v Values
		for _, item := range items {
			if n, ok := item.(*fhirpath.Node); ok {
				v.addReference(code, n)
			}
		}
		for _, r := range v.References {
			if r.TargetType == targetType && r.TargetID != "" && !seen[r.TargetID] {
				seen[r.TargetID] = true
				ids = append(ids, r.TargetID)
			}
		}
	}
	return ids
}

// ReferencesIn is ReferencesTo over index values already extracted: the
// ids of targetType referred to through params (a write knows whose
// record it is without evaluating anything again).
func ReferencesIn(v *Values, params []string, targetType string) []string {
	var ids []string
	for _, r := range v.References {
		if r.TargetType == targetType && r.TargetID != "" && slices.Contains(params, r.Param) && !slices.Contains(ids, r.TargetID) {
			ids = append(ids, r.TargetID)
		}
	}
	return ids
}
