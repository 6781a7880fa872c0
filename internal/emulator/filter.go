package emulator

import (
	"fmt"
	"strings"
)

// filterNode is a parsed $filter expression. Supported: eq, ne, in,
// startswith(), endswith(), not, and, or, parentheses. ne, not and
// endswith() are advanced queries (they need ConsistencyLevel: eventual and
// $count=true), as in Graph. String comparison ignores case, as Entra's
// does.
type filterNode struct {
	op          string // "and", "or", "not", "eq", "ne", "in", "startswith", "endswith"
	left, right *filterNode
	prop        string // canonical
	vals        []string
}

func (n *filterNode) eval(sc *schema, v any) bool {
	switch n.op {
	case "and":
		return n.left.eval(sc, v) && n.right.eval(sc, v)
	case "or":
		return n.left.eval(sc, v) || n.right.eval(sc, v)
	case "not":
		return !n.left.eval(sc, v)
	}
	got := sc.filters[n.prop].get(v)
	switch n.op {
	case "eq", "in":
		for _, want := range n.vals {
			if strings.EqualFold(got, want) {
				return true
			}
		}
		return false
	case "ne":
		return !strings.EqualFold(got, n.vals[0])
	case "startswith":
		return strings.HasPrefix(strings.ToLower(got), strings.ToLower(n.vals[0]))
	case "endswith":
		return strings.HasSuffix(strings.ToLower(got), strings.ToLower(n.vals[0]))
	}
	return false
}

// advanced reports an operator that needs Graph's advanced query mode.
func (n *filterNode) advanced() string {
	if n == nil {
		return ""
	}
	switch n.op {
	case "ne", "not", "endswith":
		return n.op
	}
	if a := n.left.advanced(); a != "" {
		return a
	}
	return n.right.advanced()
}

type filterToken struct {
	text   string
	quoted bool // a string literal
}

type filterParser struct {
	sc   *schema
	toks []filterToken
	pos  int
}

// parseFilter parses expr against sc's filterable properties.
func parseFilter(expr string, sc *schema) (*filterNode, *graphError) {
	toks, err := tokenizeFilter(expr)
	if err != nil {
		return nil, badRequest("Invalid filter clause: %v.", err)
	}
	p := &filterParser{sc: sc, toks: toks}
	n, gerr := p.or()
	if gerr != nil {
		return nil, gerr
	}
	if p.pos != len(p.toks) {
		return nil, badRequest("Invalid filter clause: unexpected '%s'.", p.toks[p.pos].text)
	}
	return n, nil
}

func tokenizeFilter(s string) ([]filterToken, error) {
	var toks []filterToken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case c == '(' || c == ')' || c == ',':
			toks = append(toks, filterToken{text: string(c)})
			i++
		case c == '\'':
			var sb strings.Builder
			i++
			for {
				if i >= len(s) {
					return nil, fmt.Errorf("unterminated string literal")
				}
				if s[i] == '\'' {
					if i+1 < len(s) && s[i+1] == '\'' { // '' escapes a quote
						sb.WriteByte('\'')
						i += 2
						continue
					}
					i++
					break
				}
				sb.WriteByte(s[i])
				i++
			}
			toks = append(toks, filterToken{text: sb.String(), quoted: true})
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t(),'", rune(s[j])) {
				j++
			}
			toks = append(toks, filterToken{text: s[i:j]})
			i = j
		}
	}
	if len(toks) == 0 {
		return nil, fmt.Errorf("empty expression")
	}
	return toks, nil
}

func (p *filterParser) peekWord(w string) bool {
	return p.pos < len(p.toks) && !p.toks[p.pos].quoted && strings.EqualFold(p.toks[p.pos].text, w)
}

func (p *filterParser) expect(w string) *graphError {
	if !p.peekWord(w) {
		return badRequest("Invalid filter clause: expected '%s'.", w)
	}
	p.pos++
	return nil
}

