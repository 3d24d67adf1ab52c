package search

import (
	"slices"
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
)

// Parameters stored as other parameters' rows (issue 12: no duplicated
// rows). R4 defines some of a type's parameters as the union of others:
// Observation's combo-code is code | component-code, combo-value-quantity
// is value-quantity | component-value-quantity, and the combo composites
// likewise. Extracted, their rows repeated the others' (in a 1x Synthea
// store, 116,000 of the 914,000 index rows that are not AuditEvents').
// Such a parameter is not extracted, and a search on it reads the rows of
// the parameters it is the union of (Param.StoredAs): a resource matches
// when any of those rows does, as it did when the union's own rows held
// the same values.

// StoredAs returns the parameter codes whose index rows hold p's values:
// its own code, those of the parameters it is the union of, or those of
// the reference parameters it narrows to one target type (narrow.go; the
// rows read must then name p.StoredTarget()).
func (p *Param) StoredAs() []string {
	if p.unionOf != nil {
		return p.unionOf
	}
	if p.narrowed != nil {
		return p.narrowed.parts
	}
	return []string{p.Code}
}

// unionOf returns the codes of the other parameters of rt whose
// expressions, together, are p's, each contributing part of it; nil when
// p is not such a union. Only the branches of an expression rooted at rt
// count (the official expressions list many types' branches in one).
func unionOf(p *Param, byCode map[string]*Param, rt string) []string {
	if !p.Supported() || p.Code == "_id" {
		return nil
	}
	own := rootedBranches(p.Expression, rt)
	if len(own) < 2 {
		return nil
	}
	covered := map[string]bool{}
	var codes []string
	for _, q := range byCode {
		if q == p || q.Type != p.Type || !q.Supported() || q.Code == "_id" || !sameComponents(p, q) {
			continue
		}
		theirs := rootedBranches(q.Expression, rt)
		if len(theirs) == 0 || len(theirs) >= len(own) || !subset(theirs, own) {
			continue
		}
		if unionOf(q, byCode, rt) != nil {
			continue // not stored itself; its parts are candidates too
		}
		codes = append(codes, q.Code)
		for _, b := range theirs {
			covered[b] = true
		}
	}
	if len(covered) != len(own) {
		return nil
	}
	slices.Sort(codes)
	return codes
}

// sameComponents: composites whose parts are read by the same expressions
// as the same kinds of value (their rows are then alike); true for others.
func sameComponents(p, q *Param) bool {
	if len(p.Components) != len(q.Components) {
		return false
	}
	for i := range p.Components {
		a, b := p.Components[i], q.Components[i]
		if a.expr != b.expr || a.Param.Type != b.Param.Type {
			return false // compiled expressions are shared by text
		}
	}
	return true
}

func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// rootedBranches splits an expression at its top-level unions and returns
// the branches rooted at rt, without their outer parentheses, sorted and
// without repeats. It returns nil when a branch is rooted neither at rt
// nor at another resource type (a union it cannot reason about).
func rootedBranches(expr, rt string) []string {
	var out []string
	for _, b := range topLevelUnion(expr) {
		b = unparen(strings.TrimSpace(b))
		root, _, _ := strings.Cut(b, ".")
		switch {
		case root == rt:
			if !slices.Contains(out, b) {
				out = append(out, b)
			}
		case definitions.IsResourceType(root):
		default:
			return nil
		}
	}
	slices.Sort(out)
	return out
}

// topLevelUnion splits at the "|" operators outside parentheses and
// string literals.
func topLevelUnion(expr string) []string {
	var parts []string
	depth, start, quoted := 0, 0, false
	for i := 0; i < len(expr); i++ {
		switch c := expr[i]; {
		case quoted:
			if c == '\\' {
				i++
			} else if c == '\'' {
				quoted = false
			}
		case c == '\'':
			quoted = true
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == '|' && depth == 0:
			parts = append(parts, expr[start:i])
			start = i + 1
		}
	}
	return append(parts, expr[start:])
}

// unparen removes parentheses that enclose the whole of s.
func unparen(s string) string {
	for len(s) >= 2 && s[0] == '(' && s[len(s)-1] == ')' {
		depth := 0
		for i := 0; i < len(s); i++ {
			switch s[i] {
			case '(':
				depth++
			case ')':
				depth--
			}
			if depth == 0 && i < len(s)-1 {
				return s // "(a) | (b)": the first ")" closes before the end
			}
		}
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	return s
}
