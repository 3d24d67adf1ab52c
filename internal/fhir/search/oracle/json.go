package oracle

import (
	"encoding/json"
	"strconv"
	"strings"
)

func str(m map[string]any, key string) string { s, _ := m[key].(string); return s }

func list(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case nil:
		return nil
	}
	return []any{v}
}

func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }

func num(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}

func humanNames(r map[string]any) []any {
	var out []any
	for _, n := range list(r["name"]) {
		nm := obj(n)
		for _, part := range []string{"family", "given", "prefix", "suffix", "text"} {
			for _, s := range list(nm[part]) {
				if s, ok := s.(string); ok {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

func nameParts(r map[string]any, part string) []any {
	var out []any
	for _, n := range list(r["name"]) {
		for _, s := range list(obj(n)[part]) {
			if s, ok := s.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

func addressPart(part string) func(map[string]any) []any {
	return func(r map[string]any) []any {
		var out []any
		for _, a := range list(r["address"]) {
			if s := str(obj(a), part); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
}

func plainCode(key string) func(map[string]any) []any {
	return func(r map[string]any) []any {
		if s := str(r, key); s != "" {
			return []any{token{code: s}}
		}
		return nil
	}
}

func identifiers(r map[string]any) []any {
	var out []any
	for _, id := range list(r["identifier"]) {
		m := obj(id)
		if v := str(m, "value"); v != "" {
			out = append(out, token{system: str(m, "system"), code: v})
		}
	}
	return out
}

// codings reads a CodeableConcept, a list of them, or a Coding.
func codings(key string) func(map[string]any) []any {
	return func(r map[string]any) []any {
		var out []any
		for _, cc := range list(r[key]) {
			m := obj(cc)
			if _, isCoding := m["code"]; isCoding {
				out = append(out, token{system: str(m, "system"), code: str(m, "code")})
				continue
			}
			for _, c := range list(m["coding"]) {
				cm := obj(c)
				if code := str(cm, "code"); code != "" {
					out = append(out, token{system: str(cm, "system"), code: code})
				}
			}
		}
		return out
	}
}

func refsOf(key string) func(map[string]any) []any {
	return func(r map[string]any) []any {
		var out []any
		for _, x := range list(r[key]) {
			reference := str(obj(x), "reference")
			if reference == "" || strings.HasPrefix(reference, "urn:") || strings.HasPrefix(reference, "#") {
				continue
			}
			parts := strings.Split(reference, "/")
			if len(parts) >= 2 {
				out = append(out, ref{typ: parts[len(parts)-2], id: parts[len(parts)-1]})
			}
		}
		return out
	}
}

func quantityOf(key string) func(map[string]any) []any {
	return func(r map[string]any) []any {
		q := obj(r[key])
		if q == nil {
			return nil
		}
		raw, ok := q["value"]
		if !ok {
			return nil
		}
		v, ok := num(raw)
		if !ok {
			return nil
		}
		return []any{quantity{value: v, system: str(q, "system"), code: str(q, "code"), unit: str(q, "unit")}}
	}
}
