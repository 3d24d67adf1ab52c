package stu3

import (
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

// Type is the STU3 definition of one type.
type Type struct {
	Name     string
	Kind     Kind
	Abstract bool
	// Base is the type this one specializes ("DomainResource" for Patient).
	Base string
	// Regex is the pattern of a primitive type's value (empty for the
	// others and for xhtml).
	Regex string
	// Elements in snapshot order (the order of XML); Elements[0] is the
	// type itself. A primitive's value is not an element (Regex).
	Elements []Element

	byPath   map[string]*Element
	children map[string][]*Element
}

// Element is one element of a type's snapshot.
type Element struct {
	// Path is the full path: "Patient.contact.name", "Observation.value[x]".
	Path string
	// Name is the last path segment without "[x]": "name", "value".
	Name   string
	Choice bool
	Min    int
	// Max is the maximum cardinality, -1 for "*".
	Max   int
	Types []TypeRef
	// ContentReference, when set, is the path of the element whose
	// definition this one reuses (Questionnaire.item.item).
	ContentReference string
	// ValueSet is the value set of a required binding whose codes the
	// tables hold ("" when none, or when it cannot be enumerated).
	ValueSet string
}

// TypeRef is one allowed type of an element.
type TypeRef struct {
	Code string
	// Targets lists a Reference's allowed target types ("Resource": any).
	Targets []string
}

// IsArray reports whether the element repeats (a JSON array).
func (e *Element) IsArray() bool { return e.Max != 1 && e.Max != 0 }

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
	valueSet   string
}

var (
	once    sync.Once
	types   map[string]*Type
	valSets map[string]map[string]bool
)

func build() {
	types = make(map[string]*Type, len(typeTable))
	for _, r := range typeTable {
		t := &Type{Name: r.name, Kind: r.kind, Abstract: r.abstract, Base: r.base, Regex: r.regex,
			byPath: map[string]*Element{}, children: map[string][]*Element{}}
		t.Elements = make([]Element, len(r.elements))
		for i, er := range r.elements {
			t.Elements[i] = newElement(er.path, er.min, er.max, er.types, er.contentRef, er.valueSet)
		}
		for i := range t.Elements {
			e := &t.Elements[i]
			t.byPath[e.Path] = e
			if parent, _, ok := cutLast(e.Path); ok {
				t.children[parent] = append(t.children[parent], e)
			}
		}
		types[r.name] = t
	}
	valSets = make(map[string]map[string]bool, len(valueSetTable))
	for url, codes := range valueSetTable {
		set := make(map[string]bool, 2*len(codes))
		for _, c := range codes {
			set[c] = true
			_, code, _ := strings.Cut(c, "|")
			set["|"+code] = true // the code alone, for elements of type code
		}
		valSets[url] = set
	}
	buildProfiles()
}

func newElement(path string, min, max int, typeList, contentRef, valueSet string) Element {
	e := Element{Path: path, Min: min, Max: max, ContentReference: contentRef, ValueSet: valueSet}
	_, e.Name, _ = cutLast(path)
	if e.Name == "" {
		e.Name = path
	}
	if n, ok := strings.CutSuffix(e.Name, "[x]"); ok {
		e.Name, e.Choice = n, true
	}
	e.Types = ParseTypes(typeList)
	return e
}

// ParseTypes reads the tables' rendering of types:
// "CodeableConcept Reference(Patient|Group)".
func ParseTypes(s string) []TypeRef {
	var out []TypeRef
	for _, f := range strings.Fields(s) {
		code, rest, ok := strings.Cut(f, "(")
		tr := TypeRef{Code: code}
		if ok {
			tr.Targets = strings.Split(strings.TrimSuffix(rest, ")"), "|")
		}
		out = append(out, tr)
	}
	return out
}

func cutLast(path string) (string, string, bool) {
	i := strings.LastIndexByte(path, '.')
	if i < 0 {
		return "", "", false
	}
	return path[:i], path[i+1:], true
}

// Lookup returns the STU3 definition of a type, nil when STU3 has none.
func Lookup(name string) *Type {
	once.Do(build)
	return types[name]
}

// Element returns the element at path ("Patient.contact.name"), nil when
// the type has none.
func (t *Type) Element(path string) *Element {
	if t == nil {
		return nil
	}
	return t.byPath[path]
}

// Children returns the elements directly under path, in order.
func (t *Type) Children(path string) []*Element {
	if t == nil {
		return nil
	}
	return t.children[path]
}

// Child finds the element a JSON member name stands for under path: the
// element itself, or a choice element with the type its suffix names
// ("valueQuantity" → value[x], "Quantity").
func (t *Type) Child(path, name string) (*Element, string) {
	for _, e := range t.Children(path) {
		if !e.Choice {
			if e.Name == name {
				if len(e.Types) == 0 {
					return e, "BackboneElement"
				}
				return e, e.Types[0].Code
			}
			continue
		}
		suffix, ok := strings.CutPrefix(name, e.Name)
		if !ok || suffix == "" {
			continue
		}
		for _, tr := range e.Types {
			if ChoiceSuffix(tr.Code) == suffix {
				return e, tr.Code
			}
		}
	}
	return nil, ""
}

// ChoiceSuffix is the suffix a type gives a choice element's name
// ("dateTime" → "DateTime").
func ChoiceSuffix(code string) string {
	if code == "" {
		return ""
	}
	return strings.ToUpper(code[:1]) + code[1:]
}

// InValueSet reports whether the value set holds the code of that system
// (system "" matches the code in any of its systems: for type code).
func InValueSet(url, system, code string) bool {
	once.Do(build)
	return valSets[url][system+"|"+code]
}

// HasValueSet reports whether the tables hold the codes of a value set.
func HasValueSet(url string) bool {
	once.Do(build)
	_, ok := valSets[url]
	return ok
}
