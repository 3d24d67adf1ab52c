package fhirpath

import (
	"math/big"
	"sort"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
)

// fn implements a function. args are the unevaluated argument
// expressions: most functions evaluate them once against the input
// ($this is the whole input), iterating ones evaluate them per item.
type fn func(ev *evaluator, input collection, args []expr, sc *scope) (collection, error)

type funcDef struct {
	minArgs, maxArgs int
	impl             fn
}

var functions map[string]funcDef

func init() {
	functions = map[string]funcDef{
		// existence
		"empty": {0, 0, func(_ *evaluator, in collection, _ []expr, _ *scope) (collection, error) {
			return boolResult(len(in) == 0), nil
		}},
		"exists":     {0, 1, fnExists},
		"all":        {1, 1, fnAll},
		"allTrue":    {0, 0, boolAggregate(true, true)},
		"anyTrue":    {0, 0, boolAggregate(false, true)},
		"allFalse":   {0, 0, boolAggregate(true, false)},
		"anyFalse":   {0, 0, boolAggregate(false, false)},
		"subsetOf":   {1, 1, fnSubsetOf(false)},
		"supersetOf": {1, 1, fnSubsetOf(true)},
		"count": {0, 0, func(_ *evaluator, in collection, _ []expr, _ *scope) (collection, error) {
			return collection{int64(len(in))}, nil
		}},
		"distinct": {0, 0, func(_ *evaluator, in collection, _ []expr, _ *scope) (collection, error) { return union(in, nil), nil }},
		"isDistinct": {0, 0, func(_ *evaluator, in collection, _ []expr, _ *scope) (collection, error) {
			return boolResult(len(union(in, nil)) == len(in)), nil
		}},
		// filtering and projection
		"where":  {1, 1, fnWhere},
		"select": {1, 1, fnSelect},
		"repeat": {1, 1, fnRepeat},
		"ofType": {1, 1, fnOfType},
		"as":     {1, 1, fnAs},
		"is":     {1, 1, fnIs},
		// subsetting
		"single": {0, 0, fnSingle},
		"first":  {0, 0, func(_ *evaluator, in collection, _ []expr, _ *scope) (collection, error) { return takeN(in, 0, 1), nil }},
		"last": {0, 0, func(_ *evaluator, in collection, _ []expr, _ *scope) (collection, error) {
			return takeN(in, len(in)-1, 1), nil
		}},
		"tail": {0, 0, func(_ *evaluator, in collection, _ []expr, _ *scope) (collection, error) {
			return takeN(in, 1, len(in)), nil
		}},
		"skip":      {1, 1, fnSkipTake(true)},
		"take":      {1, 1, fnSkipTake(false)},
		"intersect": {1, 1, fnIntersect(false)},
		"exclude":   {1, 1, fnIntersect(true)},
		// combining
		"union": {1, 1, func(ev *evaluator, in collection, args []expr, sc *scope) (collection, error) {
			other, err := ev.arg(args[0], in, sc)
			return union(in, other), err
		}},
		"combine": {1, 1, func(ev *evaluator, in collection, args []expr, sc *scope) (collection, error) {
			other, err := ev.arg(args[0], in, sc)
			return append(append(collection{}, in...), other...), err
		}},
		// utility
		"iif":   {2, 3, fnIif},
		"trace": {1, 2, fnTrace},
		"now": {0, 0, func(ev *evaluator, _ collection, _ []expr, _ *scope) (collection, error) {
			return collection{nowValue(ev, kindDateTime)}, nil
		}},
		"today": {0, 0, func(ev *evaluator, _ collection, _ []expr, _ *scope) (collection, error) {
			return collection{nowValue(ev, kindDate)}, nil
		}},
		"timeOfDay": {0, 0, func(ev *evaluator, _ collection, _ []expr, _ *scope) (collection, error) {
			return collection{nowValue(ev, kindTime)}, nil
		}},
		"not": {0, 0, fnNot},
		"children": {0, 0, func(_ *evaluator, in collection, _ []expr, _ *scope) (collection, error) {
			var out collection
			for _, item := range in {
				out = append(out, childrenOf(item)...)
			}
			return out, nil
		}},
		"descendants": {0, 0, fnDescendants},
		"aggregate":   {1, 2, fnAggregate},
		"sort":        {0, -1, fnSort},
		"type":        {0, 0, fnType},
		// FHIR additions
		"extension":    {1, 1, fnExtension},
		"hasValue":     {0, 0, fnHasValue},
		"getValue":     {0, 0, fnGetValue},
		"resolve":      {0, 0, fnResolve},
		"htmlChecks":   {0, 0, func(_ *evaluator, _ collection, _ []expr, _ *scope) (collection, error) { return boolResult(true), nil }},
		"conformsTo":   {1, 1, fnConformsTo},
		"memberOf":     {1, 1, fnMemberOf},
		"subsumes":     {1, 1, unsupported("subsumes")},
		"subsumedBy":   {1, 1, unsupported("subsumedBy")},
		"comparable":   {1, 1, fnComparable},
		"precision":    {0, 0, fnPrecision},
		"lowBoundary":  {0, 1, fnBoundary(false)},
		"highBoundary": {0, 1, fnBoundary(true)},
	}
	for name, def := range stringFunctions {
		functions[name] = def
	}
	for name, def := range mathFunctions {
		functions[name] = def
	}
	for name, def := range conversionFunctions {
		functions[name] = def
	}
}

