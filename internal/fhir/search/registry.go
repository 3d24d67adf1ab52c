package search

import (
	"sort"
	"strings"
	"sync"

	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
	"github.com/gpcloud/gpcloud/internal/fhir/fhirpath"
)

// Param is one search parameter as it applies to a resource type.
type Param struct {
	Code       string
	Type       string // number, date, string, token, reference, composite, quantity, uri, special
	URL        string
	Expression string
	Targets    []string // reference target types
	// Components are a composite parameter's two parts.
	Components []Component
	expr       *fhirpath.Expr
	// extract is expr as Extract evaluates it on this parameter's own
	// resource type (fhirpath.Expr.ForType): shared by the parameters of
	// a type with the same expression, as expr is.
	extract *fhirpath.Expr
	// unionOf are the parameters whose rows hold this one's values, when
	// it is their union and not extracted itself (union.go).
	unionOf []string
	// narrowed is how a reference parameter defined as others' references
	// to one type is stored: as their rows (narrow.go).
	narrowed *narrowing
}

// Component is one part of a composite parameter: the parameter it is
// searched as, and the expression reading it from the composite's element.
type Component struct {
	Param *Param
	expr  *fhirpath.Expr
}

// Supported reports whether gpcloud indexes and searches the parameter.
// "special" parameters (near, _text, _content, _list...) are not, nor the
// four three-part composites (token$number$number).
func (p *Param) Supported() bool {
	if p.Type == "composite" {
		return p.expr != nil && len(p.Components) == 2
	}
	return p.Type != "special" && p.expr != nil
}

var (
	registryOnce sync.Once
	registry     map[string]map[string]*Param // type -> code -> param
	sorted       map[string][]*Param          // type -> params by code
	indexed      map[string][]*Param          // type -> params extraction evaluates
	compiled     map[string]*fhirpath.Expr    // by expression text
)

func compile(src string) *fhirpath.Expr {
	if src == "" {
		return nil
	}
	e, ok := compiled[src]
	if !ok {
		var err error
		if e, err = fhirpath.Compile(src); err != nil {
			e = nil // never for the official set: a test checks
		}
		compiled[src] = e
	}
	return e
}

func loadRegistry() {
	registry = map[string]map[string]*Param{}
	compiled = map[string]*fhirpath.Expr{}
	byURL := map[string]definitions.SearchParam{}
	for _, sp := range definitions.AllSearchParameters() {
		byURL[sp.URL] = sp
	}
	for _, rt := range definitions.ResourceTypes() {
		byCode := map[string]*Param{}
		for _, sp := range definitions.SearchParameters(rt) {
			p := &Param{Code: sp.Code, Type: sp.Type, URL: sp.URL, Expression: sp.Expression, Targets: sp.Target, expr: compile(sp.Expression)}
			for _, c := range sp.Components {
				def := byURL[c.Definition]
				part := &Param{Code: def.Code, Type: def.Type, URL: def.URL, Targets: def.Target}
				p.Components = append(p.Components, Component{Param: part, expr: compile(c.Expression)})
			}
			if p.Type == "composite" && !compositeShapeSupported(p) {
				p.Components = nil
			}
			byCode[sp.Code] = p
		}
		registry[rt] = byCode
	}
	// Extraction runs on every write: list each type's parameters once.
	sorted, indexed = map[string][]*Param{}, map[string][]*Param{}
	for rt, byCode := range registry {
		forType := map[*fhirpath.Expr]*fhirpath.Expr{}
		for _, p := range byCode {
			if _, ok := forType[p.expr]; !ok {
				forType[p.expr] = p.expr.ForType(rt)
			}
			p.extract = forType[p.expr]
		}
		all := make([]*Param, 0, len(byCode))
		for _, p := range byCode {
			all = append(all, p)
			p.unionOf = unionOf(p, byCode, rt)
		}
		for _, p := range all {
			p.narrowed = narrowingOf(p, byCode, rt)
		}
		sort.Slice(all, func(i, j int) bool { return all[i].Code < all[j].Code })
		sorted[rt] = all
		for _, p := range all {
			if p.Supported() && p.Code != "_id" && p.unionOf == nil {
				indexed[rt] = append(indexed[rt], p)
			}
		}
	}
}

// Lookup returns the parameter code of resourceType, or nil.
func Lookup(resourceType, code string) *Param {
	registryOnce.Do(loadRegistry)
	return registry[resourceType][code]
}

// Params returns the parameters of a resource type, sorted by code. The
// slice is shared: do not modify it.
func Params(resourceType string) []*Param {
	registryOnce.Do(loadRegistry)
	return sorted[resourceType]
}

// indexedParams returns the parameters extraction evaluates for a type
// (supported ones, less _id, which is the resource's own id column).
func indexedParams(resourceType string) []*Param {
	registryOnce.Do(loadRegistry)
	return indexed[resourceType]
}

// splitReference reads the type and id of "Patient/123", an absolute URL
// ending so, or either with a /_history/n suffix.
func splitReference(ref string) (typ, id string, ok bool) {
	ref = strings.SplitN(ref, "/_history/", 2)[0]
	parts := strings.Split(ref, "/")
	if len(parts) < 2 {
		return "", "", false
	}
	typ, id = parts[len(parts)-2], parts[len(parts)-1]
	if !definitions.IsResourceType(typ) || id == "" {
		return "", "", false
	}
	return typ, id, true
}

// compositeShapeSupported: two parts, the first a token or reference,
// the second a token, quantity, number, date, string or reference.
func compositeShapeSupported(p *Param) bool {
	if len(p.Components) != 2 || p.Components[0].expr == nil || p.Components[1].expr == nil {
		return false
	}
	switch p.Components[0].Param.Type {
	case "token", "reference":
	default:
		return false
	}
	switch p.Components[1].Param.Type {
	case "token", "quantity", "number", "date", "string", "reference", "uri":
		return true
	}
	return false
}
