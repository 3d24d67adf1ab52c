package fhirpath

import (
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// conversion is a toX function: ok is false when the value does not
// convert (toX gives empty, convertsToX false).
type conversion func(v any) (any, bool)

func conversionPair(convert conversion) (to, convertsTo funcDef) {
	run := func(in collection) (any, bool, bool, error) {
		if len(in) == 0 {
			return nil, false, false, nil
		}
		if len(in) > 1 {
			return nil, false, false, evalErrorf("conversion of %d items", len(in))
		}
		v, ok := convert(primitiveValue(in[0]))
		return v, ok, true, nil
	}
	to = funcDef{0, 1, func(_ *evaluator, in collection, _ []expr, _ *scope) (collection, error) {
		v, ok, any, err := run(in)
		if err != nil || !any || !ok {
			return nil, err
		}
		return collection{v}, nil
	}}
	convertsTo = funcDef{0, 1, func(_ *evaluator, in collection, _ []expr, _ *scope) (collection, error) {
		_, ok, any, err := run(in)
		if err != nil || !any {
			return nil, err
		}
		return boolResult(ok), nil
	}}
	return to, convertsTo
}

var conversionFunctions = map[string]funcDef{}

func init() {
	for name, c := range map[string]conversion{
		"Boolean": convertBoolean, "Integer": convertInteger, "Decimal": convertDecimal, "String": convertString,
		"Date": convertDate, "DateTime": convertDateTime, "Time": convertTime, "Quantity": convertQuantityValue,
	} {
		to, convertsTo := conversionPair(c)
		conversionFunctions["to"+name] = to
		conversionFunctions["convertsTo"+name] = convertsTo
	}
	// toQuantity(unit) converts to the unit when it can.
	base := conversionFunctions["toQuantity"]
	conversionFunctions["toQuantity"] = funcDef{0, 1, func(ev *evaluator, in collection, args []expr, sc *scope) (collection, error) {
		out, err := base.impl(ev, in, nil, sc)
		if err != nil || len(out) == 0 || len(args) == 0 {
			return out, err
		}
		unit, err := ev.stringArg(args[0], in, sc)
		if err != nil {
			return nil, err
		}
		q := out[0].(Quantity)
		v, ok := convertQuantity(q, unit)
		if !ok {
			return nil, nil
		}
		return collection{Quantity{Value: v, Unit: unit}}, nil
	}}
}

func convertBoolean(v any) (any, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case int64:
		if x == 0 || x == 1 {
			return x == 1, true
		}
	case Decimal:
		if x.r.Cmp(big.NewRat(1, 1)) == 0 {
			return true, true
		}
		if x.r.Sign() == 0 {
			return false, true
		}
	case string:
		switch strings.ToLower(x) {
		case "true", "t", "yes", "y", "1", "1.0":
			return true, true
		case "false", "f", "no", "n", "0", "0.0":
			return false, true
		}
	}
	return nil, false
}

var integerText = regexp.MustCompile(`^[+-]?\d+$`)
var decimalText = regexp.MustCompile(`^[+-]?\d+(\.\d+)?$`)

func convertInteger(v any) (any, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case bool:
		if x {
			return int64(1), true
		}
		return int64(0), true
	case string:
		if integerText.MatchString(x) {
			n, err := strconv.ParseInt(x, 10, 64)
			return n, err == nil
		}
	}
	return nil, false
}

func convertDecimal(v any) (any, bool) {
	switch x := v.(type) {
	case int64:
		return toDecimal(x), true
	case Decimal:
		return x, true
	case bool:
		if x {
			return Decimal{r: big.NewRat(1, 1), places: 1}, true
		}
		return Decimal{r: new(big.Rat), places: 1}, true
	case string:
		if decimalText.MatchString(x) {
			d, err := parseNumber(x)
			if err != nil {
				return nil, false
			}
			return toDecimal(d), true
		}
	}
	return nil, false
}

func convertString(v any) (any, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case Decimal:
		return x.String(), true
	case DateTime:
		return x.String(), true
	case Quantity:
		return x.String(), true
	}
	return nil, false
}

func convertDate(v any) (any, bool) {
	switch x := v.(type) {
	case DateTime:
		if x.Kind == kindTime {
			return nil, false
		}
		x.Kind, x.HasTZ = kindDate, false
		x.Prec = min(x.Prec, precDay)
		return x, true
	case string:
		if d, ok := parseDateTime(x); ok {
			return convertDate(d)
		}
	}
	return nil, false
}

func convertDateTime(v any) (any, bool) {
	switch x := v.(type) {
	case DateTime:
		if x.Kind == kindTime {
			return nil, false
		}
		x.Kind = kindDateTime
		return x, true
	case string:
		if d, ok := parseDateTime(x); ok {
			d.Kind = kindDateTime
			return d, true
		}
	}
	return nil, false
}

func convertTime(v any) (any, bool) {
	switch x := v.(type) {
	case DateTime:
		return x, x.Kind == kindTime
	case string:
		if t, err := parseTime(x); err == nil {
			return t, true
		}
	}
	return nil, false
}

var quantityText = regexp.MustCompile(`^([+-]?\d+(?:\.\d+)?)\s*(?:'([^']+)'|([a-z]+))?$`)

