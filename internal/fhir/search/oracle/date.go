package oracle

import (
	"fmt"
	"math"
	"time"
)

// interval is a closed range of microseconds since the Unix epoch.
type interval struct{ lo, hi int64 }

const (
	negInf = math.MinInt64
	posInf = math.MaxInt64
)

// dateParam is a date parameter.
type dateParam struct {
	values func(res map[string]any) []interval
}

func (p dateParam) present(res map[string]any) bool { return len(p.values(res)) > 0 }

func (p dateParam) matcher(modifier string, values []string) (test, error) {
	if modifier != "" {
		return nil, fmt.Errorf("modifier :%s is not supported on a date parameter", modifier)
	}
	var preds []func(interval) bool
	for _, raw := range values {
		prefix, rest := splitPrefix(unescape(raw))
		q, err := parseDate(rest)
		if err != nil {
			return nil, err
		}
		pred, err := datePredicate(prefix, q)
		if err != nil {
			return nil, err
		}
		preds = append(preds, pred)
	}
	return func(res map[string]any) bool { return anyMatch(p.values(res), preds) }, nil
}

// datePredicate compares a resource range r with the search range q.
func datePredicate(prefix string, q interval) (func(interval) bool, error) {
	eq := func(r interval) bool { return r.lo >= q.lo && r.hi <= q.hi }
	switch prefix {
	case "eq":
		return eq, nil
	case "ne":
		return func(r interval) bool { return !eq(r) }, nil
	case "gt":
		return func(r interval) bool { return r.hi > q.hi }, nil
	case "lt":
		return func(r interval) bool { return r.lo < q.lo }, nil
	case "ge":
		return func(r interval) bool { return r.hi >= q.lo }, nil
	case "le":
		return func(r interval) bool { return r.lo <= q.hi }, nil
	case "sa":
		return func(r interval) bool { return r.lo > q.hi }, nil
	case "eb":
		return func(r interval) bool { return r.hi < q.lo }, nil
	}
	return nil, fmt.Errorf("prefix %q is not supported on a date parameter", prefix)
}

// parseDate reads YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss[.f]]
// with an optional Z or ±hh:mm zone (UTC when absent) as the range its
// precision covers. Fractions finer than a microsecond are truncated.
func parseDate(s string) (interval, error) {
	bad := fmt.Errorf("invalid date %q", s)
	sc := scanner{s: s}
	year, ok := sc.number(4)
	if !ok {
		return interval{}, bad
	}
	month, day, hour, minute, second, nanos := 1, 1, 0, 0, 0, 0
	loc := time.UTC
	next := func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }
	if sc.eat('-') {
		if month, ok = sc.number(2); !ok {
			return interval{}, bad
		}
		next = func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }
		if sc.eat('-') {
			if day, ok = sc.number(2); !ok {
				return interval{}, bad
			}
			next = func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }
			if sc.eat('T') {
				if hour, ok = sc.number(2); !ok || !sc.eat(':') {
					return interval{}, bad
				}
				if minute, ok = sc.number(2); !ok {
					return interval{}, bad
				}
				step := time.Minute
				if sc.eat(':') {
					if second, ok = sc.number(2); !ok {
						return interval{}, bad
					}
					step = time.Second
					if sc.eat('.') {
						digits := sc.digits()
						if digits == "" {
							return interval{}, bad
						}
						step = time.Nanosecond
						for i := 0; i < 9; i++ {
							nanos *= 10
							if i < len(digits) {
								nanos += int(digits[i] - '0')
							} else {
								step *= 10
							}
						}
						step = max(step, time.Microsecond)
					}
				}
				next = func(t time.Time) time.Time { return t.Add(step) }
				if loc, ok = sc.zone(); !ok {
					return interval{}, bad
				}
			}
		}
	}
	if !sc.done() || month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59 {
		return interval{}, bad
	}
	t := time.Date(year, time.Month(month), day, hour, minute, second, nanos, loc)
	if t.Day() != day || int(t.Month()) != month { // e.g. February 30
		return interval{}, bad
	}
	return interval{t.UnixMicro(), next(t).UnixMicro() - 1}, nil
}

// scanner reads a date string left to right.
type scanner struct {
	s string
	i int
}

func (sc *scanner) done() bool { return sc.i == len(sc.s) }

func (sc *scanner) eat(c byte) bool {
	if sc.i < len(sc.s) && sc.s[sc.i] == c {
		sc.i++
		return true
	}
	return false
}

// number reads exactly n decimal digits.
func (sc *scanner) number(n int) (int, bool) {
	if sc.i+n > len(sc.s) {
		return 0, false
	}
	v := 0
	for _, c := range []byte(sc.s[sc.i : sc.i+n]) {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	sc.i += n
	return v, true
}

func (sc *scanner) digits() string {
	start := sc.i
	for sc.i < len(sc.s) && sc.s[sc.i] >= '0' && sc.s[sc.i] <= '9' {
		sc.i++
	}
	return sc.s[start:sc.i]
}

// zone reads an optional Z or ±hh:mm.
func (sc *scanner) zone() (*time.Location, bool) {
	if sc.done() || sc.eat('Z') {
		return time.UTC, true
	}
	sign := 1
	switch {
	case sc.eat('-'):
		sign = -1
	case sc.eat('+'):
	default:
		return nil, false
	}
	hh, ok1 := sc.number(2)
	colon := sc.eat(':')
	mm, ok2 := sc.number(2)
	if !ok1 || !colon || !ok2 || hh > 14 || mm > 59 {
		return nil, false
	}
	return time.FixedZone("", sign*(hh*3600+mm*60)), true
}

// dateAt reads a date, dateTime or instant element.
func dateAt(key string) func(map[string]any) []interval {
	return func(res map[string]any) []interval {
		var out []interval
		for _, v := range walk(res, key) {
			if iv, err := parseDate(text(v)); err == nil {
				out = append(out, iv)
			}
		}
		return out
	}
}

// periodAt reads a Period element: start (or -infinity) to the end of end
// (or +infinity). A Period with neither is no value.
func periodAt(key string) func(map[string]any) []interval {
	return func(res map[string]any) []interval {
		var out []interval
		for _, v := range walk(res, key) {
			start, errStart := parseDate(text(child(v, "start")))
			end, errEnd := parseDate(text(child(v, "end")))
			if errStart != nil && errEnd != nil {
				continue
			}
			iv := interval{negInf, posInf}
			if errStart == nil {
				iv.lo = start.lo
			}
			if errEnd == nil {
				iv.hi = end.hi
			}
			out = append(out, iv)
		}
		return out
	}
}

// choiceDate reads a choice element base[x] of types DateTime, Instant and
// Period.
func choiceDate(base string) func(map[string]any) []interval {
	dateTime, instant, period := dateAt(base+"DateTime"), dateAt(base+"Instant"), periodAt(base+"Period")
	return func(res map[string]any) []interval {
		out := dateTime(res)
		out = append(out, instant(res)...)
		return append(out, period(res)...)
	}
}
