package fhirpath

import (
	"fmt"
	"strings"
)

type tokenKind int

const (
	tokEOF tokenKind = iota
	tokIdent
	tokDelimitedIdent // `identifier`
	tokString
	tokNumber
	tokDateTime // @2024-01-01T10:00, @T10:00, @2024
	tokOperator
	tokEnvVar  // %name or %`name` or %'name'
	tokSpecial // $this, $index, $total
)

type token struct {
	kind tokenKind
	text string
	pos  int
}

// lex splits an expression into tokens, dropping whitespace and comments.
func lex(src string) ([]token, error) {
	var out []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case strings.HasPrefix(src[i:], "//"):
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case strings.HasPrefix(src[i:], "/*"):
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return nil, fmt.Errorf("unterminated comment at %d", i)
			}
			i += end + 4
		case c == '\'':
			s, n, err := scanQuoted(src, i, '\'')
			if err != nil {
				return nil, err
			}
			out = append(out, token{tokString, s, i})
			i += n
		case c == '`':
			s, n, err := scanQuoted(src, i, '`')
			if err != nil {
				return nil, err
			}
			out = append(out, token{tokDelimitedIdent, s, i})
			i += n
		case c == '@':
			j := i + 1
			for j < len(src) && (isDateChar(src[j]) && (src[j] != '.' || j+1 < len(src) && src[j+1] >= '0' && src[j+1] <= '9') || (src[j] == '+' || src[j] == '-') && j > i+1) {
				j++
			}
			if j == i+1 {
				return nil, fmt.Errorf("empty date/time literal at %d", i)
			}
			out = append(out, token{tokDateTime, src[i+1 : j], i})
			i = j
		case c == '%':
			j := i + 1
			if j < len(src) && (src[j] == '`' || src[j] == '\'') {
				s, n, err := scanQuoted(src, j, src[j])
				if err != nil {
					return nil, err
				}
				out = append(out, token{tokEnvVar, s, i})
				i = j + n
				continue
			}
			for j < len(src) && isIdentChar(src[j]) {
				j++
			}
			out = append(out, token{tokEnvVar, src[i+1 : j], i})
			i = j
		case c == '$':
			j := i + 1
			for j < len(src) && isIdentChar(src[j]) {
				j++
			}
			out = append(out, token{tokSpecial, src[i:j], i})
			i = j
		case c >= '0' && c <= '9':
			j := i
			for j < len(src) && src[j] >= '0' && src[j] <= '9' {
				j++
			}
			if j+1 < len(src) && src[j] == '.' && src[j+1] >= '0' && src[j+1] <= '9' {
				j++
				for j < len(src) && src[j] >= '0' && src[j] <= '9' {
					j++
				}
			}
			if j < len(src) && src[j] == 'L' { // long literal
				j++
			}
			out = append(out, token{tokNumber, src[i:j], i})
			i = j
		case isIdentStart(c):
			j := i
			for j < len(src) && isIdentChar(src[j]) {
				j++
			}
			out = append(out, token{tokIdent, src[i:j], i})
			i = j
		default:
			op := ""
			for _, cand := range []string{"<=", ">=", "!=", "!~", "=", "~", "<", ">", "+", "-", "*", "/", "|", "&", "(", ")", "[", "]", "{", "}", ",", "."} {
				if strings.HasPrefix(src[i:], cand) {
					op = cand
					break
				}
			}
			if op == "" {
				return nil, fmt.Errorf("unexpected character %q at %d", c, i)
			}
			out = append(out, token{tokOperator, op, i})
			i += len(op)
		}
	}
	return append(out, token{tokEOF, "", len(src)}), nil
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentChar(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

func isDateChar(c byte) bool {
	return c >= '0' && c <= '9' || c == 'T' || c == ':' || c == '.' || c == 'Z' || c == '-'
}

// scanQuoted reads a quoted string with FHIRPath escapes; it returns the
// unescaped text and the bytes consumed.
func scanQuoted(src string, start int, quote byte) (string, int, error) {
	var b strings.Builder
	i := start + 1
	for i < len(src) {
		c := src[i]
		if c == quote {
			return b.String(), i + 1 - start, nil
		}
		if c == '\\' && i+1 < len(src) {
			i++
			switch e := src[i]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'f':
				b.WriteByte('\f')
			case 'u':
				if i+4 < len(src) {
					var r rune
					if _, err := fmt.Sscanf(src[i+1:i+5], "%04x", &r); err == nil {
						b.WriteRune(r)
						i += 5
						continue
					}
				}
				return "", 0, fmt.Errorf("invalid \\u escape at %d", i)
			default:
				b.WriteByte(e) // \' \" \` \\ \/
			}
			i++
			continue
		}
		b.WriteByte(c)
		i++
	}
	return "", 0, fmt.Errorf("unterminated %c string at %d", quote, start)
}
