package main

import (
	"fmt"
	"log"
	"sort"
	"strings"
)

// knownDefects are source files that are not well-formed XML; none is a
// profile, so they are left out.
var knownDefects = map[string]bool{
	"ValueSets/ValueSet-CareConnect-ObservationInterpretation-1.xml": true, // a "<" inside an attribute
}

// valueSetCorrections are codes the published value sets miss through a
// defect of the source, added so that neither what gpcloud sends nor what
// a consumer sends in the specification's own form is refused.
var valueSetCorrections = map[string][]string{
	// The value set names the code system under fhir.nhs.uk; Care
	// Connect's code system, and GP Connect's examples, are under
	// fhir.hl7.org.uk.
	"https://fhir.nhs.uk/STU3/ValueSet/CareConnect-NHSNumberVerificationStatus-1": {
		"https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-NHSNumberVerificationStatus-1|01",
		"https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-NHSNumberVerificationStatus-1|02",
		"https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-NHSNumberVerificationStatus-1|03",
		"https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-NHSNumberVerificationStatus-1|04",
		"https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-NHSNumberVerificationStatus-1|05",
		"https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-NHSNumberVerificationStatus-1|06",
		"https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-NHSNumberVerificationStatus-1|07",
		"https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-NHSNumberVerificationStatus-1|08",
	},
	// The code system spells ACCESS_DENIED with a space; the
	// specification's error table (and every provider) has the underscore.
	"https://fhir.nhs.uk/STU3/ValueSet/Spine-ErrorOrWarningCode-1": {
		"https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1|ACCESS_DENIED",
	},
}

// generator holds what the tables are made of.
type generator struct {
	types      map[string]*sd // STU3 types by name
	profiles   []*profile     // GP Connect resource profiles
	extensions []*extension   // extension definitions the profiles name
	// value sets and code systems by URL (base package and gpconnect-fhir)
	valueSets   map[string]node
	codeSystems map[string]node
	// usedValueSets: the required bindings' value sets that could be
	// enumerated, with their codes ("system|code").
	usedValueSets map[string][]string
	notEnumerable map[string]bool
}

type profile struct {
	URL, Type   string
	Constraints []constraint
	Slots       []slot
	Slices      []slice
}

// slice is a slice of a repeating element told apart by a fixed value of
// one child (Patient.identifier:nhsNumber: system is the NHS number's),
// with what it requires of its items' direct children and extensions.
type slice struct {
	Path, Name    string
	Discriminator string // the child, "system"
	Value         string // its fixed value
	Min, Max      int
	Children      []constraint // Path: the child's name
	Slots         []slot       // Path: ""
}

// constraint is what a profile changes of one element of its base.
type constraint struct {
	Path     string
	Min, Max int
	Types    string // narrowed types, "" when the base's
	Fixed    string
	ValueSet string
}

// slot is an extension a profile names at a path.
type slot struct {
	Path, URL string
	Min, Max  int
}

type extension struct {
	URL                string
	ValueTypes         string // "" when no value is allowed (complex)
	ValueMin, ValueMax int
	ValueSet           string // the value's required binding, when enumerable
	Children           []child
}

type child struct {
	URL        string // relative name or an extension's URL
	Min, Max   int
	ValueTypes string
	ValueSet   string
}

