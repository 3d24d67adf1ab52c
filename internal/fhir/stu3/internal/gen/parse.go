package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// node is a FHIR resource read without definitions, the same from JSON
// and XML: every member is a list, each item a string (a primitive's
// value) or a node. The generator reads only StructureDefinitions,
// ValueSets and CodeSystems, whose shapes it knows, so it needs no
// definitions to read them (and the R4 ones would refuse STU3 elements).
type node map[string][]any

func (n node) str(k string) string {
	if v, ok := n[k]; ok && len(v) > 0 {
		s, _ := v[0].(string)
		return s
	}
	return ""
}

func (n node) nodes(k string) []node {
	var out []node
	for _, v := range n[k] {
		if c, ok := v.(node); ok {
			out = append(out, c)
		}
	}
	return out
}

func (n node) first(k string) node {
	if l := n.nodes(k); len(l) > 0 {
		return l[0]
	}
	return node{}
}

// fromJSON converts decoded JSON (UseNumber) to a node tree.
func fromJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		n := node{}
		for k, val := range x {
			if strings.HasPrefix(k, "_") {
				continue
			}
			if l, ok := val.([]any); ok {
				for _, item := range l {
					n[k] = append(n[k], fromJSON(item))
				}
			} else {
				n[k] = []any{fromJSON(val)}
			}
		}
		return n
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}

// fromXML reads a FHIR XML resource as a node tree: an element's value
// attribute is its value, other attributes (id, url) are members.
func fromXML(data []byte) (node, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, fmt.Errorf("no root element: %w", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			v, err := xmlElement(d, se)
			if err != nil {
				return nil, err
			}
			n, ok := v.(node)
			if !ok {
				return nil, fmt.Errorf("root element %s has a value", se.Name.Local)
			}
			n["resourceType"] = []any{se.Name.Local}
			return n, nil
		}
	}
}

func xmlElement(d *xml.Decoder, se xml.StartElement) (any, error) {
	n := node{}
	value, hasValue := "", false
	for _, a := range se.Attr {
		if a.Name.Space != "" && a.Name.Space != "http://hl7.org/fhir" {
			continue
		}
		if a.Name.Local == "value" {
			value, hasValue = a.Value, true
			continue
		}
		n[a.Name.Local] = []any{a.Value}
	}
	if se.Name.Local == "div" { // narrative XHTML: not needed
		return "", d.Skip()
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil, fmt.Errorf("unterminated element %s", se.Name.Local)
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			v, err := xmlElement(d, t)
			if err != nil {
				return nil, err
			}
			n[t.Name.Local] = append(n[t.Name.Local], v)
		case xml.EndElement:
			if hasValue {
				return value, nil // a primitive's extensions are not needed
			}
			return n, nil
		}
	}
}

// sd is one StructureDefinition's snapshot.
type sd struct {
	URL, Name, Type, Kind, Base string
	Abstract                    bool
	Derivation                  string
	Elems                       []elem
}

type elem struct {
	ID, Path, SliceName string
	Min, Max            int // Max -1 for *
	Types               []tref
	ContentRef          string
	Fixed               string // a fixed primitive value
	BindStrength        string
	BindVS              string
	Regex               string // a primitive's value element
	// Discriminator is the one path a slicing is discriminated by
	// ("system"), "" when none or several.
	Discriminator string
}

type tref struct {
	Code    string
	Profile string
	Target  string // targetProfile
}

func parseMax(s string) int {
	if s == "*" || s == "" {
		return -1
	}
	n, _ := strconv.Atoi(s)
	return n
}

func canonical(u string) string {
	u, _, _ = strings.Cut(u, "|")
	return u
}

// parseSD reads a StructureDefinition node's snapshot.
func parseSD(n node) sd {
	s := sd{URL: n.str("url"), Name: n.str("name"), Type: n.str("type"), Kind: n.str("kind"),
		Base: n.str("baseDefinition"), Abstract: n.str("abstract") == "true", Derivation: n.str("derivation")}
	for _, e := range n.first("snapshot").nodes("element") {
		min, _ := strconv.Atoi(e.str("min"))
		el := elem{ID: e.str("id"), Path: e.str("path"), SliceName: e.str("sliceName"), Min: min, Max: parseMax(e.str("max")),
			ContentRef: e.str("contentReference")}
		if el.ID == "" {
			el.ID = el.Path
		}
		for _, t := range e.nodes("type") {
			tr := tref{Code: t.str("code"), Profile: canonical(t.str("profile")), Target: canonical(t.str("targetProfile"))}
			for _, x := range t.nodes("extension") {
				if x.str("url") == "http://hl7.org/fhir/StructureDefinition/structuredefinition-regex" {
					el.Regex = x.str("valueString")
				}
			}
			el.Types = append(el.Types, tr)
		}
		for k := range e {
			if strings.HasPrefix(k, "fixed") {
				el.Fixed = e.str(k)
			}
		}
		if ds := e.first("slicing").nodes("discriminator"); len(ds) == 1 {
			el.Discriminator = ds[0].str("path")
		}
		if b := e.first("binding"); len(b) > 0 {
			el.BindStrength = b.str("strength")
			el.BindVS = canonical(b.str("valueSetUri"))
			if r := b.first("valueSetReference"); r.str("reference") != "" {
				el.BindVS = canonical(r.str("reference"))
			}
		}
		s.Elems = append(s.Elems, el)
	}
	return s
}

// bundleResources returns the resources of a JSON Bundle file.
func bundleResources(data []byte) ([]node, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	b, _ := fromJSON(v).(node)
	var out []node
	for _, e := range b.nodes("entry") {
		out = append(out, e.first("resource"))
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
