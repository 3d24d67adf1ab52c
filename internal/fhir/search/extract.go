package search

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir/fhirpath"
)

// Open ends of a Period, in microseconds: far enough out for any real
// date, and clear of overflow when a query adds a margin.
const (
	MinTime = -1 << 60
	MaxTime = 1 << 60
)

// Extract evaluates every supported search parameter of the resource's
// type and returns the index rows. Parameters whose expression fails on
// this resource (it should not happen for valid resources) are skipped.
func Extract(resource map[string]any) Values {
	rt, _ := resource["resourceType"].(string)
	var out Values
	params := indexedParams(rt)
	in := fhirpath.NewInput(resource, nil)
	byExpr := make(map[*fhirpath.Expr][]any, len(params))
	for _, p := range params {
		items, done := byExpr[p.extract]
		if !done {
			var err error
			items, err = p.extract.EvaluateInput(in)
			if err != nil {
				items = nil
			}
			byExpr[p.extract] = items
		}
		if p.Type == "composite" {
			out.addComposite(p, in, items)
			continue
		}
		for _, item := range items {
			switch x := item.(type) {
			case *fhirpath.Node:
				out.add(p, x)
			case bool: // a computed value: Patient.deceased.exists() and ...
				out.add(p, &fhirpath.Node{Value: x, Type: "boolean"})
			case string:
				out.add(p, &fhirpath.Node{Value: x, Type: "string"})
			}
		}
	}
	if rv, ok := SecurityContext(resource); ok {
		out.References = append(out.References, rv)
	}
	out.dedupe()
	return out
}

func (v *Values) add(p *Param, n *fhirpath.Node) {
	switch p.Type {
	case "string":
		v.addStrings(p.Code, n)
	case "token":
		v.addTokens(p.Code, n)
	case "reference":
		v.addReference(p.Code, n)
	case "date":
		if lo, hi, ok := dateRange(n); ok {
			v.Dates = append(v.Dates, DateValue{Param: p.Code, Lo: lo, Hi: hi})
		}
	case "number":
		if num, ok := n.Value.(json.Number); ok {
			value, lo, hi := numberRange(string(num))
			v.Numbers = append(v.Numbers, NumberValue{Param: p.Code, Value: value, Lo: lo, Hi: hi})
		}
	case "quantity":
		if q, ok := quantityOf(n); ok {
			q.Param = p.Code
			v.Quantities = append(v.Quantities, q)
		}
	case "uri":
		if s, ok := n.Value.(string); ok {
			v.URIs = append(v.URIs, URIValue{Param: p.Code, URI: s})
		}
	}
}

func str(m map[string]any, key string) string { s, _ := m[key].(string); return s }

