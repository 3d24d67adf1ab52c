package fhirpath

import (
	"fmt"
	"strings"
)

// AST nodes.
type (
	expr interface{}

	literalExpr struct{ val collection }
	// identExpr is a member name on the focus (or, at the root, possibly
	// the resource type: "Patient.name").
	identExpr  struct{ name string }
	memberExpr struct {
		target expr
		name   string
	}
	funcExpr struct {
		target expr // nil: the function applies to the focus
		name   string
		args   []expr
	}
	indexExpr  struct{ target, index expr }
	binaryExpr struct {
		op          string
		left, right expr
	}
	unaryExpr struct {
		op      string
		operand expr
	}
	typeExpr struct {
		op       string // is, as
		operand  expr
		typeName string
	}
	envExpr     struct{ name string }
	specialExpr struct{ name string } // $this, $index, $total
)

type parser struct {
	toks []token
	pos  int
}

func parse(src string) (expr, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	e, err := p.expression(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, fmt.Errorf("unexpected %q at %d", t.text, t.pos)
	}
	return e, nil
}

func (p *parser) peek() token { return p.toks[p.pos] }
func (p *parser) next() token { t := p.toks[p.pos]; p.pos++; return t }

func (p *parser) isOp(text string) bool {
	t := p.peek()
	return t.kind == tokOperator && t.text == text
}

func (p *parser) expect(text string) error {
	if !p.isOp(text) {
		t := p.peek()
		return fmt.Errorf("expected %q at %d, found %q", text, t.pos, t.text)
	}
	p.pos++
	return nil
}

// binding powers of the infix operators, lowest first.
func infixPower(t token) (string, int) {
	switch t.kind {
	case tokOperator:
		switch t.text {
		case "=", "~", "!=", "!~":
			return t.text, 5
		case "<", ">", "<=", ">=":
			return t.text, 6
		case "|":
			return t.text, 7
		case "+", "-", "&":
			return t.text, 9
		case "*", "/":
			return t.text, 10
		}
	case tokIdent:
		switch t.text {
		case "implies":
			return t.text, 1
		case "or", "xor":
			return t.text, 2
		case "and":
			return t.text, 3
		case "in", "contains":
			return t.text, 4
		case "is", "as":
			return t.text, 8
		case "div", "mod":
			return t.text, 10
		}
	}
	return "", 0
}

func (p *parser) expression(minPower int) (expr, error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		op, power := infixPower(p.peek())
		if power == 0 || power <= minPower {
			return left, nil
		}
		p.pos++
		if op == "is" || op == "as" {
			name, err := p.typeSpecifier()
			if err != nil {
				return nil, err
			}
			left = &typeExpr{op: op, operand: left, typeName: name}
			continue
		}
		right, err := p.expression(power)
		if err != nil {
			return nil, err
		}
		left = &binaryExpr{op: op, left: left, right: right}
	}
}

func (p *parser) typeSpecifier() (string, error) {
	var parts []string
	for {
		t := p.next()
		if t.kind != tokIdent && t.kind != tokDelimitedIdent {
			return "", fmt.Errorf("expected a type name at %d", t.pos)
		}
		parts = append(parts, t.text)
		if !p.isOp(".") {
			return strings.Join(parts, "."), nil
		}
		p.pos++
	}
}

func (p *parser) unary() (expr, error) {
	if p.isOp("-") || p.isOp("+") {
		op := p.next().text
		operand, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &unaryExpr{op: op, operand: operand}, nil
	}
	return p.postfix()
}

func (p *parser) postfix() (expr, error) {
	e, err := p.term()
	if err != nil {
		return nil, err
	}
	for {
		switch {
		case p.isOp("."):
			p.pos++
			t := p.next()
			if t.kind != tokIdent && t.kind != tokDelimitedIdent {
				return nil, fmt.Errorf("expected a name after '.' at %d", t.pos)
			}
			if t.kind == tokIdent && p.isOp("(") {
				args, err := p.arguments()
				if err != nil {
					return nil, err
				}
				e = &funcExpr{target: e, name: t.text, args: args}
			} else {
				e = &memberExpr{target: e, name: t.text}
			}
		case p.isOp("["):
			p.pos++
			idx, err := p.expression(0)
			if err != nil {
				return nil, err
			}
			if err := p.expect("]"); err != nil {
				return nil, err
			}
			e = &indexExpr{target: e, index: idx}
		default:
			return e, nil
		}
	}
}

func (p *parser) arguments() ([]expr, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	var args []expr
	if p.isOp(")") {
		p.pos++
		return args, nil
	}
	for {
		a, err := p.expression(0)
		if err != nil {
			return nil, err
		}
		args = append(args, a)
		if p.isOp(",") {
			p.pos++
			continue
		}
		return args, p.expect(")")
	}
}

func (p *parser) term() (expr, error) {
	t := p.next()
	switch t.kind {
	case tokNumber:
		v, err := parseNumber(t.text)
		if err != nil {
			return nil, err
		}
		// A quantity: number followed by a unit string or a calendar word.
		if u := p.peek(); u.kind == tokString {
			p.pos++
			return &literalExpr{collection{Quantity{Value: toDecimal(v), Unit: u.text}}}, nil
		} else if u.kind == tokIdent && calendarUnits[u.text] != "" {
			p.pos++
			return &literalExpr{collection{Quantity{Value: toDecimal(v), Unit: u.text}}}, nil
		}
		return &literalExpr{collection{v}}, nil
	case tokString:
		return &literalExpr{collection{t.text}}, nil
	case tokDateTime:
		v, err := parseDateTimeLiteral(t.text)
		if err != nil {
			return nil, fmt.Errorf("at %d: %w", t.pos, err)
		}
		return &literalExpr{collection{v}}, nil
	case tokEnvVar:
		return &envExpr{name: t.text}, nil
	case tokSpecial:
		switch t.text {
		case "$this", "$index", "$total":
			return &specialExpr{name: t.text}, nil
		}
		return nil, fmt.Errorf("unknown %s at %d", t.text, t.pos)
	case tokDelimitedIdent:
		return &identExpr{name: t.text}, nil
	case tokIdent:
		switch t.text {
		case "true":
			return &literalExpr{collection{true}}, nil
		case "false":
			return &literalExpr{collection{false}}, nil
		}
		if p.isOp("(") {
			args, err := p.arguments()
			if err != nil {
				return nil, err
			}
			return &funcExpr{name: t.text, args: args}, nil
		}
		return &identExpr{name: t.text}, nil
	case tokOperator:
		switch t.text {
		case "(":
			e, err := p.expression(0)
			if err != nil {
				return nil, err
			}
			return e, p.expect(")")
		case "{":
			return &literalExpr{nil}, p.expect("}")
		}
	}
	if t.kind == tokEOF {
		return nil, fmt.Errorf("unexpected end of expression")
	}
	return nil, fmt.Errorf("unexpected %q at %d", t.text, t.pos)
}
