package fhirpath

import (
	"math/big"
	"reflect"
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
)

func (ev *evaluator) binary(x *binaryExpr, focus collection, sc *scope) (collection, error) {
	left, err := ev.eval(x.left, focus, sc)
	if err != nil {
		return nil, err
	}
	// Boolean operators short-circuit where three-valued logic allows.
	switch x.op {
	case "and", "or", "implies":
		l, err := toBoolean3(left)
		if err != nil {
			return nil, err
		}
		if (x.op == "and" && l == vFalse) || (x.op == "or" && l == vTrue) || (x.op == "implies" && l == vFalse) {
			return boolResult(x.op != "and"), nil
		}
	}
	right, err := ev.eval(x.right, focus, sc)
	if err != nil {
		return nil, err
	}
	switch x.op {
	case "|":
		return union(left, right), nil
	case "=", "!=":
		eq, ok, err := equalCollections(left, right)
		if err != nil || !ok {
			return nil, err
		}
		return collection{eq == (x.op == "=")}, nil
	case "~", "!~":
		return collection{equivalentCollections(left, right) == (x.op == "~")}, nil
	case "<", ">", "<=", ">=":
		return compareOp(x.op, left, right)
	case "and", "or", "xor", "implies":
		return logic(x.op, left, right)
	case "in":
		return membership(left, right)
	case "contains":
		return membership(right, left)
	case "&":
		ls, err := singletonString(left, true)
		if err != nil {
			return nil, err
		}
		rs, err := singletonString(right, true)
		if err != nil {
			return nil, err
		}
		return collection{ls + rs}, nil
	}
	return arithmetic(x.op, left, right)
}

// three-valued booleans
const (
	vEmpty = iota
	vFalse
	vTrue
)

func toBoolean3(c collection) (int, error) {
	if len(c) == 0 {
		return vEmpty, nil
	}
	if len(c) > 1 {
		return 0, evalErrorf("expected a single boolean, got %d items", len(c))
	}
	switch b := primitiveValue(c[0]).(type) {
	case bool:
		if b {
			return vTrue, nil
		}
		return vFalse, nil
	}
	// A single non-boolean item counts as true (singleton evaluation).
	return vTrue, nil
}

func boolResult(b bool) collection { return collection{b} }

func logic(op string, left, right collection) (collection, error) {
	l, err := toBoolean3(left)
	if err != nil {
		return nil, err
	}
	r, err := toBoolean3(right)
	if err != nil {
		return nil, err
	}
	switch op {
	case "and":
		switch {
		case l == vFalse || r == vFalse:
			return boolResult(false), nil
		case l == vTrue && r == vTrue:
			return boolResult(true), nil
		}
	case "or":
		switch {
		case l == vTrue || r == vTrue:
			return boolResult(true), nil
		case l == vFalse && r == vFalse:
			return boolResult(false), nil
		}
	case "xor":
		if l != vEmpty && r != vEmpty {
			return boolResult(l != r), nil
		}
	case "implies":
		switch {
		case l == vTrue:
			if r == vEmpty {
				return nil, nil
			}
			return boolResult(r == vTrue), nil
		case l == vFalse:
			return boolResult(true), nil
		case r == vTrue:
			return boolResult(true), nil
		}
	}
	return nil, nil
}

func union(a, b collection) collection {
	var out collection
	for _, c := range []collection{a, b} {
		for _, item := range c {
			if !containsItem(out, item) {
				out = append(out, item)
			}
		}
	}
	return out
}

func containsItem(c collection, item any) bool {
	for _, x := range c {
		if eq, ok := equalItems(x, item); ok && eq {
			return true
		}
	}
	return false
}

func membership(item, list collection) (collection, error) {
	if len(item) == 0 {
		return nil, nil
	}
	if len(item) > 1 {
		return nil, evalErrorf("membership needs a single item on the left, got %d", len(item))
	}
	return collection{containsItem(list, item[0])}, nil
}

