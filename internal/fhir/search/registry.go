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
	expr       *fhirpath.Expr
}

// Supported reports whether gpcloud indexes and searches the parameter.
// "special" parameters (near, _text, _content, _list...) are not, nor
// (yet) composites, whose components the definitions do not carry.
func (p *Param) Supported() bool {
	return p.Type != "special" && p.Type != "composite" && p.expr != nil
}

var (
	registryOnce sync.Once
	registry     map[string]map[string]*Param // type -> code -> param
	compiled     map[string]*fhirpath.Expr    // by expression text
)

func loadRegistry() {
	registry = map[string]map[string]*Param{}
	compiled = map[string]*fhirpath.Expr{}
	for _, rt := range definitions.ResourceTypes() {
		byCode := map[string]*Param{}
		for _, sp := range definitions.SearchParameters(rt) {
			p := &Param{Code: sp.Code, Type: sp.Type, URL: sp.URL, Expression: sp.Expression, Targets: sp.Target}
			if sp.Expression != "" {
				e, ok := compiled[sp.Expression]
				if !ok {
					var err error
					if e, err = fhirpath.Compile(sp.Expression); err != nil {
						e = nil // never for the official set: a test checks
					}
					compiled[sp.Expression] = e
				}
				p.expr = e
			}
			byCode[sp.Code] = p
		}
		registry[rt] = byCode
	}
}

// Lookup returns the parameter code of resourceType, or nil.
func Lookup(resourceType, code string) *Param {
	registryOnce.Do(loadRegistry)
	return registry[resourceType][code]
}

// Params returns the parameters of a resource type, sorted by code.
func Params(resourceType string) []*Param {
	registryOnce.Do(loadRegistry)
	out := make([]*Param, 0, len(registry[resourceType]))
	for _, p := range registry[resourceType] {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// indexedParams returns the parameters extraction evaluates for a type,
// with expressions shared between types ("Patient.name | Practitioner.name")
// evaluated once per resource.
func indexedParams(resourceType string) []*Param {
	var out []*Param
	for _, p := range Params(resourceType) {
		if p.Supported() && p.Code != "_id" {
			out = append(out, p)
		}
	}
	return out
}

// baseTypeOf is "Patient" for "Patient/123" and absolute URLs ending so.
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
