package validate

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
	"github.com/gpcloud/gpcloud/internal/fhir/fhirpath"
	"github.com/gpcloud/gpcloud/internal/fhir/ukcore"
)

// maxIssues bounds the issues reported for one resource, so that a huge
// invalid document does not produce a huge OperationOutcome.
const maxIssues = 100

// Options tune a validation. The zero value validates everything with the
// value sets the definitions can enumerate.
type Options struct {
	// Codes answers for bindings of profiles; nil means DefinitionCodes.
	Codes CodeValidator
	// BaseOnly checks R4 structure only: no invariants, no profiles
	// (the baseline of the validation benchmark).
	BaseOnly bool
	// Profiles are canonical URLs of UK Core profiles to apply to the
	// resource besides those it claims in meta.profile ($validate's
	// profile parameter).
	Profiles []string
}

// Resource validates res with the default options and returns its issues
// (none when it is valid): R4 structure, formats, cardinality and required
// bindings, R4 invariants of severity error, and the UK Core profiles the
// resource claims in meta.profile.
func Resource(res fhir.Resource) []fhir.Issue { return ResourceWith(res, Options{}) }

// ResourceWith validates res with options.
func ResourceWith(res fhir.Resource, opts Options) []fhir.Issue {
	v := &validator{codes: opts.Codes, base: opts.BaseOnly, extra: opts.Profiles}
	if v.codes == nil {
		v.codes = DefinitionCodes{}
	}
	typ := res.Type()
	if typ == "" {
		v.add(fhir.CodeStructure, "", "resourceType is missing or not a string")
		return v.issues
	}
	v.resource(map[string]any(res), typ)
	return v.issues
}

type validator struct {
	issues []fhir.Issue
	codes  CodeValidator
	base   bool
	// root is the resource being walked (%resource for invariants), and
	// rootInput the same prepared for the invariants' evaluations.
	root      map[string]any
	rootInput *fhirpath.Input
	// profile is the profile or extension definition being applied, and
	// parentExpr the location of the value whose children are checked.
	profile    *ukcore.Profile
	parentExpr string
	// unevaluated lists invariants the FHIRPath engine could not evaluate.
	unevaluated []string
	// extra are profiles asked for by the caller, applied to the root.
	extra []string
}

func (v *validator) add(code, expr, format string, args ...any) {
	if len(v.issues) >= maxIssues {
		return
	}
	is := fhir.Issue{Severity: fhir.SeverityError, Code: code, Diagnostics: fmt.Sprintf(format, args...)}
	if expr != "" {
		is.Expression = []string{expr}
	}
	v.issues = append(v.issues, is)
}

// resource validates a resource object found at expr (its own type name at
// the root; "Bundle.entry[0].resource" and the like when nested).
func (v *validator) resource(obj map[string]any, expr string) {
	typ, _ := obj["resourceType"].(string)
	if !definitions.IsResourceType(typ) {
		v.add(fhir.CodeStructure, expr, "unknown resourceType %q", typ)
		return
	}
	if id, ok := obj["id"].(string); ok && !isID(id) {
		v.add(fhir.CodeValue, expr+".id", "invalid id %q: ids are 1-64 characters of A-Z a-z 0-9 - .", id)
	}
	t := definitions.Lookup(typ)
	saved, savedInput := v.root, v.rootInput
	v.root, v.rootInput = obj, fhirpath.NewInput(obj, invariantOptions)
	v.object(obj, t, typ, expr, true)
	if !v.base {
		var extra []string
		if saved == nil {
			extra, v.extra = v.extra, nil
		}
		v.profiles(obj, typ, expr, extra)
	}
	v.root, v.rootInput = saved, savedInput
}

// object validates the members of a JSON object whose definition is the
// element at path in type t.
func (v *validator) object(obj map[string]any, t *definitions.Type, path, expr string, isResource bool) {
	idx := childIndexOf(t, path)
	if len(obj) == 0 {
		v.add(fhir.CodeStructure, expr, "empty object: FHIR elements must have a value or children")
		return
	}
	for key, val := range obj {
		if isResource && key == "resourceType" {
			continue
		}
		if len(key) > 1 && key[0] == '_' {
			v.primitiveExtension(obj, key, val, idx, expr)
			continue
		}
		c, ok := idx.byKey[key]
		if !ok {
			v.add(fhir.CodeStructure, expr+"."+key, "unknown element %q in %s", key, path)
			continue
		}
		v.member(obj, key, val, c, t, expr+"."+key)
	}
	for _, c := range idx.choices {
		// A choice element holds one value: valueCode and
		// valueCodeableConcept side by side are two.
		var used []string
		for _, k := range c.keys {
			if _, ok := obj[k]; ok {
				used = append(used, k)
			} else if _, ok := obj["_"+k]; ok {
				used = append(used, k)
			}
		}
		if len(used) > 1 {
			v.add(fhir.CodeStructure, expr+"."+used[1], "%s is a choice of one type, but %s are all given", c.elem.Path, strings.Join(used, " and "))
		}
	}
	for _, c := range idx.required {
		if !present(obj, c) {
			v.add(fhir.CodeRequired, expr+"."+c.elem.Name, "%s: minimum cardinality is %d but the element is missing", c.elem.Path, c.elem.Min)
		}
	}
	if !v.base {
		v.baseInvariants(obj, t, path, expr)
		if path == "Identifier" {
			v.nhsNumber(obj, expr)
		}
	}
}