func load(pkg map[string][]byte, files map[string][]byte) (*generator, error) {
	g := &generator{types: map[string]*sd{}, valueSets: map[string]node{}, codeSystems: map[string]node{},
		usedValueSets: map[string][]string{}, notEnumerable: map[string]bool{}}
	for _, f := range []string{"profiles-types.json", "profiles-resources.json"} {
		res, err := bundleResources(pkg[f])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for _, r := range res {
			if r.str("resourceType") != "StructureDefinition" {
				continue
			}
			s := parseSD(r)
			g.types[s.Name] = &s
		}
	}
	if len(g.types) < 150 {
		return nil, fmt.Errorf("only %d STU3 types in the package", len(g.types))
	}
	vs, err := bundleResources(pkg["valuesets.json"])
	if err != nil {
		return nil, fmt.Errorf("valuesets.json: %w", err)
	}
	v3, err := bundleResources(pkg["v3-codesystems.json"])
	if err != nil {
		return nil, fmt.Errorf("v3-codesystems.json: %w", err)
	}
	for _, r := range append(vs, v3...) {
		g.addTerminology(r)
	}
	coreExt := map[string]node{}
	exts, err := bundleResources(pkg["extension-definitions.json"])
	if err != nil {
		return nil, fmt.Errorf("extension-definitions.json: %w", err)
	}
	for _, r := range exts {
		coreExt[r.str("url")] = r
	}

	var sds []sd
	for _, name := range sortedKeys(files) {
		n, err := fromXML(files[name])
		if err != nil && knownDefects[name] {
			log.Printf("%s: %v (a known defect of the source: left out)", name, err)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		switch n.str("resourceType") {
		case "StructureDefinition":
			sds = append(sds, parseSD(n))
		default:
			g.addTerminology(n)
		}
	}
	extByURL := map[string]sd{}
	for _, s := range sds {
		if s.Type == "Extension" {
			extByURL[s.URL] = s
		}
	}
	for _, s := range sds {
		if s.Type == "Extension" || g.types[s.Type] == nil || len(s.Elems) == 0 {
			continue
		}
		p, err := g.profileOf(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.URL, err)
		}
		g.profiles = append(g.profiles, p)
	}
	// The extensions the profiles name (and those they name in turn),
	// from gpconnect-fhir or, for HL7's, the base package.
	seen := map[string]bool{}
	var queue []string
	for _, p := range g.profiles {
		for _, sl := range p.Slots {
			queue = append(queue, sl.URL)
		}
	}
	for _, s := range sds {
		if s.Type == "Extension" {
			queue = append(queue, s.URL)
		}
	}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		if seen[u] {
			continue
		}
		seen[u] = true
		s, ok := extByURL[u]
		if !ok {
			n, ok := coreExt[u]
			if !ok {
				continue // not published: only its URL is checked
			}
			s = parseSD(n)
		}
		e := g.extensionOf(s)
		for _, c := range e.Children {
			if strings.Contains(c.URL, "/") {
				queue = append(queue, c.URL)
			}
		}
		g.extensions = append(g.extensions, e)
	}
	sort.Slice(g.profiles, func(i, j int) bool { return g.profiles[i].URL < g.profiles[j].URL })
	sort.Slice(g.extensions, func(i, j int) bool { return g.extensions[i].URL < g.extensions[j].URL })
	// Required bindings of the base types.
	for _, t := range g.types {
		for _, e := range t.Elems {
			if e.BindStrength == "required" && e.BindVS != "" {
				g.enumerate(e.BindVS)
			}
		}
	}
	return g, nil
}

func (g *generator) addTerminology(r node) {
	switch r.str("resourceType") {
	case "ValueSet":
		g.valueSets[canonical(r.str("url"))] = r
		// STU3 ValueSets may define their own code system inline.
		if cs := r.first("codeSystem"); cs.str("system") != "" {
			g.codeSystems[cs.str("system")] = cs
		}
	case "CodeSystem":
		g.codeSystems[canonical(r.str("url"))] = r
	}
}

// resolve finds the base element a snapshot path names, walking into data
// types ("AllergyIntolerance.code.coding.system" → Coding.system).
func (g *generator) resolve(path string) *elem {
	segs := strings.Split(path, ".")
	t := g.types[segs[0]]
	if t == nil {
		return nil
	}
	cur := segs[0]
	var found *elem
	for i, seg := range segs[1:] {
		want := cur + "." + seg
		found = nil
		for j := range t.Elems {
			if t.Elems[j].Path == want {
				found = &t.Elems[j]
				break
			}
		}
		if found == nil {
			return nil
		}
		if i == len(segs)-2 {
			break
		}
		switch {
		case found.ContentRef != "":
			cur = strings.TrimPrefix(found.ContentRef, "#")
		case len(found.Types) == 0 || found.Types[0].Code == "BackboneElement" || found.Types[0].Code == "Element" && t.Name != "Element":
			cur = found.Path
		default:
			t = g.types[found.Types[0].Code]
			if t == nil {
				return nil
			}
			cur = t.Name
		}
	}
	return found
}

// typesString renders types as the tables hold them:
// "CodeableConcept Reference(Patient|Group)". Profiles as reference
// targets are given as the type they profile.
func (g *generator) typesString(ts []tref, profileType func(string) string) string {
	var parts []string
	var targets []string
	refAt := -1
	for _, t := range ts {
		if t.Code == "" {
			continue
		}
		if t.Code == "Reference" {
			target := "Resource"
			if t.Target != "" {
				target = profileType(t.Target)
			}
			if refAt >= 0 {
				targets = append(targets, target)
				continue
			}
			refAt = len(parts)
			targets = []string{target}
			parts = append(parts, "Reference")
			continue
		}
		if len(parts) > 0 && parts[len(parts)-1] == t.Code {
			continue
		}
		parts = append(parts, t.Code)
	}
	if refAt >= 0 {
		uniq := targets[:0]
		seen := map[string]bool{}
		for _, t := range targets {
			if !seen[t] {
				seen[t] = true
				uniq = append(uniq, t)
			}
		}
		sort.Strings(uniq)
		parts[refAt] = "Reference(" + strings.Join(uniq, "|") + ")"
	}
	return strings.Join(parts, " ")
}

