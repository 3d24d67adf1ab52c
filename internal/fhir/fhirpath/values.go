package fhirpath

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// collection is a FHIRPath collection: an ordered list of items. An item
// is one of bool, string, int64 (Integer), Decimal, DateTime (Date,
// DateTime and Time by its kind), Quantity, or *Node (an element of the
// resource, typed by the R4 definitions).
type collection []any

// Decimal is a FHIRPath Decimal, exact, with the number of decimal places
// it was written with (precision matters to equivalence, toString and the
// boundary functions).
type Decimal struct {
	r      *big.Rat
	places int
}

// decimalPlaces counts the digits after the point in a number's text.
func decimalPlaces(s string) int {
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		s = s[:i]
	}
	if _, frac, ok := strings.Cut(s, "."); ok {
		return len(frac)
	}
	return 0
}

func toDecimal(v any) Decimal {
	switch x := v.(type) {
	case Decimal:
		return x
	case int64:
		return Decimal{r: new(big.Rat).SetInt64(x)}
	}
	return Decimal{r: new(big.Rat)}
}

// String writes the decimal with the places it carries (at least enough to
// show its value, up to 8 places for results of division).
func (d Decimal) String() string {
	places := d.places
	if !d.r.IsInt() {
		s := strings.TrimRight(d.r.FloatString(8), "0")
		if _, frac, _ := strings.Cut(s, "."); len(frac) > places {
			places = len(frac)
		}
	}
	return d.r.FloatString(places)
}

// Quantity is a value with a UCUM unit or a calendar duration word.
type Quantity struct {
	Value Decimal
	Unit  string
}

// calendarUnits maps the calendar duration words to UCUM.
var calendarUnits = map[string]string{
	"year": "a", "years": "a", "month": "mo", "months": "mo", "week": "wk", "weeks": "wk",
	"day": "d", "days": "d", "hour": "h", "hours": "h", "minute": "min", "minutes": "min",
	"second": "s", "seconds": "s", "millisecond": "ms", "milliseconds": "ms",
}

func (q Quantity) String() string {
	if calendarUnits[q.Unit] != "" {
		return q.Value.String() + " " + q.Unit
	}
	return q.Value.String() + " '" + q.Unit + "'"
}

// Precisions of dates and times.
const (
	precYear = iota + 1
	precMonth
	precDay
	precHour
	precMinute
	precSecond
	precMillis
)

type temporalKind int

const (
	kindDate temporalKind = iota + 1
	kindDateTime
	kindTime
)

// DateTime is a FHIRPath Date, DateTime or Time with its precision.
type DateTime struct {
	T     time.Time
	Prec  int
	Kind  temporalKind
	HasTZ bool
}

func parseNumber(s string) (any, error) {
	s = strings.TrimSuffix(s, "L")
	if !strings.Contains(s, ".") {
		n, err := strconv.ParseInt(s, 10, 64)
		if err == nil {
			return n, nil
		}
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, fmt.Errorf("invalid number %q", s)
	}
	return Decimal{r: r, places: decimalPlaces(s)}, nil
}

// parseDateTimeLiteral parses the text after '@'.
func parseDateTimeLiteral(s string) (DateTime, error) {
	if strings.HasPrefix(s, "T") {
		return parseTime(s[1:])
	}
	dt, ok := parseDateTime(s)
	if !ok {
		return DateTime{}, fmt.Errorf("invalid date/time literal @%s", s)
	}
	if strings.HasSuffix(s, "T") {
		dt.Kind = kindDateTime
	}
	return dt, nil
}

// parseDateTime parses a FHIR date or dateTime value at any precision.
func parseDateTime(s string) (DateTime, bool) {
	s = strings.TrimSuffix(s, "T")
	datePart, timePart, hasTime := strings.Cut(s, "T")
	layouts := []struct {
		layout string
		prec   int
	}{{"2006-01-02", precDay}, {"2006-01", precMonth}, {"2006", precYear}}
	for _, l := range layouts {
		d, err := time.Parse(l.layout, datePart)
		if err != nil {
			continue
		}
		if !hasTime {
			return DateTime{T: d, Prec: l.prec, Kind: kindDate}, l.prec == precDay || !strings.Contains(s, "T")
		}
		if l.prec != precDay {
			return DateTime{}, false
		}
		tm, ok := parseClock(timePart)
		if !ok {
			return DateTime{}, false
		}
		loc := time.UTC
		if tm.tz != nil {
			loc = tm.tz
		}
		t := time.Date(d.Year(), d.Month(), d.Day(), tm.h, tm.m, tm.s, tm.ns, loc)
		return DateTime{T: t, Prec: tm.prec, Kind: kindDateTime, HasTZ: tm.tz != nil}, true
	}
	return DateTime{}, false
}

func parseTime(s string) (DateTime, error) {
	tm, ok := parseClock(s)
	if !ok || tm.tz != nil {
		return DateTime{}, fmt.Errorf("invalid time @T%s", s)
	}
	return DateTime{T: time.Date(0, 1, 1, tm.h, tm.m, tm.s, tm.ns, time.UTC), Prec: tm.prec, Kind: kindTime}, nil
}

type clock struct {
	h, m, s, ns int
	prec        int
	tz          *time.Location
}

