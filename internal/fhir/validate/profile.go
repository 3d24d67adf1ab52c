package validate

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
	"github.com/gpcloud/gpcloud/internal/fhir/ukcore"
)

// A profile is applied as its differential states it, on top of the R4
// validation the resource has already passed: the release publishes no
// snapshots, and a differential only ever narrows its base. Each
// differential is turned once into a tree of element nodes (slices hang
// under the element they slice) and the resource's JSON is walked along it.

// pnode is one element of a differential tree.
type pnode struct {
	name      string // path segment: "coding", "value[x]", "valueQuantity"
	sliceName string // the slice name, for a slice
	// fixed and pattern are the element's fixed[x] and pattern[x] decoded,
	// once, when the tree is built.
	fixed, pattern any
	// disc caches each discriminator path's required value (a slice).
	disc     map[string]discValue
	elem     *ukcore.Element
	children []*pnode
	slices   []*pnode
	slicing  *ukcore.Slicing
}

func (n *pnode) child(name string) *pnode {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	c := &pnode{name: name}
	n.children = append(n.children, c)
	return c
}

func (n *pnode) slice(name string) *pnode {
	for _, s := range n.slices {
		if s.sliceName == name {
			return s
		}
	}
	s := &pnode{name: n.name, sliceName: name}
	s.elem = &ukcore.Element{Min: -1, SliceName: name}
	n.slices = append(n.slices, s)
	return s
}

var trees sync.Map // profile URL → *pnode

// treeOf builds the differential tree of a profile, once.
func treeOf(p *ukcore.Profile) *pnode {
	if t, ok := trees.Load(p.URL); ok {
		return t.(*pnode)
	}
	root := &pnode{name: p.Type}
	for i := range p.Elements {
		e := &p.Elements[i]
		segs := splitID(e.ID)
		n := root
		for j, seg := range segs[1:] {
			name, slice, _ := strings.Cut(seg, ":")
			n = n.child(name)
			if slice != "" {
				n = n.slice(slice)
			}
			if j == len(segs)-2 {
				n.elem = e
			}
		}
		if len(segs) == 1 {
			root.elem = e
		}
		if e.Slicing != nil {
			n.slicing = e.Slicing
		}
	}
	root.decodeValues()
	root.discriminators()
	actual, _ := trees.LoadOrStore(p.URL, root)
	return actual.(*pnode)
}

type discValue struct {
	val any
	ok  bool
}

// decodeValues decodes the fixed and pattern values of every node.
func (n *pnode) decodeValues() {
	if n.elem != nil {
		if n.elem.Fixed != "" {
			_ = decodeJSON(n.elem.Fixed, &n.fixed)
		}
		if n.elem.Pattern != "" {
			_ = decodeJSON(n.elem.Pattern, &n.pattern)
		}
	}
	for _, c := range n.children {
		c.decodeValues()
	}
	for _, s := range n.slices {
		s.decodeValues()
	}
}

// discriminators works out, once, the value each slice requires at each
// discriminator path of the slicing.
func (n *pnode) discriminators() {
	for _, s := range n.slices {
		s.disc = map[string]discValue{}
		paths := []string{"url"}
		if n.slicing != nil {
			paths = paths[:0]
			for _, d := range n.slicing.Discriminators {
				paths = append(paths, d.Path)
			}
		}
		for _, p := range paths {
			v, ok := discriminatorValue(s, p)
			s.disc[p] = discValue{v, ok}
		}
	}
	for _, c := range n.children {
		c.discriminators()
	}
	for _, s := range n.slices {
		s.discriminators()
	}
}

// splitID splits an element id at the dots that separate path segments
// (a slice name may itself hold a dot only in ids this release does not
// use, so a plain split serves).
func splitID(id string) []string { return strings.Split(id, ".") }

// inst is one value of an element in the resource, with its location.
type inst struct {
	val  any
	expr string
}

