package definitions

import (
	"sort"
	"strings"
	"sync"
)

// Kind is the kind of a type: primitive, complex data type or resource.
type Kind uint8

// The kinds of StructureDefinition the tables hold.
const (
	KindPrimitive Kind = iota + 1
	KindComplex
	KindResource
)

// Element flags from ElementDefinition.
const (
	flagSummary uint8 = 1 << iota
	flagModifier
)

// Type is the definition of one FHIR type.
type Type struct {
	Name     string
	Kind     Kind
	Abstract bool
	// Base is the type this one specializes ("DomainResource" for Patient).
	Base string
	// Regex is the pattern of a primitive type's value (empty for xhtml and
	// complex types).
	Regex string
	// Elements in snapshot order; Elements[0] is the type itself.
	Elements []Element

	byPath   map[string]*Element
	children map[string][]*Element
}

// Element is one ElementDefinition of a type's snapshot.
type Element struct {
	// Path is the full path, e.g. "Patient.contact.name" or "Observation.value[x]".
	Path string
	// Name is the last path segment without "[x]": "name", "value".
	Name string
	// Choice is true for a choice element (value[x]).
	Choice bool
	Min    int
	// Max is the maximum cardinality, -1 for "*".
	Max   int
	Types []TypeRef
	// ContentReference, when set, is the path of the element whose
	// definition this one reuses (Questionnaire.item.item → Questionnaire.item).
	ContentReference string
	IsSummary        bool
	IsModifier       bool
	// Binding is nil when the element is not bound to a value set.
	Binding *Binding
}

// TypeRef is one allowed type of an element.
type TypeRef struct {
	// Code is the type name: "string", "CodeableConcept", "Reference",
	// "BackboneElement"...
	Code string
	// Targets lists, for Reference and canonical, the allowed target types
	// ("Resource" when any).
	Targets []string
}

// Binding links a coded element to a value set.
type Binding struct {
	Strength string // required, extensible, preferred, example
	ValueSet string // canonical URL without version
}

// IsArray reports whether the element repeats (JSON array).
func (e *Element) IsArray() bool { return e.Max != 1 && e.Max != 0 }

// Element returns the element with the given full path, or nil. Paths of
// backbone elements reached through a content reference are resolved, so
// "Questionnaire.item.item.text" finds "Questionnaire.item.text".
func (t *Type) Element(path string) *Element {
	if t == nil {
		return nil
	}
	if e, ok := t.byPath[path]; ok {
		return e
	}
	// Resolve a content reference in the path's prefix: the longest prefix
	// that is a content-referencing element is replaced by its target.
	for dot := strings.LastIndexByte(path, '.'); dot > 0; dot = strings.LastIndexByte(path[:dot], '.') {
		if e, ok := t.byPath[path[:dot]]; ok && e.ContentReference != "" {
			return t.Element(e.ContentReference + path[dot:])
		}
	}
	return nil
}

// Children returns the direct child elements of the element at path, in
// snapshot order.
func (t *Type) Children(path string) []*Element {
	if t == nil {
		return nil
	}
	return t.children[path]
}

type typeRow struct {
	name     string
	kind     Kind
	abstract bool
	base     string
	regex    string
	elements []elementRow
}

type elementRow struct {
	path       string
	min, max   int
	types      string
	contentRef string
	flags      uint8
	strength   string
	valueSet   string
}

var (
	loadOnce      sync.Once
	typesByName   map[string]*Type
	resourceTypes []string
)

// load builds the indexed types from the generated rows, once.
func load() {
	typesByName = make(map[string]*Type, len(typeTable))
	for _, row := range typeTable {
		t := &Type{Name: row.name, Kind: row.kind, Abstract: row.abstract, Base: row.base, Regex: row.regex,
			Elements: make([]Element, len(row.elements)), byPath: make(map[string]*Element, len(row.elements)),
			children: map[string][]*Element{}}
		for i, er := range row.elements {
			e := &t.Elements[i]
			*e = Element{Path: er.path, Min: er.min, Max: er.max, Types: parseTypes(er.types), ContentReference: er.contentRef,
				IsSummary: er.flags&flagSummary != 0, IsModifier: er.flags&flagModifier != 0}
			if er.valueSet != "" {
				e.Binding = &Binding{Strength: er.strength, ValueSet: er.valueSet}
			}
			name := er.path[strings.LastIndexByte(er.path, '.')+1:]
			e.Name, e.Choice = strings.CutSuffix(name, "[x]")
			t.byPath[er.path] = e
			if dot := strings.LastIndexByte(er.path, '.'); dot > 0 {
				parent := er.path[:dot]
				t.children[parent] = append(t.children[parent], e)
			}
		}
		typesByName[row.name] = t
		if row.kind == KindResource && !row.abstract {
			resourceTypes = append(resourceTypes, row.name)
		}
	}
	sort.Strings(resourceTypes)
	for _, t := range typesByName {
		t.resolveContentReferences()
	}
}

// resolveContentReferences makes the children of a content-referenced
// element reachable under the referencing path, so that callers can walk
// Questionnaire.item.item.item... without knowing about the reference.
func (t *Type) resolveContentReferences() {
	for i := range t.Elements {
		e := &t.Elements[i]
		if e.ContentReference == "" {
			continue
		}
		t.children[e.Path] = t.children[e.ContentReference]
	}
}

func parseTypes(s string) []TypeRef {
	if s == "" {
		return nil
	}
	fields := strings.Fields(s)
	out := make([]TypeRef, len(fields))
	for i, f := range fields {
		code, targets, ok := strings.Cut(f, "(")
		out[i].Code = code
		if ok {
			out[i].Targets = strings.Split(strings.TrimSuffix(targets, ")"), "|")
		}
	}
	return out
}

// Lookup returns the definition of a type (resource, complex or
// primitive), or nil when R4 has no such type.
func Lookup(name string) *Type {
	loadOnce.Do(load)
	return typesByName[name]
}

// ResourceTypes returns the concrete R4 resource types, sorted.
func ResourceTypes() []string {
	loadOnce.Do(load)
	return append([]string(nil), resourceTypes...)
}

// IsResourceType reports whether name is a concrete R4 resource type.
func IsResourceType(name string) bool {
	t := Lookup(name)
	return t != nil && t.Kind == KindResource && !t.Abstract
}

// Constraint is an invariant of an element, with severity error.
type Constraint struct {
	Key        string // "pat-1"
	Human      string // what it requires, in words
	Expression string // FHIRPath, evaluated on each instance of the element
}

// Constraints returns the error invariants that type t defines on the
// element at path (path == t's name for the type itself; a resource's own
// root also carries DomainResource's dom-* rules). ele-1 is left out: the
// structural checks of package validate enforce it.
func Constraints(typ, path string) []Constraint {
	return constraintTable[typ+"|"+path]
}