// nhsNumber checks an Identifier in the NHS number system: the value must
// be ten digits with a valid Modulus 11 check digit, wherever it is used
// (Patient.identifier, a reference's identifier, a bundle's entries...).
func (v *validator) nhsNumber(obj map[string]any, expr string) {
	if system, _ := obj["system"].(string); system != ukcore.NHSNumberSystem {
		return
	}
	value, ok := obj["value"].(string)
	if !ok {
		return
	}
	if !ukcore.ValidNHSNumber(value) {
		v.add(fhir.CodeInvalid, expr+".value", "%q is not a valid NHS number: ten digits whose last is the Modulus 11 check digit of the first nine", abbreviate(value))
	}
}

// present reports whether obj has a value (or a primitive extension) for
// the element, under any of its choice names.
func present(obj map[string]any, c *child) bool {
	for _, k := range c.keys {
		if _, ok := obj[k]; ok {
			return true
		}
		if _, ok := obj["_"+k]; ok {
			return true
		}
	}
	return false
}

// member validates one member: array shape and cardinality, then each value.
func (v *validator) member(obj map[string]any, key string, val any, c *child, t *definitions.Type, expr string) {
	e := c.elem
	if e.IsArray() {
		list, ok := val.([]any)
		if !ok {
			v.add(fhir.CodeStructure, expr, "%s repeats: expected a JSON array", e.Path)
			return
		}
		if len(list) == 0 {
			v.add(fhir.CodeStructure, expr, "empty array: omit the element instead")
			return
		}
		if e.Max > 0 && len(list) > e.Max {
			v.add(fhir.CodeStructure, expr, "%s allows at most %d values, got %d", e.Path, e.Max, len(list))
		}
		ext, _ := obj["_"+key].([]any)
		for i, item := range list {
			itemExpr := expr + "[" + strconv.Itoa(i) + "]"
			if item == nil {
				// A null keeps a primitive array aligned with its _key
				// extensions; it is allowed only where an extension stands.
				if i >= len(ext) || ext[i] == nil {
					v.add(fhir.CodeStructure, itemExpr, "null value without an extension in _%s", key)
				}
				continue
			}
			v.value(item, c, t, itemExpr)
		}
		return
	}
	if _, isList := val.([]any); isList {
		v.add(fhir.CodeStructure, expr, "%s has maximum cardinality 1: expected a single value, not an array", e.Path)
		return
	}
	if val == nil {
		v.add(fhir.CodeStructure, expr, "null is not a valid value: omit the element instead")
		return
	}
	v.value(val, c, t, expr)
}

// value validates one value against the element's type for this key.
func (v *validator) value(val any, c *child, t *definitions.Type, expr string) {
	e := c.elem
	code := c.typ.Code
	if pt := primitiveOf(code); pt != nil {
		if v.primitive(val, pt, expr) {
			v.binding(val, code, e, expr)
		}
		return
	}
	obj, ok := val.(map[string]any)
	if !ok {
		v.add(fhir.CodeStructure, expr, "%s is of type %s: expected a JSON object, got %s", e.Path, code, jsonKind(val))
		return
	}
	switch {
	case code == "Resource":
		v.resource(obj, expr)
		return
	case code == "BackboneElement" || code == "Element" && len(t.Children(e.Path)) > 0 || e.ContentReference != "":
		// An inline (backbone) element: its children are defined in t.
		v.object(obj, t, e.Path, expr, false)
	default:
		dt := definitions.Lookup(code)
		if dt == nil {
			v.add(fhir.CodeStructure, expr, "%s has unknown type %s", e.Path, code)
			return
		}
		v.object(obj, dt, code, expr, false)
		if code == "Reference" {
			v.reference(obj, c.typ.Targets, expr)
		}
	}
	if code == "Coding" || code == "CodeableConcept" {
		v.binding(obj, code, e, expr)
	}
}

// primitiveExtension validates _key, the id and extensions of primitive key.
func (v *validator) primitiveExtension(obj map[string]any, key string, val any, idx *childIndex, expr string) {
	base := key[1:]
	expr += "." + key
	c, ok := idx.byKey[base]
	if !ok || primitiveOf(c.typ.Code) == nil {
		v.add(fhir.CodeStructure, expr, "unknown element %q: %q is not a primitive element", key, base)
		return
	}
	elementType := definitions.Lookup("Element")
	check := func(item any, itemExpr string) {
		m, ok := item.(map[string]any)
		if !ok {
			v.add(fhir.CodeStructure, itemExpr, "expected a JSON object holding id or extension, got %s", jsonKind(item))
			return
		}
		v.object(m, elementType, "Element", itemExpr, false)
	}
	if !c.elem.IsArray() {
		check(val, expr)
		return
	}
	list, ok := val.([]any)
	if !ok {
		v.add(fhir.CodeStructure, expr, "%s repeats: expected a JSON array", key)
		return
	}
	if values, ok := obj[base].([]any); ok && len(values) != len(list) {
		v.add(fhir.CodeStructure, expr, "%s has %d entries but %s has %d: the arrays must align", key, len(list), base, len(values))
	}
	for i, item := range list {
		if item != nil {
			check(item, expr+"["+strconv.Itoa(i)+"]")
		}
	}
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return "a number"
}
