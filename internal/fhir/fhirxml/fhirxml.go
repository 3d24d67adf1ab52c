// Package fhirxml reads FHIR R4 XML into the decoded JSON form the server
// works on (fhir.Resource: map[string]any, []any, string, json.Number,
// bool), so that XML documents are validated and stored exactly as their
// JSON equivalents are.
//
// XML does not say which elements repeat or which primitives are numbers
// and booleans; the R4 definitions do, so the reader walks the type of each
// element as it goes (choice elements such as valueQuantity, backbone
// elements, content references, contained resources). Decimals keep the
// exact text of their value attribute, which is why the UK Core examples
// are read from their XML originals: the JSON copies were converted by a
// tool that wrote decimals as strings (see internal/fhir/ukcore).
//
// The definitions are R4's unless Options.Schema gives another version's
// (package gpconnect reads GP Connect's STU3 with package stu3's).
//
// The reader is strict: an element R4 does not define, text where a value
// attribute belongs, or a missing resource inside a container is an error
// naming the element and the line.
package fhirxml

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
)

// Namespaces of FHIR XML and its narrative.
const (
	NS      = "http://hl7.org/fhir"
	xhtmlNS = "http://www.w3.org/1999/xhtml"
)

// maxDepth bounds element nesting, so a hostile document cannot exhaust
// the stack.
const maxDepth = 200

// Decode reads one resource from FHIR XML.
func Decode(data []byte) (fhir.Resource, error) { return DecodeWith(data, Options{}) }

// Options relax the reader for known defects in published material.
type Options struct {
	// IgnoreText skips text between elements instead of refusing it (one
	// UK Core CodeSystem carries a stray character after an element).
	IgnoreText bool
	// Schema is the FHIR version to read; nil is R4 (package definitions).
	Schema Schema
}

// Schema is what the reader needs of a FHIR version's definitions: R4's
// unless Options names another (GP Connect reads STU3).
type Schema interface {
	IsResourceType(name string) bool
	IsPrimitive(typ string) bool
	// HasType reports whether the version defines the type.
	HasType(typ string) bool
	// Member finds the element that child name of the element at path in
	// type typ stands for.
	Member(typ, path, name string) (Member, bool)
	// HasChildren reports whether the element at path in type typ has
	// child elements of its own.
	HasChildren(typ, path string) bool
}

// Member is an element as a child name selects it.
type Member struct {
	// Path is where its children are defined in the same type: its own
	// path, or for a content reference the path it reuses
	// (Questionnaire.item.item → Questionnaire.item).
	Path string
	// Type is the type the name selects (valueQuantity → Quantity),
	// "BackboneElement" for a backbone element.
	Type  string
	Array bool
}

// r4 is the Schema of the server's R4 definitions.
type r4 struct{}

func (r4) IsResourceType(name string) bool { return definitions.IsResourceType(name) }
func (r4) HasType(typ string) bool         { return definitions.Lookup(typ) != nil }
func (r4) IsPrimitive(typ string) bool {
	t := definitions.Lookup(typ)
	return t != nil && t.Kind == definitions.KindPrimitive
}
func (r4) HasChildren(typ, path string) bool {
	return len(definitions.Lookup(typ).Children(path)) > 0
}
func (r4) Member(typ, path, name string) (Member, bool) {
	e, sel := childElement(definitions.Lookup(typ), path, name)
	if e == nil {
		return Member{}, false
	}
	m := Member{Path: e.Path, Type: sel, Array: e.IsArray()}
	if e.ContentReference != "" {
		m.Path = strings.TrimPrefix(e.ContentReference, "#")
	}
	return m, true
}