// equalCollections is '=': ok is false when the result is empty.
func equalCollections(a, b collection) (eq, ok bool, err error) {
	if len(a) == 0 || len(b) == 0 {
		return false, false, nil
	}
	if len(a) != len(b) {
		return false, true, nil
	}
	for i := range a {
		e, ok := equalItems(a[i], b[i])
		if !ok {
			return false, false, nil
		}
		if !e {
			return false, true, nil
		}
	}
	return true, true, nil
}

// equalItems compares two items; ok is false when equality is unknown
// (dates of different precision).
func equalItems(a, b any) (eq, ok bool) {
	na, aNode := a.(*Node)
	nb, bNode := b.(*Node)
	if aNode && bNode && !isPrimitiveNode(na) && !isPrimitiveNode(nb) {
		return reflect.DeepEqual(na.Value, nb.Value), true
	}
	av, bv := primitiveValue(a), primitiveValue(b)
	if _, isNode := av.(*Node); isNode {
		return false, true
	}
	if _, isNode := bv.(*Node); isNode {
		return false, true
	}
	switch x := av.(type) {
	case bool:
		y, ok := bv.(bool)
		return ok && x == y, true
	case string:
		y, ok := bv.(string)
		return ok && x == y, true
	case int64, Decimal:
		c, ok := compareNumbers(av, bv)
		return ok && c == 0, true
	case DateTime:
		y, ok := bv.(DateTime)
		if !ok || (x.Kind == kindTime) != (y.Kind == kindTime) {
			return false, true
		}
		c, known := compareDateTimes(x, y)
		if !known {
			return false, false
		}
		return c == 0, true
	case Quantity:
		y, ok := bv.(Quantity)
		if !ok {
			return false, true
		}
		c, known := compareQuantities(x, y)
		if !known {
			return false, false
		}
		return c == 0, true
	case typeInfo:
		y, ok := bv.(typeInfo)
		return ok && x == y, true
	}
	return false, true
}

func isPrimitiveNode(n *Node) bool {
	_, complex := n.Value.(map[string]any)
	return !complex
}

func equivalentCollections(a, b collection) bool {
	if len(a) != len(b) {
		return false
	}
	used := make([]bool, len(b))
outer:
	for _, x := range a {
		for j, y := range b {
			if !used[j] && equivalentItems(x, y) {
				used[j] = true
				continue outer
			}
		}
		return false
	}
	return true
}

func equivalentItems(a, b any) bool {
	na, aNode := a.(*Node)
	nb, bNode := b.(*Node)
	if aNode && bNode && !isPrimitiveNode(na) && !isPrimitiveNode(nb) {
		return equivalentCollections(childrenOf(na), childrenOf(nb))
	}
	av, bv := primitiveValue(a), primitiveValue(b)
	switch x := av.(type) {
	case string:
		y, ok := bv.(string)
		return ok && normalizeSpace(x) == normalizeSpace(y)
	case int64, Decimal:
		_, isNum := bv.(int64)
		_, isDec := bv.(Decimal)
		if !isNum && !isDec {
			return false
		}
		dx, dy := toDecimal(av), toDecimal(bv)
		places := min(placesOf(av), placesOf(bv))
		return roundRat(dx.r, places).Cmp(roundRat(dy.r, places)) == 0
	case DateTime:
		y, ok := bv.(DateTime)
		if !ok || precisionClass(x.Prec) != precisionClass(y.Prec) {
			return false
		}
		c, known := compareDateTimes(x, y)
		return known && c == 0
	case Quantity:
		y, ok := bv.(Quantity)
		if !ok {
			return false
		}
		c, known := compareQuantities(x, y)
		return known && c == 0
	}
	eq, ok := equalItems(av, bv)
	return ok && eq
}

func placesOf(v any) int {
	if d, ok := v.(Decimal); ok {
		return d.places
	}
	return 0
}

