package fhirjson

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Limits bound what one document may hold. Zero fields take the default.
type Limits struct {
	// MaxDepth is the deepest nesting of objects and arrays.
	MaxDepth int
	// MaxStringBytes bounds one string or member name, measured in the
	// bytes it takes in the document (escapes included).
	MaxStringBytes int
}

// DefaultLimits suit FHIR resources: real resources nest a few dozen
// levels at most (Questionnaire items being the deepest), and the largest
// strings are base64 attachments, which the request body limit also caps.
var DefaultLimits = Limits{MaxDepth: 100, MaxStringBytes: 16 << 20}

func (l Limits) withDefaults() Limits {
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultLimits.MaxDepth
	}
	if l.MaxStringBytes <= 0 {
		l.MaxStringBytes = DefaultLimits.MaxStringBytes
	}
	return l
}

// Decode decodes one JSON value, refusing trailing data.
func Decode(data []byte, lim Limits) (any, error) {
	d := &decoder{data: data, lim: lim.withDefaults()}
	d.skipSpace()
	if d.pos == len(d.data) {
		return nil, d.errorf(http.StatusBadRequest, fhir.CodeStructure, "the body is empty; expected a JSON document")
	}
	v, err := d.value()
	if err != nil {
		return nil, err
	}
	d.skipSpace()
	if d.pos != len(d.data) {
		return nil, d.syntax("unexpected data after the JSON value")
	}
	return v, nil
}

// DecodeResource decodes a JSON object carrying a string resourceType.
func DecodeResource(data []byte, lim Limits) (fhir.Resource, error) {
	v, err := Decode(data, lim)
	if err != nil {
		return nil, err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fhir.Errorf(http.StatusBadRequest, fhir.CodeStructure, "expected a FHIR resource (a JSON object), got a JSON %s", kind(v))
	}
	if _, ok := obj["resourceType"].(string); !ok {
		return nil, fhir.Errorf(http.StatusBadRequest, fhir.CodeStructure, "the JSON object has no resourceType string: it is not a FHIR resource")
	}
	return fhir.Resource(obj), nil
}

func kind(v any) string {
	switch v.(type) {
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return "number"
}

type decoder struct {
	data  []byte
	pos   int
	depth int
	lim   Limits
}

// errorf reports an error at the current offset, with line and column.
func (d *decoder) errorf(status int, code, format string, args ...any) error {
	line, col := 1, 1
	for _, c := range d.data[:min(d.pos, len(d.data))] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	msg := fmt.Sprintf(format, args...)
	return fhir.Errorf(status, code, "invalid JSON at offset %d (line %d, column %d): %s", d.pos, line, col, msg)
}

func (d *decoder) syntax(format string, args ...any) error {
	return d.errorf(http.StatusBadRequest, fhir.CodeStructure, format, args...)
}

func (d *decoder) unexpected(what string) error {
	if d.pos >= len(d.data) {
		return d.syntax("unexpected end of input, expected %s", what)
	}
	c := d.data[d.pos]
	if c < 0x20 || c >= 0x7f {
		return d.syntax("unexpected byte 0x%02x, expected %s", c, what)
	}
	return d.syntax("unexpected character %q, expected %s", c, what)
}

func (d *decoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *decoder) value() (any, error) {
	if d.pos >= len(d.data) {
		return nil, d.unexpected("a value")
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		return d.object()
	case c == '[':
		return d.array()
	case c == '"':
		return d.str()
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	}
	return nil, d.unexpected("a value")
}

func (d *decoder) literal(lit string) error {
	if len(d.data)-d.pos < len(lit) || string(d.data[d.pos:d.pos+len(lit)]) != lit {
		return d.unexpected(strconv.Quote(lit))
	}
	d.pos += len(lit)
	return nil
}

func (d *decoder) enter() error {
	d.depth++
	if d.depth > d.lim.MaxDepth {
		return d.errorf(http.StatusBadRequest, fhir.CodeTooLong, "nesting deeper than %d levels", d.lim.MaxDepth)
	}
	return nil
}

func (d *decoder) object() (any, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	d.pos++ // {
	obj := map[string]any{}
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		d.depth--
		return obj, nil
	}
	for {
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, d.unexpected("a member name string")
		}
		keyAt := d.pos
		key, err := d.str()
		if err != nil {
			return nil, err
		}
		if _, dup := obj[key]; dup {
			d.pos = keyAt
			return nil, d.syntax("duplicate member %q (FHIR JSON allows each name once per object)", key)
		}
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, d.unexpected("':'")
		}
		d.pos++
		d.skipSpace()
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		obj[key] = v
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, d.unexpected("',' or '}'")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case '}':
			d.pos++
			d.depth--
			return obj, nil
		default:
			return nil, d.unexpected("',' or '}'")
		}
	}
}