// DecodeWith is Decode with options.
func DecodeWith(data []byte, opts Options) (fhir.Resource, error) {
	d := &decoder{src: data, x: xml.NewDecoder(bytes.NewReader(data)), opts: opts, schema: opts.Schema}
	if d.schema == nil {
		d.schema = r4{}
	}
	for {
		tok, err := d.next()
		if err != nil {
			return nil, d.errorf("no root element: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			obj, err := d.resource(se, 0)
			if err != nil {
				return nil, err
			}
			return fhir.Resource(obj), nil
		}
	}
}

type decoder struct {
	src    []byte
	x      *xml.Decoder
	opts   Options
	schema Schema
	// start is the offset of the token last returned by next.
	start int64
}

func (d *decoder) next() (xml.Token, error) {
	d.start = d.x.InputOffset()
	tok, err := d.x.Token()
	if err != nil {
		return nil, err
	}
	return tok, nil
}

func (d *decoder) errorf(format string, args ...any) error {
	line, _ := d.x.InputPos()
	return fmt.Errorf("fhirxml: line %d: %s", line, fmt.Sprintf(format, args...))
}

// resource reads a resource whose root element is se.
func (d *decoder) resource(se xml.StartElement, depth int) (map[string]any, error) {
	typ := se.Name.Local
	if se.Name.Space != NS {
		return nil, d.errorf("element <%s> is not in the FHIR namespace %s", typ, NS)
	}
	if !d.schema.IsResourceType(typ) {
		return nil, d.errorf("unknown resource type %q", typ)
	}
	obj := map[string]any{"resourceType": typ}
	if err := d.children(obj, typ, typ, depth+1); err != nil {
		return nil, err
	}
	return obj, nil
}

// children reads the child elements of the element at path in type t into
// obj, up to the element's end tag.
func (d *decoder) children(obj map[string]any, t, path string, depth int) error {
	if depth > maxDepth {
		return d.errorf("elements nested deeper than %d", maxDepth)
	}
	for {
		tok, err := d.next()
		if err != nil {
			return d.errorf("%v", err)
		}
		switch tok := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.CharData:
			if len(bytes.TrimSpace(tok)) > 0 && !d.opts.IgnoreText {
				return d.errorf("text %q in %s: FHIR XML carries values in value attributes", abbreviate(string(tok)), path)
			}
		case xml.StartElement:
			if err := d.member(obj, tok, t, path, depth); err != nil {
				return err
			}
		}
	}
}

// member reads one child element se of the element at path into obj.
func (d *decoder) member(obj map[string]any, se xml.StartElement, t, path string, depth int) error {
	name := se.Name.Local
	e, ok := d.schema.Member(t, path, name)
	if !ok {
		return d.errorf("unknown element <%s> in %s", name, path)
	}
	typ := e.Type
	if want := map[bool]string{true: xhtmlNS, false: NS}[typ == "xhtml"]; se.Name.Space != want {
		return d.errorf("element <%s> in %s is not in the namespace %s", name, path, want)
	}
	var val any
	var ext map[string]any
	switch {
	case typ == "xhtml":
		s, err := d.xhtml()
		if err != nil {
			return err
		}
		val = s
	case typ == "Resource":
		r, err := d.containedResource(name, depth)
		if err != nil {
			return err
		}
		val = r
	case d.schema.IsPrimitive(typ):
		v, x, err := d.primitive(se, typ, name, depth)
		if err != nil {
			return err
		}
		val, ext = v, x
	default:
		m := map[string]any{}
		for _, a := range se.Attr {
			switch a.Name.Local {
			case "id":
				m["id"] = a.Value
			case "url":
				if typ == "Extension" {
					m["url"] = a.Value
					continue
				}
				fallthrough
			default:
				if a.Name.Space != "xmlns" && a.Name.Local != "xmlns" {
					return d.errorf("unexpected attribute %s on <%s>", a.Name.Local, name)
				}
			}
		}
		var err error
		if typ == "BackboneElement" || typ == "Element" && d.schema.HasChildren(t, e.Path) {
			err = d.children(m, t, e.Path, depth+1)
		} else {
			if !d.schema.HasType(typ) {
				return d.errorf("%s has unknown type %s", e.Path, typ)
			}
			err = d.children(m, typ, typ, depth+1)
		}
		if err != nil {
			return err
		}
		val = m
	}
	put(obj, name, e.Array, val, ext)
	return nil
}

// put stores a value (and a primitive's id/extensions under _name),
// keeping a repeating primitive's two arrays aligned with nulls.
func put(obj map[string]any, name string, array bool, val any, ext map[string]any) {
	if !array {
		if val != nil {
			obj[name] = val
		}
		if ext != nil {
			obj["_"+name] = ext
		}
		return
	}
	list, _ := obj[name].([]any)
	exts, _ := obj["_"+name].([]any)
	n := max(len(list), len(exts))
	list = append(pad(list, n), val)
	if ext != nil || exts != nil {
		exts = append(pad(exts, n), nil)
		exts[n] = nilIfEmpty(ext)
		obj["_"+name] = exts
	}
	obj[name] = list
	// A repeating primitive that has only extensions is all nulls: drop it.
	if allNil(list) {
		delete(obj, name)
	}
}