// profiles applies every UK Core profile the resource claims in
// meta.profile, with the profiles they are based on.
func (v *validator) profiles(obj map[string]any, typ, expr string, extra []string) {
	meta, _ := obj["meta"].(map[string]any)
	claimed, _ := meta["profile"].([]any)
	if len(claimed) == 0 && len(extra) == 0 {
		return
	}
	claimed = claimed[:len(claimed):len(claimed)] // appending never touches the resource
	for _, p := range extra {
		claimed = append(claimed, p)
	}
	applied := false
	done := map[string]bool{}
	saved := v.parentExpr
	v.parentExpr = expr
	defer func() { v.parentExpr = saved }()
	for _, c := range claimed {
		url, _ := c.(string)
		p := ukcore.Lookup(url)
		if p == nil || p.Type == "Extension" {
			continue
		}
		if done[p.URL] {
			continue
		}
		done[p.URL] = true
		if p.Type != typ {
			v.add(fhir.CodeInvalid, expr+".meta.profile", "%s profiles %s, not %s", p.Name, p.Type, typ)
			continue
		}
		for ; p != nil; p = ukcore.Lookup(p.Base) {
			v.profile = p
			v.check(treeOf(p), []inst{{obj, expr}})
		}
		v.profile = nil
		applied = true
	}
	if applied {
		v.extensions(obj, typ, expr)
	}
}

// check applies node n's element rules to the values it has in one parent
// (cardinality, fixed and pattern values, types, bindings, invariants),
// sorts them into n's slices, and walks n's children in each value.
func (v *validator) check(n *pnode, vals []inst) {
	if e := n.elem; e != nil {
		label := v.label(n)
		if e.Min > 0 && len(vals) < e.Min {
			v.addAt(fhir.SeverityError, fhir.CodeRequired, v.parentExpr, "%s: %s requires at least %d, found %d", v.profile.Name, label, e.Min, len(vals))
		}
		if e.Max != "" && e.Max != "*" {
			if max, err := strconv.Atoi(e.Max); err == nil && len(vals) > max {
				expr := v.parentExpr
				if len(vals) > 0 {
					expr = vals[max].expr
				}
				v.addAt(fhir.SeverityError, fhir.CodeInvalid, expr, "%s: %s allows at most %d, found %d", v.profile.Name, label, max, len(vals))
			}
		}
		for _, x := range vals {
			v.elementRules(n, e, x, label)
		}
	}
	if len(n.slices) > 0 {
		v.slicing(n, vals)
	}
	if len(n.children) == 0 {
		return
	}
	for _, x := range vals {
		m, ok := x.val.(map[string]any)
		if !ok {
			continue
		}
		for _, c := range n.children {
			saved := v.parentExpr
			v.parentExpr = x.expr
			v.check(c, childValues(m, c.name, x.expr))
			v.parentExpr = saved
		}
	}
}

// label names an element in messages: its id in the profile.
func (v *validator) label(n *pnode) string {
	if n.elem != nil && n.elem.ID != "" {
		return n.elem.ID
	}
	return n.name
}

// childValues returns the values of a child element in an object: all of
// a choice's keys for "value[x]", each item of an array.
func childValues(m map[string]any, name, expr string) []inst {
	var out []inst
	addKey := func(key string) {
		val, ok := m[key]
		if !ok {
			if _, ext := m["_"+key]; ext {
				out = append(out, inst{m["_"+key], expr + "." + key})
			}
			return
		}
		if list, ok := val.([]any); ok {
			for i, item := range list {
				if item != nil {
					out = append(out, inst{item, expr + "." + key + "[" + strconv.Itoa(i) + "]"})
				}
			}
			return
		}
		out = append(out, inst{val, expr + "." + key})
	}
	if base, ok := strings.CutSuffix(name, "[x]"); ok {
		for key := range m {
			if len(key) > len(base) && strings.HasPrefix(key, base) && key[len(base)] >= 'A' && key[len(base)] <= 'Z' {
				addKey(key)
			}
		}
		return out
	}
	addKey(name)
	return out
}

