package validate

import (
	"strings"
	"sync"

	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
)

// child is one JSON key an object may hold: the element and, for a choice
// element, the type the key's suffix names (valueQuantity → Quantity).
type child struct {
	elem *definitions.Element
	typ  definitions.TypeRef
	keys []string // every JSON key of the element (all choice names)
}

// childIndex maps the JSON keys of one element's object form to children.
type childIndex struct {
	byKey    map[string]*child
	required []*child // one per element with min > 0
	choices  []*child // one per choice element (value[x])
}

// indexes caches a childIndex per type and path; definitions never change,
// so entries are built once and shared by all goroutines.
var indexes sync.Map // string → *childIndex

func childIndexOf(t *definitions.Type, path string) *childIndex {
	key := t.Name + "|" + path
	if idx, ok := indexes.Load(key); ok {
		return idx.(*childIndex)
	}
	idx := &childIndex{byKey: map[string]*child{}}
	for _, e := range t.Children(path) {
		var first *child
		if !e.Choice {
			first = &child{elem: e, typ: firstType(e), keys: []string{e.Name}}
			idx.byKey[e.Name] = first
		} else {
			var keys []string
			for _, tr := range e.Types {
				keys = append(keys, e.Name+strings.ToUpper(tr.Code[:1])+tr.Code[1:])
			}
			for i, tr := range e.Types {
				c := &child{elem: e, typ: tr, keys: keys}
				idx.byKey[keys[i]] = c
				if first == nil {
					first = c
				}
			}
		}
		if e.Min > 0 && first != nil {
			idx.required = append(idx.required, first)
		}
		if e.Choice && first != nil {
			idx.choices = append(idx.choices, first)
		}
	}
	actual, _ := indexes.LoadOrStore(key, idx)
	return actual.(*childIndex)
}

// firstType returns the element's type; elements without one (the content
// references) are backbone elements.
func firstType(e *definitions.Element) definitions.TypeRef {
	if len(e.Types) == 0 {
		return definitions.TypeRef{Code: "BackboneElement"}
	}
	return e.Types[0]
}
