package gpconnect

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"sort"
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
)

// STU3 XML. GP Connect providers answer in XML when asked. The writer
// walks each resource with the definitions the server has (R4): they
// give every element's type and the order XML needs. The elements STU3
// has and R4 does not (AllergyIntolerance.assertedDate,
// Immunization.notGiven, Observation.context, ...) take the place of the
// R4 element that replaced them (stu3Places); an element neither knows
// goes last. FHIR XML: primitives as <name value="..."/>, repeats as
// repeated elements, resources inside Bundle.entry.resource and contained
// wrapped in their type's element, an extension's url and an element's id
// as attributes.

// stu3Places: an STU3-only element → the R4 element at whose place it
// goes (before it, when the R4 one also appears).
var stu3Places = map[string]string{
	"assertedDate":        "recordedDate",
	"notGiven":            "statusReason",
	"date":                "occurrenceDateTime", // Immunization
	"practitioner":        "performer",
	"explanation":         "reasonCode",
	"vaccinationProtocol": "protocolApplied",
	"context":             "encounter",
	"comment":             "note",
	"taken":               "reasonCode",
	"created":             "date",
	"indexed":             "date",
	"acceptUnknown":       "format",
}

// stu3Types: an STU3 resource type R4 renamed → the R4 type whose
// definition gives its element order (ReferralRequest and
// ProcedureRequest became ServiceRequest).
var stu3Types = map[string]string{"ReferralRequest": "ServiceRequest", "ProcedureRequest": "ServiceRequest"}

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
	r4 := typ
	if t, ok := stu3Types[typ]; ok {
		r4 = t
	}
	t := definitions.Lookup(r4)
	if err := writeChildren(b, t, r4, res, true); err != nil {
		return err
	}
	b.WriteString("</" + typ + ">")
	return nil
}

// writeChildren writes obj's members in the order of the element at path
// of type t (nil: an element neither definition knows; its members go in
// name order).
func writeChildren(b *bytes.Buffer, t *definitions.Type, path string, obj map[string]any, isResource bool) error {
	children := t.Children(path)
	pos := func(name string) float64 {
		for i, e := range children {
			if e.Name == name || e.Choice && strings.HasPrefix(name, e.Name) {
				return float64(i)
			}
		}
		if r4, ok := stu3Places[name]; ok {
			for i, e := range children {
				if e.Name == r4 || e.Choice && strings.HasPrefix(r4, e.Name) {
					return float64(i) - 0.5
				}
			}
		}
		if name == "extension" {
			return -1
		}
		return float64(len(children) + 1)
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
		var elem *definitions.Element
		var typ string
		if t != nil {
			elem, typ = childOf(t, path, k)
		}
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

// childOf finds the definition of child name of the element at path.
func childOf(t *definitions.Type, path, name string) (*definitions.Element, string) {
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
			if strings.EqualFold(tr.Code[:1], suffix[:1]) && tr.Code[1:] == suffix[1:] {
				return e, tr.Code
			}
		}
	}
	return nil, ""
}

func writeValue(b *bytes.Buffer, t *definitions.Type, path, name string, elem *definitions.Element, typ string, v any) error {
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
		ct, cpath := (*definitions.Type)(nil), ""
		switch {
		case name == "extension" || name == "modifierExtension" || typ == "Extension":
			ct, cpath = definitions.Lookup("Extension"), "Extension"
			if u, ok := val["url"].(string); ok {
				b.WriteString(` url="` + attr(u) + `"`)
			}
		case elem != nil && (typ == "BackboneElement" || typ == "Element"):
			ct, cpath = t, path+"."+elem.Name
			if elem.ContentReference != "" {
				cpath = strings.TrimPrefix(elem.ContentReference, "#")
			}
		case typ != "":
			ct, cpath = definitions.Lookup(typ), typ
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
