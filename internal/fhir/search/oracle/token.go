package oracle

import "fmt"

// token is a coded value; system is empty when the value has none.
type token struct{ system, code string }

// tokenParam is a token parameter.
type tokenParam struct {
	values func(res map[string]any) []token
}

func (p tokenParam) present(res map[string]any) bool { return len(p.values(res)) > 0 }

// matcher: code (any system), system|code, |code (no system), system|
// (any code of the system); :not matches resources with no matching token,
// including those with no token at all. Codes are case-sensitive.
func (p tokenParam) matcher(modifier string, values []string) (test, error) {
	if modifier != "" && modifier != "not" {
		return nil, fmt.Errorf("modifier :%s is not supported on a token parameter", modifier)
	}
	var preds []func(token) bool
	for _, v := range values {
		pred, err := tokenPredicate(v)
		if err != nil {
			return nil, err
		}
		preds = append(preds, pred)
	}
	if modifier == "not" {
		return func(res map[string]any) bool { return !anyMatch(p.values(res), preds) }, nil
	}
	return func(res map[string]any) bool { return anyMatch(p.values(res), preds) }, nil
}

func tokenPredicate(v string) (func(token) bool, error) {
	parts := splitEscaped(v, '|')
	if len(parts) == 1 {
		code := unescape(v)
		return func(t token) bool { return t.code == code }, nil
	}
	system := unescape(parts[0])
	code := unescape(v[len(parts[0])+1:]) // everything after the first bar
	switch {
	case system == "" && code == "":
		return nil, fmt.Errorf("token %q has neither system nor code", v)
	case code == "":
		return func(t token) bool { return t.system == system }, nil
	}
	return func(t token) bool { return t.system == system && t.code == code }, nil
}

// codeAt reads a code (or string) element as tokens without a system.
func codeAt(key string) func(map[string]any) []token {
	return func(res map[string]any) []token {
		var out []token
		for _, s := range stringsAt(res, key) {
			out = append(out, token{code: s})
		}
		return out
	}
}

// codingsAt reads the Codings of an element that is a CodeableConcept, a
// Coding, or a list of either.
func codingsAt(key string) func(map[string]any) []token {
	return func(res map[string]any) []token {
		var out []token
		add := func(c any) {
			t := token{system: text(child(c, "system")), code: text(child(c, "code"))}
			if t.system != "" || t.code != "" {
				out = append(out, t)
			}
		}
		for _, el := range walk(res, key) {
			m, ok := el.(map[string]any)
			if !ok {
				continue
			}
			if codings, isConcept := m["coding"]; isConcept {
				for _, c := range list(codings) {
					add(c)
				}
			} else if _, hasText := m["text"]; !hasText {
				add(m)
			}
		}
		return out
	}
}

// identifiers reads Identifier.system|Identifier.value.
func identifiers(res map[string]any) []token {
	var out []token
	for _, id := range walk(res, "identifier") {
		t := token{system: text(child(id, "system")), code: text(child(id, "value"))}
		if t.system != "" || t.code != "" {
			out = append(out, t)
		}
	}
	return out
}

// deceased is true when deceasedBoolean is true or deceasedDateTime is
// present, false otherwise (so it is never missing).
func deceased(res map[string]any) []token {
	if b, _ := res["deceasedBoolean"].(bool); b || text(res["deceasedDateTime"]) != "" {
		return []token{{code: "true"}}
	}
	return []token{{code: "false"}}
}
