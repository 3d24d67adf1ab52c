// Package jsonpatch implements JSON Patch (RFC 6902) over JSON Pointers
// (RFC 6901) on the generic decoded form (map[string]any, []any...), the
// patch format of FHIR's PATCH interaction (application/json-patch+json).
//
// A patch applies to a copy, all or nothing: when any operation fails,
// including a failed test, Apply returns an error and the input is
// unchanged.
package jsonpatch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Operation is one patch operation.
type Operation struct {
	Op   string // add, remove, replace, move, copy, test
	Path string
	From string // move and copy
	// Value is the operand of add, replace and test; HasValue tells a
	// JSON null apart from no value at all.
	Value    any
	HasValue bool
}

// Patch is an ordered list of operations.
type Patch []Operation

// Error reports the operation that failed.
type Error struct {
	Index int // position of the operation in the patch
	Op    string
	Msg   string
}

func (e *Error) Error() string {
	if e.Op == "" {
		return fmt.Sprintf("operation %d: %s", e.Index, e.Msg)
	}
	return fmt.Sprintf("operation %d (%s): %s", e.Index, e.Op, e.Msg)
}

// Parse reads a JSON Patch document: an array of operation objects.
func Parse(data []byte) (Patch, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw []map[string]json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("a JSON Patch must be a JSON array of operation objects: %v", err)
	}
	if raw == nil {
		return nil, fmt.Errorf("a JSON Patch must be a JSON array of operation objects, not null")
	}
	p := make(Patch, 0, len(raw))
	for i, m := range raw {
		op, err := parseOperation(m)
		if err != nil {
			return nil, &Error{Index: i, Op: op.Op, Msg: err.Error()}
		}
		p = append(p, op)
	}
	return p, nil
}

func parseOperation(m map[string]json.RawMessage) (Operation, error) {
	var op Operation
	str := func(name string) (string, bool, error) {
		raw, ok := m[name]
		if !ok {
			return "", false, nil
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", true, fmt.Errorf("%q must be a string", name)
		}
		return s, true, nil
	}
	var ok bool
	var err error
	if op.Op, ok, err = str("op"); err != nil || !ok {
		return op, fmt.Errorf(`"op" is missing or not a string`)
	}
	switch op.Op {
	case "add", "remove", "replace", "move", "copy", "test":
	default:
		return op, fmt.Errorf("unknown op %q", op.Op)
	}
	if op.Path, ok, err = str("path"); err != nil {
		return op, err
	} else if !ok {
		return op, fmt.Errorf(`"path" is missing`)
	}
	if _, err := parsePointer(op.Path); err != nil {
		return op, err
	}
	if op.Op == "move" || op.Op == "copy" {
		if op.From, ok, err = str("from"); err != nil {
			return op, err
		} else if !ok {
			return op, fmt.Errorf(`"from" is missing`)
		}
		if _, err := parsePointer(op.From); err != nil {
			return op, err
		}
	}
	if op.Op == "add" || op.Op == "replace" || op.Op == "test" {
		raw, ok := m["value"]
		if !ok {
			return op, fmt.Errorf(`"value" is missing`)
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&op.Value); err != nil {
			return op, fmt.Errorf(`"value": %v`, err)
		}
		op.HasValue = true
	}
	return op, nil
}

// parsePointer splits an RFC 6901 pointer into unescaped tokens.
func parsePointer(p string) ([]string, error) {
	if p == "" {
		return nil, nil
	}
	if p[0] != '/' {
		return nil, fmt.Errorf("JSON Pointer %q must be empty or start with '/'", p)
	}
	parts := strings.Split(p[1:], "/")
	for i, s := range parts {
		if strings.Contains(s, "~") {
			for j := 0; j < len(s); j++ {
				if s[j] == '~' && (j+1 == len(s) || s[j+1] != '0' && s[j+1] != '1') {
					return nil, fmt.Errorf("JSON Pointer %q has an invalid escape", p)
				}
			}
			parts[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
		}
	}
	return parts, nil
}

// Apply applies the patch to a copy of doc and returns the result.
func (p Patch) Apply(doc any) (any, error) {
	out := fhir.DeepCopy(doc)
	for i, op := range p {
		var err error
		out, err = apply(out, op)
		if err != nil {
			return nil, &Error{Index: i, Op: op.Op, Msg: err.Error()}
		}
	}
	return out, nil
}

func apply(doc any, op Operation) (any, error) {
	path, err := parsePointer(op.Path)
	if err != nil {
		return nil, err
	}
	switch op.Op {
	case "add":
		return add(doc, path, fhir.DeepCopy(op.Value))
	case "remove":
		out, _, err := remove(doc, path)
		return out, err
	case "replace":
		if len(path) == 0 {
			return fhir.DeepCopy(op.Value), nil
		}
		if _, err := get(doc, path); err != nil {
			return nil, err
		}
		out, _, err := remove(doc, path)
		if err != nil {
			return nil, err
		}
		return add(out, path, fhir.DeepCopy(op.Value))
	case "move":
		from, err := parsePointer(op.From)
		if err != nil {
			return nil, err
		}
		if op.From == op.Path {
			_, err := get(doc, from)
			return doc, err
		}
		if strings.HasPrefix(op.Path, op.From+"/") {
			return nil, fmt.Errorf("cannot move %s into its own child %s", op.From, op.Path)
		}
		out, v, err := remove(doc, from)
		if err != nil {
			return nil, err
		}
		return add(out, path, v)
	case "copy":
		from, err := parsePointer(op.From)
		if err != nil {
			return nil, err
		}
		v, err := get(doc, from)
		if err != nil {
			return nil, err
		}
		return add(doc, path, fhir.DeepCopy(v))
	case "test":
		v, err := get(doc, path)
		if err != nil {
			return nil, err
		}
		if !Equal(v, op.Value) {
			return nil, fmt.Errorf("test failed: the value at %q differs", op.Path)
		}
		return doc, nil
	}
	return nil, fmt.Errorf("unknown op %q", op.Op)
}

// get returns the value a pointer names.
func get(doc any, path []string) (any, error) {
	cur := doc
	for i, tok := range path {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[tok]
			if !ok {
				return nil, fmt.Errorf("path %s does not exist", pointer(path[:i+1]))
			}
			cur = v
		case []any:
			idx, err := arrayIndex(tok, len(c), false)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", pointer(path[:i+1]), err)
			}
			cur = c[idx]
		default:
			return nil, fmt.Errorf("path %s does not exist: %s is not an object or array", pointer(path[:i+1]), pointer(path[:i]))
		}
	}
	return cur, nil
}