func nilIfEmpty(m map[string]any) any {
	if m == nil {
		return nil
	}
	return m
}

func pad(list []any, n int) []any {
	for len(list) < n {
		list = append(list, nil)
	}
	return list
}

func allNil(list []any) bool {
	for _, v := range list {
		if v != nil {
			return false
		}
	}
	return true
}

// primitive reads a primitive element: its value attribute in the JSON
// form of its type, and its id and extensions for _name.
func (d *decoder) primitive(se xml.StartElement, typ, name string, depth int) (any, map[string]any, error) {
	var val any
	var ext map[string]any
	for _, a := range se.Attr {
		switch a.Name.Local {
		case "value":
			v, err := primitiveJSON(typ, a.Value)
			if err != nil {
				return nil, nil, d.errorf("<%s value=%q>: %v", name, abbreviate(a.Value), err)
			}
			val = v
		case "id":
			ext = map[string]any{"id": a.Value}
		default:
			if a.Name.Space != "xmlns" && a.Name.Local != "xmlns" {
				return nil, nil, d.errorf("unexpected attribute %s on <%s>", a.Name.Local, name)
			}
		}
	}
	// The only children a primitive may have are extensions.
	inner := map[string]any{}
	if err := d.children(inner, "Element", "Element", depth+1); err != nil {
		return nil, nil, err
	}
	if x, ok := inner["extension"]; ok {
		if ext == nil {
			ext = map[string]any{}
		}
		ext["extension"] = x
	}
	if val == nil && ext == nil {
		return nil, nil, d.errorf("<%s> has neither a value nor extensions", name)
	}
	return val, ext, nil
}

// primitiveJSON converts a value attribute to the JSON form of its type.
func primitiveJSON(typ, s string) (any, error) {
	switch typ {
	case "boolean":
		switch s {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, errors.New("not a boolean")
	case "decimal", "integer", "positiveInt", "unsignedInt":
		if !json.Valid([]byte(s)) || strings.ContainsAny(s, "\"{}[]tfn ") {
			return nil, fmt.Errorf("not a %s", typ)
		}
		return json.Number(s), nil
	}
	return s, nil
}

// xhtml returns the narrative div as written in the source, from its
// start tag to its end tag, after checking it is well-formed XHTML.
func (d *decoder) xhtml() (string, error) {
	start := d.start
	depth := 1
	for depth > 0 {
		tok, err := d.x.Token()
		if err != nil {
			return "", d.errorf("narrative: %v", err)
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
	}
	return string(d.src[start:d.x.InputOffset()]), nil
}

// containedResource reads the one resource inside a container element
// (contained, Bundle.entry.resource, Parameters.parameter.resource).
func (d *decoder) containedResource(name string, depth int) (map[string]any, error) {
	var res map[string]any
	for {
		tok, err := d.next()
		if err != nil {
			return nil, d.errorf("%v", err)
		}
		switch tok := tok.(type) {
		case xml.EndElement:
			if res == nil {
				return nil, d.errorf("<%s> holds no resource", name)
			}
			return res, nil
		case xml.CharData:
			if len(bytes.TrimSpace(tok)) > 0 {
				return nil, d.errorf("text in <%s>", name)
			}
		case xml.StartElement:
			if res != nil {
				return nil, d.errorf("<%s> holds more than one resource", name)
			}
			r, err := d.resource(tok, depth)
			if err != nil {
				return nil, err
			}
			res = r
		}
	}
}

// childElement finds the definition of child name of the element at path,
// and the type the name selects (valueQuantity → Quantity).
func childElement(t *definitions.Type, path, name string) (*definitions.Element, string) {
	for _, e := range t.Children(path) {
		if !e.Choice {
			if e.Name == name {
				return e, typeOf(e)
			}
			continue
		}
		suffix, ok := strings.CutPrefix(name, e.Name)
		if !ok || suffix == "" {
			continue
		}
		for _, tr := range e.Types {
			if strings.EqualFold(tr.Code[:1], suffix[:1]) && tr.Code[1:] == suffix[1:] {
				return e, tr.Code
			}
		}
	}
	return nil, ""
}

func typeOf(e *definitions.Element) string {
	if len(e.Types) == 0 {
		return "BackboneElement"
	}
	return e.Types[0].Code
}

func abbreviate(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}

// DecodeReader is Decode for a stream.
func DecodeReader(r io.Reader) (fhir.Resource, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return Decode(data)
}