func (d *decoder) array() (any, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	d.pos++ // [
	list := []any{}
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		d.depth--
		return list, nil
	}
	for {
		d.skipSpace()
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		list = append(list, v)
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, d.unexpected("',' or ']'")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case ']':
			d.pos++
			d.depth--
			return list, nil
		default:
			return nil, d.unexpected("',' or ']'")
		}
	}
}

// str decodes a string starting at the opening quote. The common case, no
// escapes and ASCII or valid UTF-8, is one scan and one allocation.
func (d *decoder) str() (string, error) {
	start := d.pos + 1
	i := start
	ascii := true
	for ; i < len(d.data); i++ {
		c := d.data[i]
		if c == '"' || c == '\\' || c < 0x20 {
			break
		}
		if c >= 0x80 {
			ascii = false
		}
	}
	if i-start > d.lim.MaxStringBytes {
		return "", d.errorf(http.StatusBadRequest, fhir.CodeTooLong, "string longer than %d bytes", d.lim.MaxStringBytes)
	}
	if i < len(d.data) && d.data[i] == '"' {
		raw := d.data[start:i]
		if !ascii && !utf8.Valid(raw) {
			return "", d.invalidUTF8(start, raw)
		}
		d.pos = i + 1
		return string(raw), nil
	}
	return d.slowStr(start)
}

func (d *decoder) invalidUTF8(start int, raw []byte) error {
	for j := 0; j < len(raw); {
		r, size := utf8.DecodeRune(raw[j:])
		if r == utf8.RuneError && size <= 1 {
			d.pos = start + j
			break
		}
		j += size
	}
	return d.syntax("invalid UTF-8 (FHIR JSON must be UTF-8)")
}

// slowStr handles strings with escapes.
func (d *decoder) slowStr(start int) (string, error) {
	buf := make([]byte, 0, 64)
	i := start
	for {
		if i-start > d.lim.MaxStringBytes {
			d.pos = start - 1
			return "", d.errorf(http.StatusBadRequest, fhir.CodeTooLong, "string longer than %d bytes", d.lim.MaxStringBytes)
		}
		if i >= len(d.data) {
			d.pos = i
			return "", d.unexpected("the closing '\"' of a string")
		}
		c := d.data[i]
		switch {
		case c == '"':
			if !utf8.Valid(buf) {
				return "", d.invalidUTF8(start, d.data[start:i])
			}
			d.pos = i + 1
			return string(buf), nil
		case c < 0x20:
			d.pos = i
			return "", d.syntax("control character 0x%02x in a string must be escaped", c)
		case c != '\\':
			buf = append(buf, c)
			i++
			continue
		}
		if i+1 >= len(d.data) {
			d.pos = i + 1
			return "", d.unexpected("an escape character")
		}
		esc := d.data[i+1]
		i += 2
		switch esc {
		case '"', '\\', '/':
			buf = append(buf, esc)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := d.hex4(i)
			if !ok {
				d.pos = i
				return "", d.syntax("\\u must be followed by 4 hex digits")
			}
			i += 4
			if utf16.IsSurrogate(r) {
				// A high surrogate followed by an escaped low one is one
				// character; anything else is replaced by U+FFFD, as
				// encoding/json does.
				if i+6 <= len(d.data) && d.data[i] == '\\' && d.data[i+1] == 'u' {
					if r2, ok := d.hex4(i + 2); ok {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							r = dec
							i += 6
						} else {
							r = utf8.RuneError
						}
					} else {
						r = utf8.RuneError
					}
				} else {
					r = utf8.RuneError
				}
			}
			buf = utf8.AppendRune(buf, r)
		default:
			d.pos = i - 2
			return "", d.syntax("invalid escape '\\%c'", esc)
		}
	}
}

func (d *decoder) hex4(i int) (rune, bool) {
	if i+4 > len(d.data) {
		return 0, false
	}
	var r rune
	for _, c := range d.data[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// number scans an RFC 8259 number and keeps its text (FHIR decimals keep
// their precision, trailing zeros included).
func (d *decoder) number() (any, error) {
	start := d.pos
	i := d.pos
	if d.data[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(d.data) && d.data[i] >= '0' && d.data[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(d.data) && d.data[i] == '0':
		i++
	case digits() == 0:
		d.pos = i
		return nil, d.unexpected("a digit")
	}
	if i < len(d.data) && d.data[i] == '.' {
		i++
		if digits() == 0 {
			d.pos = i
			return nil, d.unexpected("a digit after the decimal point")
		}
	}
	if i < len(d.data) && (d.data[i] == 'e' || d.data[i] == 'E') {
		i++
		if i < len(d.data) && (d.data[i] == '+' || d.data[i] == '-') {
			i++
		}
		if digits() == 0 {
			d.pos = i
			return nil, d.unexpected("a digit in the exponent")
		}
	}
	if i-start > d.lim.MaxStringBytes {
		return nil, d.errorf(http.StatusBadRequest, fhir.CodeTooLong, "number longer than %d bytes", d.lim.MaxStringBytes)
	}
	d.pos = i
	return json.Number(d.data[start:i]), nil
}
