package pdf

import (
	"bytes"
	"errors"
	"strconv"
)

// Placed is a text the document shows: where its baseline starts, in
// points from the page's bottom left, in which font and size, and
// whether it reads upwards.
type Placed struct {
	Page       int
	Text, Font string
	X, Y, Size float64
	Up         bool
}

// Box is a rectangle drawn (filled or outlined), in points from the
// page's bottom left.
type Box struct {
	Page       int
	X, Y, W, H float64
	Filled     bool
}

// Content is what Read finds in a document's content streams.
type Content struct {
	Texts []Placed
	Boxes []Box
	// Pages is the number of content streams read.
	Pages int
}

// ErrSyntax is a content stream Read cannot follow.
var ErrSyntax = errors.New("pdf: content stream syntax")

// Read reads the text and the rectangles of a document's uncompressed
// content streams, as this package writes them: the operators BT, ET,
// Tf, Tm, Tj, TJ, re, S and f (others are skipped). Fonts are named by
// resource (F1 Helvetica, F2 Helvetica-Bold, F3 Courier).
func Read(data []byte) (Content, error) {
	var c Content
	rest := data
	for {
		i := bytes.Index(rest, []byte("stream\n"))
		if i < 0 {
			break
		}
		if i >= 3 && string(rest[i-3:i]) == "end" {
			rest = rest[i+len("stream\n"):]
			continue
		}
		body := rest[i+len("stream\n"):]
		j := bytes.Index(body, []byte("endstream"))
		if j < 0 {
			return c, ErrSyntax
		}
		if err := c.readStream(body[:j], c.Pages); err != nil {
			return c, err
		}
		c.Pages++
		rest = body[j+len("endstream"):]
	}
	return c, nil
}

// token is one lexical item of a content stream.
type token struct {
	kind byte // 'n' number, '/' name, '(' string, 'o' operator, '[' or ']'
	s    string
	f    float64
}

func (c *Content) readStream(s []byte, page int) error {
	var stack []token
	var font string
	var size, x, y float64
	var up bool
	var arr []string
	inArray := false
	for len(s) > 0 {
		t, rest, err := lex(s)
		if err != nil {
			return err
		}
		s = rest
		switch t.kind {
		case 0:
			continue
		case '[':
			inArray, arr = true, nil
			continue
		case ']':
			inArray = false
			stack = append(stack, token{kind: ']'})
			continue
		case '(':
			if inArray {
				arr = append(arr, t.s)
				continue
			}
		}
		if t.kind != 'o' {
			if !inArray {
				stack = append(stack, t)
			}
			continue
		}
		nums := func(n int) ([]float64, bool) {
			if len(stack) < n {
				return nil, false
			}
			out := make([]float64, n)
			for k, v := range stack[len(stack)-n:] {
				if v.kind != 'n' {
					return nil, false
				}
				out[k] = v.f
			}
			return out, true
		}
		switch t.s {
		case "BT":
			x, y, up = 0, 0, false
		case "Tf":
			if len(stack) < 2 || stack[len(stack)-2].kind != '/' || stack[len(stack)-1].kind != 'n' {
				return ErrSyntax
			}
			font, size = stack[len(stack)-2].s, stack[len(stack)-1].f
		case "Tm":
			m, ok := nums(6)
			if !ok {
				return ErrSyntax
			}
			x, y, up = m[4], m[5], m[0] == 0 && m[1] > 0
		case "Tj":
			if len(stack) < 1 || stack[len(stack)-1].kind != '(' {
				return ErrSyntax
			}
			c.Texts = append(c.Texts, Placed{Page: page, Text: stack[len(stack)-1].s, Font: font, Size: size, X: x, Y: y, Up: up})
		case "TJ":
			txt := ""
			for _, a := range arr {
				txt += a
			}
			c.Texts = append(c.Texts, Placed{Page: page, Text: txt, Font: font, Size: size, X: x, Y: y, Up: up})
		case "re":
			r, ok := nums(4)
			if !ok {
				return ErrSyntax
			}
			c.Boxes = append(c.Boxes, Box{Page: page, X: r[0], Y: r[1], W: r[2], H: r[3]})
		case "f":
			if n := len(c.Boxes); n > 0 {
				c.Boxes[n-1].Filled = true
			}
		}
		stack = stack[:0]
	}
	return nil
}

// lex reads one token from s; kind 0 is white space or a comment.
func lex(s []byte) (token, []byte, error) {
	switch ch := s[0]; {
	case ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t':
		return token{}, s[1:], nil
	case ch == '%':
		i := bytes.IndexByte(s, '\n')
		if i < 0 {
			return token{}, nil, nil
		}
		return token{}, s[i+1:], nil
	case ch == '[' || ch == ']':
		return token{kind: ch}, s[1:], nil
	case ch == '/':
		i := 1
		for i < len(s) && !delimiter(s[i]) {
			i++
		}
		return token{kind: '/', s: string(s[1:i])}, s[i:], nil
	case ch == '(':
		return lexString(s)
	case ch == '-' || ch == '+' || ch == '.' || ch >= '0' && ch <= '9':
		i := 1
		for i < len(s) && (s[i] == '.' || s[i] >= '0' && s[i] <= '9') {
			i++
		}
		f, err := strconv.ParseFloat(string(s[:i]), 64)
		if err != nil {
			return token{}, nil, ErrSyntax
		}
		return token{kind: 'n', f: f}, s[i:], nil
	case ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch == '\'' || ch == '"' || ch == '*':
		i := 1
		for i < len(s) && !delimiter(s[i]) {
			i++
		}
		return token{kind: 'o', s: string(s[:i])}, s[i:], nil
	}
	return token{}, nil, ErrSyntax
}

func delimiter(b byte) bool {
	switch b {
	case ' ', '\n', '\r', '\t', '/', '(', ')', '[', ']', '<', '>', '%':
		return true
	}
	return false
}

// lexString reads a literal string: balanced parentheses, backslash
// escapes (octal as WinAnsi, read as Latin-1).
func lexString(s []byte) (token, []byte, error) {
	var out []rune
	depth := 0
	for i := 0; i < len(s); i++ {
		switch b := s[i]; b {
		case '(':
			if depth > 0 {
				out = append(out, '(')
			}
			depth++
		case ')':
			depth--
			if depth == 0 {
				return token{kind: '(', s: string(out)}, s[i+1:], nil
			}
			out = append(out, ')')
		case '\\':
			i++
			if i >= len(s) {
				return token{}, nil, ErrSyntax
			}
			switch e := s[i]; {
			case e >= '0' && e <= '7':
				v, k := 0, 0
				for k < 3 && i < len(s) && s[i] >= '0' && s[i] <= '7' {
					v = v*8 + int(s[i]-'0')
					i++
					k++
				}
				i--
				out = append(out, rune(v&0xff))
			case e == 'n':
				out = append(out, '\n')
			case e == 'r':
				out = append(out, '\r')
			case e == 't':
				out = append(out, '\t')
			case e == '\n':
			default:
				out = append(out, rune(e))
			}
		default:
			out = append(out, rune(b))
		}
	}
	return token{}, nil, ErrSyntax
}