// elementRules checks one value against a differential element.
func (v *validator) elementRules(n *pnode, e *ukcore.Element, x inst, label string) {
	if n.fixed != nil {
		if !jsonEqual(x.val, n.fixed) {
			v.addAt(fhir.SeverityError, fhir.CodeInvalid, x.expr, "%s: %s must be exactly %s", v.profile.Name, label, abbreviate(e.Fixed))
		}
	}
	if n.pattern != nil {
		if !containsPattern(x.val, n.pattern) {
			v.addAt(fhir.SeverityError, fhir.CodeInvalid, x.expr, "%s: %s must match the pattern %s", v.profile.Name, label, abbreviate(e.Pattern))
		}
	}
	if len(e.Types) > 0 && strings.HasSuffix(e.Path, "[x]") {
		// A choice narrowed to fewer types: the key names the type used.
		key := x.expr[strings.LastIndexByte(x.expr, '.')+1:]
		if i := strings.IndexByte(key, '['); i >= 0 {
			key = key[:i]
		}
		base := strings.TrimSuffix(e.Path[strings.LastIndexByte(e.Path, '.')+1:], "[x]")
		used := strings.TrimPrefix(key, base)
		ok := false
		for _, t := range e.Types {
			if strings.EqualFold(t.Code, used) {
				ok = true
			}
		}
		if !ok {
			v.addAt(fhir.SeverityError, fhir.CodeInvalid, x.expr, "%s: %s does not allow type %s", v.profile.Name, label, used)
		}
	}
	if e.Binding != nil && (e.Binding.Strength == "required" || e.Binding.Strength == "extensible") {
		v.profileBinding(e, x, label)
	}
	for _, c := range e.Constraints {
		if c.Severity == "error" {
			v.invariant(c.Key, c.Human, c.Expression, nodeFor(x.val, v.profile.Type, e.Path, x.expr), x.expr)
		}
	}
}

// profileBinding checks a coded value against a required (error) or
// extensible (warning) binding through the CodeValidator.
func (v *validator) profileBinding(e *ukcore.Element, x inst, label string) {
	severity := fhir.SeverityError
	if e.Binding.Strength == "extensible" {
		severity = fhir.SeverityWarning
	}
	if bad := v.notInValueSet(x.val, e.Binding.ValueSet); len(bad) > 0 {
		v.addAt(severity, fhir.CodeCodeInvalid, x.expr, "%s: %s: code %s is not in the value set %s (%s binding)", v.profile.Name, label, strings.Join(bad, ", "), e.Binding.ValueSet, e.Binding.Strength)
	}
}

// notInValueSet asks the CodeValidator about a code, Coding,
// CodeableConcept or Quantity, and returns its codes ("system|code") when
// none of them is in the value set. It returns nil when the value passes,
// carries no code, or the validator cannot tell for one of its codings.
func (v *validator) notInValueSet(val any, vs string) []string {
	var codings []map[string]any
	switch val := val.(type) {
	case string:
		if in, known := v.codes.ValidateCode(vs, "", val); known && !in {
			return []string{strconv.Quote(val)}
		}
		return nil
	case map[string]any:
		if list, ok := val["coding"].([]any); ok {
			for _, c := range list {
				if cm, ok := c.(map[string]any); ok {
					codings = append(codings, cm)
				}
			}
		} else if _, ok := val["code"]; ok {
			codings = []map[string]any{val}
		}
	}
	var bad []string
	for _, c := range codings {
		code, _ := c["code"].(string)
		if code == "" {
			continue
		}
		system, _ := c["system"].(string)
		in, known := v.codes.ValidateCode(vs, system, code)
		if !known || in {
			return nil
		}
		bad = append(bad, system+"|"+code)
	}
	return bad
}

// slicing sorts the values of a sliced element into its slices by the
// discriminators, then checks each slice as an element of its own. A
// value that fits no slice is an error only when the slicing is closed.
// Slicing whose discriminators cannot be worked out from the differential
// (a resolve() path, a profile discriminator) is not checked.
func (v *validator) slicing(n *pnode, vals []inst) {
	slicing := n.slicing
	if slicing == nil {
		if n.name != "extension" && n.name != "modifierExtension" {
			return
		}
		// Extensions are sliced by url in the base definitions.
		slicing = &ukcore.Slicing{Discriminators: []ukcore.Discriminator{{Type: "value", Path: "url"}}, Rules: "open"}
	}
	matched := make([][]inst, len(n.slices))
	for _, x := range vals {
		found := false
		for i, s := range n.slices {
			ok, known := sliceMatches(s, slicing, x.val)
			if !known {
				return
			}
			if ok {
				matched[i] = append(matched[i], x)
				found = true
				break
			}
		}
		if !found && slicing.Rules == "closed" {
			v.addAt(fhir.SeverityError, fhir.CodeInvalid, x.expr, "%s: %s is sliced (closed) and this value matches none of its slices", v.profile.Name, v.label(n))
		}
	}
	for i, s := range n.slices {
		v.check(s, matched[i])
	}
}