func normalizeSpace(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// roundRat rounds half away from zero to the given decimal places.
func roundRat(r *big.Rat, places int) *big.Rat {
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil)
	x := new(big.Rat).Mul(r, new(big.Rat).SetInt(scale))
	half := big.NewRat(1, 2)
	if x.Sign() < 0 {
		x.Sub(x, half)
	} else {
		x.Add(x, half)
	}
	q := new(big.Int).Quo(x.Num(), x.Denom())
	return new(big.Rat).SetFrac(q, scale)
}

func compareNumbers(a, b any) (int, bool) {
	switch a.(type) {
	case int64, Decimal:
	default:
		return 0, false
	}
	switch b.(type) {
	case int64, Decimal:
	default:
		return 0, false
	}
	if x, ok := a.(int64); ok {
		if y, ok := b.(int64); ok {
			switch {
			case x < y:
				return -1, true
			case x > y:
				return 1, true
			}
			return 0, true
		}
	}
	return toDecimal(a).r.Cmp(toDecimal(b).r), true
}

// Seconds and milliseconds are one precision for comparison.
func precisionClass(p int) int {
	if p == precMillis {
		return precSecond
	}
	return p
}

// compareDateTimes compares at the precision both carry; known is false
// when they agree that far but one is more precise.
func compareDateTimes(a, b DateTime) (int, bool) {
	if (a.Kind == kindTime) != (b.Kind == kindTime) {
		return 0, false
	}
	ta, tb := a.T, b.T
	if a.Prec >= precHour && b.Prec >= precHour && a.Kind != kindTime {
		if a.HasTZ != b.HasTZ {
			// One has an offset, the other is local time: unknown.
			return 0, false
		}
		ta, tb = ta.UTC(), tb.UTC()
	}
	pa, pb := precisionClass(a.Prec), precisionClass(b.Prec)
	common := min(pa, pb)
	va := []int{ta.Year(), int(ta.Month()), ta.Day(), ta.Hour(), ta.Minute(), ta.Second()*1e9 + ta.Nanosecond()}
	vb := []int{tb.Year(), int(tb.Month()), tb.Day(), tb.Hour(), tb.Minute(), tb.Second()*1e9 + tb.Nanosecond()}
	start := 0
	if a.Kind == kindTime {
		start = precHour - 1
	}
	for i := start; i < common; i++ {
		if va[i] != vb[i] {
			if va[i] < vb[i] {
				return -1, true
			}
			return 1, true
		}
	}
	if pa != pb {
		return 0, false
	}
	return 0, true
}

func compareOp(op string, left, right collection) (collection, error) {
	if len(left) == 0 || len(right) == 0 {
		return nil, nil
	}
	if len(left) > 1 || len(right) > 1 {
		return nil, evalErrorf("%s needs single items", op)
	}
	a, b := primitiveValue(left[0]), primitiveValue(right[0])
	var c int
	var ok bool
	switch x := a.(type) {
	case string:
		y, isStr := b.(string)
		if !isStr {
			return nil, evalErrorf("cannot compare a string with %T", b)
		}
		c, ok = strings.Compare(x, y), true
	case int64, Decimal:
		c, ok = compareNumbers(a, b)
		if !ok {
			return nil, evalErrorf("cannot compare a number with %T", b)
		}
	case DateTime:
		y, isDT := b.(DateTime)
		if !isDT {
			if s, isStr := b.(string); isStr {
				if d, parsed := parseDateTime(s); parsed {
					y, isDT = d, true
				}
			}
		}
		if !isDT {
			return nil, evalErrorf("cannot compare a date with %T", b)
		}
		c, ok = compareDateTimes(x, y)
	case Quantity:
		y, isQ := b.(Quantity)
		if !isQ {
			return nil, evalErrorf("cannot compare a quantity with %T", b)
		}
		c, ok = compareQuantities(x, y)
	default:
		return nil, evalErrorf("cannot compare %T", a)
	}
	if !ok {
		return nil, nil
	}
	switch op {
	case "<":
		return boolResult(c < 0), nil
	case ">":
		return boolResult(c > 0), nil
	case "<=":
		return boolResult(c <= 0), nil
	}
	return boolResult(c >= 0), nil
}

