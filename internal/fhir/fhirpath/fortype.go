package fhirpath

import "github.com/gpcloud/gpcloud/internal/fhir/definitions"

// ForType returns an expression that gives the same result as e for any
// resource of type resourceType, evaluated without Options.Strict: the
// branches of a top-level union that start from another resource type
// ("AllergyIntolerance.patient | CarePlan.subject... | Observation.subject")
// are dropped, since they select nothing from this one. The official
// search parameters shared by many types are such unions (patient has 32
// branches): evaluating each branch's type test for every parameter of
// every resource written was most of the index extraction's time.
//
// A union that keeps one branch still goes through the union operator,
// which removes duplicates as the original did; one that keeps none
// evaluates to the empty collection.
func (e *Expr) ForType(resourceType string) *Expr {
	if e == nil {
		return nil
	}
	bin, ok := e.root.(*binaryExpr)
	if !ok || bin.op != "|" {
		return e
	}
	var kept []expr
	dropped := false
	for _, b := range unionBranches(e.root) {
		if root := rootType(b); root != "" && definitions.IsResourceType(root) && !derivesFrom(resourceType, root) {
			dropped = true
			continue
		}
		kept = append(kept, b)
	}
	if !dropped {
		return e
	}
	var out expr = &literalExpr{}
	for _, b := range kept {
		out = &binaryExpr{op: "|", left: out, right: b}
	}
	return &Expr{src: e.src, root: out}
}

// unionBranches lists the operands of a chain of | operators, in order.
func unionBranches(x expr) []expr {
	if b, ok := x.(*binaryExpr); ok && b.op == "|" {
		return append(unionBranches(b.left), unionBranches(b.right)...)
	}
	return []expr{x}
}

// rootType is the identifier a path starts from ("Observation" in
// "(Observation.value as Quantity)"), or "" when it starts elsewhere
// (a function of the focus, a literal, $this, a nested operator) or
// passes through a function that answers for an empty input.
func rootType(x expr) string {
	for {
		switch n := x.(type) {
		case *identExpr:
			if n.name == "" || n.name[0] < 'A' || n.name[0] > 'Z' {
				return ""
			}
			return n.name
		case *memberExpr:
			x = n.target
		case *funcExpr:
			if n.target == nil || !emptyToEmpty[n.name] {
				return ""
			}
			x = n.target
		case *indexExpr:
			x = n.target
		case *typeExpr:
			x = n.operand
		default:
			return ""
		}
	}
}

// emptyToEmpty are the functions whose result is empty when their input
// is: a branch reaching one from another type's root selects nothing.
// (exists(), count(), empty() and the like answer for an empty input.)
var emptyToEmpty = map[string]bool{
	"where": true, "select": true, "ofType": true, "as": true, "resolve": true, "extension": true,
	"first": true, "last": true, "tail": true, "skip": true, "take": true, "distinct": true,
	"children": true, "descendants": true, "repeat": true,
}

// derivesFrom reports whether type t is base or inherits from it
// (Observation from DomainResource and Resource).
func derivesFrom(t, base string) bool {
	for t != "" {
		if t == base {
			return true
		}
		def := definitions.Lookup(t)
		if def == nil {
			return false
		}
		t = def.Base
	}
	return false
}
