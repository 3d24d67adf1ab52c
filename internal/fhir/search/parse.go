package search

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
	"github.com/gpcloud/gpcloud/internal/fhir/fhirpath"
)

// ParseOptions tune Parse.
type ParseOptions struct {
	// BaseURL is the server's FHIR base: absolute references to it are
	// read as relative ones.
	BaseURL      string
	DefaultCount int
	MaxCount     int
}

// Ignored is a parameter Parse did not apply (unknown, unsupported), with
// the reason; in strict handling the caller reports them as errors.
type Ignored struct {
	Name, Reason string
}

// resultParams are handled by the caller (formatting) or here (paging,
// sorting, including); they are never filters.
var resultParams = map[string]bool{
	"_count": true, "_sort": true, "_total": true, "_include": true, "_revinclude": true,
	"_summary": true, "_elements": true, "_format": true, "_pretty": true, "_type": true,
	"_page": true, "_search": true, "_offset": true,
}

// Parse reads a search request for types (one type, or for a system
// search those of _type). Invalid values are errors (400); unknown or
// unsupported parameters are returned as Ignored.
func Parse(types []string, params url.Values, opt ParseOptions) (*Query, []Ignored, error) {
	q := &Query{Types: types, Count: opt.DefaultCount}
	var ignored []Ignored
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		for _, raw := range params[key] {
			if err := CheckParam(key, raw); err != nil {
				return nil, nil, err
			}
			ig, err := q.parseParam(key, raw, opt)
			if err == nil {
				err = q.checkTerms() // after each parameter: a huge query stops early
			}
			if err != nil {
				return nil, nil, err
			}
			if ig != nil {
				ignored = append(ignored, *ig)
			}
		}
	}
	return q, ignored, nil
}

// ParseCount reads a _count value: a non-negative integer, capped at max.
func ParseCount(raw string, max int) (int, error) {
	n, err := strconv.Atoi(raw)
	if err != nil || n < 0 {
		return 0, badRequest("_count must be a non-negative integer, got %q", raw)
	}
	return min(n, max), nil
}

func badRequest(format string, args ...any) error {
	return fhir.Errorf(http.StatusBadRequest, fhir.CodeValue, format, args...)
}

func (q *Query) parseParam(key, raw string, opt ParseOptions) (*Ignored, error) {
	switch key {
	case "_count":
		n, err := ParseCount(raw, opt.MaxCount)
		if err != nil {
			return nil, err
		}
		q.Count = n
		return nil, nil
	case "_total":
		switch raw {
		case "none", "estimate", "accurate":
			q.Total = raw
			return nil, nil
		}
		return nil, badRequest("_total must be none, estimate or accurate, got %q", raw)
	case "_sort":
		return nil, q.parseSort(raw)
	case "_include", "_revinclude", "_include:iterate", "_revinclude:iterate", "_include:recurse", "_revinclude:recurse":
		return nil, q.parseInclude(key, raw)
	}
	if resultParams[key] {
		return nil, nil
	}
	if key == "_contained" || key == "_containedType" {
		return &Ignored{key, "contained resources are not searched"}, nil
	}
	if err := checkDepth(key); err != nil {
		return nil, err
	}
	f, ig, err := q.parseFilter(q.Types, key, raw, opt)
	if err != nil || ig != nil {
		return ig, err
	}
	q.Filters = append(q.Filters, f)
	return nil, nil
}

// lookupCommon finds a parameter on every type (for system searches, the
// parameter must exist on all of them).
func lookupCommon(types []string, code string) *Param {
	if len(types) == 0 {
		return Lookup("Patient", code) // all types: Resource-level parameters only
	}
	var p *Param
	for _, t := range types {
		tp := Lookup(t, code)
		if tp == nil {
			return nil
		}
		if p == nil {
			p = tp
		}
	}
	return p
}