// add sets the value at path, inserting into arrays, and returns the
// (possibly new) document.
func add(doc any, path []string, value any) (any, error) {
	if len(path) == 0 {
		return value, nil
	}
	parent, err := get(doc, path[:len(path)-1])
	if err != nil {
		return nil, err
	}
	last := path[len(path)-1]
	switch c := parent.(type) {
	case map[string]any:
		c[last] = value
		return doc, nil
	case []any:
		idx := len(c)
		if last != "-" {
			if idx, err = arrayIndex(last, len(c), true); err != nil {
				return nil, fmt.Errorf("%s: %v", pointer(path), err)
			}
		}
		grown := make([]any, 0, len(c)+1)
		grown = append(append(append(grown, c[:idx]...), value), c[idx:]...)
		return setContainer(doc, path[:len(path)-1], grown)
	}
	return nil, fmt.Errorf("cannot add at %s: the parent is not an object or array", pointer(path))
}

// remove deletes the value at path and returns the document and the value.
func remove(doc any, path []string) (any, any, error) {
	if len(path) == 0 {
		return nil, nil, fmt.Errorf("cannot remove the whole document")
	}
	parent, err := get(doc, path[:len(path)-1])
	if err != nil {
		return nil, nil, err
	}
	last := path[len(path)-1]
	switch c := parent.(type) {
	case map[string]any:
		v, ok := c[last]
		if !ok {
			return nil, nil, fmt.Errorf("path %s does not exist", pointer(path))
		}
		delete(c, last)
		return doc, v, nil
	case []any:
		idx, err := arrayIndex(last, len(c), false)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %v", pointer(path), err)
		}
		v := c[idx]
		shrunk := append(append(make([]any, 0, len(c)-1), c[:idx]...), c[idx+1:]...)
		out, err := setContainer(doc, path[:len(path)-1], shrunk)
		return out, v, err
	}
	return nil, nil, fmt.Errorf("path %s does not exist", pointer(path))
}

// setContainer replaces the array at path (arrays change length, so their
// parent must point at the new slice).
func setContainer(doc any, path []string, v any) (any, error) {
	if len(path) == 0 {
		return v, nil
	}
	parent, err := get(doc, path[:len(path)-1])
	if err != nil {
		return nil, err
	}
	last := path[len(path)-1]
	switch c := parent.(type) {
	case map[string]any:
		c[last] = v
	case []any:
		idx, err := arrayIndex(last, len(c), false)
		if err != nil {
			return nil, err
		}
		c[idx] = v
	}
	return doc, nil
}

// arrayIndex parses an array index token: digits without leading zeros,
// below n (or equal to n when inserting).
func arrayIndex(tok string, n int, inserting bool) (int, error) {
	if tok == "" || (len(tok) > 1 && tok[0] == '0') || strings.TrimLeft(tok, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not an array index", tok)
	}
	idx, err := strconv.Atoi(tok)
	if err != nil || idx > n || (!inserting && idx == n) {
		return 0, fmt.Errorf("array index %s is out of bounds (length %d)", tok, n)
	}
	return idx, nil
}

func pointer(path []string) string {
	var b strings.Builder
	for _, p := range path {
		b.WriteByte('/')
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(p, "~", "~0"), "/", "~1"))
	}
	return b.String()
}

// Equal is JSON equality: numbers by value (1 equals 1.0), objects
// regardless of member order.
func Equal(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !Equal(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case json.Number, float64:
		return numbersEqual(a, b)
	}
	switch b.(type) {
	case json.Number, float64:
		return false
	}
	return a == b
}

func numbersEqual(a, b any) bool {
	ra, ok1 := toRat(a)
	rb, ok2 := toRat(b)
	if !ok1 || !ok2 {
		return a == b
	}
	return ra.Cmp(rb) == 0
}

func toRat(v any) (*big.Rat, bool) {
	switch x := v.(type) {
	case json.Number:
		// A huge exponent would make an enormous rational: such numbers
		// are compared by their text instead.
		if e := strings.IndexAny(string(x), "eE"); e >= 0 && len(x)-e > 4 {
			return nil, false
		}
		return new(big.Rat).SetString(string(x))
	case float64:
		r := new(big.Rat)
		if r.SetFloat64(x) == nil {
			return nil, false
		}
		return r, true
	}
	return nil, false
}
