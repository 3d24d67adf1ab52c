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
	out, err := e.EvaluateNode(n, v.root, invariantOptions)
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
	for _, c := range cs {
		v.invariant(c.Key, c.Human, c.Expression, n, expr)
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