// strs reads a string or an array of strings.
func strs(m map[string]any, key string) []string {
	switch x := m[key].(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func (v *Values) addString(param, s string) {
	if s == "" {
		return
	}
	v.Strings = append(v.Strings, StringValue{Param: param, Norm: Normalize(s), Exact: s})
}

func (v *Values) addStrings(param string, n *fhirpath.Node) {
	switch x := n.Value.(type) {
	case string:
		v.addString(param, x)
	case map[string]any:
		var keys []string
		switch n.Type {
		case "HumanName":
			keys = []string{"family", "given", "prefix", "suffix", "text"}
		case "Address":
			keys = []string{"line", "city", "district", "state", "postalCode", "country", "text"}
		default:
			return
		}
		for _, k := range keys {
			for _, s := range strs(x, k) {
				v.addString(param, s)
			}
		}
	}
}

func (v *Values) addCoding(param string, m map[string]any) {
	code := str(m, "code")
	if code == "" && str(m, "display") == "" {
		return
	}
	v.Tokens = append(v.Tokens, TokenValue{Param: param, System: str(m, "system"), Code: code, Text: Normalize(str(m, "display"))})
}

func (v *Values) addTokens(param string, n *fhirpath.Node) {
	switch x := n.Value.(type) {
	case string:
		v.Tokens = append(v.Tokens, TokenValue{Param: param, Code: x})
	case bool:
		v.Tokens = append(v.Tokens, TokenValue{Param: param, Code: strconv.FormatBool(x)})
	case map[string]any:
		switch n.Type {
		case "Coding":
			v.addCoding(param, x)
		case "CodeableConcept":
			if codings, ok := x["coding"].([]any); ok {
				for _, c := range codings {
					if cm, ok := c.(map[string]any); ok {
						v.addCoding(param, cm)
					}
				}
			}
			if text := str(x, "text"); text != "" {
				v.Tokens = append(v.Tokens, TokenValue{Param: param, Text: Normalize(text)})
			}
		case "Identifier":
			value := str(x, "value")
			if value == "" {
				return
			}
			typeText := ""
			if t, ok := x["type"].(map[string]any); ok {
				typeText = str(t, "text")
				if codings, ok := t["coding"].([]any); ok {
					for _, c := range codings {
						if cm, ok := c.(map[string]any); ok && str(cm, "code") != "" {
							v.Tokens = append(v.Tokens, TokenValue{Param: param + ":of-type", System: str(cm, "system"), Code: str(cm, "code") + "|" + value})
						}
					}
				}
			}
			v.Tokens = append(v.Tokens, TokenValue{Param: param, System: str(x, "system"), Code: value, Text: Normalize(typeText)})
		case "ContactPoint":
			if value := str(x, "value"); value != "" {
				v.Tokens = append(v.Tokens, TokenValue{Param: param, System: str(x, "system"), Code: value})
			}
		}
	}
}

func (v *Values) addReference(param string, n *fhirpath.Node) {
	switch x := n.Value.(type) {
	case string: // canonical or uri
		v.References = append(v.References, referenceValue(param, x))
	case map[string]any:
		if ref := str(x, "reference"); ref != "" && !strings.HasPrefix(ref, "#") {
			v.References = append(v.References, referenceValue(param, ref))
		}
		if id, ok := x["identifier"].(map[string]any); ok && str(id, "value") != "" {
			v.Tokens = append(v.Tokens, TokenValue{Param: param + ":identifier", System: str(id, "system"), Code: str(id, "value")})
		}
	}
}

// referenceValue splits a literal reference; canonical versions (|1.0)
// are dropped, absolute URLs kept whole as well.
func referenceValue(param, ref string) ReferenceValue {
	ref, _, _ = strings.Cut(ref, "|")
	rv := ReferenceValue{Param: param}
	if typ, id, ok := splitReference(ref); ok {
		rv.TargetType, rv.TargetID = typ, id
	}
	if strings.Contains(ref, ":") {
		rv.URL = ref
	}
	return rv
}

func dateRange(n *fhirpath.Node) (lo, hi int64, ok bool) {
	switch x := n.Value.(type) {
	case string:
		d, ok := fhirpath.ParseDateTime(x)
		if !ok {
			return 0, 0, false
		}
		lo, hi = d.Range()
		return lo, hi, true
	case map[string]any:
		switch n.Type {
		case "Period":
			lo, hi = MinTime, MaxTime
			if d, ok := fhirpath.ParseDateTime(str(x, "start")); ok {
				lo, _ = d.Range()
			}
			if d, ok := fhirpath.ParseDateTime(str(x, "end")); ok {
				_, hi = d.Range()
			}
			return lo, hi, lo != MinTime || hi != MaxTime
		case "Timing":
			lo, hi = MaxTime, MinTime
			for _, e := range strs(x, "event") {
				if d, ok := fhirpath.ParseDateTime(e); ok {
					l, h := d.Range()
					lo, hi = min(lo, l), max(hi, h)
				}
			}
			if r, ok := x["repeat"].(map[string]any); ok {
				if b, ok := r["boundsPeriod"].(map[string]any); ok {
					if d, ok := fhirpath.ParseDateTime(str(b, "start")); ok {
						l, _ := d.Range()
						lo = min(lo, l)
					}
					if d, ok := fhirpath.ParseDateTime(str(b, "end")); ok {
						_, h := d.Range()
						hi = max(hi, h)
					}
				}
			}
			return lo, hi, lo <= hi
		}
	}
	return 0, 0, false
}

// numberRange reads a decimal and the interval its written precision
// implies (5.4 stands for [5.35, 5.45]).
func numberRange(s string) (value, lo, hi float64) {
	value, _ = strconv.ParseFloat(s, 64)
	half := 0.5 * math.Pow10(-decimalPlaces(s))
	if e := strings.IndexAny(s, "eE"); e >= 0 {
		exp, _ := strconv.Atoi(s[e+1:])
		half = 0.5 * math.Pow10(exp-decimalPlaces(s[:e]))
	}
	lo, hi = value-half, value+half
	// Beyond float64's resolution the interval collapses: keep the value
	// itself inside it.
	if hi <= value {
		hi = math.Nextafter(value, math.Inf(1))
	}
	return value, min(lo, value), hi
}

func decimalPlaces(s string) int {
	if e := strings.IndexAny(s, "eE"); e >= 0 {
		s = s[:e]
	}
	if _, frac, ok := strings.Cut(s, "."); ok {
		return len(frac)
	}
	return 0
}

func quantityOf(n *fhirpath.Node) (QuantityValue, bool) {
	m, ok := n.Value.(map[string]any)
	if !ok {
		return QuantityValue{}, false
	}
	if n.Type == "Range" {
		q := QuantityValue{Lo: math.Inf(-1), Hi: math.Inf(1)}
		if low, ok := m["low"].(map[string]any); ok {
			if num, ok := low["value"].(json.Number); ok {
				q.Lo, _ = strconv.ParseFloat(string(num), 64)
			}
			q.System, q.Code, q.Unit = str(low, "system"), str(low, "code"), str(low, "unit")
		}
		if high, ok := m["high"].(map[string]any); ok {
			if num, ok := high["value"].(json.Number); ok {
				q.Hi, _ = strconv.ParseFloat(string(num), 64)
			}
			if q.Code == "" {
				q.System, q.Code, q.Unit = str(high, "system"), str(high, "code"), str(high, "unit")
			}
		}
		q.Value = q.Lo
		return q, !math.IsInf(q.Lo, -1) || !math.IsInf(q.Hi, 1)
	}
	num, ok := m["value"].(json.Number)
	if !ok {
		return QuantityValue{}, false
	}
	value, lo, hi := numberRange(string(num))
	q := QuantityValue{System: str(m, "system"), Code: str(m, "code"), Unit: str(m, "unit"), Value: value, Lo: lo, Hi: hi}
	if n.Type == "Money" {
		q.System, q.Code = "urn:iso:std:iso:4217", str(m, "currency")
	}
	if q.Code == "" {
		q.Code = q.Unit
	}
	return q, true
}