// profileType maps a profile URL (or a core type's URL) to its type.
func (g *generator) profileType(u string) string {
	if i := strings.LastIndex(u, "/"); i >= 0 && strings.HasPrefix(u, "http://hl7.org/fhir/StructureDefinition/") {
		return u[i+1:]
	}
	for _, p := range g.profiles {
		if p.URL == u {
			return p.Type
		}
	}
	// Profiles of gpconnect-fhir named before they are read: their
	// names say the type.
	name := u[strings.LastIndex(u, "/")+1:]
	for _, t := range sortedKeys(g.types) {
		if strings.Contains(name, "-"+t+"-") {
			return t
		}
	}
	return "Resource"
}

// profileOf derives what a profile changes of its base type.
func (g *generator) profileOf(s sd) (*profile, error) {
	p := &profile{URL: s.URL, Type: s.Type}
	p.Slices = g.slicesOf(s)
	for _, e := range s.Elems {
		if strings.Contains(e.ID, ":") {
			// An extension slice directly under an element: allowed there.
			before, name, _ := cutLast(e.ID, ":")
			if (strings.HasSuffix(before, ".extension") || strings.HasSuffix(before, ".modifierExtension")) && !strings.Contains(name, ".") {
				for _, t := range e.Types {
					if t.Profile != "" {
						parent, _, _ := cutLast(stripSlices(before), ".")
						min := e.Min
						if strings.Contains(before, ":") {
							// Within another slice (Patient.identifier:nhsNumber):
							// required only there, which the tables do not
							// tell apart.
							min = 0
						}
						p.Slots = append(p.Slots, slot{Path: parent, URL: t.Profile, Min: min, Max: e.Max})
					}
				}
			}
			continue // other slices are not checked
		}
		if e.Path == s.Type {
			continue
		}
		base := g.resolve(e.Path)
		if base == nil {
			return nil, fmt.Errorf("element %s not in STU3 %s", e.Path, s.Type)
		}
		c := constraint{Path: e.Path, Min: e.Min, Max: e.Max, Fixed: e.Fixed}
		changed := e.Fixed != "" || e.Min > base.Min || e.Max >= 0 && (base.Max < 0 || e.Max < base.Max)
		bt := g.typesString(base.Types, g.profileType)
		if pt := g.typesString(e.Types, g.profileType); pt != bt && len(e.Types) > 0 {
			c.Types = pt
			changed = true
		}
		if e.BindStrength == "required" && e.BindVS != "" && (base.BindStrength != "required" || base.BindVS != e.BindVS) {
			if g.enumerate(e.BindVS) {
				c.ValueSet = e.BindVS
				changed = true
			}
		}
		if changed {
			p.Constraints = append(p.Constraints, c)
		}
	}
	return p, nil
}

// slicesOf reads the slices of non-extension elements discriminated by
// one child's fixed value; slices within slices are not kept.
func (g *generator) slicesOf(s sd) []slice {
	disc := map[string]string{} // element id → discriminator path
	for _, e := range s.Elems {
		if e.Discriminator != "" {
			disc[e.ID] = e.Discriminator
		}
	}
	var out []slice
	for _, e := range s.Elems {
		if e.SliceName == "" || strings.Count(e.ID, ":") != 1 {
			continue
		}
		base, name, _ := cutLast(e.ID, ":")
		if strings.HasSuffix(base, ".extension") || strings.HasSuffix(base, ".modifierExtension") || strings.Contains(name, ".") || disc[base] == "" {
			continue
		}
		sl := slice{Path: base, Name: name, Discriminator: disc[base], Min: e.Min, Max: e.Max}
		for _, c := range s.Elems {
			child, ok := strings.CutPrefix(c.ID, e.ID+".")
			if !ok || strings.Contains(child, ".") {
				continue
			}
			if ext, ok := strings.CutPrefix(child, "extension:"); ok && !strings.Contains(ext, ":") {
				for _, t := range c.Types {
					if t.Profile != "" {
						sl.Slots = append(sl.Slots, slot{URL: t.Profile, Min: c.Min, Max: c.Max})
					}
				}
				continue
			}
			if strings.Contains(child, ":") {
				continue
			}
			if child == sl.Discriminator {
				sl.Value = c.Fixed
			}
			b := g.resolve(base + "." + child)
			if b == nil {
				continue
			}
			if c.Fixed != "" || c.Min > b.Min || c.Max >= 0 && (b.Max < 0 || c.Max < b.Max) {
				sl.Children = append(sl.Children, constraint{Path: child, Min: c.Min, Max: c.Max, Fixed: c.Fixed})
			}
		}
		if sl.Value != "" {
			out = append(out, sl)
		}
	}
	return out
}

