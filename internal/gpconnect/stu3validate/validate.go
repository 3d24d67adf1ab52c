// Package stu3validate checks a FHIR STU3 resource in JSON against the
// generated STU3 definitions and GP Connect profiles of package stu3:
// unknown elements, cardinality, arrays where the definition repeats and
// single values where it does not, primitive types (JSON kind and the
// STU3 regular expressions), choice elements, reference targets, required
// bindings whose codes the tables hold, and, for each profile the resource
// names in meta.profile, the profile's constraints and the extensions it
// names (each checked against its definition).
//
// The GP Connect provider's tests run every body it sends through it, so
// a mapper that writes an R4 element, a code STU3 does not have or an
// extension in the wrong place fails a test rather than a consumer.
package stu3validate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/gpcloud/gpcloud/internal/fhir/stu3"
)

// Issue is one problem, at a path into the instance
// ("Bundle.entry[2].resource.code.coding[0].system").
type Issue struct {
	Path    string
	Message string
}

func (i Issue) String() string { return i.Path + ": " + i.Message }

// JSON validates a resource given as JSON text.
func JSON(body []byte) ([]Issue, error) {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	res, ok := v.(map[string]any)
	if !ok {
		return []Issue{{Path: "", Message: "not a JSON object"}}, nil
	}
	return Resource(res), nil
}

// Resource validates a decoded resource (numbers as json.Number or
// float64).
func Resource(res map[string]any) []Issue {
	v := &validator{}
	v.resource("", res)
	sort.SliceStable(v.issues, func(i, j int) bool { return v.issues[i].Path < v.issues[j].Path })
	return v.issues
}

type validator struct {
	issues []Issue
}

func (v *validator) add(path, format string, args ...any) {
	v.issues = append(v.issues, Issue{Path: path, Message: fmt.Sprintf(format, args...)})
}

// resource checks a resource at loc, with the profiles it claims.
func (v *validator) resource(loc string, res map[string]any) {
	typ, _ := res["resourceType"].(string)
	if loc == "" {
		loc = typ
	} else {
		loc += "(" + typ + ")" // Bundle.entry[2].resource(Patient)
	}
	t := stu3.Lookup(typ)
	if t == nil || t.Kind != stu3.KindResource {
		v.add(loc, "resourceType %q is not an STU3 resource", typ)
		return
	}
	var profiles []*stu3.Profile
	if meta, ok := res["meta"].(map[string]any); ok {
		list, _ := meta["profile"].([]any)
		for _, p := range list {
			u, _ := p.(string)
			if pr := stu3.ProfileByURL(u); pr != nil {
				if pr.Type != typ {
					v.add(loc+".meta.profile", "profile %s is for %s, not %s", u, pr.Type, typ)
					continue
				}
				profiles = append(profiles, pr)
			}
			// A profile the tables do not hold (GPConnect-CapabilityStatement-1
			// is not published in gpconnect-fhir): the base type is checked.
		}
	}
	v.object(t, typ, typ, loc, res, profiles, true)
}

// object checks the members of obj, an instance of the element at path
// of type t. ppath is the element's path from the profiled resource
// (profile constraints and slots are keyed by it).
func (v *validator) object(t *stu3.Type, path, ppath, loc string, obj map[string]any, profiles []*stu3.Profile, isResource bool) {
	children := t.Children(path)
	seen := map[*stu3.Element]string{}
	for _, k := range sortedKeys(obj) {
		val := obj[k]
		if isResource && k == "resourceType" {
			continue
		}
		name := strings.TrimPrefix(k, "_")
		e, typ := t.Child(path, name)
		if e == nil {
			if k == "fhir_comments" {
				continue
			}
			v.add(loc+"."+k, "unknown element")
			continue
		}
		if strings.HasPrefix(k, "_") {
			v.primitiveElement(e, typ, ppath+"."+e.Name+choiceMark(e), loc+"."+k, val)
			continue
		}
		if e.Choice {
			if other, dup := seen[e]; dup {
				v.add(loc+"."+k, "%s[x] given twice (also as %s)", e.Name, other)
			}
			seen[e] = k
		} else {
			seen[e] = k
		}
		v.element(t, e, typ, ppath+"."+e.Name+choiceMark(e), loc+"."+k, val, profiles)
	}
	// Required elements.
	for _, e := range children {
		min := e.Min
		for _, p := range profiles {
			if c := p.Constraints[ppath+"."+e.Name+choiceMark(e)]; c != nil && c.Min > min {
				min = c.Min
			}
		}
		if min > 0 {
			if _, ok := seen[e]; !ok {
				v.add(loc+"."+e.Name+choiceMark(e), "required (min %d) but absent", min)
			}
		}
	}
	v.extensions(ppath, loc, obj, profiles)
}

