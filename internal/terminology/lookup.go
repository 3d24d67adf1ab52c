package terminology

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"sort"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Lookup answers CodeSystem/$lookup (system and code, or coding as
// system|code): the concept's display, whether it is inactive, its
// designations (every description, with its SNOMED CT description id and
// use: fully specified name or synonym), its parents and attribute
// relationships as properties, what replaces it when inactive, and dm+d's
// fields. An inactive concept is answered like any other: records coded
// years ago must still read.
func (s *Service) Lookup(ctx context.Context, p url.Values) (fhir.Resource, error) {
	system, code := p.Get("system"), p.Get("code")
	if c := p.Get("coding"); c != "" && code == "" {
		system, code = splitCoding(c)
	}
	if code == "" {
		return nil, errParam("$lookup needs code (with system) or coding")
	}
	if err := s.needSystem(ctx, system); err != nil {
		return nil, err
	}
	c, ds, err := s.st.TermConcept(ctx, system, code)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNoCode(system, code)
	}
	if err != nil {
		return nil, err
	}
	out := []any{
		param("name", "valueString", systemName(system)),
		param("display", "valueString", display(c, ds)),
	}
	if v := p.Get("version"); v != "" {
		out = append(out, param("version", "valueString", v))
	}
	for _, d := range ds {
		parts := []any{param("value", "valueString", d.Term)}
		if d.Lang != "" {
			parts = append([]any{param("language", "valueCode", d.Lang)}, parts...)
		}
		if system == SNOMED {
			use := sctSynonym
			if d.Type == store.DescFSN {
				use = sctFSN
			}
			parts = append(parts, param("use", "valueCoding", map[string]any{"system": SNOMED, "code": use}))
		}
		if id := descID(d); id != "" {
			parts = append(parts, map[string]any{"name": "descriptionId", "valueId": id})
		}
		out = append(out, map[string]any{"name": "designation", "part": parts})
	}
	out = append(out, property("inactive", "valueBoolean", !c.Active))
	if c.Effective != "" {
		out = append(out, property("effectiveTime", "valueString", c.Effective))
	}
	if c.Module != "" {
		out = append(out, property("moduleId", "valueCode", c.Module))
	}
	if c.Kind != "" {
		out = append(out, property("kind", "valueCode", c.Kind))
	}
	rs, err := s.st.TermRelationships(ctx, system, code)
	if err != nil {
		return nil, err
	}
	for _, r := range rs {
		name := r.Type
		if r.Type == store.IsA {
			name = "parent"
		}
		out = append(out, property(name, "valueCode", r.Dest))
	}
	if !c.Active {
		as, err := s.st.TermAssociations(ctx, system, code)
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			out = append(out, map[string]any{"name": "property", "part": []any{
				param("code", "valueCode", "replacedBy"),
				param("value", "valueCode", a.Target),
				param("description", "valueString", "historical association "+a.Refset),
			}})
		}
	}
	if c.Props != "" {
		var props map[string]any
		if json.Unmarshal([]byte(c.Props), &props) == nil {
			keys := make([]string, 0, len(props))
			for k := range props {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				switch v := props[k].(type) {
				case string:
					out = append(out, property(k, "valueString", v))
				case bool:
					out = append(out, property(k, "valueBoolean", v))
				case []any:
					for _, x := range v {
						if s, ok := x.(string); ok {
							out = append(out, property(k, "valueString", s))
						}
					}
				}
			}
		}
	}
	return fhir.Resource{"resourceType": "Parameters", "parameter": out}, nil
}

func param(name, typ string, v any) map[string]any {
	return map[string]any{"name": name, typ: v}
}

func property(code, typ string, v any) map[string]any {
	return map[string]any{"name": "property", "part": []any{param("code", "valueCode", code), param("value", typ, v)}}
}

// display is the concept's preferred term.
func display(c store.TermConcept, ds []store.TermDescription) string {
	if c.Display != "" {
		return c.Display
	}
	for _, d := range ds {
		if d.Type == store.DescPreferred && d.Active {
			return d.Term
		}
	}
	return c.Code
}

// splitCoding reads a coding given as system|code.
func splitCoding(s string) (system, code string) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '|' {
			return s[:i], s[i+1:]
		}
	}
	return "", s
}
