package auth

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// Permission is one SMART v2 permission letter.
type Permission byte

// The SMART v2 permissions: create, read, update, delete, search.
const (
	Create Permission = 'c'
	Read   Permission = 'r'
	Update Permission = 'u'
	Delete Permission = 'd'
	Search Permission = 's'
)

// Context is the compartment a resource scope applies in.
type Context string

// SMART scope contexts.
const (
	PatientContext Context = "patient" // the patient in context (launch, or the signed-in patient)
	UserContext    Context = "user"    // whatever the signed-in user may see
	SystemContext  Context = "system"  // a backend service, no user
)

// Rule is one resource scope: patient/Observation.rs?category=laboratory.
type Rule struct {
	Context Context
	Type    string // a resource type, or "*"
	Perms   string // permission letters in cruds order
	// Query, when set, limits the rule to resources matching these search
	// parameters (SMART v2 fine-grained scopes).
	Query url.Values
}

// Allows reports whether the rule grants perm on typ.
func (r Rule) Allows(typ string, perm Permission) bool {
	return (r.Type == "*" || r.Type == typ) && strings.IndexByte(r.Perms, byte(perm)) >= 0
}

// Scopes are a parsed scope string: resource rules and the other scopes
// (openid, fhirUser, launch/patient, offline_access...).
type Scopes struct {
	Rules []Rule
	Other []string
}

// ParseScopes parses a space-separated scope string in SMART v1
// (patient/*.read) or v2 (patient/Observation.rs?category=x) syntax.
// v1 "read" is "rs", "write" is "cud" and "*" is "cruds", as SMART 2.0
// maps them.
func ParseScopes(s string) (Scopes, error) {
	var out Scopes
	for _, tok := range strings.Fields(s) {
		ctx, rest, ok := strings.Cut(tok, "/")
		switch Context(ctx) {
		case PatientContext, UserContext, SystemContext:
		default:
			ok = false
		}
		if !ok {
			out.Other = append(out.Other, tok)
			continue
		}
		r, err := parseRule(Context(ctx), rest)
		if err != nil {
			return Scopes{}, fmt.Errorf("scope %q: %w", tok, err)
		}
		out.Rules = append(out.Rules, r)
	}
	return out, nil
}

func parseRule(ctx Context, s string) (Rule, error) {
	s, rawQuery, hasQuery := strings.Cut(s, "?")
	typ, perms, ok := strings.Cut(s, ".")
	if !ok || typ == "" || perms == "" {
		return Rule{}, fmt.Errorf("want <type>.<permissions>")
	}
	if typ != "*" && !validTypeName(typ) {
		return Rule{}, fmt.Errorf("%q is not a resource type name", typ)
	}
	r := Rule{Context: ctx, Type: typ}
	switch perms {
	case "read":
		r.Perms = "rs"
	case "write":
		r.Perms = "cud"
	case "*":
		r.Perms = "cruds"
	default:
		// v2: a subset of cruds, in that order, each at most once.
		last := -1
		for i := 0; i < len(perms); i++ {
			at := strings.IndexByte("cruds", perms[i])
			if at <= last {
				return Rule{}, fmt.Errorf("permissions %q: want a subset of c, r, u, d, s in that order", perms)
			}
			last = at
		}
		r.Perms = perms
	}
	if hasQuery {
		q, err := url.ParseQuery(rawQuery)
		if err != nil || len(q) == 0 {
			return Rule{}, fmt.Errorf("invalid query %q", rawQuery)
		}
		r.Query = q
	}
	return r, nil
}

func validTypeName(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// Has reports whether a non-resource scope (openid, offline_access...)
// was granted.
func (s Scopes) Has(name string) bool {
	for _, o := range s.Other {
		if o == name {
			return true
		}
	}
	return false
}

// Grant is what the rules allow on one type for one permission: whether
// anything is allowed, in which contexts, and the search restrictions
// (nil when some rule allows it unrestricted).
type Grant struct {
	Allowed  bool
	Contexts map[Context]bool
	// Restrictions are the queries of fine-grained rules; a resource must
	// match one of them. Empty when unrestricted.
	Restrictions []url.Values
}

// Grant evaluates the rules for typ and perm.
func (s Scopes) Grant(typ string, perm Permission) Grant {
	g := Grant{Contexts: map[Context]bool{}}
	unrestricted := false
	for _, r := range s.Rules {
		if !r.Allows(typ, perm) {
			continue
		}
		g.Allowed = true
		g.Contexts[r.Context] = true
		if r.Query == nil {
			unrestricted = true
		} else {
			g.Restrictions = append(g.Restrictions, r.Query)
		}
	}
	if unrestricted {
		g.Restrictions = nil
	}
	return g
}

// String renders the scopes back in a canonical order (rules, then the
// rest), for token responses and audit.
func (s Scopes) String() string {
	var parts []string
	for _, r := range s.Rules {
		p := string(r.Context) + "/" + r.Type + "." + r.Perms
		if r.Query != nil {
			p += "?" + r.Query.Encode()
		}
		parts = append(parts, p)
	}
	other := append([]string(nil), s.Other...)
	sort.Strings(other)
	return strings.Join(append(parts, other...), " ")
}

// Intersect returns the scopes of s that granted also holds: resource
// rules of s whose context, type and permissions granted covers, and the
// other scopes granted lists. It narrows what an app asks for to what its
// registration or its user allows.
func (s Scopes) Intersect(granted Scopes) Scopes {
	var out Scopes
	for _, r := range s.Rules {
		var perms []byte
		for i := 0; i < len(r.Perms); i++ {
			for _, g := range granted.Rules {
				if g.Context == r.Context && (g.Type == "*" || g.Type == r.Type) && strings.IndexByte(g.Perms, r.Perms[i]) >= 0 && g.Query == nil {
					perms = append(perms, r.Perms[i])
					break
				}
			}
		}
		if len(perms) > 0 {
			r.Perms = string(perms)
			out.Rules = append(out.Rules, r)
		}
	}
	for _, o := range s.Other {
		if granted.Has(o) {
			out.Other = append(out.Other, o)
		}
	}
	return out
}