// primitiveElement checks the _name sibling of a primitive: its id and
// extensions, one object (or null, in a repeat) per value.
func (v *validator) primitiveElement(e *stu3.Element, typ, ppath, loc string, val any) {
	if p := stu3.Lookup(typ); p == nil || p.Kind != stu3.KindPrimitive {
		v.add(loc, "%s is not a primitive", e.Name)
		return
	}
	list, isList := val.([]any)
	if e.IsArray() != isList {
		v.add(loc, "must be an array exactly when %s repeats", e.Name)
		return
	}
	if !isList {
		list = []any{val}
	}
	element := stu3.Lookup("Element")
	for i, item := range list {
		if item == nil && isList {
			continue
		}
		iloc := loc
		if isList {
			iloc = loc + "[" + strconv.Itoa(i) + "]"
		}
		obj, ok := item.(map[string]any)
		if !ok {
			v.add(iloc, "must be an object")
			continue
		}
		v.object(element, "Element", ppath, iloc, obj, nil, false)
	}
}

func choiceMark(e *stu3.Element) string {
	if e.Choice {
		return "[x]"
	}
	return ""
}

// element checks the value(s) of one element.
func (v *validator) element(t *stu3.Type, e *stu3.Element, typ, ppath, loc string, val any, profiles []*stu3.Profile) {
	list, isList := val.([]any)
	if e.IsArray() && !isList {
		v.add(loc, "repeats: must be an array")
		list = []any{val}
	} else if !e.IsArray() && isList {
		v.add(loc, "does not repeat: must not be an array")
	} else if !isList {
		list = []any{val}
	}
	if isList && len(list) == 0 {
		v.add(loc, "an empty array")
	}
	max := e.Max
	var constraints []*stu3.Constraint
	for _, p := range profiles {
		if c := p.Constraints[ppath]; c != nil {
			constraints = append(constraints, c)
			if c.Max >= 0 && (max < 0 || c.Max < max) {
				max = c.Max
			}
		}
	}
	if max >= 0 && len(list) > max {
		if max == 0 {
			v.add(loc, "not allowed by the profile")
		} else {
			v.add(loc, "%d values, at most %d allowed", len(list), max)
		}
	}
	for _, c := range constraints {
		if len(c.Types) > 0 && !typeAllowed(c.Types, typ) {
			v.add(loc, "type %s not allowed by the profile (%s)", typ, typesText(c.Types))
		}
	}
	for i, item := range list {
		iloc := loc
		if isList {
			iloc = loc + "[" + strconv.Itoa(i) + "]"
		}
		v.value(t, e, typ, ppath, iloc, item, constraints, profiles)
	}
	for _, p := range profiles {
		for _, sl := range p.Slices[ppath] {
			v.slice(sl, loc, list, isList)
		}
	}
}