func (q *Query) parseFilter(types []string, key, raw string, opt ParseOptions) (*Filter, *Ignored, error) {
	if rest, ok := strings.CutPrefix(key, "_has:"); ok {
		return parseHas(types, rest, raw, opt)
	}
	name, modifier, _ := strings.Cut(key, ":")
	var chainRest string
	if dot := strings.IndexByte(key, '.'); dot >= 0 {
		chainRest = key[dot+1:]
		name, modifier, _ = strings.Cut(key[:dot], ":")
	}
	p := lookupCommon(types, name)
	if p == nil {
		return nil, &Ignored{key, fmt.Sprintf("unknown search parameter %q for %s", name, strings.Join(types, ","))}, nil
	}
	if !p.Supported() {
		return nil, &Ignored{key, fmt.Sprintf("search parameter %q (%s) is not supported", name, p.Type)}, nil
	}
	f := &Filter{Param: p, Modifier: modifier}
	if chainRest != "" {
		if p.Type != "reference" {
			return nil, nil, badRequest("%s: only reference parameters can be chained", key)
		}
		targets := p.Targets
		if modifier != "" {
			if !definitions.IsResourceType(modifier) {
				return nil, nil, badRequest("%s: %q is not a resource type", key, modifier)
			}
			targets = []string{modifier}
		}
		chainName, _, _ := strings.Cut(strings.SplitN(chainRest, ".", 2)[0], ":")
		var withParam []string
		for _, t := range targets {
			if Lookup(t, chainName) != nil {
				withParam = append(withParam, t)
			}
		}
		if len(withParam) == 0 {
			return nil, &Ignored{key, fmt.Sprintf("no target of %s has a search parameter %q", name, chainName)}, nil
		}
		next, ig, err := q.parseFilter(withParam, chainRest, raw, opt)
		if err != nil || ig != nil {
			return nil, ig, err
		}
		f.Modifier = ""
		f.Chain = &Chain{Targets: withParam, Next: next}
		return f, nil, nil
	}
	if modifier == "missing" {
		switch raw {
		case "true", "false":
			b := raw == "true"
			f.Missing = &b
			return f, nil, nil
		}
		return nil, nil, badRequest("%s must be true or false, got %q", key, raw)
	}
	if err := checkModifier(p, modifier); err != nil {
		return nil, &Ignored{key, err.Error()}, nil
	}
	parts := splitValues(raw, MaxValues)
	if err := CheckValues(key, len(parts)); err != nil {
		return nil, nil, err
	}
	for _, part := range parts {
		v, err := parseValue(p, modifier, part, opt)
		if err != nil {
			return nil, nil, badRequest("%s: %v", key, err)
		}
		f.Values = append(f.Values, v)
	}
	if len(f.Values) == 0 {
		return nil, &Ignored{key, "no value"}, nil
	}
	return f, nil, nil
}

func checkModifier(p *Param, m string) error {
	if m == "" {
		return nil
	}
	ok := false
	switch p.Type {
	case "string":
		ok = m == "exact" || m == "contains"
	case "token":
		ok = m == "not" || m == "text" || (m == "of-type" && p.Code == "identifier") ||
			// Answered through the terminology: the service expands :in and
			// :not-in (a value set's URL), the store walks :below and
			// :above (system|code) in the loaded hierarchy.
			(p.Code != "identifier" && (m == "below" || m == "above" || m == "in" || m == "not-in"))
	case "reference":
		ok = m == "identifier" || definitions.IsResourceType(m)
	case "uri":
		ok = m == "below" || m == "above"
	}
	if !ok {
		return fmt.Errorf("modifier :%s is not supported on %s parameter %s", m, p.Type, p.Code)
	}
	return nil
}

func parseHas(types []string, rest, raw string, opt ParseOptions) (*Filter, *Ignored, error) {
	parts := strings.SplitN(rest, ":", 3)
	if len(parts) < 3 || !definitions.IsResourceType(parts[0]) {
		return nil, nil, badRequest("_has:%s: expected _has:Type:reference:parameter", rest)
	}
	ref := Lookup(parts[0], parts[1])
	if ref == nil || ref.Type != "reference" {
		return nil, nil, badRequest("_has:%s: %s has no reference parameter %q", rest, parts[0], parts[1])
	}
	inner := &Query{}
	next, ig, err := inner.parseFilter([]string{parts[0]}, parts[2], raw, opt)
	if err != nil || ig != nil {
		return nil, ig, err
	}
	return &Filter{Param: ref, Has: &Has{Type: parts[0], RefParam: ref, Next: next}}, nil, nil
}

