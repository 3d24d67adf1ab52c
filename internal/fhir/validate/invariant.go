package validate

import (
	"strings"
	"sync"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
	"github.com/gpcloud/gpcloud/internal/fhir/fhirpath"
)

// compiledExprs caches invariants' compiled FHIRPath: the definitions never
// change, so each expression is parsed once for the life of the process.
var compiledExprs sync.Map // source → *fhirpath.Expr, or nil when it does not compile

func compiled(src string) *fhirpath.Expr {
	if e, ok := compiledExprs.Load(src); ok {
		return e.(*fhirpath.Expr)
	}
	e, err := fhirpath.Compile(src)
	if err != nil {
		e = nil
	}
	actual, _ := compiledExprs.LoadOrStore(src, e)
	return actual.(*fhirpath.Expr)
}

// invariant evaluates one constraint on a node. It fails when the
// expression yields false; true or an empty result passes, as FHIR
// specifies. An expression the engine cannot evaluate (a function it does
// not implement) is counted, not failed: refusing a resource for the
// engine's gap would be the server's error, not the sender's.
func (v *validator) invariant(key, human, src string, n *fhirpath.Node, expr string) {
	e := compiled(src)
	if e == nil {
		v.unevaluated = append(v.unevaluated, key)
		return
	}
	out, err := e.EvaluateNodeInput(n, v.rootInput)
	if err != nil {
		v.unevaluated = append(v.unevaluated, key)
		return
	}
	if len(out) == 1 {
		if b, ok := fhirpath.Value(out[0]).(bool); ok && !b {
			v.addAt(fhir.SeverityError, fhir.CodeInvariant, expr, "constraint %s failed: %s", key, human)
		}
	}
}

// baseInvariants evaluates the R4 invariants an object's definition
// carries (its type's own rules, or a backbone element's).
func (v *validator) baseInvariants(obj map[string]any, t *definitions.Type, path, expr string) {
	cs := definitions.Constraints(t.Name, path)
	if len(cs) == 0 {
		return
	}
	typ := t.Name
	if path != t.Name {
		typ = "BackboneElement"
	}
	n := &fhirpath.Node{Value: obj, Type: typ, Owner: t.Name, Path: path}
	_, hasContained := obj["contained"]
	for _, c := range cs {
		if !hasContained && strings.HasPrefix(c.Expression, "contained.") {
			// dom-2 to dom-5 ask about contained resources: with none,
			// each is true (contained... is empty), so it is not run.
			continue
		}
		if c.Key == "dom-3" && path == t.Name {
			// Evaluated natively: the expression walks the whole resource
			// four times per contained resource (10x the cost of all other
			// validation); TestDom3MatchesFHIRPath proves the two agree.
			if !dom3(obj) {
				v.addAt(fhir.SeverityError, fhir.CodeInvariant, expr, "constraint %s failed: %s", c.Key, c.Human)
			}
			continue
		}
		if short := shortcuts[c.Key]; short != nil {
			if pass, decided := short(obj); decided {
				if !pass {
					v.addAt(fhir.SeverityError, fhir.CodeInvariant, expr, "constraint %s failed: %s", c.Key, c.Human)
				}
				continue
			}
		}
		v.invariant(c.Key, c.Human, c.Expression, n, expr)
	}
}

// dom3 is R4's dom-3: every contained resource with an id is referred to
// ("#id") from somewhere in the resource, or refers to its container
// ("#"). Any string value counts as a reference, where the FHIRPath
// expression counts reference, canonical, uri and url values only: a
// plain string holding exactly "#id" is the one case it accepts that the
// expression would not.
func dom3(res map[string]any) bool {
	contained, _ := res["contained"].([]any)
	if len(contained) == 0 {
		return true
	}
	refs := map[string]bool{}
	collectHashes(res, refs)
	for _, c := range contained {
		cm, ok := c.(map[string]any)
		if !ok {
			continue
		}
		id, ok := cm["id"].(string)
		if !ok {
			continue // '#'+id is empty: the criterion is empty, not false
		}
		if refs["#"+id] {
			continue
		}
		self := map[string]bool{}
		collectHashes(cm, self)
		if !self["#"] {
			return false
		}
	}
	return true
}

// collectHashes gathers every string value beginning with "#".
func collectHashes(v any, into map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			if k == "div" {
				continue
			}
			collectHashes(c, into)
		}
	case []any:
		for _, c := range x {
			collectHashes(c, into)
		}
	case string:
		if len(x) > 0 && x[0] == '#' {
			into[x] = true
		}
	}
}

// nodeFor makes the FHIRPath node of a value found at an element path of a
// profile of type owner: a resource root, a backbone element (defined in
// owner), or a data type (defined by itself). expr's last segment names
// the type a choice element holds (valueQuantity).
func nodeFor(val any, owner, path, expr string) *fhirpath.Node {
	if path == owner {
		return &fhirpath.Node{Value: val, Type: owner, Owner: owner, Path: owner}
	}
	t := definitions.Lookup(owner)
	e := t.Element(path)
	if e == nil {
		return &fhirpath.Node{Value: val, Type: "Element", Owner: "Element", Path: "Element"}
	}
	typ := firstType(e).Code
	if e.Choice {
		key := expr[strings.LastIndexByte(expr, '.')+1:]
		if i := strings.IndexByte(key, '['); i >= 0 {
			key = key[:i]
		}
		suffix := strings.TrimPrefix(key, e.Name)
		for _, tr := range e.Types {
			if strings.EqualFold(tr.Code, suffix) {
				typ = tr.Code
			}
		}
	}
	if typ == "BackboneElement" || typ == "Element" && len(t.Children(e.Path)) > 0 || e.ContentReference != "" {
		return &fhirpath.Node{Value: val, Type: "BackboneElement", Owner: owner, Path: e.Path}
	}
	return &fhirpath.Node{Value: val, Type: typ, Owner: typ, Path: typ}
}

// invariantOptions: as() filters (see fhirpath.Options.AsFilter).
var invariantOptions = &fhirpath.Options{AsFilter: true}
