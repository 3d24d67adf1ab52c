package search

import (
	"github.com/gpcloud/gpcloud/internal/fhir/fhirpath"
)

// compositePart is one component value in the shape CompositeValue keeps.
type compositePart struct {
	system, code string
	lo, hi       float64
}

// addComposite pairs, element by element, the values of a composite's two
// components (Observation.component: its code with its value).
func (v *Values) addComposite(p *Param, in *fhirpath.Input, elements []any) {
	for _, item := range elements {
		n, ok := item.(*fhirpath.Node)
		if !ok {
			continue
		}
		first := componentParts(p.Components[0], n, in)
		if len(first) == 0 {
			continue
		}
		for _, second := range componentParts(p.Components[1], n, in) {
			for _, f := range first {
				v.Composites = append(v.Composites, CompositeValue{Param: p.Code, FirstSystem: f.system, FirstCode: f.code,
					System: second.system, Code: second.code, Lo: second.lo, Hi: second.hi})
			}
		}
	}
}

func componentParts(c Component, n *fhirpath.Node, in *fhirpath.Input) []compositePart {
	items, err := c.expr.EvaluateNodeInput(n, in)
	if err != nil {
		return nil
	}
	var tmp Values
	for _, item := range items {
		if x, ok := item.(*fhirpath.Node); ok {
			tmp.add(c.Param, x)
		}
	}
	var out []compositePart
	for _, t := range tmp.Tokens {
		if t.Param == c.Param.Code && t.Code != "" {
			out = append(out, compositePart{system: t.System, code: t.Code})
		}
	}
	for _, r := range tmp.References {
		if r.TargetType != "" {
			out = append(out, compositePart{code: r.TargetType + "/" + r.TargetID})
		} else if r.URL != "" {
			out = append(out, compositePart{code: r.URL})
		}
	}
	for _, s := range tmp.Strings {
		out = append(out, compositePart{code: s.Norm})
	}
	for _, q := range tmp.Quantities {
		out = append(out, compositePart{system: q.System, code: q.Code, lo: q.Value, hi: q.Value})
	}
	for _, num := range tmp.Numbers {
		out = append(out, compositePart{lo: num.Value, hi: num.Value})
	}
	for _, d := range tmp.Dates {
		out = append(out, compositePart{lo: float64(d.Lo), hi: float64(d.Hi)})
	}
	for _, u := range tmp.URIs {
		out = append(out, compositePart{code: u.URI})
	}
	return out
}
