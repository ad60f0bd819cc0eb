package asl

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// filterExpr is a JSONPath filter [?(...)]: comparisons of @-relative paths
// and literals joined with &&, || and !, as the Jayway implementation offers.
type filterExpr struct {
	op          string // "||", "&&", "!", "cmp", "exists"
	left, right *filterExpr
	a, b        operand
	cmp         string
}

type operand struct {
	path *Path
	lit  any
}

func (o operand) value(cur any, sc Scope) (any, bool) {
	if o.path == nil {
		return o.lit, true
	}
	s := sc
	if o.path.root == rootCurrent {
		s.Input = cur
	}
	v, err := o.path.Eval(s)
	if err != nil {
		return nil, false
	}
	return v, true
}

func (f *filterExpr) match(cur any, sc Scope) bool {
	switch f.op {
	case "||":
		return f.left.match(cur, sc) || f.right.match(cur, sc)
	case "&&":
		return f.left.match(cur, sc) && f.right.match(cur, sc)
	case "!":
		return !f.left.match(cur, sc)
	case "exists":
		v, ok := f.a.value(cur, sc)
		if !ok {
			return false
		}
		if a, isArr := v.([]any); isArr && !f.a.path.definite {
			return len(a) > 0
		}
		return true
	}
	x, ok1 := f.a.value(cur, sc)
	y, ok2 := f.b.value(cur, sc)
	if !ok1 || !ok2 {
		return false
	}
	return compareValues(x, y, f.cmp)
}

func compareValues(x, y any, op string) bool {
	if op == "==" {
		return equalJSON(x, y)
	}
	if op == "!=" {
		return !equalJSON(x, y)
	}
	var c int
	if fx, ok := toFloat(x); ok {
		fy, ok := toFloat(y)
		if !ok {
			return false
		}
		c = cmpFloat(fx, fy)
	} else if sx, ok := x.(string); ok {
		sy, ok := y.(string)
		if !ok {
			return false
		}
		c = strings.Compare(sx, sy)
	} else {
		return false
	}
	switch op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

type filterParser struct{ s string }

// parseFilter parses the text after "[?(" up to and including the closing ')'.
func parseFilter(s string) (*filterExpr, string, error) {
	fp := &filterParser{s: s}
	f, err := fp.or()
	if err != nil {
		return nil, "", err
	}
	fp.skip()
	if !strings.HasPrefix(fp.s, ")") {
		return nil, "", fmt.Errorf("filter: expected ')' at %q", fp.s)
	}
	return f, fp.s[1:], nil
}

func (fp *filterParser) skip() { fp.s = strings.TrimLeft(fp.s, " ") }

func (fp *filterParser) or() (*filterExpr, error) {
	l, err := fp.and()
	if err != nil {
		return nil, err
	}
	for fp.skip(); strings.HasPrefix(fp.s, "||"); fp.skip() {
		fp.s = fp.s[2:]
		r, err := fp.and()
		if err != nil {
			return nil, err
		}
		l = &filterExpr{op: "||", left: l, right: r}
	}
	return l, nil
}

func (fp *filterParser) and() (*filterExpr, error) {
	l, err := fp.unary()
	if err != nil {
		return nil, err
	}
	for fp.skip(); strings.HasPrefix(fp.s, "&&"); fp.skip() {
		fp.s = fp.s[2:]
		r, err := fp.unary()
		if err != nil {
			return nil, err
		}
		l = &filterExpr{op: "&&", left: l, right: r}
	}
	return l, nil
}

func (fp *filterParser) unary() (*filterExpr, error) {
	fp.skip()
	if strings.HasPrefix(fp.s, "!") && !strings.HasPrefix(fp.s, "!=") {
		fp.s = fp.s[1:]
		x, err := fp.unary()
		if err != nil {
			return nil, err
		}
		return &filterExpr{op: "!", left: x}, nil
	}
	if strings.HasPrefix(fp.s, "(") {
		fp.s = fp.s[1:]
		x, err := fp.or()
		if err != nil {
			return nil, err
		}
		fp.skip()
		if !strings.HasPrefix(fp.s, ")") {
			return nil, fmt.Errorf("filter: missing ')'")
		}
		fp.s = fp.s[1:]
		return x, nil
	}
	a, err := fp.operand()
	if err != nil {
		return nil, err
	}
	fp.skip()
	for _, op := range []string{"==", "!=", "<=", ">=", "<", ">"} {
		if strings.HasPrefix(fp.s, op) {
			fp.s = fp.s[len(op):]
			fp.skip()
			b, err := fp.operand()
			if err != nil {
				return nil, err
			}
			return &filterExpr{op: "cmp", a: a, b: b, cmp: op}, nil
		}
	}
	if a.path == nil {
		return nil, fmt.Errorf("filter: a literal needs a comparison")
	}
	return &filterExpr{op: "exists", a: a}, nil
}

func (fp *filterParser) operand() (operand, error) {
	s := fp.s
	if s == "" {
		return operand{}, fmt.Errorf("filter: unexpected end")
	}
	switch {
	case s[0] == '\'' || s[0] == '"':
		str, rest, err := readQuoted(s)
		if err != nil {
			return operand{}, err
		}
		fp.s = rest
		return operand{lit: str}, nil
	case s[0] == '@' || s[0] == '$':
		n, depth := 0, 0
		for n < len(s) {
			c := s[n]
			if c == '[' {
				depth++
			} else if c == ']' {
				depth--
			} else if depth == 0 && strings.IndexByte(" =!<>&|)", c) >= 0 {
				break
			}
			n++
		}
		p, err := ParsePath(s[:n])
		if err != nil {
			return operand{}, err
		}
		fp.s = s[n:]
		return operand{path: p}, nil
	}
	n := strings.IndexAny(s, " =!<>&|)")
	if n < 0 {
		n = len(s)
	}
	word := s[:n]
	fp.s = s[n:]
	switch word {
	case "true":
		return operand{lit: true}, nil
	case "false":
		return operand{lit: false}, nil
	case "null":
		return operand{lit: nil}, nil
	}
	v, err := decode([]byte(word))
	if _, isNum := v.(json.Number); err != nil || !isNum {
		return operand{}, fmt.Errorf("filter: bad literal %q", word)
	}
	return operand{lit: v}, nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