// sliceMatches reports whether a value belongs to a slice, and whether
// that could be worked out.
func sliceMatches(s *pnode, slicing *ukcore.Slicing, val any) (match, known bool) {
	for _, d := range slicing.Discriminators {
		switch d.Type {
		case "value", "pattern":
			dv := s.disc[d.Path]
			if !dv.ok {
				return false, false
			}
			want := dv.val
			got := valuesAt(val, d.Path)
			hit := false
			for _, g := range got {
				if d.Type == "value" && jsonEqual(g, want) || containsPattern(g, want) {
					hit = true
				}
			}
			if !hit {
				return false, true
			}
		case "exists":
			node := descend(s, d.Path)
			if node == nil || node.elem == nil {
				return false, false
			}
			exists := len(valuesAt(val, d.Path)) > 0
			if node.elem.Min > 0 && !exists || node.elem.Max == "0" && exists {
				return false, true
			}
		case "type":
			if d.Path != "$this" || s.elem == nil || len(s.elem.Types) == 0 {
				return false, false
			}
			m, _ := val.(map[string]any)
			rt, _ := m["resourceType"].(string)
			if rt != s.elem.Types[0].Code {
				return false, true
			}
		default:
			return false, false
		}
	}
	return true, true
}

// discriminatorValue is the fixed or pattern value a slice requires at a
// path; for an extension slice's url, the extension's canonical URL.
func discriminatorValue(s *pnode, path string) (any, bool) {
	n := descend(s, path)
	if n != nil && n.elem != nil {
		raw := n.elem.Fixed
		if raw == "" {
			raw = n.elem.Pattern
		}
		if raw != "" {
			var v any
			if decodeJSON(raw, &v) == nil {
				return v, true
			}
		}
	}
	if path == "url" && s.elem != nil {
		for _, t := range s.elem.Types {
			if t.Code == "Extension" && len(t.Profiles) > 0 {
				return t.Profiles[0], true
			}
		}
		// Inside an extension definition a sub-extension's url is its slice name.
		if s.sliceName != "" && s.name == "extension" {
			return s.sliceName, true
		}
	}
	return nil, false
}