func unsupported(name string) fn {
	return func(*evaluator, collection, []expr, *scope) (collection, error) {
		return nil, evalErrorf("%s() needs a terminology service, which gpcloud does not have", name)
	}
}

func (ev *evaluator) call(x *funcExpr, input collection, sc *scope) (collection, error) {
	def, ok := functions[x.name]
	if !ok {
		return nil, evalErrorf("unknown function %s()", x.name)
	}
	if len(x.args) < def.minArgs || (def.maxArgs >= 0 && len(x.args) > def.maxArgs) {
		return nil, evalErrorf("%s() takes %d to %d arguments, got %d", x.name, def.minArgs, def.maxArgs, len(x.args))
	}
	return def.impl(ev, input, x.args, sc)
}

// arg evaluates an argument once, with the function's input as $this.
func (ev *evaluator) arg(e expr, input collection, sc *scope) (collection, error) {
	return ev.eval(e, sc.this, sc)
}

// criterion evaluates a boolean argument for one item: true only when
// it is true (empty and false are not).
func (ev *evaluator) criterion(e expr, item any, i int, sc *scope) (bool, error) {
	v, err := ev.perItem(e, item, i, sc)
	if err != nil {
		return false, err
	}
	b, err := toBoolean3(v)
	return b == vTrue, err
}

// stringArg evaluates an argument that must be a single string (or empty,
// read as "").
func (ev *evaluator) stringArg(e expr, input collection, sc *scope) (string, error) {
	v, err := ev.arg(e, input, sc)
	if err != nil {
		return "", err
	}
	return singletonString(v, true)
}

// perItem evaluates an argument with one item as the focus and $this.
func (ev *evaluator) perItem(e expr, item any, i int, sc *scope) (collection, error) {
	focus := collection{item}
	return ev.eval(e, focus, &scope{this: focus, index: i, total: sc.total, parent: sc})
}

func fnExists(ev *evaluator, in collection, args []expr, sc *scope) (collection, error) {
	if len(args) == 0 {
		return boolResult(len(in) > 0), nil
	}
	out, err := fnWhere(ev, in, args, sc)
	return boolResult(len(out) > 0), err
}

func fnAll(ev *evaluator, in collection, args []expr, sc *scope) (collection, error) {
	for i, item := range in {
		ok, err := ev.criterion(args[0], item, i, sc)
		if err != nil {
			return nil, err
		}
		if !ok {
			return boolResult(false), nil
		}
	}
	return boolResult(true), nil
}

