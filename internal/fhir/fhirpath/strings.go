package fhirpath

import (
	"encoding/base64"
	"encoding/hex"
	"html"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// stringFn adapts a function of the input string and string arguments.
// An empty input or an empty argument gives an empty result.
func stringFn(minArgs, maxArgs int, f func(s string, args []string) (collection, error)) funcDef {
	return funcDef{minArgs, maxArgs, func(ev *evaluator, in collection, args []expr, sc *scope) (collection, error) {
		s, err := singletonString(in, false)
		if err != nil || len(in) == 0 {
			return nil, err
		}
		strArgs := make([]string, len(args))
		for i, a := range args {
			v, err := ev.arg(a, in, sc)
			if err != nil {
				return nil, err
			}
			if len(v) == 0 {
				return nil, nil
			}
			if strArgs[i], err = singletonString(v, false); err != nil {
				return nil, err
			}
		}
		return f(s, strArgs)
	}}
}

func compileFHIRPathRegex(pattern string, full bool) (*regexp.Regexp, error) {
	if full {
		pattern = "^(?:" + pattern + ")$"
	}
	re, err := regexp.Compile("(?s)" + pattern)
	if err != nil {
		return nil, evalErrorf("invalid regular expression: %v", err)
	}
	return re, nil
}

var stringFunctions = map[string]funcDef{
	"indexOf": stringFn(1, 1, func(s string, a []string) (collection, error) {
		i := strings.Index(s, a[0])
		if i < 0 {
			return collection{int64(-1)}, nil
		}
		return collection{int64(utf8.RuneCountInString(s[:i]))}, nil
	}),
	"substring": {1, 2, fnSubstring},
	"startsWith": stringFn(1, 1, func(s string, a []string) (collection, error) {
		return boolResult(strings.HasPrefix(s, a[0])), nil
	}),
	"endsWith": stringFn(1, 1, func(s string, a []string) (collection, error) {
		return boolResult(strings.HasSuffix(s, a[0])), nil
	}),
	"contains": stringFn(1, 1, func(s string, a []string) (collection, error) {
		return boolResult(strings.Contains(s, a[0])), nil
	}),
	"upper": stringFn(0, 0, func(s string, _ []string) (collection, error) { return collection{strings.ToUpper(s)}, nil }),
	"lower": stringFn(0, 0, func(s string, _ []string) (collection, error) { return collection{strings.ToLower(s)}, nil }),
	"trim":  stringFn(0, 0, func(s string, _ []string) (collection, error) { return collection{strings.TrimSpace(s)}, nil }),
	"length": stringFn(0, 0, func(s string, _ []string) (collection, error) {
		return collection{int64(utf8.RuneCountInString(s))}, nil
	}),
	"toChars": stringFn(0, 0, func(s string, _ []string) (collection, error) {
		var out collection
		for _, r := range s {
			out = append(out, string(r))
		}
		return out, nil
	}),
	"replace": stringFn(2, 2, func(s string, a []string) (collection, error) {
		return collection{strings.ReplaceAll(s, a[0], a[1])}, nil
	}),
	"matches": stringFn(1, 1, func(s string, a []string) (collection, error) {
		re, err := compileFHIRPathRegex(a[0], false)
		if err != nil {
			return nil, err
		}
		return boolResult(re.MatchString(s)), nil
	}),
	"matchesFull": stringFn(1, 1, func(s string, a []string) (collection, error) {
		re, err := compileFHIRPathRegex(a[0], true)
		if err != nil {
			return nil, err
		}
		return boolResult(re.MatchString(s)), nil
	}),
	"replaceMatches": stringFn(2, 2, func(s string, a []string) (collection, error) {
		if a[0] == "" {
			return collection{s}, nil
		}
		re, err := compileFHIRPathRegex(a[0], false)
		if err != nil {
			return nil, err
		}
		return collection{re.ReplaceAllString(s, a[1])}, nil
	}),
	"split": stringFn(1, 1, func(s string, a []string) (collection, error) {
		var out collection
		for _, part := range strings.Split(s, a[0]) {
			out = append(out, part)
		}
		return out, nil
	}),
	"join": {0, 1, fnJoin},
	"encode": stringFn(1, 1, func(s string, a []string) (collection, error) {
		switch a[0] {
		case "hex":
			return collection{hex.EncodeToString([]byte(s))}, nil
		case "base64":
			return collection{base64.StdEncoding.EncodeToString([]byte(s))}, nil
		case "urlbase64":
			return collection{base64.URLEncoding.EncodeToString([]byte(s))}, nil
		}
		return nil, evalErrorf("unknown encoding %q", a[0])
	}),
	"decode": stringFn(1, 1, func(s string, a []string) (collection, error) {
		var b []byte
		var err error
		switch a[0] {
		case "hex":
			b, err = hex.DecodeString(s)
		case "base64":
			b, err = base64.StdEncoding.DecodeString(s)
		case "urlbase64":
			b, err = base64.URLEncoding.DecodeString(s)
		default:
			return nil, evalErrorf("unknown encoding %q", a[0])
		}
		if err != nil {
			return nil, nil
		}
		return collection{string(b)}, nil
	}),
	"escape": stringFn(1, 1, func(s string, a []string) (collection, error) {
		switch a[0] {
		case "html":
			return collection{htmlEscaper.Replace(s)}, nil
		case "json":
			q := strconv.Quote(s)
			return collection{q[1 : len(q)-1]}, nil
		}
		return nil, evalErrorf("unknown escape %q", a[0])
	}),
	"unescape": stringFn(1, 1, func(s string, a []string) (collection, error) {
		switch a[0] {
		case "html":
			return collection{html.UnescapeString(s)}, nil
		case "json":
			return collection{unescapeJSON(s)}, nil
		}
		return nil, evalErrorf("unknown escape %q", a[0])
	}),
}

func fnSubstring(ev *evaluator, in collection, args []expr, sc *scope) (collection, error) {
	s, err := singletonString(in, false)
	if err != nil || len(in) == 0 {
		return nil, err
	}
	startV, err := ev.arg(args[0], in, sc)
	if err != nil {
		return nil, err
	}
	start, ok, err := singletonInt(startV)
	if err != nil || !ok {
		return nil, err
	}
	runes := []rune(s)
	if start < 0 || int(start) >= len(runes) {
		return nil, nil
	}
	end := len(runes)
	if len(args) == 2 {
		lenV, err := ev.arg(args[1], in, sc)
		if err != nil {
			return nil, err
		}
		n, ok, err := singletonInt(lenV)
		if err != nil {
			return nil, err
		}
		if ok {
			end = min(int(start)+max(int(n), 0), len(runes))
		}
	}
	return collection{string(runes[start:end])}, nil
}

func fnJoin(ev *evaluator, in collection, args []expr, sc *scope) (collection, error) {
	sep := ""
	if len(args) == 1 {
		v, err := ev.arg(args[0], in, sc)
		if err != nil {
			return nil, err
		}
		if sep, err = singletonString(v, true); err != nil {
			return nil, err
		}
	}
	parts := make([]string, 0, len(in))
	for _, item := range in {
		s, ok := primitiveValue(item).(string)
		if !ok {
			return nil, evalErrorf("join() needs strings")
		}
		parts = append(parts, s)
	}
	return collection{strings.Join(parts, sep)}, nil
}

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;")

// unescapeJSON undoes JSON string escapes, leaving anything else as it is.
func unescapeJSON(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+4 < len(s) {
				if n, err := strconv.ParseUint(s[i+1:i+5], 16, 32); err == nil {
					b.WriteRune(rune(n))
					i += 4
					continue
				}
			}
			b.WriteString("\\u")
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