// splitValues splits on commas not escaped with a backslash. It stops at
// max+1 values, enough for the caller to refuse them.
func splitValues(raw string, max int) []string {
	var out []string
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '\\' && i+1 < len(raw) {
			b.WriteByte(c)
			b.WriteByte(raw[i+1])
			i++
			continue
		}
		if c == ',' {
			out = append(out, b.String())
			b.Reset()
			if len(out) > max {
				return out
			}
			continue
		}
		b.WriteByte(c)
	}
	return append(out, b.String())
}

// splitEscaped splits on the first unescaped sep and unescapes both parts.
func splitEscaped(s string, sep byte) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == sep {
			return unescape(s[:i]), s[i+1:], true
		}
	}
	return unescape(s), "", false
}

func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

var prefixes = map[string]bool{"eq": true, "ne": true, "gt": true, "lt": true, "ge": true, "le": true, "sa": true, "eb": true, "ap": true}

func cutPrefix(s string) (string, string) {
	if len(s) > 2 && prefixes[s[:2]] && (s[2] >= '0' && s[2] <= '9' || s[2] == '-' || s[2] == '.') {
		return s[:2], s[2:]
	}
	return "eq", s
}

// parseSystemCode reads code, system|code, |code or system| into v. A
// bare "|" names neither, and is refused as conditional matching and
// the oracle refuse it: read as "any code without a system", it matched
// concepts' text rows, which hold no code.
func parseSystemCode(v *Value, raw string) error {
	system, code, hasSystem := splitEscaped(raw, '|')
	if !hasSystem {
		v.Code = system
		return nil
	}
	if system == "" && code == "" {
		return fmt.Errorf("expected a code, a system or both, got %q", raw)
	}
	v.System, v.HasSystem, v.Code = system, true, unescape(code)
	return nil
}

func parseValue(p *Param, modifier, raw string, opt ParseOptions) (Value, error) {
	var v Value
	switch p.Type {
	case "string":
		v.Text = unescape(raw)
		if modifier != "exact" {
			v.Text = Normalize(v.Text)
		}
	case "uri":
		v.Text = unescape(raw)
	case "token":
		if modifier == "text" {
			v.Text = Normalize(unescape(raw))
			break
		}
		if modifier == "in" || modifier == "not-in" {
			v.Text = unescape(raw) // a value set's canonical URL
			if v.Text == "" {
				return v, fmt.Errorf("expected a value set URL")
			}
			break
		}
		if modifier == "of-type" {
			system, rest, ok := splitEscaped(raw, '|')
			code, value, ok2 := splitEscaped(rest, '|')
			if !ok || !ok2 || code == "" || value == "" {
				return v, fmt.Errorf("expected system|code|value, got %q", raw)
			}
			v.System, v.HasSystem, v.Code = system, true, code+"|"+unescape(value)
			break
		}
		if err := parseSystemCode(&v, raw); err != nil {
			return v, err
		}
	case "reference":
		if modifier == "identifier" {
			if err := parseSystemCode(&v, raw); err != nil {
				return v, err
			}
			break
		}
		ref := unescape(raw)
		if opt.BaseURL != "" {
			ref = strings.TrimPrefix(ref, strings.TrimSuffix(opt.BaseURL, "/")+"/")
		}
		if strings.Contains(ref, ":") { // absolute URL or canonical
			v.URL, _, _ = strings.Cut(ref, "|")
			break
		}
		if typ, id, ok := splitReference(ref); ok {
			v.RefType, v.RefID = typ, id
		} else if !strings.Contains(ref, "/") && ref != "" {
			v.RefID = ref
		} else {
			return v, fmt.Errorf("invalid reference %q", raw)
		}
		if definitions.IsResourceType(modifier) {
			if v.RefType != "" && v.RefType != modifier {
				return v, fmt.Errorf("reference %q is not a %s", raw, modifier)
			}
			v.RefType = modifier
		}
	case "date":
		prefix, rest := cutPrefix(raw)
		d, ok := fhirpath.ParseDateTime(rest)
		if !ok || d.IsTime() {
			return v, fmt.Errorf("invalid date %q (expected a prefix eq, ne, gt, lt, ge, le, sa, eb or ap and a date such as 2024-03-01 or 2024-03-01T10:00:00Z)", raw)
		}
		v.Prefix = prefix
		v.Lo, v.Hi = d.Range()
	case "number":
		prefix, rest := cutPrefix(raw)
		num, err := parseNumber(rest)
		if err != nil {
			return v, fmt.Errorf("invalid number %q", raw)
		}
		v.Prefix = prefix
		v.Num, v.NumLo, v.NumHi = numberRange(num)
	case "quantity":
		prefix, rest := cutPrefix(raw)
		numText, unitPart, _ := splitEscaped(rest, '|')
		num, err := parseNumber(numText)
		if err != nil {
			return v, fmt.Errorf("invalid quantity %q (expected [prefix]number[|system|code])", raw)
		}
		v.Prefix = prefix
		v.Num, v.NumLo, v.NumHi = numberRange(num)
		if unitPart != "" {
			system, code, hasSystem := splitEscaped(unitPart, '|')
			if hasSystem {
				v.System, v.HasSystem, v.Code = system, system != "", unescape(code)
			} else {
				v.Code = system
			}
		}
	case "composite":
		first, second, ok := splitEscaped(raw, '$')
		if !ok || len(p.Components) != 2 {
			return v, fmt.Errorf("expected two components separated by $, got %q", raw)
		}
		a, err := parseValue(p.Components[0].Param, "", escapeDollar(first), opt)
		if err != nil {
			return v, err
		}
		b, err := parseValue(p.Components[1].Param, "", second, opt)
		if err != nil {
			return v, err
		}
		v.Parts = []Value{a, b}
	default:
		return v, fmt.Errorf("%s parameters are not supported", p.Type)
	}
	return v, nil
}

