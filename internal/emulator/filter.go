package emulator

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// filterNode is a parsed $filter expression. Supported: eq, ne, in,
// startswith(), endswith(), not, and, or, parentheses; ge, gt, le and lt on
// dates and numbers; and collection/any(x: ...) lambdas. On directory
// objects ne, not and endswith() are advanced queries (they need
// ConsistencyLevel: eventual and $count=true), as in Graph; log and report
// schemas list the operators they take instead. String comparison ignores
// case, as Entra's does.
type filterNode struct {
	op          string // "and", "or", "not", "any", "eq", "ne", "in", "startswith", "endswith", "ge", "gt", "le", "lt"
	left, right *filterNode
	prop        string // canonical
	vals        []string
	at          time.Time // the literal of a date comparison
	sub         *schema   // element schema of an any() lambda
}

func (n *filterNode) eval(sc *schema, v any) bool {
	switch n.op {
	case "and":
		return n.left.eval(sc, v) && n.right.eval(sc, v)
	case "or":
		return n.left.eval(sc, v) || n.right.eval(sc, v)
	case "not":
		return !n.left.eval(sc, v)
	case "any":
		for _, it := range sc.filters[n.prop].items(v) {
			if n.left.eval(n.sub, it) {
				return true
			}
		}
		return false
	}
	fp := sc.filters[n.prop]
	switch fp.typ {
	case "Edm.DateTimeOffset":
		got := fp.at(v)
		return !got.IsZero() && compares(n.op, got.Compare(n.at))
	case "Edm.Int32":
		got, err1 := strconv.Atoi(fp.get(v))
		want, err2 := strconv.Atoi(n.vals[0])
		return err1 == nil && err2 == nil && compares(n.op, cmpInt(got, want))
	}
	got := fp.get(v)
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

// compares reports whether a comparison with result c (-1, 0, 1)
// satisfies op.
func compares(op string, c int) bool {
	switch op {
	case "eq", "in":
		return c == 0
	case "ne":
		return c != 0
	case "ge":
		return c >= 0
	case "gt":
		return c > 0
	case "le":
		return c <= 0
	case "lt":
		return c < 0
	}
	return false
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// mentions reports whether the expression tests prop (an any() lambda
// over it included).
func (n *filterNode) mentions(prop string) bool {
	if n == nil {
		return false
	}
	return n.prop == prop || n.left.mentions(prop) || n.right.mentions(prop)
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
	ops  map[string]bool // operators allowed; nil: all (directory objects)
	// rangeVar is the variable of the any() lambda being parsed, "" outside
	// one.
	rangeVar string
}

// parseFilter parses expr against sc's filterable properties.
func parseFilter(expr string, sc *schema) (*filterNode, *graphError) {
	toks, err := tokenizeFilter(expr)
	if err != nil {
		return nil, badRequest("Invalid filter clause: %v.", err)
	}
	p := &filterParser{sc: sc, toks: toks, ops: sc.ops}
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

// allow refuses an operator the schema does not take.
func (p *filterParser) allow(op string) *graphError {
	if p.ops != nil && !p.ops[op] {
		return &graphError{400, "Request_UnsupportedQuery", fmt.Sprintf("Unsupported operator '%s' in the filter query.", op), nil}
	}
	return nil
}

func (p *filterParser) or() (*filterNode, *graphError) {
	n, err := p.and()
	for err == nil && p.peekWord("or") {
		if err = p.allow("or"); err != nil {
			break
		}
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
		if err = p.allow("and"); err != nil {
			break
		}
		p.pos++
		var r *filterNode
		if r, err = p.unary(); err == nil {
			n = &filterNode{op: "and", left: n, right: r}
		}
	}
	return n, err
}

func (p *filterParser) unary() (*filterNode, *graphError) {
	if p.pos < len(p.toks) && !p.toks[p.pos].quoted {
		if base, ok := cutSuffixFold(p.toks[p.pos].text, "/any"); ok {
			return p.lambda(base)
		}
	}
	if p.peekWord("not") {
		if err := p.allow("not"); err != nil {
			return nil, err
		}
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
			if err := p.allow(fn); err != nil {
				return nil, err
			}
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
	case p.peekWord("eq"), p.peekWord("ne"), p.peekWord("ge"), p.peekWord("gt"), p.peekWord("le"), p.peekWord("lt"):
		op := strings.ToLower(p.toks[p.pos].text)
		if err := p.allow(op); err != nil {
			return nil, err
		}
		if ordered := op != "eq" && op != "ne"; ordered && fp.typ != "Edm.DateTimeOffset" && fp.typ != "Edm.Int32" {
			return nil, badRequest("Invalid filter clause: operator '%s' cannot be applied to property '%s' of type '%s'.", op, prop, fp.typ)
		}
		p.pos++
		v, err := p.literal(fp)
		if err != nil {
			return nil, err
		}
		n := &filterNode{op: op, prop: prop, vals: []string{v}}
		if fp.typ == "Edm.DateTimeOffset" {
			n.at, _ = time.Parse(time.RFC3339Nano, v) // literal checked it parses
		}
		return n, nil
	case p.peekWord("in"):
		if err := p.allow("in"); err != nil {
			return nil, err
		}
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

// lambda parses "coll/any(x: body)" once base (the collection) is known.
func (p *filterParser) lambda(base string) (*filterNode, *graphError) {
	if err := p.allow("any"); err != nil {
		return nil, err
	}
	p.pos++
	prop, fp, err := p.lookup(base)
	if err != nil {
		return nil, err
	}
	if fp.elem == nil {
		return nil, badRequest("Invalid filter clause: '%s' is not a collection; any() needs one.", base)
	}
	if err := p.expect("("); err != nil {
		return nil, err
	}
	// The range variable: "t:", "t :", or "t:rest" run into its body.
	if p.pos >= len(p.toks) || p.toks[p.pos].quoted {
		return nil, badRequest("Invalid filter clause: expected a range variable in any().")
	}
	v, rest, colon := strings.Cut(p.toks[p.pos].text, ":")
	if !colon {
		p.pos++
		if p.pos >= len(p.toks) || p.toks[p.pos].quoted || !strings.HasPrefix(p.toks[p.pos].text, ":") {
			return nil, badRequest("Invalid filter clause: expected ':' after the range variable '%s'.", v)
		}
		rest = strings.TrimPrefix(p.toks[p.pos].text, ":")
	}
	if v == "" {
		return nil, badRequest("Invalid filter clause: the range variable of any() has no name.")
	}
	if rest == "" {
		p.pos++
	} else {
		p.toks[p.pos].text = rest
	}
	sub := &filterParser{sc: fp.elem, toks: p.toks, pos: p.pos, ops: p.ops, rangeVar: v}
	body, err := sub.or()
	if err != nil {
		return nil, err
	}
	p.pos = sub.pos
	if err := p.expect(")"); err != nil {
		return nil, err
	}
	return &filterNode{op: "any", prop: prop, left: body, sub: fp.elem}, nil
}

func (p *filterParser) property() (string, filterProp, *graphError) {
	if p.pos >= len(p.toks) || p.toks[p.pos].quoted {
		return "", filterProp{}, badRequest("Invalid filter clause: expected a property name.")
	}
	name := p.toks[p.pos].text
	p.pos++
	return p.lookup(name)
}

// lookup resolves a property name, or inside a lambda its range variable
// ("t") or a path under it ("t/id").
func (p *filterParser) lookup(name string) (string, filterProp, *graphError) {
	key := name
	if p.rangeVar != "" {
		switch {
		case strings.EqualFold(name, p.rangeVar):
			key = ""
		case len(name) > len(p.rangeVar) && strings.EqualFold(name[:len(p.rangeVar)+1], p.rangeVar+"/"):
			key = name[len(p.rangeVar)+1:]
		default:
			return "", filterProp{}, badRequest("Invalid filter clause: '%s' is not the range variable '%s' of any().", name, p.rangeVar)
		}
	}
	canon, known := p.sc.filterCanon[strings.ToLower(key)]
	fp, ok := p.sc.filters[canon]
	if !ok || !known {
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
	case isDateTime(t.text):
		got = "Edm.DateTimeOffset"
	case isInt(t.text):
		got = "Edm.Int32"
	default:
		return "", badRequest("Invalid filter clause: '%s' is not a valid literal.", t.text)
	}
	if got != fp.typ {
		return "", badRequest("A binary operator with incompatible types was detected. Found operand types '%s' and '%s' for operator kind 'Equal'.", fp.typ, got)
	}
	return t.text, nil
}

func isDateTime(s string) bool {
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil
}

func isInt(s string) bool {
	_, err := strconv.ParseInt(s, 10, 32)
	return err == nil
}

// cutSuffixFold is strings.CutSuffix ignoring ASCII case.
func cutSuffixFold(s, suffix string) (string, bool) {
	if len(s) > len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix) {
		return s[:len(s)-len(suffix)], true
	}
	return s, false
}
