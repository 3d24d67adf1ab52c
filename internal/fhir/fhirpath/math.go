package fhirpath

import (
	"math"
	"math/big"
)

// numberFn adapts a function of a single number (Integer, Decimal or, for
// some, Quantity).
func numberFn(minArgs, maxArgs int, f func(v any, args []any) (collection, error)) funcDef {
	return funcDef{minArgs, maxArgs, func(ev *evaluator, in collection, args []expr, sc *scope) (collection, error) {
		if len(in) == 0 {
			return nil, nil
		}
		if len(in) > 1 {
			return nil, evalErrorf("expected a single number, got %d items", len(in))
		}
		v := primitiveValue(in[0])
		switch v.(type) {
		case int64, Decimal, Quantity:
		default:
			return nil, evalErrorf("expected a number, got %s", systemTypeName(v))
		}
		vals := make([]any, len(args))
		for i, a := range args {
			av, err := ev.arg(a, in, sc)
			if err != nil {
				return nil, err
			}
			if len(av) == 0 {
				return nil, nil
			}
			vals[i] = primitiveValue(av[0])
		}
		return f(v, vals)
	}}
}

func floatOf(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case Decimal:
		f, _ := x.r.Float64()
		return f
	}
	return math.NaN()
}

func fromFloat(f float64) collection {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	r := new(big.Rat).SetFloat64(f)
	if r == nil {
		return nil
	}
	return collection{Decimal{r: roundRat(r, 8)}}
}

// intPart applies a rounding of a rational to an integer.
func intPart(v any, round func(*big.Rat) *big.Int) collection {
	switch x := v.(type) {
	case int64:
		return collection{x}
	case Decimal:
		return collection{round(x.r).Int64()}
	}
	return nil
}

func floorRat(r *big.Rat) *big.Int {
	q, m := new(big.Int).DivMod(r.Num(), r.Denom(), new(big.Int))
	_ = m
	return q // Euclidean division with a positive denominator is floor
}

func ceilRat(r *big.Rat) *big.Int {
	f := floorRat(r)
	if new(big.Rat).SetInt(f).Cmp(r) != 0 {
		f.Add(f, big.NewInt(1))
	}
	return f
}

func truncRat(r *big.Rat) *big.Int { return new(big.Int).Quo(r.Num(), r.Denom()) }

var mathFunctions = map[string]funcDef{
	"abs": numberFn(0, 0, func(v any, _ []any) (collection, error) {
		switch x := v.(type) {
		case int64:
			if x < 0 {
				x = -x
			}
			return collection{x}, nil
		case Decimal:
			return collection{Decimal{r: new(big.Rat).Abs(x.r), places: x.places}}, nil
		case Quantity:
			return collection{Quantity{Value: Decimal{r: new(big.Rat).Abs(x.Value.r), places: x.Value.places}, Unit: x.Unit}}, nil
		}
		return nil, nil
	}),
	"ceiling":  numberFn(0, 0, func(v any, _ []any) (collection, error) { return intPart(v, ceilRat), nil }),
	"floor":    numberFn(0, 0, func(v any, _ []any) (collection, error) { return intPart(v, floorRat), nil }),
	"truncate": numberFn(0, 0, func(v any, _ []any) (collection, error) { return intPart(v, truncRat), nil }),
	"exp":      numberFn(0, 0, func(v any, _ []any) (collection, error) { return fromFloat(math.Exp(floatOf(v))), nil }),
	"ln":       numberFn(0, 0, func(v any, _ []any) (collection, error) { return fromFloat(math.Log(floatOf(v))), nil }),
	"sqrt":     numberFn(0, 0, func(v any, _ []any) (collection, error) { return fromFloat(math.Sqrt(floatOf(v))), nil }),
	"log": numberFn(1, 1, func(v any, a []any) (collection, error) {
		return fromFloat(math.Log(floatOf(v)) / math.Log(floatOf(a[0]))), nil
	}),
	"power": numberFn(1, 1, func(v any, a []any) (collection, error) {
		if x, ok := v.(int64); ok {
			if y, ok := a[0].(int64); ok && y >= 0 {
				f := math.Pow(float64(x), float64(y))
				if math.Abs(f) >= 1<<62 {
					return nil, nil // beyond a 64-bit Integer
				}
				return collection{new(big.Int).Exp(big.NewInt(x), big.NewInt(y), nil).Int64()}, nil
			}
		}
		return fromFloat(math.Pow(floatOf(v), floatOf(a[0]))), nil
	}),
	"round": numberFn(0, 1, func(v any, a []any) (collection, error) {
		places := int64(0)
		if len(a) == 1 {
			p, ok := a[0].(int64)
			if !ok || p < 0 || p > 28 {
				return nil, evalErrorf("round() precision must be a non-negative integer")
			}
			places = p
		}
		d := toDecimal(v)
		return collection{Decimal{r: roundRat(d.r, int(places)), places: int(places)}}, nil
	}),
}