// escapeDollar re-escapes what splitEscaped unescaped, so that the part
// can be parsed again (its '|' separators must survive).
func escapeDollar(s string) string { return strings.ReplaceAll(s, `\`, `\\`) }

func parseNumber(s string) (string, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return "", fmt.Errorf("invalid number")
	}
	return s, nil
}

func (q *Query) parseSort(raw string) error {
	// Keys of repeated _sort parameters add up: SQLite orders by at most
	// 2,000 terms, two a key.
	if err := CheckValues("_sort", len(q.Sort)+strings.Count(raw, ",")+1); err != nil {
		return err
	}
	for _, key := range strings.Split(raw, ",") {
		desc := strings.HasPrefix(key, "-")
		code := strings.TrimPrefix(key, "-")
		p := lookupCommon(q.Types, code)
		if p == nil || !(p.Supported() || code == "_id") {
			return badRequest("_sort: unknown search parameter %q", code)
		}
		q.Sort = append(q.Sort, SortKey{Param: p, Desc: desc})
	}
	return nil
}

func (q *Query) parseInclude(key, raw string) error {
	iterate := strings.HasSuffix(key, ":iterate") || strings.HasSuffix(key, ":recurse")
	rev := strings.HasPrefix(key, "_revinclude")
	parts := strings.Split(raw, ":")
	if raw == "*" {
		parts = []string{"*", "*"}
	}
	if len(parts) < 2 || len(parts) > 3 {
		return badRequest("%s=%s: expected Type:parameter[:targetType]", key, raw)
	}
	inc := Include{SourceType: parts[0], Iterate: iterate}
	if inc.SourceType != "*" && !definitions.IsResourceType(inc.SourceType) {
		return badRequest("%s=%s: %q is not a resource type", key, raw, inc.SourceType)
	}
	if parts[1] != "*" {
		if inc.SourceType == "*" {
			return badRequest("%s=%s: a wildcard type needs a wildcard parameter", key, raw)
		}
		inc.Param = Lookup(inc.SourceType, parts[1])
		if inc.Param == nil || inc.Param.Type != "reference" {
			return badRequest("%s=%s: %s has no reference parameter %q", key, raw, inc.SourceType, parts[1])
		}
	}
	if len(parts) == 3 {
		if !definitions.IsResourceType(parts[2]) {
			return badRequest("%s=%s: %q is not a resource type", key, raw, parts[2])
		}
		inc.TargetType = parts[2]
	}
	if rev {
		q.RevInclude = append(q.RevInclude, inc)
	} else {
		q.Include = append(q.Include, inc)
	}
	return nil
}
