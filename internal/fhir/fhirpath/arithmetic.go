package fhirpath

import (
	"math/big"
	"time"
)

func arithmetic(op string, left, right collection) (collection, error) {
	if len(left) == 0 || len(right) == 0 {
		return nil, nil
	}
	if len(left) > 1 || len(right) > 1 {
		return nil, evalErrorf("'%s' needs single items", op)
	}
	a, b := primitiveValue(left[0]), primitiveValue(right[0])
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		if op == "+" && ok {
			return collection{x + y}, nil
		}
	case int64:
		if y, ok := b.(int64); ok {
			return intArithmetic(op, x, y)
		}
		if _, ok := b.(Decimal); ok {
			return decimalArithmetic(op, toDecimal(x), b.(Decimal))
		}
		if q, ok := b.(Quantity); ok && op == "*" {
			return quantityArithmetic(op, Quantity{Value: toDecimal(x), Unit: "1"}, q)
		}
	case Decimal:
		switch y := b.(type) {
		case int64:
			return decimalArithmetic(op, x, toDecimal(y))
		case Decimal:
			return decimalArithmetic(op, x, y)
		case Quantity:
			if op == "*" {
				return quantityArithmetic(op, Quantity{Value: x, Unit: "1"}, y)
			}
		}
	case Quantity:
		switch y := b.(type) {
		case Quantity:
			return quantityArithmetic(op, x, y)
		case int64, Decimal:
			if op == "*" || op == "/" {
				return quantityArithmetic(op, x, Quantity{Value: toDecimal(y), Unit: "1"})
			}
		}
	case DateTime:
		if q, ok := b.(Quantity); ok && (op == "+" || op == "-") {
			return dateArithmetic(op, x, q)
		}
	}
	return nil, evalErrorf("cannot apply '%s' to %s and %s", op, systemTypeName(a), systemTypeName(b))
}

func intArithmetic(op string, x, y int64) (collection, error) {
	switch op {
	case "+":
		return collection{x + y}, nil
	case "-":
		return collection{x - y}, nil
	case "*":
		return collection{x * y}, nil
	case "/":
		return decimalArithmetic(op, toDecimal(x), toDecimal(y))
	case "div":
		if y == 0 {
			return nil, nil
		}
		return collection{x / y}, nil
	case "mod":
		if y == 0 {
			return nil, nil
		}
		return collection{x % y}, nil
	}
	return nil, evalErrorf("unknown operator %s", op)
}

func decimalArithmetic(op string, x, y Decimal) (collection, error) {
	r := new(big.Rat)
	places := max(x.places, y.places)
	switch op {
	case "+":
		r.Add(x.r, y.r)
	case "-":
		r.Sub(x.r, y.r)
	case "*":
		r.Mul(x.r, y.r)
		places = x.places + y.places
	case "/":
		if y.r.Sign() == 0 {
			return nil, nil
		}
		r.Quo(x.r, y.r)
		places = 0
		if !r.IsInt() {
			r, places = roundRat(r, 8), 8
		}
	case "div":
		if y.r.Sign() == 0 {
			return nil, nil
		}
		q := new(big.Rat).Quo(x.r, y.r)
		return collection{new(big.Int).Quo(q.Num(), q.Denom()).Int64()}, nil
	case "mod":
		if y.r.Sign() == 0 {
			return nil, nil
		}
		q := new(big.Rat).Quo(x.r, y.r)
		n := new(big.Int).Quo(q.Num(), q.Denom())
		r.Sub(x.r, new(big.Rat).Mul(new(big.Rat).SetInt(n), y.r))
	default:
		return nil, evalErrorf("unknown operator %s", op)
	}
	return collection{Decimal{r: r, places: places}}, nil
}

func quantityArithmetic(op string, x, y Quantity) (collection, error) {
	switch op {
	case "+", "-":
		yv, ok := convertQuantity(y, x.Unit)
		if !ok {
			return nil, nil
		}
		res, err := decimalArithmetic(op, x.Value, yv)
		if err != nil || len(res) == 0 {
			return nil, err
		}
		return collection{Quantity{Value: res[0].(Decimal), Unit: x.Unit}}, nil
	case "*", "/":
		res, err := decimalArithmetic(op, x.Value, y.Value)
		if err != nil || len(res) == 0 {
			return nil, err
		}
		unit := combineUnits(op, x.Unit, y.Unit)
		return collection{Quantity{Value: res[0].(Decimal), Unit: unit}}, nil
	}
	return nil, evalErrorf("cannot apply '%s' to quantities", op)
}