// boolAggregate builds allTrue/anyTrue/allFalse/anyFalse.
func boolAggregate(all, want bool) fn {
	return func(_ *evaluator, in collection, _ []expr, _ *scope) (collection, error) {
		for _, item := range in {
			b, ok := primitiveValue(item).(bool)
			if !ok {
				return nil, evalErrorf("expected booleans")
			}
			if all && b != want {
				return boolResult(false), nil
			}
			if !all && b == want {
				return boolResult(true), nil
			}
		}
		return boolResult(all), nil
	}
}

func fnSubsetOf(superset bool) fn {
	return func(ev *evaluator, in collection, args []expr, sc *scope) (collection, error) {
		other, err := ev.arg(args[0], in, sc)
		if err != nil {
			return nil, err
		}
		a, b := in, other
		if superset {
			a, b = other, in
		}
		for _, item := range a {
			if !containsItem(b, item) {
				return boolResult(false), nil
			}
		}
		return boolResult(true), nil
	}
}

func fnWhere(ev *evaluator, in collection, args []expr, sc *scope) (collection, error) {
	var out collection
	for i, item := range in {
		ok, err := ev.criterion(args[0], item, i, sc)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, item)
		}
	}
	return out, nil
}

func fnSelect(ev *evaluator, in collection, args []expr, sc *scope) (collection, error) {
	var out collection
	for i, item := range in {
		v, err := ev.perItem(args[0], item, i, sc)
		if err != nil {
			return nil, err
		}
		out = append(out, v...)
	}
	return out, nil
}

func fnRepeat(ev *evaluator, in collection, args []expr, sc *scope) (collection, error) {
	var out collection
	queue := in
	for steps := 0; len(queue) > 0; steps++ {
		if steps > 10000 {
			return nil, evalErrorf("repeat() did not finish")
		}
		var next collection
		for i, item := range queue {
			v, err := ev.perItem(args[0], item, i, sc)
			if err != nil {
				return nil, err
			}
			for _, x := range v {
				if !containsItem(out, x) {
					out = append(out, x)
					next = append(next, x)
				}
			}
		}
		queue = next
	}
	return out, nil
}

// typeArg reads a type name argument: an identifier or dotted name.
func typeArg(e expr) (string, error) {
	switch x := e.(type) {
	case *identExpr:
		return x.name, nil
	case *memberExpr:
		prefix, err := typeArg(x.target)
		return prefix + "." + x.name, err
	}
	return "", evalErrorf("expected a type name")
}

func fnOfType(_ *evaluator, in collection, args []expr, _ *scope) (collection, error) {
	name, err := typeArg(args[0])
	if err != nil {
		return nil, err
	}
	if !knownTypeName(name) {
		return nil, evalErrorf("unknown type %s", name)
	}
	var out collection
	for _, item := range in {
		if isOfType(item, name) {
			out = append(out, item)
		}
	}
	return out, nil
}

func fnAs(ev *evaluator, in collection, args []expr, sc *scope) (collection, error) {
	name, err := typeArg(args[0])
	if err != nil {
		return nil, err
	}
	if len(in) > 1 {
		if !ev.opts.AsFilter {
			return nil, evalErrorf("as() needs a single item, got %d", len(in))
		}
		return fnOfType(ev, in, args, sc)
	}
	return typeOperator("as", in, name)
}

func fnIs(_ *evaluator, in collection, args []expr, _ *scope) (collection, error) {
	name, err := typeArg(args[0])
	if err != nil {
		return nil, err
	}
	return typeOperator("is", in, name)
}

func fnSingle(_ *evaluator, in collection, _ []expr, _ *scope) (collection, error) {
	if len(in) > 1 {
		return nil, evalErrorf("single() on %d items", len(in))
	}
	return in, nil
}

func takeN(in collection, from, n int) collection {
	if from < 0 {
		from = 0
	}
	if from >= len(in) || n <= 0 {
		return nil
	}
	end := min(from+n, len(in))
	return in[from:end]
}

