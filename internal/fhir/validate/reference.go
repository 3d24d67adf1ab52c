package validate

import (
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
)

// reference checks Reference.reference: a relative "Type/id" (optionally
// "/_history/n"), an absolute URL, a "#id" reference to a contained
// resource, or a urn:uuid:/urn:oid: placeholder (resolved inside bundles).
// A relative reference must name a resource type the element allows.
func (v *validator) reference(obj map[string]any, targets []string, expr string) {
	ref, ok := obj["reference"].(string)
	if !ok {
		return
	}
	expr += ".reference"
	switch {
	case strings.HasPrefix(ref, "#"):
		return
	case strings.HasPrefix(ref, "urn:uuid:"), strings.HasPrefix(ref, "urn:oid:"):
		return
	case strings.Contains(ref, "://"):
		if strings.ContainsAny(ref, " \t\n") {
			v.add(fhir.CodeValue, expr, "reference %q is not a valid URL", abbreviate(ref))
		}
		return
	case strings.Contains(ref, "?"):
		// A conditional reference (Type?params); only meaningful inside a
		// transaction, where it is resolved before the resource is stored.
		typ := ref[:strings.IndexByte(ref, '?')]
		if !definitions.IsResourceType(typ) {
			v.add(fhir.CodeValue, expr, "conditional reference %q names an unknown resource type", abbreviate(ref))
		}
		return
	}
	parts := strings.Split(ref, "/")
	// Type/id, Type/id/_history/v, and a relative URL with a path before them.
	n := len(parts)
	if n >= 4 && parts[n-2] == "_history" {
		parts, n = parts[:n-2], n-2
	}
	if n < 2 || !definitions.IsResourceType(parts[n-2]) || !isID(parts[n-1]) {
		v.add(fhir.CodeValue, expr, "reference %q is not of the form Type/id", abbreviate(ref))
		return
	}
	if typ := parts[n-2]; !allowsTarget(targets, typ) {
		v.add(fhir.CodeInvalid, expr, "reference to %s is not allowed here (allowed: %s)", typ, strings.Join(targets, ", "))
	}
}

func allowsTarget(targets []string, typ string) bool {
	if len(targets) == 0 {
		return true
	}
	for _, t := range targets {
		if t == typ || t == "Resource" {
			return true
		}
	}
	return false
}
