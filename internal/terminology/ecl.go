package terminology

import (
	"fmt"
	"strings"
)

// ECL: the simple subset of SNOMED CT's Expression Constraint Language
// that typeahead bindings use: a focus concept with an optional term
// (`73211009 |Diabetes mellitus|`), descendants-or-self (`<<`), descendants
// (`<`), members of a reference set (`^`), the whole system (`*`) and OR
// between them. Anything else is refused, naming what was not understood,
// rather than answered from a part of the constraint.

// parseECL returns one include per disjunct.
func parseECL(system, ecl string) ([]include, error) {
	var out []include
	for _, part := range splitOr(ecl) {
		part = strings.TrimSpace(part)
		part = strings.TrimSuffix(strings.TrimPrefix(part, "("), ")")
		part = strings.TrimSpace(part)
		inc := include{System: system}
		var op string
		switch {
		case strings.HasPrefix(part, "<<"):
			op, part = "<<", part[2:]
		case strings.HasPrefix(part, "<!"), strings.HasPrefix(part, ">"), strings.HasPrefix(part, "!!"):
			return nil, fmt.Errorf("ECL operator in %q is not supported (only <<, <, ^, * and OR)", part)
		case strings.HasPrefix(part, "<"):
			op, part = "<", part[1:]
		case strings.HasPrefix(part, "^"):
			op, part = "^", part[1:]
		}
		part = strings.TrimSpace(part)
		if i := strings.IndexByte(part, '|'); i >= 0 {
			rest := part[i+1:]
			j := strings.IndexByte(rest, '|')
			if j < 0 || strings.TrimSpace(rest[j+1:]) != "" {
				return nil, fmt.Errorf("ECL term in %q is not closed by |", part)
			}
			part = strings.TrimSpace(part[:i])
		}
		if part == "*" {
			if op == "^" {
				return nil, fmt.Errorf("ECL ^ * is not supported")
			}
			inc.All = true
			out = append(out, inc)
			continue
		}
		if !isSCTID(part) {
			return nil, fmt.Errorf("ECL: %q is not a concept id", part)
		}
		switch op {
		case "<<":
			inc.Below = []string{part}
		case "<":
			inc.Descendants = []string{part}
		case "^":
			inc.Refset = part
		default:
			inc.Codes = []string{part}
		}
		out = append(out, inc)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("ECL: empty constraint")
	}
	return out, nil
}

// splitOr splits on the word OR outside terms.
func splitOr(s string) []string {
	var out []string
	inTerm := false
	start := 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '|':
			inTerm = !inTerm
		case !inTerm && i+4 <= len(s) && strings.EqualFold(s[i:i+4], " OR "):
			out = append(out, s[start:i])
			start = i + 4
			i += 3
		}
	}
	return append(out, s[start:])
}

func isSCTID(s string) bool {
	if len(s) < 6 || len(s) > 18 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