func fnSkipTake(skip bool) fn {
	return func(ev *evaluator, in collection, args []expr, sc *scope) (collection, error) {
		v, err := ev.arg(args[0], in, sc)
		if err != nil {
			return nil, err
		}
		n, ok, err := singletonInt(v)
		if err != nil || !ok {
			return nil, err
		}
		if skip {
			return takeN(in, int(n), len(in)), nil
		}
		return takeN(in, 0, int(n)), nil
	}
}

func fnIntersect(exclude bool) fn {
	return func(ev *evaluator, in collection, args []expr, sc *scope) (collection, error) {
		other, err := ev.arg(args[0], in, sc)
		if err != nil {
			return nil, err
		}
		var out collection
		for _, item := range in {
			if containsItem(other, item) != exclude && (exclude || !containsItem(out, item)) {
				out = append(out, item)
			}
		}
		return out, nil
	}
}

func fnIif(ev *evaluator, in collection, args []expr, sc *scope) (collection, error) {
	if len(in) > 1 {
		return nil, evalErrorf("iif() on %d items", len(in))
	}
	focus, inner := sc.this, sc
	if len(in) == 1 {
		focus = in
		inner = &scope{this: in, index: sc.index, total: sc.total, parent: sc}
	}
	cond, err := ev.eval(args[0], focus, inner)
	if err != nil {
		return nil, err
	}
	if len(cond) > 0 {
		if _, isBool := primitiveValue(cond[0]).(bool); !isBool || len(cond) > 1 {
			return nil, evalErrorf("iif() criterion is not a boolean")
		}
	}
	b, err := toBoolean3(cond)
	if err != nil {
		return nil, err
	}
	if b == vTrue {
		return ev.eval(args[1], focus, inner)
	}
	if len(args) == 3 {
		return ev.eval(args[2], focus, inner)
	}
	return nil, nil
}

func fnTrace(ev *evaluator, in collection, args []expr, sc *scope) (collection, error) {
	name, err := ev.stringArg(args[0], in, sc)
	if err != nil {
		return nil, err
	}
	values := in
	if len(args) == 2 {
		if values, err = fnSelect(ev, in, args[1:], sc); err != nil {
			return nil, err
		}
	}
	if ev.opts.Trace != nil {
		ev.opts.Trace(name, values)
	}
	return in, nil
}

func nowValue(ev *evaluator, kind temporalKind) DateTime {
	if ev.now.IsZero() {
		ev.now = time.Now() // one instant for the whole evaluation
	}
	t := ev.now
	switch kind {
	case kindDate:
		return DateTime{T: t, Prec: precDay, Kind: kindDate}
	case kindTime:
		return DateTime{T: t, Prec: precMillis, Kind: kindTime}
	}
	return DateTime{T: t, Prec: precMillis, Kind: kindDateTime, HasTZ: true}
}

func fnNot(_ *evaluator, in collection, _ []expr, _ *scope) (collection, error) {
	b, err := toBoolean3(in)
	if err != nil {
		return nil, err
	}
	switch b {
	case vTrue:
		return boolResult(false), nil
	case vFalse:
		return boolResult(true), nil
	}
	return nil, nil
}

func fnDescendants(_ *evaluator, in collection, _ []expr, _ *scope) (collection, error) {
	var out collection
	queue := in
	for len(queue) > 0 {
		var next collection
		for _, item := range queue {
			kids := childrenOf(item)
			out = append(out, kids...)
			next = append(next, kids...)
		}
		queue = next
	}
	return out, nil
}

func fnAggregate(ev *evaluator, in collection, args []expr, sc *scope) (collection, error) {
	var total collection
	if len(args) == 2 {
		var err error
		if total, err = ev.arg(args[1], in, sc); err != nil {
			return nil, err
		}
	}
	for i, item := range in {
		focus := collection{item}
		v, err := ev.eval(args[0], focus, &scope{this: focus, index: i, total: total, parent: sc})
		if err != nil {
			return nil, err
		}
		total = v
	}
	return total, nil
}

