package validate

import (
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
)

// jsonForm is how a primitive type is written in JSON.
type jsonForm uint8

const (
	formString jsonForm = iota
	formBoolean
	formNumber
)

// primitiveType is a FHIR primitive with its JSON form and value check.
type primitiveType struct {
	name  string
	form  jsonForm
	check func(string) bool // nil: no format beyond the JSON form
}

var (
	primitivesOnce sync.Once
	primitives     map[string]*primitiveType
)

// primitiveOf returns the primitive type named code, or nil when code is
// not a primitive.
func primitiveOf(code string) *primitiveType {
	primitivesOnce.Do(loadPrimitives)
	return primitives[code]
}

// loadPrimitives compiles the published regex of every primitive type.
// string and markdown (the most frequent) get an equivalent hand-written
// check, since a regex match per string would dominate validation time.
func loadPrimitives() {
	primitives = map[string]*primitiveType{}
	for _, name := range []string{"base64Binary", "boolean", "canonical", "code", "date", "dateTime", "decimal", "id",
		"instant", "integer", "markdown", "oid", "positiveInt", "string", "time", "unsignedInt", "uri", "url", "uuid", "xhtml"} {
		t := definitions.Lookup(name)
		p := &primitiveType{name: name}
		switch name {
		case "boolean":
			p.form = formBoolean
		case "decimal", "integer", "positiveInt", "unsignedInt":
			p.form = formNumber
		}
		switch {
		case name == "string" || name == "markdown":
			p.check = isString
		case name == "xhtml":
			p.check = func(s string) bool { return strings.HasPrefix(strings.TrimSpace(s), "<div") }
		case name == "uri" || name == "url" || name == "canonical":
			p.check = func(s string) bool { return s != "" && !strings.ContainsAny(s, " \t\n\r\f") }
		case formats[name] != nil:
			p.check = formats[name]
		case t != nil && t.Regex != "":
			re := regexp.MustCompile(`^(?:` + t.Regex + `)$`)
			p.check = re.MatchString
		}
		primitives[name] = p
	}
}

// isString matches the published string regex [ \r\n\t\S]+: non-empty,
// and no whitespace other than space, CR, LF and tab (form feed and
// vertical tab are control characters, which primitive refuses first).
func isString(s string) bool { return s != "" }

// primitive checks a primitive value's JSON form and format, reporting
// whether it is valid.
func (v *validator) primitive(val any, p *primitiveType, expr string) bool {
	var text string
	switch p.form {
	case formBoolean:
		if _, ok := val.(bool); !ok {
			v.add(fhir.CodeStructure, expr, "expected a JSON boolean for %s, got %s", p.name, jsonKind(val))
			return false
		}
		return true
	case formNumber:
		n, ok := val.(json.Number)
		if !ok {
			if f, isFloat := val.(float64); isFloat {
				n, ok = json.Number(strconv.FormatFloat(f, 'g', -1, 64)), true
			}
		}
		if !ok {
			v.add(fhir.CodeStructure, expr, "expected a JSON number for %s, got %s", p.name, jsonKind(val))
			return false
		}
		text = string(n)
	default:
		s, ok := val.(string)
		if !ok {
			v.add(fhir.CodeStructure, expr, "expected a JSON string for %s, got %s", p.name, jsonKind(val))
			return false
		}
		if !utf8.ValidString(s) {
			v.add(fhir.CodeValue, expr, "%s is not valid UTF-8", p.name)
			return false
		}
		// Every string-form primitive (code, uri, id, xhtml...) is a
		// string first, so the rule on control characters holds for all.
		if i := fhir.ControlChar(s); i >= 0 {
			v.add(fhir.CodeValue, expr, "%s holds the control character U+%04X at byte %d: FHIR strings may not contain characters below U+0020 other than tab, CR and LF", p.name, s[i], i)
			return false
		}
		text = s
	}
	if p.check != nil && !p.check(text) {
		v.add(fhir.CodeValue, expr, "%q is not a valid %s", abbreviate(text), p.name)
		return false
	}
	if p.name == "integer" || p.name == "positiveInt" || p.name == "unsignedInt" {
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil || n > math.MaxInt32 || n < math.MinInt32 {
			v.add(fhir.CodeValue, expr, "%s is out of range for %s (32-bit)", text, p.name)
			return false
		}
	}
	return true
}

// isID reports whether s is a valid FHIR id.
func isID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func abbreviate(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