// isOfType reports whether an item is of the named type or a subtype.
func isOfType(item any, name string) bool {
	ns, local, qualified := strings.Cut(name, ".")
	if !qualified {
		ns, local = "", name
	}
	if n, ok := item.(*Node); ok && ns != "System" {
		if isPrimitiveTypeName(n.Type) {
			// FHIR primitive types do not inherit for is/as: a code is not
			// a string (the specification's tests say so).
			return n.Type == local
		}
		return derivesFrom(n.Type, local)
	}
	if _, ok := item.(*Node); ok {
		return false
	}
	if ns == "FHIR" {
		return false
	}
	return systemTypeName(item) == local
}

func isPrimitiveTypeName(t string) bool { return t != "" && t[0] >= 'a' && t[0] <= 'z' }

// knownTypeName reports whether a type name names a FHIR or System type.
func knownTypeName(name string) bool {
	ns, local, qualified := strings.Cut(name, ".")
	if !qualified {
		local = ns
	}
	switch local {
	case "Boolean", "String", "Integer", "Decimal", "Date", "DateTime", "Time", "Quantity":
		if ns == local || ns == "System" {
			return true
		}
	}
	// Any System name is a known namespace (System.Patient is simply
	// never matched); unknown FHIR names are errors.
	return ns == "System" || definitions.Lookup(local) != nil
}

func systemTypeName(v any) string {
	switch x := v.(type) {
	case bool:
		return "Boolean"
	case string:
		return "String"
	case int64:
		return "Integer"
	case Decimal:
		return "Decimal"
	case Quantity:
		return "Quantity"
	case DateTime:
		switch x.Kind {
		case kindDate:
			return "Date"
		case kindTime:
			return "Time"
		}
		return "DateTime"
	}
	return ""
}

func typeOperator(op string, v collection, typeName string) (collection, error) {
	if !knownTypeName(typeName) {
		return nil, evalErrorf("unknown type %s", typeName)
	}
	if len(v) == 0 {
		return nil, nil
	}
	if len(v) > 1 {
		return nil, evalErrorf("'%s' needs a single item, got %d", op, len(v))
	}
	if op == "is" {
		return boolResult(isOfType(v[0], typeName)), nil
	}
	if isOfType(v[0], typeName) {
		return v, nil
	}
	return nil, nil
}

func negate(v collection) (collection, error) {
	if len(v) == 0 {
		return nil, nil
	}
	if len(v) > 1 {
		return nil, evalErrorf("unary minus needs a single item")
	}
	switch x := primitiveValue(v[0]).(type) {
	case int64:
		return collection{-x}, nil
	case Decimal:
		return collection{Decimal{r: new(big.Rat).Neg(x.r), places: x.places}}, nil
	case Quantity:
		return collection{Quantity{Value: Decimal{r: new(big.Rat).Neg(x.Value.r), places: x.Value.places}, Unit: x.Unit}}, nil
	}
	return nil, evalErrorf("cannot negate %T", v[0])
}

func singletonInt(c collection) (int64, bool, error) {
	if len(c) == 0 {
		return 0, false, nil
	}
	if len(c) > 1 {
		return 0, false, evalErrorf("expected a single integer")
	}
	i, ok := primitiveValue(c[0]).(int64)
	if !ok {
		return 0, false, evalErrorf("expected an integer, got %T", primitiveValue(c[0]))
	}
	return i, true, nil
}

// singletonString returns the single string of c; with orEmpty an empty
// collection gives "" (for '&').
func singletonString(c collection, orEmpty bool) (string, error) {
	if len(c) == 0 {
		if orEmpty {
			return "", nil
		}
		return "", nil
	}
	if len(c) > 1 {
		return "", evalErrorf("expected a single string, got %d items", len(c))
	}
	s, ok := primitiveValue(c[0]).(string)
	if !ok {
		return "", evalErrorf("expected a string, got %s", systemTypeName(primitiveValue(c[0])))
	}
	return s, nil
}