// fnSort orders by the given key expressions (a leading '-' descends), or
// by the items themselves.
func fnSort(ev *evaluator, in collection, args []expr, sc *scope) (collection, error) {
	type keyed struct {
		item any
		keys []collection
	}
	items := make([]keyed, len(in))
	desc := make([]bool, len(args))
	keyExprs := make([]expr, len(args))
	for j, a := range args {
		keyExprs[j] = a
		if u, ok := a.(*unaryExpr); ok && u.op == "-" {
			desc[j], keyExprs[j] = true, u.operand
		}
	}
	for i, item := range in {
		items[i].item = item
		if len(args) == 0 {
			items[i].keys = []collection{{item}}
			continue
		}
		for _, k := range keyExprs {
			v, err := ev.perItem(k, item, i, sc)
			if err != nil {
				return nil, err
			}
			items[i].keys = append(items[i].keys, v)
		}
	}
	var sortErr error
	sort.SliceStable(items, func(a, b int) bool {
		for j := range items[a].keys {
			ka, kb := items[a].keys[j], items[b].keys[j]
			c, err := compareForSort(ka, kb)
			if err != nil {
				sortErr = err
			}
			if c != 0 {
				// Empty keys come first in either direction.
				if len(desc) > j && desc[j] && len(ka) > 0 && len(kb) > 0 {
					return c > 0
				}
				return c < 0
			}
		}
		return false
	})
	out := make(collection, len(items))
	for i := range items {
		out[i] = items[i].item
	}
	return out, sortErr
}

func compareForSort(a, b collection) (int, error) {
	switch {
	case len(a) == 0 && len(b) == 0:
		return 0, nil
	case len(a) == 0:
		return -1, nil
	case len(b) == 0:
		return 1, nil
	}
	lt, err := compareOp("<", a[:1], b[:1])
	if err != nil || len(lt) == 0 {
		return 0, err
	}
	if lt[0].(bool) {
		return -1, nil
	}
	gt, err := compareOp(">", a[:1], b[:1])
	if err != nil || len(gt) == 0 {
		return 0, err
	}
	if gt[0].(bool) {
		return 1, nil
	}
	return 0, nil
}

// typeInfo is the result of type(): a namespace and a name.
type typeInfo struct{ namespace, name string }

func fnType(_ *evaluator, in collection, _ []expr, _ *scope) (collection, error) {
	var out collection
	for _, item := range in {
		if n, ok := item.(*Node); ok {
			out = append(out, typeInfo{"FHIR", n.Type})
			continue
		}
		out = append(out, typeInfo{"System", systemTypeName(item)})
	}
	return out, nil
}

func fnExtension(ev *evaluator, in collection, args []expr, sc *scope) (collection, error) {
	url, err := ev.stringArg(args[0], in, sc)
	if err != nil || url == "" {
		return nil, err
	}
	var out collection
	for _, item := range in {
		exts, err := child(item, "extension", false)
		if err != nil {
			return nil, err
		}
		for _, e := range exts {
			if n, ok := e.(*Node); ok {
				if m, ok := n.Value.(map[string]any); ok && m["url"] == url {
					out = append(out, e)
				}
			}
		}
	}
	return out, nil
}

func fnHasValue(_ *evaluator, in collection, _ []expr, _ *scope) (collection, error) {
	if len(in) != 1 {
		return boolResult(false), nil
	}
	n, ok := in[0].(*Node)
	return boolResult(ok && n.Value != nil && isPrimitiveNode(n)), nil
}

func fnGetValue(_ *evaluator, in collection, _ []expr, _ *scope) (collection, error) {
	if len(in) != 1 {
		return nil, nil
	}
	if n, ok := in[0].(*Node); ok && n.Value != nil && isPrimitiveNode(n) {
		return collection{primitiveValue(n)}, nil
	}
	return nil, nil
}