func convertQuantityValue(v any) (any, bool) {
	switch x := v.(type) {
	case Quantity:
		return x, true
	case int64, Decimal:
		return Quantity{Value: toDecimal(x), Unit: "1"}, true
	case bool:
		d, _ := convertDecimal(x)
		return Quantity{Value: d.(Decimal), Unit: "1"}, true
	case string:
		m := quantityText.FindStringSubmatch(strings.TrimSpace(x))
		if m == nil {
			return nil, false
		}
		n, err := parseNumber(m[1])
		if err != nil {
			return nil, false
		}
		unit := "1"
		switch {
		case m[2] != "":
			unit = m[2]
		case m[3] != "":
			if calendarUnits[m[3]] == "" {
				return nil, false
			}
			unit = m[3]
		}
		return Quantity{Value: toDecimal(n), Unit: unit}, true
	}
	return nil, false
}

// fnBoundary implements lowBoundary and highBoundary: the least and
// greatest values the input's precision allows.
func fnBoundary(high bool) fn {
	return func(ev *evaluator, in collection, args []expr, sc *scope) (collection, error) {
		if len(in) != 1 {
			return nil, nil
		}
		precision := -1 // the default for the type
		if len(args) == 1 {
			v, err := ev.arg(args[0], in, sc)
			if err != nil {
				return nil, err
			}
			p, ok, err := singletonInt(v)
			if err != nil || !ok {
				return nil, err
			}
			if p < 0 {
				return nil, nil
			}
			precision = int(p)
		}
		switch x := primitiveValue(in[0]).(type) {
		case int64, Decimal:
			d, ok := decimalBoundary(toDecimal(x), precision, high)
			if !ok {
				return nil, nil
			}
			return collection{d}, nil
		case Quantity:
			d, ok := decimalBoundary(x.Value, precision, high)
			if !ok {
				return nil, nil
			}
			return collection{Quantity{Value: d, Unit: x.Unit}}, nil
		case DateTime:
			d, ok := dateBoundary(x, precision, high)
			if !ok {
				return nil, nil
			}
			return collection{d}, nil
		}
		return nil, nil
	}
}

func decimalBoundary(d Decimal, precision int, high bool) (Decimal, bool) {
	if precision == -1 {
		precision = 8
	}
	if precision < 0 || precision > 28 {
		return Decimal{}, false
	}
	half := new(big.Rat).Mul(rat10(d.places), big.NewRat(1, 2))
	r := new(big.Rat)
	if high {
		r.Add(d.r, half)
	} else {
		r.Sub(d.r, half)
	}
	scale := new(big.Rat).SetFrac(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(precision)), nil), big.NewInt(1))
	scaled := new(big.Rat).Mul(r, scale)
	var n *big.Int
	if high {
		n = ceilRat(scaled)
	} else {
		n = floorRat(scaled)
	}
	return Decimal{r: new(big.Rat).Quo(new(big.Rat).SetInt(n), scale), places: precision}, true
}

func dateBoundary(d DateTime, precision int, high bool) (DateTime, bool) {
	var prec int
	if d.Kind == kindTime {
		if precision == -1 {
			precision = 9
		}
		p, ok := map[int]int{2: precHour, 4: precMinute, 6: precSecond, 9: precMillis}[precision]
		if !ok {
			return DateTime{}, false
		}
		prec = p
	} else {
		if precision == -1 {
			precision = 17
			if d.Kind == kindDate {
				precision = 8
			}
		}
		p, ok := map[int]int{4: precYear, 6: precMonth, 8: precDay, 10: precHour, 12: precMinute, 14: precSecond, 17: precMillis}[precision]
		if !ok {
			return DateTime{}, false
		}
		prec = p
	}
	t := d.T
	if d.Prec < prec {
		y, mo, day := t.Date()
		h, mi, s := t.Clock()
		ns := t.Nanosecond()
		loc := t.Location()
		if d.Kind == kindDateTime && !d.HasTZ && prec >= precHour {
			if high {
				loc = time.FixedZone("", -12*3600)
			} else {
				loc = time.FixedZone("", 14*3600)
			}
			d.HasTZ = true
		}
		fill := func(p, low, highV int, v *int) {
			if d.Prec < p {
				if high {
					*v = highV
				} else {
					*v = low
				}
			}
		}
		var moI = int(mo)
		fill(precMonth, 1, 12, &moI)
		lastDay := time.Date(y, time.Month(moI)+1, 0, 0, 0, 0, 0, time.UTC).Day()
		fill(precDay, 1, lastDay, &day)
		fill(precHour, 0, 23, &h)
		fill(precMinute, 0, 59, &mi)
		fill(precSecond, 0, 59, &s)
		if d.Prec < precMillis {
			if high {
				ns = 999000000
			} else {
				ns = 0
			}
		}
		t = time.Date(y, time.Month(moI), day, h, mi, s, ns, loc)
	}
	if prec < precHour && d.Kind != kindTime {
		d.HasTZ = false
		if d.Kind == kindDateTime && prec <= precDay {
			d.Kind = kindDate
		}
	}
	d.T, d.Prec = t, prec
	return d, true
}