func combineUnits(op, a, b string) string {
	switch {
	case b == "1":
		return a
	case a == "1" && op == "*":
		return b
	case a == b && op == "/":
		return "1"
	case a == b:
		return a + "2"
	}
	sep := "."
	if op == "/" {
		sep = "/"
	}
	return a + sep + b
}

// dateArithmetic adds a time-valued quantity to a date, date/time or time,
// truncating the quantity to whole units as the specification requires.
func dateArithmetic(op string, d DateTime, q Quantity) (collection, error) {
	unit, ok := timeUnit(q.Unit)
	if q.Unit == "a" || q.Unit == "mo" {
		// UCUM years and months are fixed lengths, not calendar units.
		ok = false
	}
	if !ok {
		return nil, evalErrorf("cannot add %s to a date", q.Unit)
	}
	value := new(big.Int).Quo(q.Value.r.Num(), q.Value.r.Denom()).Int64()
	if op == "-" {
		value = -value
	}
	t := d.T
	switch unit {
	case "a":
		t = t.AddDate(int(value), 0, 0)
	case "mo":
		t = t.AddDate(0, int(value), 0)
	case "wk":
		t = t.AddDate(0, 0, 7*int(value))
	case "d":
		t = t.AddDate(0, 0, int(value))
	case "h":
		t = t.Add(time.Duration(value) * time.Hour)
	case "min":
		t = t.Add(time.Duration(value) * time.Minute)
	case "s":
		t = t.Add(time.Duration(value) * time.Second)
	case "ms":
		t = t.Add(time.Duration(value) * time.Millisecond)
	}
	d.T = t
	return collection{d}, nil
}

// timeUnit maps calendar words and UCUM time units to one spelling.
func timeUnit(u string) (string, bool) {
	if c, ok := calendarUnits[u]; ok {
		return c, true
	}
	switch u {
	case "a", "mo", "wk", "d", "h", "min", "s", "ms":
		return u, true
	}
	return "", false
}

// unitFactors relates the units gpcloud converts between to a base unit
// per dimension; enough for the comparisons clinical data needs
// (mass, length, volume, time) without a full UCUM engine.
var unitFactors = map[string]struct {
	dim    string
	factor *big.Rat
}{}

func init() {
	add := func(unit, dim string, num, den int64) {
		unitFactors[unit] = struct {
			dim    string
			factor *big.Rat
		}{dim, big.NewRat(num, den)}
	}
	for _, base := range []struct{ unit, dim string }{{"g", "mass"}, {"m", "length"}, {"L", "volume"}, {"l", "volume"}} {
		add("k"+base.unit, base.dim, 1000, 1)
		add(base.unit, base.dim, 1, 1)
		add("d"+base.unit, base.dim, 1, 10)
		add("c"+base.unit, base.dim, 1, 100)
		add("m"+base.unit, base.dim, 1, 1000)
		add("u"+base.unit, base.dim, 1, 1000000)
		add("n"+base.unit, base.dim, 1, 1000000000)
	}
	add("ms", "time", 1, 1000)
	add("s", "time", 1, 1)
	add("min", "time", 60, 1)
	add("h", "time", 3600, 1)
	add("d", "time", 86400, 1)
	add("wk", "time", 604800, 1)
	add("[lb_av]", "mass", 45359237, 100000000)
	add("[in_i]", "length", 254, 10000)
}

// convertQuantity expresses q in unit, when the two are commensurable.
// Calendar years and months convert only to themselves (their length
// varies); the other calendar words are their UCUM units.
func convertQuantity(q Quantity, unit string) (Decimal, bool) {
	from, to := normalUnit(q.Unit), normalUnit(unit)
	if from == to {
		return q.Value, true
	}
	f, ok1 := unitFactors[from]
	t, ok2 := unitFactors[to]
	if !ok1 || !ok2 || f.dim != t.dim {
		return Decimal{}, false
	}
	r := new(big.Rat).Mul(q.Value.r, f.factor)
	r.Quo(r, t.factor)
	return Decimal{r: r, places: q.Value.places}, true
}

func normalUnit(u string) string {
	switch u {
	case "year", "years":
		return "year"
	case "month", "months":
		return "month"
	}
	if c, ok := calendarUnits[u]; ok {
		return c
	}
	return u
}

func compareQuantities(a, b Quantity) (int, bool) {
	bv, ok := convertQuantity(b, a.Unit)
	if !ok {
		return 0, false
	}
	return a.Value.r.Cmp(bv.r), true
}
