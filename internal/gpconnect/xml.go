package gpconnect

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"sort"
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir/fhirxml"
	"github.com/gpcloud/gpcloud/internal/fhir/stu3"
)

// STU3 XML. GP Connect providers answer in XML when asked. The writer
// walks each resource with the STU3 definitions (package stu3, generated
// from the STU3 base StructureDefinitions): they give every element's type
// and the order XML needs, STU3's own elements (assertedDate, notGiven,
// context, ...) included; an element they do not know goes last (the
// validator in the tests refuses such a body anyway). FHIR XML: primitives
// as <name value="..."/>, repeats as repeated elements, resources inside
// Bundle.entry.resource and contained wrapped in their type's element, an
// extension's url and an element's id as attributes.

// stu3Schema gives package fhirxml the STU3 definitions, to read what GP
// Connect consumers send in XML (and, in the tests, what the provider
// writes) as STU3.
type stu3Schema struct{}

func (stu3Schema) IsResourceType(name string) bool {
	t := stu3.Lookup(name)
	return t != nil && t.Kind == stu3.KindResource && !t.Abstract
}

func (stu3Schema) IsPrimitive(typ string) bool {
	t := stu3.Lookup(typ)
	return t != nil && t.Kind == stu3.KindPrimitive
}

func (stu3Schema) HasType(typ string) bool { return stu3.Lookup(typ) != nil }

func (stu3Schema) HasChildren(typ, path string) bool {
	return len(stu3.Lookup(typ).Children(path)) > 0
}

func (stu3Schema) Member(typ, path, name string) (fhirxml.Member, bool) {
	e, sel := stu3.Lookup(typ).Child(path, name)
	if e == nil {
		return fhirxml.Member{}, false
	}
	m := fhirxml.Member{Path: e.Path, Type: sel, Array: e.IsArray()}
	if e.ContentReference != "" {
		m.Path = strings.TrimPrefix(e.ContentReference, "#")
	}
	return m, true
}

// encodeXML writes a resource (as JSON) as FHIR XML.
func encodeXML(jsonBody []byte) ([]byte, error) {
	d := json.NewDecoder(bytes.NewReader(jsonBody))
	d.UseNumber()
	var res map[string]any
	if err := d.Decode(&res); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	if err := writeResourceXML(&b, res, true); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func writeResourceXML(b *bytes.Buffer, res map[string]any, root bool) error {
	typ, _ := res["resourceType"].(string)
	if typ == "" {
		return fmt.Errorf("a resource without resourceType")
	}
	b.WriteString("<" + typ)
	if root {
		b.WriteString(` xmlns="http://hl7.org/fhir"`)
	}
	b.WriteString(">")
	t := stu3.Lookup(typ)
	if err := writeChildren(b, t, typ, res, true); err != nil {
		return err
	}
	b.WriteString("</" + typ + ">")
	return nil
}

// writeChildren writes obj's members in the order of the element at path
// of type t (nil: an element neither definition knows; its members go in
// name order).
func writeChildren(b *bytes.Buffer, t *stu3.Type, path string, obj map[string]any, isResource bool) error {
	children := t.Children(path)
	pos := func(name string) int {
		e, _ := t.Child(path, name)
		for i, c := range children {
			if c == e {
				return i
			}
		}
		if name == "extension" {
			return -1
		}
		return len(children) + 1
	}
	var keys []string
	for k := range obj {
		if k == "resourceType" || strings.HasPrefix(k, "_") {
			continue
		}
		if !isResource && k == "id" {
			continue // an attribute, written by the caller
		}
		if k == "url" && t != nil && t.Name == "Extension" && path == "Extension" {
			continue // an attribute
		}
		keys = append(keys, k)
	}
	sort.SliceStable(keys, func(i, j int) bool {
		pi, pj := pos(keys[i]), pos(keys[j])
		if pi != pj {
			return pi < pj
		}
		return keys[i] < keys[j]
	})
	for _, k := range keys {
		elem, typ := t.Child(path, k)
		vals, isList := obj[k].([]any)
		if !isList {
			vals = []any{obj[k]}
		}
		for _, v := range vals {
			if err := writeValue(b, t, path, k, elem, typ, v); err != nil {
				return err
			}
		}
	}
	return nil
}

func writeValue(b *bytes.Buffer, t *stu3.Type, path, name string, elem *stu3.Element, typ string, v any) error {
	switch val := v.(type) {
	case map[string]any:
		if _, ok := val["resourceType"]; ok {
			b.WriteString("<" + name + ">")
			if err := writeResourceXML(b, val, false); err != nil {
				return err
			}
			b.WriteString("</" + name + ">")
			return nil
		}
		b.WriteString("<" + name)
		if id, ok := val["id"].(string); ok {
			b.WriteString(` id="` + attr(id) + `"`)
		}
		// The type whose children these are.
		ct, cpath := (*stu3.Type)(nil), ""
		switch {
		case name == "extension" || name == "modifierExtension" || typ == "Extension":
			ct, cpath = stu3.Lookup("Extension"), "Extension"
			if u, ok := val["url"].(string); ok {
				b.WriteString(` url="` + attr(u) + `"`)
			}
		case elem != nil && (typ == "BackboneElement" || typ == "Element"):
			ct, cpath = t, path+"."+elem.Name
			if elem.ContentReference != "" {
				cpath = strings.TrimPrefix(elem.ContentReference, "#")
			}
		case typ != "":
			ct, cpath = stu3.Lookup(typ), typ
		}
		b.WriteString(">")
		if err := writeChildren(b, ct, cpath, val, false); err != nil {
			return err
		}
		b.WriteString("</" + name + ">")
	case nil:
	default:
		s := primitiveText(val)
		if name == "div" {
			b.WriteString(s) // XHTML narrative, as written
			return nil
		}
		b.WriteString("<" + name + ` value="` + attr(s) + `"/>`)
	}
	return nil
}

func primitiveText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "true"
		}
		return "false"
	}
	return fmt.Sprint(v)
}

func attr(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return strings.ReplaceAll(b.String(), `"`, "&quot;")
}
