package oracle

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
)

// quantity is a Quantity with an exact value.
type quantity struct {
	value              *big.Rat
	system, code, unit string
}

// quantityParam is a quantity parameter.
type quantityParam struct {
	values func(res map[string]any) []quantity
}

func (p quantityParam) present(res map[string]any) bool { return len(p.values(res)) > 0 }

// matcher reads [prefix]number[|system|code]. Without a prefix (eq) the
// value must lie in [n - h, n + h) with h = 0.5 * 10^-d, d the decimal
// places written; gt lt ge le compare with n itself; ne is not eq.
// |system|code also requires Quantity.system and Quantity.code; ||code
// matches the code or unit in any system. Arithmetic is exact.
func (p quantityParam) matcher(modifier string, values []string) (test, error) {
	if modifier != "" {
		return nil, fmt.Errorf("modifier :%s is not supported on a quantity parameter", modifier)
	}
	var preds []func(quantity) bool
	for _, raw := range values {
		pred, err := quantityPredicate(raw)
		if err != nil {
			return nil, err
		}
		preds = append(preds, pred)
	}
	return func(res map[string]any) bool { return anyMatch(p.values(res), preds) }, nil
}

func quantityPredicate(raw string) (func(quantity) bool, error) {
	prefix, rest := splitPrefix(raw)
	parts := splitEscaped(rest, '|')
	if len(parts) != 1 && len(parts) != 3 {
		return nil, fmt.Errorf("quantity %q is not number|system|code", raw)
	}
	n, decimals, err := parseNumber(unescape(parts[0]))
	if err != nil {
		return nil, err
	}
	half := halfUnit(decimals)
	lo, hi := new(big.Rat).Sub(n, half), new(big.Rat).Add(n, half)
	eq := func(v *big.Rat) bool { return v.Cmp(lo) >= 0 && v.Cmp(hi) < 0 }
	var cmp func(v *big.Rat) bool
	switch prefix {
	case "eq":
		cmp = eq
	case "ne":
		cmp = func(v *big.Rat) bool { return !eq(v) }
	case "gt":
		cmp = func(v *big.Rat) bool { return v.Cmp(n) > 0 }
	case "lt":
		cmp = func(v *big.Rat) bool { return v.Cmp(n) < 0 }
	case "ge":
		cmp = func(v *big.Rat) bool { return v.Cmp(n) >= 0 }
	case "le":
		cmp = func(v *big.Rat) bool { return v.Cmp(n) <= 0 }
	default:
		return nil, fmt.Errorf("prefix %q is not supported on a quantity parameter", prefix)
	}
	unitOK := func(quantity) bool { return true }
	if len(parts) == 3 {
		system, code := unescape(parts[1]), unescape(parts[2])
		unitOK = func(q quantity) bool {
			if system == "" {
				return code == "" || q.code == code || q.unit == code
			}
			return q.system == system && (code == "" || q.code == code)
		}
	}
	return func(q quantity) bool { return unitOK(q) && cmp(q.value) }, nil
}

var numberPattern = regexp.MustCompile(`^[+-]?[0-9]+(\.([0-9]+))?([eE]([+-]?[0-9]+))?$`)

// parseNumber reads a search number and the decimal places it implies:
// the digits after the point, less the exponent.
func parseNumber(s string) (*big.Rat, int, error) {
	m := numberPattern.FindStringSubmatch(s)
	if m == nil {
		return nil, 0, fmt.Errorf("invalid number %q", s)
	}
	decimals := len(m[2])
	if m[4] != "" {
		exp, err := strconv.Atoi(m[4])
		if err != nil || exp > 1000 || exp < -1000 {
			return nil, 0, fmt.Errorf("invalid number %q", s)
		}
		decimals -= exp
	}
	n, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, 0, fmt.Errorf("invalid number %q", s)
	}
	return n, decimals, nil
}

// halfUnit is 0.5 * 10^-d.
func halfUnit(d int) *big.Rat {
	pow := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(max(d, -d))), nil)
	if d >= 0 {
		return new(big.Rat).SetFrac(big.NewInt(1), pow.Mul(pow, big.NewInt(2)))
	}
	return new(big.Rat).SetFrac(pow, big.NewInt(2))
}

// exact converts a decoded JSON number to an exact rational. A float64 is
// read through its shortest decimal form, which is what the JSON held.
func exact(v any) (*big.Rat, bool) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = strings.TrimSpace(string(x))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, false
		}
		s = strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		s = strconv.FormatFloat(float64(x), 'g', -1, 32)
	case int:
		s = strconv.Itoa(x)
	case int64:
		s = strconv.FormatInt(x, 10)
	default:
		return nil, false
	}
	return new(big.Rat).SetString(s)
}

// quantityAt reads a Quantity element with a numeric value.
func quantityAt(key string) func(map[string]any) []quantity {
	return func(res map[string]any) []quantity {
		var out []quantity
		for _, el := range walk(res, key) {
			v, ok := exact(child(el, "value"))
			if !ok {
				continue
			}
			out = append(out, quantity{
				value:  v,
				system: text(child(el, "system")),
				code:   text(child(el, "code")),
				unit:   text(child(el, "unit")),
			})
		}
		return out
	}
}