// descend finds the node at a discriminator path below a slice.
func descend(s *pnode, path string) *pnode {
	if path == "$this" {
		return s
	}
	n := s
	for _, seg := range strings.Split(path, ".") {
		var next *pnode
		for _, c := range n.children {
			if c.name == seg || strings.TrimSuffix(c.name, "[x]") == seg {
				next = c
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return n
}

// valuesAt returns the values at a simple dotted path in a value.
func valuesAt(val any, path string) []any {
	cur := []any{val}
	if path == "$this" {
		return cur
	}
	for _, seg := range strings.Split(path, ".") {
		var next []any
		for _, c := range cur {
			m, ok := c.(map[string]any)
			if !ok {
				continue
			}
			switch x := m[seg].(type) {
			case nil:
			case []any:
				next = append(next, x...)
			default:
				next = append(next, x)
			}
		}
		cur = next
	}
	return cur
}

func decodeJSON(s string, v *any) error {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	return d.Decode(v)
}

// jsonEqual compares decoded JSON values; numbers by their value.
func jsonEqual(a, b any) bool {
	if an, ok := a.(json.Number); ok {
		if bn, ok := b.(json.Number); ok {
			af, _ := an.Float64()
			bf, _ := bn.Float64()
			return af == bf
		}
	}
	return reflect.DeepEqual(a, b)
}

// containsPattern reports whether val has at least what pattern has: the
// same primitives, every member of an object, and for each item of an
// array some item that contains it.
func containsPattern(val, pattern any) bool {
	switch p := pattern.(type) {
	case map[string]any:
		m, ok := val.(map[string]any)
		if !ok {
			return false
		}
		for k, pv := range p {
			if !containsPattern(m[k], pv) {
				return false
			}
		}
		return true
	case []any:
		list, ok := val.([]any)
		if !ok {
			return false
		}
		for _, pi := range p {
			found := false
			for _, item := range list {
				if containsPattern(item, pi) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
		return true
	}
	return jsonEqual(val, pattern)
}

// extensions checks every extension in a profiled resource that UK Core
// defines: its context (where it may be used) and its definition's
// differential (url, value type, binding, sub-extensions). It walks the
// resource along the R4 definitions to know each extension's owner: the
// element path in the resource ("Patient.contact"), the path in the
// owner's data type ("ContactPoint.system"), and the owner's type.
func (v *validator) extensions(obj map[string]any, typ, expr string) {
	t := definitions.Lookup(typ)
	if t == nil {
		return
	}
	var walk func(m map[string]any, t *definitions.Type, defPath, ctxPath, resPath, ownerType, expr string)
	walk = func(m map[string]any, t *definitions.Type, defPath, ctxPath, resPath, ownerType, expr string) {
		for key, val := range m {
			if key == "extension" || key == "modifierExtension" {
				list, _ := val.([]any)
				for i, item := range list {
					ext, ok := item.(map[string]any)
					if !ok {
						continue
					}
					extExpr := expr + "." + key + "[" + strconv.Itoa(i) + "]"
					v.extension(ext, resPath, ctxPath, ownerType, resPath == typ, extExpr)
					// Extensions on the extension's value (a Coding's
					// description id inside valueCodeableConcept) and on
					// its sub-extensions.
					walk(ext, definitions.Lookup("Extension"), "Extension", "Extension", resPath+"."+key, "Extension", extExpr)
				}
				continue
			}
			name := strings.TrimPrefix(key, "_")
			c, ok := childIndexOf(t, defPath).byKey[name]
			if !ok {
				continue
			}
			childType := c.typ.Code
			childRes := resPath + "." + c.elem.Name
			each := func(item any, itemExpr string) {
				im, ok := item.(map[string]any)
				if !ok {
					return
				}
				switch {
				case key[0] == '_':
					// A primitive's id and extensions.
					walk(im, definitions.Lookup("Element"), "Element", defPath+"."+c.elem.Name, childRes, childType, itemExpr)
				case childType == "Resource" || primitiveOf(childType) != nil:
				case childType == "BackboneElement" || childType == "Element" && len(t.Children(c.elem.Path)) > 0 || c.elem.ContentReference != "":
					walk(im, t, c.elem.Path, c.elem.Path, childRes, "BackboneElement", itemExpr)
				default:
					if dt := definitions.Lookup(childType); dt != nil {
						walk(im, dt, childType, childType, childRes, childType, itemExpr)
					}
				}
			}
			if list, ok := val.([]any); ok {
				for i, item := range list {
					each(item, expr+"."+key+"["+strconv.Itoa(i)+"]")
				}
			} else {
				each(val, expr+"."+key)
			}
		}
	}
	walk(obj, t, typ, typ, typ, typ, expr)
}

// extension checks one extension found in a profiled resource.
func (v *validator) extension(ext map[string]any, resPath, defPath, ownerType string, onResource bool, expr string) {
	url, _ := ext["url"].(string)
	def := ukcore.Lookup(url)
	if def == nil || def.Type != "Extension" {
		return
	}
	if !contextAllows(def.Context, resPath, defPath, ownerType, onResource) {
		v.addAt(fhir.SeverityError, fhir.CodeInvalid, expr, "extension %s is not allowed on %s (its context: %s)", def.Name, resPath, strings.Join(def.Context, ", "))
	}
	saved := v.profile
	v.profile = def
	v.check(treeOf(def), []inst{{ext, expr}})
	v.profile = saved
}

// contextAllows matches an extension's contexts against where it is used.
func contextAllows(contexts []string, resPath, defPath, ownerType string, onResource bool) bool {
	if len(contexts) == 0 {
		return true
	}
	for _, c := range contexts {
		c = strings.TrimSpace(c)
		switch {
		case c == resPath, c == defPath, c == ownerType, c == "Element":
			return true
		case onResource && (c == "Resource" || c == "DomainResource"):
			return true
		}
	}
	return false
}

// addAt records an issue with a severity at an expression.
func (v *validator) addAt(severity, code, expr, format string, args ...any) {
	if len(v.issues) >= maxIssues {
		return
	}
	is := fhir.Issue{Severity: severity, Code: code, Diagnostics: fmt.Sprintf(format, args...)}
	if expr != "" {
		is.Expression = []string{expr}
	}
	v.issues = append(v.issues, is)
}
