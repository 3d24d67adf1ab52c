package oracle

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// fold lowercases and strips the accents of the letters Synthea and UK
// names use (a table of its own, not the engine's).
func fold(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case strings.ContainsRune("àáâãäåā", r):
			r = 'a'
		case strings.ContainsRune("çć", r):
			r = 'c'
		case strings.ContainsRune("èéêëē", r):
			r = 'e'
		case strings.ContainsRune("ìíîïī", r):
			r = 'i'
		case strings.ContainsRune("ñń", r):
			r = 'n'
		case strings.ContainsRune("òóôõöøō", r):
			r = 'o'
		case strings.ContainsRune("ùúûüū", r):
			r = 'u'
		case strings.ContainsRune("ýÿ", r):
			r = 'y'
		}
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		b.WriteRune(r)
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

func stringMatcher(modifier, value string) func(any) bool {
	want := fold(value)
	return func(v any) bool {
		s, _ := v.(string)
		switch modifier {
		case "exact":
			return s == value
		case "contains":
			return strings.Contains(fold(s), want)
		}
		return strings.HasPrefix(fold(s), want)
	}
}

func tokenMatcher(value string) func(any) bool {
	system, code, hasSystem := strings.Cut(value, "|")
	if !hasSystem {
		system, code = "", value
	}
	return func(v any) bool {
		t, _ := v.(token)
		switch {
		case !hasSystem:
			return t.code == code
		case code == "":
			return t.system == system
		}
		return t.system == system && t.code == code
	}
}

func refMatcher(modifier, value string) func(any) bool {
	parts := strings.Split(value, "/")
	typ, id := "", parts[len(parts)-1]
	if len(parts) >= 2 {
		typ = parts[len(parts)-2]
	}
	if modifier != "" && modifier != "not" {
		typ = modifier
	}
	return func(v any) bool {
		r, _ := v.(ref)
		return r.id == id && (typ == "" || r.typ == typ)
	}
}

// dateRange is a closed interval of microseconds.
type dateRange struct{ lo, hi int64 }

const (
	minTime = math.MinInt64 / 4
	maxTime = math.MaxInt64 / 4
)

// parseDate reads a FHIR date/dateTime at its precision into the range
// it covers.
func parseDate(s string) (dateRange, bool) {
	layouts := []struct {
		layout string
		step   func(time.Time) time.Time
	}{
		{"2006", func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }},
		{"2006-01", func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }},
		{"2006-01-02", func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }},
		{"2006-01-02T15:04Z07:00", func(t time.Time) time.Time { return t.Add(time.Minute) }},
		{"2006-01-02T15:04:05Z07:00", func(t time.Time) time.Time { return t.Add(time.Second) }},
		{"2006-01-02T15:04", func(t time.Time) time.Time { return t.Add(time.Minute) }},
		{"2006-01-02T15:04:05", func(t time.Time) time.Time { return t.Add(time.Second) }},
	}
	for _, l := range layouts {
		if t, err := time.Parse(l.layout, s); err == nil {
			return dateRange{t.UnixMicro(), l.step(t).UnixMicro() - 1}, true
		}
	}
	// Fractional seconds: millisecond precision.
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return dateRange{t.UnixMicro(), t.Add(time.Millisecond).UnixMicro() - 1}, true
	}
	return dateRange{}, false
}

func dateOf(key string) func(map[string]any) []any {
	return func(r map[string]any) []any {
		if d, ok := parseDate(str(r, key)); ok {
			return []any{d}
		}
		return nil
	}
}

// choiceDate reads key+DateTime, key+Period or key (a Period) as a range.
func choiceDate(key string) func(map[string]any) []any {
	return func(r map[string]any) []any {
		for _, k := range []string{key + "DateTime", key + "Instant", key} {
			if s, ok := r[k].(string); ok {
				if d, ok := parseDate(s); ok {
					return []any{d}
				}
			}
		}
		for _, k := range []string{key + "Period", key} {
			if p := obj(r[k]); p != nil {
				d := dateRange{minTime, maxTime}
				start, okStart := parseDate(str(p, "start"))
				end, okEnd := parseDate(str(p, "end"))
				if !okStart && !okEnd {
					continue
				}
				if okStart {
					d.lo = start.lo
				}
				if okEnd {
					d.hi = end.hi
				}
				return []any{d}
			}
		}
		return nil
	}
}

func splitPrefix(value string) (string, string) {
	if len(value) > 2 && strings.Contains("eq ne gt lt ge le sa eb", value[:2]) && value[2] >= '0' && value[2] <= '9' {
		return value[:2], value[2:]
	}
	return "eq", value
}

func dateMatcher(value string) (func(any) bool, error) {
	prefix, rest := splitPrefix(value)
	q, ok := parseDate(rest)
	if !ok {
		return nil, fmt.Errorf("bad date %q", rest)
	}
	return func(v any) bool {
		d, _ := v.(dateRange)
		switch prefix {
		case "ne":
			return !(d.lo >= q.lo && d.hi <= q.hi)
		case "gt":
			return d.hi > q.hi
		case "lt":
			return d.lo < q.lo
		case "ge":
			return d.hi >= q.lo
		case "le":
			return d.lo <= q.hi
		case "sa":
			return d.lo > q.hi
		case "eb":
			return d.hi < q.lo
		}
		return d.lo >= q.lo && d.hi <= q.hi
	}, nil
}

type quantity struct {
	value              float64
	system, code, unit string
}

func quantityMatcher(value string) (func(any) bool, error) {
	prefix, rest := splitPrefix(value)
	parts := strings.SplitN(rest, "|", 3)
	n, err := strconv.ParseFloat(parts[0], 64)
	if err != nil {
		return nil, err
	}
	decimals := 0
	if _, frac, ok := strings.Cut(parts[0], "."); ok {
		decimals = len(frac)
	}
	half := 0.5 * math.Pow10(-decimals)
	lo, hi := n-half, n+half
	if hi <= n { // more digits than a float64 holds
		hi = math.Nextafter(n, math.Inf(1))
	}
	return func(v any) bool {
		q, _ := v.(quantity)
		if len(parts) == 3 {
			if parts[1] != "" && q.system != parts[1] {
				return false
			}
			if q.code != parts[2] && !(parts[1] == "" && q.unit == parts[2]) {
				return false
			}
		}
		switch prefix {
		case "ne":
			return !(q.value >= lo && q.value < hi)
		case "gt", "sa":
			return q.value > n
		case "lt", "eb":
			return q.value < n
		case "ge":
			return q.value >= n
		case "le":
			return q.value <= n
		}
		return q.value >= lo && q.value < hi
	}, nil
}