// parseClock parses hh[:mm[:ss[.fff]]][Z|±hh:mm].
func parseClock(s string) (clock, bool) {
	var c clock
	if i := strings.IndexAny(s, "Z+-"); i >= 0 {
		zone := s[i:]
		s = s[:i]
		if zone == "Z" {
			c.tz = time.UTC
		} else {
			t, err := time.Parse("-07:00", zone)
			if err != nil {
				return c, false
			}
			c.tz = t.Location()
		}
	}
	parts := strings.Split(s, ":")
	if len(parts) == 0 || len(parts) > 3 {
		return c, false
	}
	nums := make([]int, 3)
	for i, p := range parts {
		if i == 2 {
			sec, frac, hasFrac := strings.Cut(p, ".")
			n, err := strconv.Atoi(sec)
			if err != nil || len(sec) != 2 {
				return c, false
			}
			nums[2] = n
			c.prec = precSecond
			if hasFrac {
				f, err := strconv.ParseFloat("0."+frac, 64)
				if err != nil {
					return c, false
				}
				c.ns = int(f*1e9 + 0.5)
				c.prec = precMillis
			}
			continue
		}
		n, err := strconv.Atoi(p)
		if err != nil || len(p) != 2 {
			return c, false
		}
		nums[i] = n
		c.prec = precHour + i
	}
	c.h, c.m, c.s = nums[0], nums[1], nums[2]
	return c, c.h < 24 && c.m < 60 && c.s < 61
}

func (d DateTime) String() string {
	var layout string
	switch d.Kind {
	case kindTime:
		layout = []string{"", "", "", "", "15", "15:04", "15:04:05", "15:04:05.000"}[d.Prec]
		return d.T.Format(layout)
	default:
		layout = []string{"", "2006", "2006-01", "2006-01-02", "2006-01-02T15", "2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02T15:04:05.000"}[d.Prec]
	}
	s := d.T.Format(layout)
	if d.HasTZ && d.Prec >= precHour {
		s += d.T.Format("Z07:00")
	}
	return s
}

// Node is an element of a resource: its JSON value, the primitive
// extension object (_name) if any, and its FHIR type.
type Node struct {
	Value any            // map[string]any, string, json.Number, bool
	Ext   map[string]any // the _name sibling of a primitive
	// Type is the FHIR type name: "HumanName", "string", "Patient", or
	// "BackboneElement" for inline elements.
	Type string
	// Owner and Path locate the element definition (Owner is the type whose
	// StructureDefinition defines the element, Path its element path).
	Owner string
	Path  string
}

// primitiveValue returns the System value of a primitive node, or the
// node itself.
func primitiveValue(v any) any {
	n, ok := v.(*Node)
	if !ok {
		return v
	}
	switch x := n.Value.(type) {
	case map[string]any:
		switch n.Type {
		case "Quantity", "Age", "Duration", "Distance", "Count", "SimpleQuantity", "MoneyQuantity":
			if q, ok := quantityOf(x); ok {
				return q
			}
		}
	case bool:
		return x
	case json.Number:
		switch n.Type {
		case "integer", "positiveInt", "unsignedInt":
			if i, err := x.Int64(); err == nil {
				return i
			}
		}
		if r, ok := new(big.Rat).SetString(string(x)); ok {
			if n.Type == "" && r.IsInt() && !strings.ContainsAny(string(x), ".eE") {
				return r.Num().Int64()
			}
			return Decimal{r: r, places: decimalPlaces(string(x))}
		}
	case float64:
		return Decimal{r: new(big.Rat).SetFloat64(x)}
	case string:
		switch n.Type {
		case "date", "dateTime", "instant":
			if dt, ok := parseDateTime(x); ok {
				if n.Type != "date" && dt.Kind == kindDate && dt.Prec < precDay {
					dt.Kind = kindDateTime
				}
				return dt
			}
		case "time":
			if dt, err := parseTime(x); err == nil {
				return dt
			}
		}
		return x
	}
	return v
}

// quantityOf reads a FHIR Quantity as a System Quantity: the UCUM code
// when there is one, else the unit text.
func quantityOf(m map[string]any) (Quantity, bool) {
	num, ok := m["value"].(json.Number)
	if !ok {
		return Quantity{}, false
	}
	r, ok := new(big.Rat).SetString(string(num))
	if !ok {
		return Quantity{}, false
	}
	unit, _ := m["code"].(string)
	if system, _ := m["system"].(string); unit == "" || system != "" && system != "http://unitsofmeasure.org" {
		if u, _ := m["unit"].(string); u != "" {
			unit = u
		}
	}
	return Quantity{Value: Decimal{r: r, places: decimalPlaces(string(num))}, Unit: unit}, true
}

// ParseDateTime parses a FHIR date, dateTime or instant at any precision.
func ParseDateTime(s string) (DateTime, bool) { return parseDateTime(s) }

// IsTime reports whether d is a time of day (no date).
func (d DateTime) IsTime() bool { return d.Kind == kindTime }

// Range returns the first and last instants d covers at its precision,
// in microseconds since the Unix epoch: 2024-03 covers all of March.
func (d DateTime) Range() (lo, hi int64) {
	t := d.T
	var end = t
	switch d.Prec {
	case precYear:
		t = time.Date(t.Year(), 1, 1, 0, 0, 0, 0, t.Location())
		end = t.AddDate(1, 0, 0)
	case precMonth:
		t = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, t.Location())
		end = t.AddDate(0, 1, 0)
	case precDay:
		t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
		end = t.AddDate(0, 0, 1)
	case precHour:
		end = t.Add(time.Hour)
	case precMinute:
		end = t.Add(time.Minute)
	case precSecond:
		end = t.Add(time.Second)
	default:
		end = t.Add(time.Millisecond)
	}
	return t.UnixMicro(), end.UnixMicro() - 1
}