// extensionOf reads an extension definition: its value's types and its
// sub-extensions.
func (g *generator) extensionOf(s sd) *extension {
	e := &extension{URL: s.URL}
	// The value: "value[x]" with every type, narrowed by type slices or
	// renamed elements, which the sources spell in several ways
	// ("value[x]:valuePeriod", "valueCodeableConcept:valueCodeableConcept").
	value := func(prefix string) (string, int, int, string) {
		var all, sliced []tref
		min, max := 0, 1
		vs := ""
		for _, el := range s.Elems {
			seg, ok := strings.CutPrefix(el.ID, prefix)
			if !ok || !strings.HasPrefix(seg, "value") || strings.Contains(seg, ".") {
				continue
			}
			if el.BindStrength == "required" && el.BindVS != "" && g.enumerate(el.BindVS) {
				vs = el.BindVS
			}
			if seg == "value[x]" {
				all, min, max = el.Types, el.Min, el.Max
				continue
			}
			if el.Max != 0 {
				sliced = append(sliced, el.Types...)
				if el.Min > min {
					min = el.Min
				}
			}
		}
		if max == 0 {
			return "", 0, 0, ""
		}
		if len(sliced) > 0 {
			all = sliced
		}
		return g.typesString(all, g.profileType), min, max, vs
	}
	e.ValueTypes, e.ValueMin, e.ValueMax, e.ValueSet = value("Extension.")
	for _, el := range s.Elems {
		name, ok := strings.CutPrefix(el.ID, "Extension.extension:")
		if !ok || strings.Contains(name, ".") {
			continue
		}
		c := child{URL: name, Min: el.Min, Max: el.Max}
		for _, x := range s.Elems {
			if x.ID == el.ID+".url" && x.Fixed != "" {
				c.URL = x.Fixed
			}
		}
		for _, t := range el.Types {
			if t.Profile != "" {
				c.URL = t.Profile
			}
		}
		c.ValueTypes, _, _, c.ValueSet = value(el.ID + ".")
		e.Children = append(e.Children, c)
	}
	return e
}

func cutLast(s, sep string) (string, string, bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// stripSlices turns an element id into its path: "Patient.identifier:nhs.extension" → "Patient.identifier.extension".
func stripSlices(id string) string {
	segs := strings.Split(id, ".")
	for i, s := range segs {
		segs[i], _, _ = strings.Cut(s, ":")
	}
	return strings.Join(segs, ".")
}

// maxCodes is the size above which a value set is not enumerated into
// the tables (SNOMED CT subsets, languages): its binding is not checked.
const maxCodes = 300

// enumerate records the codes of a value set when it can be listed from
// the sources, and reports whether it could.
func (g *generator) enumerate(url string) bool {
	if _, ok := g.usedValueSets[url]; ok {
		return true
	}
	if g.notEnumerable[url] {
		return false
	}
	codes, ok := g.expand(url, 0)
	if !ok || len(codes) == 0 || len(codes) > maxCodes {
		g.notEnumerable[url] = true
		return false
	}
	codes = append(codes, valueSetCorrections[url]...)
	sort.Strings(codes)
	g.usedValueSets[url] = codes
	return true
}

func (g *generator) expand(url string, depth int) ([]string, bool) {
	vs, ok := g.valueSets[url]
	if !ok || depth > 5 {
		return nil, false
	}
	comp := vs.first("compose")
	if len(comp.nodes("exclude")) > 0 {
		return nil, false
	}
	var out []string
	for _, inc := range comp.nodes("include") {
		if len(inc.nodes("filter")) > 0 {
			return nil, false
		}
		for _, sub := range inc["valueSet"] {
			s, _ := sub.(string)
			codes, ok := g.expand(canonical(s), depth+1)
			if !ok {
				return nil, false
			}
			out = append(out, codes...)
		}
		system := inc.str("system")
		if system == "" {
			continue
		}
		if concepts := inc.nodes("concept"); len(concepts) > 0 {
			for _, c := range concepts {
				out = append(out, system+"|"+c.str("code"))
			}
			continue
		}
		cs, ok := g.codeSystems[system]
		if !ok || cs.str("content") != "" && cs.str("content") != "complete" {
			return nil, false
		}
		var walk func(n node)
		walk = func(n node) {
			for _, c := range n.nodes("concept") {
				out = append(out, system+"|"+c.str("code"))
				walk(c)
			}
		}
		walk(cs)
	}
	return out, len(out) > 0
}