func (p *filterParser) or() (*filterNode, *graphError) {
	n, err := p.and()
	for err == nil && p.peekWord("or") {
		p.pos++
		var r *filterNode
		if r, err = p.and(); err == nil {
			n = &filterNode{op: "or", left: n, right: r}
		}
	}
	return n, err
}

func (p *filterParser) and() (*filterNode, *graphError) {
	n, err := p.unary()
	for err == nil && p.peekWord("and") {
		p.pos++
		var r *filterNode
		if r, err = p.unary(); err == nil {
			n = &filterNode{op: "and", left: n, right: r}
		}
	}
	return n, err
}

func (p *filterParser) unary() (*filterNode, *graphError) {
	if p.peekWord("not") {
		p.pos++
		n, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &filterNode{op: "not", left: n}, nil
	}
	if p.peekWord("(") {
		p.pos++
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		return n, p.expect(")")
	}
	for _, fn := range []string{"startswith", "endswith"} {
		if p.peekWord(fn) {
			p.pos++
			if err := p.expect("("); err != nil {
				return nil, err
			}
			prop, fp, err := p.property()
			if err != nil {
				return nil, err
			}
			if fp.typ != "Edm.String" {
				return nil, badRequest("Invalid filter clause: %s() takes a string property, not '%s'.", fn, prop)
			}
			if err := p.expect(","); err != nil {
				return nil, err
			}
			v, err := p.literal(fp)
			if err != nil {
				return nil, err
			}
			return &filterNode{op: fn, prop: prop, vals: []string{v}}, p.expect(")")
		}
	}
	prop, fp, err := p.property()
	if err != nil {
		return nil, err
	}
	switch {
	case p.peekWord("eq"), p.peekWord("ne"):
		op := strings.ToLower(p.toks[p.pos].text)
		p.pos++
		v, err := p.literal(fp)
		if err != nil {
			return nil, err
		}
		return &filterNode{op: op, prop: prop, vals: []string{v}}, nil
	case p.peekWord("in"):
		p.pos++
		if err := p.expect("("); err != nil {
			return nil, err
		}
		n := &filterNode{op: "in", prop: prop}
		for {
			v, err := p.literal(fp)
			if err != nil {
				return nil, err
			}
			n.vals = append(n.vals, v)
			if p.peekWord(")") {
				p.pos++
				return n, nil
			}
			if err := p.expect(","); err != nil {
				return nil, err
			}
		}
	}
	return nil, badRequest("Invalid filter clause: expected an operator after '%s'.", prop)
}

func (p *filterParser) property() (string, filterProp, *graphError) {
	if p.pos >= len(p.toks) || p.toks[p.pos].quoted {
		return "", filterProp{}, badRequest("Invalid filter clause: expected a property name.")
	}
	name := p.toks[p.pos].text
	p.pos++
	canon := p.sc.canon[strings.ToLower(name)]
	fp, ok := p.sc.filters[canon]
	if !ok {
		return "", filterProp{}, &graphError{400, "Request_UnsupportedQuery",
			fmt.Sprintf("Unsupported or invalid query filter clause specified for property '%s' of resource '%s'.", name, p.sc.resource), nil}
	}
	return canon, fp, nil
}

// literal reads a value of fp's EDM type: strings quoted, GUIDs and
// booleans bare, as OData requires.
func (p *filterParser) literal(fp filterProp) (string, *graphError) {
	if p.pos >= len(p.toks) {
		return "", badRequest("Invalid filter clause: expected a value.")
	}
	t := p.toks[p.pos]
	p.pos++
	got := "Edm.String"
	switch {
	case t.quoted:
	case isGUID(t.text):
		got = "Edm.Guid"
	case strings.EqualFold(t.text, "true"), strings.EqualFold(t.text, "false"):
		got = "Edm.Boolean"
	default:
		return "", badRequest("Invalid filter clause: '%s' is not a valid literal.", t.text)
	}
	if got != fp.typ {
		return "", badRequest("A binary operator with incompatible types was detected. Found operand types '%s' and '%s' for operator kind 'Equal'.", fp.typ, got)
	}
	return t.text, nil
}