// slice checks the items of a sliced element that belong to the slice
// (their discriminating child has the slice's value): how many, and what
// the slice requires of their children and extensions.
func (v *validator) slice(sl stu3.Slice, loc string, list []any, isList bool) {
	n := 0
	for i, item := range list {
		obj, _ := item.(map[string]any)
		if got, _ := obj[sl.Discriminator].(string); got != sl.Value {
			continue
		}
		n++
		iloc := loc
		if isList {
			iloc = loc + "[" + strconv.Itoa(i) + "]"
		}
		for _, c := range sl.Children {
			val, present := obj[c.Path]
			count := 0
			if present {
				count = 1
				if l, ok := val.([]any); ok {
					count = len(l)
				}
			}
			switch {
			case count < c.Min:
				v.add(iloc+"."+c.Path, "required (min %d) in the profile's %s slice but absent", c.Min, sl.Name)
			case c.Max >= 0 && count > c.Max:
				v.add(iloc+"."+c.Path, "not allowed (max %d) in the profile's %s slice", c.Max, sl.Name)
			}
			if s, ok := val.(string); ok && c.Fixed != "" && s != c.Fixed {
				v.add(iloc+"."+c.Path, "%q, the %s slice fixes %q", s, sl.Name, c.Fixed)
			}
		}
		exts, _ := obj["extension"].([]any)
		for _, slot := range sl.Extensions {
			k := 0
			for _, x := range exts {
				if xm, _ := x.(map[string]any); xm["url"] == slot.URL {
					k++
				}
			}
			if k < slot.Min {
				v.add(iloc+".extension", "%s required in the profile's %s slice", slot.URL, sl.Name)
			}
			if slot.Max >= 0 && k > slot.Max {
				v.add(iloc+".extension", "%s %d times, the %s slice allows %d", slot.URL, k, sl.Name, slot.Max)
			}
		}
	}
	if n < sl.Min {
		v.add(loc, "the profile's %s slice (%s %s) is required", sl.Name, sl.Discriminator, sl.Value)
	}
	if sl.Max >= 0 && n > sl.Max {
		v.add(loc, "%d items in the profile's %s slice, at most %d", n, sl.Name, sl.Max)
	}
}

func typeAllowed(types []stu3.TypeRef, code string) bool {
	for _, t := range types {
		if t.Code == code {
			return true
		}
	}
	return false
}

func typesText(types []stu3.TypeRef) string {
	var s []string
	for _, t := range types {
		s = append(s, t.Code)
	}
	return strings.Join(s, ", ")
}

// value checks one value of type typ.
func (v *validator) value(t *stu3.Type, e *stu3.Element, typ, ppath, loc string, val any, constraints []*stu3.Constraint, profiles []*stu3.Profile) {
	if val == nil {
		v.add(loc, "null")
		return
	}
	vs := e.ValueSet
	for _, c := range constraints {
		if c.ValueSet != "" {
			vs = c.ValueSet
		}
	}
	switch typ {
	case "Resource":
		res, ok := val.(map[string]any)
		if !ok {
			v.add(loc, "not a resource")
			return
		}
		v.resource(loc, res)
		return
	case "BackboneElement", "Element":
		obj, ok := val.(map[string]any)
		if !ok {
			v.add(loc, "not an object")
			return
		}
		cpath := e.Path
		if e.ContentReference != "" {
			cpath = strings.TrimPrefix(e.ContentReference, "#")
		}
		v.object(t, cpath, ppath, loc, obj, profiles, false)
		return
	}
	dt := stu3.Lookup(typ)
	if dt == nil {
		v.add(loc, "type %s unknown", typ)
		return
	}
	if dt.Kind == stu3.KindPrimitive {
		s, ok := v.primitive(dt, loc, val)
		if !ok {
			return
		}
		for _, c := range constraints {
			if c.Fixed != "" && s != c.Fixed {
				v.add(loc, "%q, the profile fixes %q", s, c.Fixed)
			}
		}
		v.binding(loc, typ, val, vs)
		return
	}
	obj, ok := val.(map[string]any)
	if !ok {
		v.add(loc, "%s must be an object", typ)
		return
	}
	v.object(dt, typ, ppath, loc, obj, profiles, false)
	if typ == "Reference" {
		v.reference(e, loc, obj, constraints)
	}
	v.binding(loc, typ, val, vs)
}

