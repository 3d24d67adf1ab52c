package fhir

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// The writer below gives, byte for byte, what encoding/json gives for the
// trees decoded JSON is made of (map[string]any with keys in order,
// []any, string, json.Number, float64, bool, nil); any other value is
// handed to encoding/json itself. It exists for speed: encoding/json
// reaches every value of a map[string]any through reflection and sorts
// each map's keys with a reflect.Value beside each, which made encoding a
// third of the audit trail writer's time (chainHash and the body, twice
// per event) and ~5% of an import's. Being byte-identical matters: the
// audit chain's hashes were defined over encoding/json.Marshal's output
// and stores already written must still verify. FuzzWriteJSON and
// TestWriteJSONMatchesEncodingJSON hold it to that.

// maxWriteDepth is how deep the writer nests before it hands a value to
// encoding/json, which detects cycles (decoded JSON has none, but a
// resource built in code could).
const maxWriteDepth = 200

// MarshalSorted returns what encoding/json.Marshal returns for v: compact
// JSON, members in name order, <, > and & escaped.
func MarshalSorted(v any) ([]byte, error) {
	return appendJSON(nil, v, true, 0)
}

// appendJSON appends v's JSON to dst as encoding/json would write it with
// the given HTML escaping.
func appendJSON(dst []byte, v any, escapeHTML bool, depth int) ([]byte, error) {
	if depth > maxWriteDepth {
		return appendStdlib(dst, v, escapeHTML)
	}
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case string:
		return appendString(dst, x, escapeHTML), nil
	case map[string]any:
		if x == nil {
			return append(dst, "null"...), nil
		}
		return appendObject(dst, x, escapeHTML, depth)
	case Resource: // a named map without methods: encoding/json writes it as one
		if x == nil {
			return append(dst, "null"...), nil
		}
		return appendObject(dst, x, escapeHTML, depth)
	case []any:
		if x == nil {
			return append(dst, "null"...), nil
		}
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendJSON(dst, e, escapeHTML, depth+1); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case json.Number:
		s := string(x)
		if s == "" {
			s = "0" // as encoding/json writes a zero Number
		}
		if !validNumber(s) {
			return nil, fmt.Errorf("json: invalid number literal %q", s)
		}
		return append(dst, s...), nil
	case float64:
		return appendFloat(dst, x)
	default:
		return appendStdlib(dst, v, escapeHTML)
	}
}

// appendObject writes m's members in name order.
func appendObject(dst []byte, m map[string]any, escapeHTML bool, depth int) ([]byte, error) {
	dst, err := appendMembers(append(dst, '{'), m, "", false, escapeHTML, depth)
	if err != nil {
		return nil, err
	}
	return append(dst, '}'), nil
}

// appendMembers writes m's members in name order, each after a comma
// unless it is the first and afterOthers is false, leaving out the member
// named skip (one the caller has written already; "" leaves out none).
func appendMembers(dst []byte, m map[string]any, skip string, afterOthers, escapeHTML bool, depth int) ([]byte, error) {
	var small [16]string
	keys := small[:0]
	for k := range m {
		if skip == "" || k != skip {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 || afterOthers {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k, escapeHTML)
		dst = append(dst, ':')
		var err error
		if dst, err = appendJSON(dst, m[k], escapeHTML, depth+1); err != nil {
			return nil, err
		}
	}
	return dst, nil
}

// appendStdlib hands v to encoding/json: values the writer does not know
// (json.RawMessage, named types, Marshalers, structs) keep exactly the
// encoding they had.
func appendStdlib(dst []byte, v any, escapeHTML bool) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return append(dst, bytes.TrimSuffix(b.Bytes(), []byte{'\n'})...), nil
}

// appendFloat writes f as encoding/json does (as ECMAScript renders a
// number: plain digits unless the exponent is below -6 or from 21 up).
func appendFloat(dst []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, fmt.Errorf("json: unsupported value: %s", strconv.FormatFloat(f, 'g', -1, 64))
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// e-07 becomes e-7, as encoding/json writes it.
		if n := len(dst); n-start >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, nil
}

// appendString writes s quoted and escaped as encoding/json does: the
// short escapes for \b \f \n \r \t, \u00XX for other control bytes (and
// for < > & when escapeHTML), \u2028 and \u2029 always, and U+FFFD for
// each byte of invalid UTF-8.
func appendString(dst []byte, s string, escapeHTML bool) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && (!escapeHTML || (b != '<' && b != '>' && b != '&')) {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case c == '\u2028' || c == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[c&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// validNumber reports whether s is a JSON number (RFC 8259 section 6).
func validNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		digits()
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}