func fnConformsTo(ev *evaluator, in collection, args []expr, sc *scope) (collection, error) {
	url, err := ev.stringArg(args[0], in, sc)
	if err != nil {
		return nil, err
	}
	name, ok := strings.CutPrefix(url, "http://hl7.org/fhir/StructureDefinition/")
	if !ok {
		return nil, evalErrorf("conformsTo() knows only the base R4 profiles, not %s", url)
	}
	var out collection
	for _, item := range in {
		out = append(out, isOfType(item, name))
	}
	return out, nil
}

func fnMemberOf(ev *evaluator, in collection, args []expr, sc *scope) (collection, error) {
	return nil, evalErrorf("memberOf() needs a terminology service, which gpcloud does not have")
}

func fnResolve(ev *evaluator, in collection, _ []expr, _ *scope) (collection, error) {
	var out collection
	for _, item := range in {
		var ref string
		switch v := primitiveValue(item).(type) {
		case string:
			ref = v
		case *Node:
			if m, ok := v.Value.(map[string]any); ok {
				ref, _ = m["reference"].(string)
			}
		}
		if ref == "" {
			continue
		}
		if r := ev.resolve(ref); r != nil {
			out = append(out, r)
		}
	}
	return out, nil
}

func (ev *evaluator) resolve(ref string) *Node {
	if ev.opts.Resolve != nil {
		if r := ev.opts.Resolve(ref); r != nil {
			return ResourceNode(r)
		}
	}
	if len(ev.input) == 1 {
		root, _ := ev.input[0].(*Node)
		if root != nil {
			m, _ := root.Value.(map[string]any)
			if id, ok := strings.CutPrefix(ref, "#"); ok {
				contained, _ := m["contained"].([]any)
				for _, c := range contained {
					if cm, ok := c.(map[string]any); ok && cm["id"] == id {
						return ResourceNode(cm)
					}
				}
				return nil
			}
			if root.Type == "Bundle" {
				entries, _ := m["entry"].([]any)
				for _, e := range entries {
					em, _ := e.(map[string]any)
					res, _ := em["resource"].(map[string]any)
					if res == nil {
						continue
					}
					if em["fullUrl"] == ref || strings.HasSuffix(ref, "/"+res["resourceType"].(string)+"/"+asString(res["id"])) ||
						ref == asString(res["resourceType"])+"/"+asString(res["id"]) {
						return ResourceNode(res)
					}
				}
			}
		}
	}
	// A literal reference: a stand-in of the named type.
	parts := strings.Split(strings.SplitN(ref, "/_history/", 2)[0], "/")
	if len(parts) >= 2 {
		rt, id := parts[len(parts)-2], parts[len(parts)-1]
		if definitions.IsResourceType(rt) {
			return ResourceNode(map[string]any{"resourceType": rt, "id": id})
		}
	}
	return nil
}

func asString(v any) string { s, _ := v.(string); return s }

func fnComparable(ev *evaluator, in collection, args []expr, sc *scope) (collection, error) {
	other, err := ev.arg(args[0], in, sc)
	if err != nil || len(in) != 1 || len(other) != 1 {
		return nil, err
	}
	a, okA := primitiveValue(in[0]).(Quantity)
	b, okB := primitiveValue(other[0]).(Quantity)
	if !okA || !okB {
		return nil, evalErrorf("comparable() works on quantities")
	}
	_, ok := convertQuantity(b, a.Unit)
	return boolResult(ok), nil
}

func fnPrecision(_ *evaluator, in collection, _ []expr, _ *scope) (collection, error) {
	if len(in) != 1 {
		return nil, nil
	}
	switch v := primitiveValue(in[0]).(type) {
	case Decimal:
		return collection{int64(v.places)}, nil
	case int64:
		return collection{int64(0)}, nil
	case DateTime:
		digits := map[int]int64{precYear: 4, precMonth: 6, precDay: 8, precHour: 10, precMinute: 12, precSecond: 14, precMillis: 17}[v.Prec]
		if v.Kind == kindTime {
			digits -= 8
		}
		return collection{digits}, nil
	}
	return nil, nil
}

// rat10 is 10^-places as a rational.
func rat10(places int) *big.Rat {
	return new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil))
}