// binding checks a coded value (code, Coding, CodeableConcept) against
// the value set of a required binding ("" when none).
func (v *validator) binding(loc, typ string, val any, vs string) {
	if vs == "" {
		return
	}
	obj, _ := val.(map[string]any)
	switch typ {
	case "code":
		if s, _ := val.(string); !stu3.InValueSet(vs, "", s) {
			v.add(loc, "code %q not in %s", s, vs)
		}
	case "Coding":
		sys, _ := obj["system"].(string)
		code, _ := obj["code"].(string)
		if !stu3.InValueSet(vs, sys, code) {
			v.add(loc, "%s|%s not in %s", sys, code, vs)
		}
	case "CodeableConcept":
		codings, _ := obj["coding"].([]any)
		found := false
		var given []string
		for _, c := range codings {
			cm, _ := c.(map[string]any)
			sys, _ := cm["system"].(string)
			code, _ := cm["code"].(string)
			found = found || stu3.InValueSet(vs, sys, code)
			given = append(given, sys+"|"+code)
		}
		if !found {
			v.add(loc, "no coding from %s (a required binding): %s", vs, strings.Join(given, ", "))
		}
	}
}

// reference checks a literal reference's type against the targets.
func (v *validator) reference(e *stu3.Element, loc string, obj map[string]any, constraints []*stu3.Constraint) {
	ref, _ := obj["reference"].(string)
	if ref == "" || strings.HasPrefix(ref, "#") || strings.HasPrefix(ref, "urn:") {
		return
	}
	parts := strings.Split(ref, "/")
	typ := ""
	for i := len(parts) - 2; i >= 0; i-- {
		if p := stu3.Lookup(parts[i]); p != nil && p.Kind == stu3.KindResource {
			typ = parts[i]
			break
		}
	}
	if typ == "" {
		v.add(loc+".reference", "%q names no STU3 resource type", ref)
		return
	}
	check := func(types []stu3.TypeRef, who string) {
		for _, tr := range types {
			if tr.Code != "Reference" {
				continue
			}
			for _, target := range tr.Targets {
				if target == typ || target == "Resource" {
					return
				}
			}
			v.add(loc+".reference", "a %s: %s allows %s", typ, who, strings.Join(tr.Targets, ", "))
			return
		}
	}
	check(e.Types, "STU3")
	for _, c := range constraints {
		check(c.Types, "the profile")
	}
}

var (
	regexMu sync.Mutex
	regexes = map[string]*regexp.Regexp{}
)

func regexFor(t *stu3.Type) *regexp.Regexp {
	regexMu.Lock()
	defer regexMu.Unlock()
	if r, ok := regexes[t.Name]; ok {
		return r
	}
	var r *regexp.Regexp
	if t.Regex != "" {
		r = regexp.MustCompile("^(?:" + t.Regex + ")$")
	}
	regexes[t.Name] = r
	return r
}

// primitive checks a primitive value's JSON kind and lexical form, and
// returns its text.
func (v *validator) primitive(t *stu3.Type, loc string, val any) (string, bool) {
	var s string
	switch t.Name {
	case "boolean":
		b, ok := val.(bool)
		if !ok {
			v.add(loc, "boolean must be true or false")
			return "", false
		}
		s = strconv.FormatBool(b)
	case "integer", "positiveInt", "unsignedInt", "decimal":
		switch n := val.(type) {
		case json.Number:
			s = n.String()
		case float64:
			s = strconv.FormatFloat(n, 'f', -1, 64)
		default:
			v.add(loc, "%s must be a JSON number", t.Name)
			return "", false
		}
	default:
		str, ok := val.(string)
		if !ok {
			v.add(loc, "%s must be a JSON string", t.Name)
			return "", false
		}
		if strings.TrimSpace(str) == "" {
			v.add(loc, "an empty or blank %s", t.Name)
			return str, false
		}
		s = str
	}
	if r := regexFor(t); r != nil && !r.MatchString(s) {
		v.add(loc, "%q is not a valid %s", s, t.Name)
		return s, false
	}
	return s, true
}

