package oracle

import (
	"fmt"
	"strings"
)

// reference is a parsed literal reference: the target type (empty when it
// cannot be told), the id, and the whole reference without /_history.
type reference struct{ typ, id, url string }

// referenceParam is a reference parameter over the element at path;
// target, when set, keeps only references to that type (patient).
type referenceParam struct {
	path   string
	target string
}

func (p referenceParam) values(res map[string]any) []reference {
	var out []reference
	for _, el := range walk(res, p.path) {
		r, ok := parseReference(text(child(el, "reference")))
		if ok && (p.target == "" || r.typ == p.target) {
			out = append(out, r)
		}
	}
	return out
}

func (p referenceParam) present(res map[string]any) bool { return len(p.values(res)) > 0 }

// matcher: Type/id matches a reference to that type and id, relative or
// absolute; an absolute URL matches the same URL; a bare id matches any
// reference whose last segment it is. The :Type modifier also requires the
// target type.
func (p referenceParam) matcher(modifier string, values []string) (test, error) {
	if modifier != "" && !isTypeName(modifier) {
		return nil, fmt.Errorf("modifier :%s is not supported on a reference parameter", modifier)
	}
	var preds []func(reference) bool
	for _, raw := range values {
		v := unescape(raw)
		var pred func(reference) bool
		switch {
		case strings.Contains(v, "://"):
			url := stripHistory(v)
			pred = func(r reference) bool { return r.url == url }
		case strings.Contains(v, "/"):
			q, ok := parseReference(v)
			if !ok || q.typ == "" {
				return nil, fmt.Errorf("invalid reference %q", v)
			}
			pred = func(r reference) bool { return r.typ == q.typ && r.id == q.id }
		default:
			pred = func(r reference) bool { return r.id == v }
		}
		if modifier != "" {
			inner := pred
			pred = func(r reference) bool { return r.typ == modifier && inner(r) }
		}
		preds = append(preds, pred)
	}
	return func(res map[string]any) bool { return anyMatch(p.values(res), preds) }, nil
}

// parseReference reads Type/id, [base]/Type/id or [base]/Type/id/_history/v.
// Contained (#id) and urn: references are unresolved and yield nothing.
func parseReference(s string) (reference, bool) {
	if s == "" || strings.HasPrefix(s, "#") || strings.HasPrefix(s, "urn:") {
		return reference{}, false
	}
	s = stripHistory(s)
	segs := strings.Split(s, "/")
	r := reference{id: segs[len(segs)-1], url: s}
	if r.id == "" {
		return reference{}, false
	}
	if len(segs) >= 2 && isTypeName(segs[len(segs)-2]) {
		r.typ = segs[len(segs)-2]
	}
	return r, true
}

func stripHistory(s string) string {
	if i := strings.Index(s, "/_history/"); i >= 0 {
		return s[:i]
	}
	return s
}

// isTypeName reports whether s looks like a resource type name.
func isTypeName(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isLetter(s[i]) {
			return false
		}
	}
	return true
}