// extensions checks obj's extensions: those a profile names at ppath
// (cardinality) and each known one against its definition.
func (v *validator) extensions(ppath, loc string, obj map[string]any, profiles []*stu3.Profile) {
	list, _ := obj["extension"].([]any)
	counts := map[string]int{}
	for i, x := range list {
		xm, ok := x.(map[string]any)
		if !ok {
			continue
		}
		url, _ := xm["url"].(string)
		counts[url]++
		v.extension(loc+".extension["+strconv.Itoa(i)+"]", url, xm)
	}
	for _, p := range profiles {
		slots := p.Extensions[ppath]
		for _, s := range slots {
			n := counts[s.URL]
			if n < s.Min {
				v.add(loc+".extension", "%s required by the profile", s.URL)
			}
			if s.Max >= 0 && n > s.Max {
				v.add(loc+".extension", "%s %d times, the profile allows %d", s.URL, n, s.Max)
			}
		}
		if len(slots) == 0 {
			continue
		}
		for url := range counts {
			named := false
			for _, s := range slots {
				named = named || s.URL == url
			}
			// Profiles slice extensions open, but an extension the
			// profile does not name where it names others is, in what
			// gpcloud sends, a wrong URL or a misplaced extension.
			if !named {
				v.add(loc+".extension", "%s is not one the profile names here", url)
			}
		}
	}
}

// extension checks an extension against its definition, when known.
func (v *validator) extension(loc, url string, x map[string]any) {
	def := stu3.ExtensionByURL(url)
	if def == nil {
		return
	}
	v.extensionValue(loc, x, def.Value, def.ValueMin, def.ValueMax, def.ValueSet)
	subs, _ := x["extension"].([]any)
	if len(def.Children) == 0 {
		return
	}
	counts := map[string]int{}
	for i, s := range subs {
		sm, _ := s.(map[string]any)
		su, _ := sm["url"].(string)
		counts[su]++
		sloc := loc + ".extension[" + strconv.Itoa(i) + "]"
		var child *stu3.Child
		for j := range def.Children {
			if def.Children[j].URL == su {
				child = &def.Children[j]
			}
		}
		if child == nil {
			v.add(sloc, "%q is not a part of %s", su, url)
			continue
		}
		if strings.Contains(su, "/") {
			v.extension(sloc, su, sm)
		} else {
			v.extensionValue(sloc, sm, child.Value, 1, 1, child.ValueSet)
		}
	}
	for _, c := range def.Children {
		n := counts[c.URL]
		if n < c.Min {
			v.add(loc, "part %s required", c.URL)
		}
		if c.Max >= 0 && n > c.Max {
			if c.Max == 0 {
				v.add(loc, "part %s not allowed", c.URL)
			} else {
				v.add(loc, "part %s %d times, at most %d", c.URL, n, c.Max)
			}
		}
	}
}

// extensionValue checks the value[x] of an extension against the types
// its definition allows (none: no value).
func (v *validator) extensionValue(loc string, x map[string]any, types []stu3.TypeRef, min, max int, vs string) {
	found := ""
	for k := range x {
		if strings.HasPrefix(k, "value") {
			found = k
		}
	}
	if found == "" {
		if min > 0 && len(types) > 0 {
			v.add(loc, "a value (%s) is required", typesText(types))
		}
		return
	}
	if len(types) == 0 || max == 0 {
		v.add(loc+"."+found, "this extension takes no value")
		return
	}
	for _, t := range types {
		if "value"+stu3.ChoiceSuffix(t.Code) == found {
			if t.Code == "Reference" {
				obj, _ := x[found].(map[string]any)
				v.reference(&stu3.Element{Types: types}, loc+"."+found, obj, nil)
			}
			v.binding(loc+"."+found, t.Code, x[found], vs)
			return
		}
	}
	v.add(loc+"."+found, "not a type this extension takes (%s)", typesText(types))
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
