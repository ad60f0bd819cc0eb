package asl

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Intrinsic is a parsed intrinsic function call such as
// States.Format('Hello {}', $.name).
type Intrinsic struct {
	Name string
	Args []intrinsicArg
}

type intrinsicArg struct {
	raw  string // string literal exactly as written between the quotes
	str  bool   // the argument is a string literal
	lit  any    // number, boolean, null or unescaped string
	path *Path
	call *Intrinsic
}

// IsIntrinsic reports whether s looks like an intrinsic function call, so
// that a ".$" value is parsed as one rather than as a path.
func IsIntrinsic(s string) bool { return strings.HasPrefix(strings.TrimSpace(s), "States.") }

// ParseIntrinsic parses an intrinsic function call. String literals are
// single-quoted; \' \{ \} and \\ are the escapes the spec reserves.
func ParseIntrinsic(s string) (*Intrinsic, error) {
	p := &intrinsicParser{src: s, s: strings.TrimSpace(s)}
	call, err := p.call()
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(p.s) != "" {
		return nil, fmt.Errorf("intrinsic %q: unexpected text after the call: %q", s, p.s)
	}
	return call, nil
}

type intrinsicParser struct{ src, s string }

func (p *intrinsicParser) errf(format string, args ...any) error {
	return fmt.Errorf("intrinsic %q: %s", p.src, fmt.Sprintf(format, args...))
}

func (p *intrinsicParser) call() (*Intrinsic, error) {
	open := strings.IndexByte(p.s, '(')
	if open < 0 {
		return nil, p.errf("missing '('")
	}
	name := strings.TrimSpace(p.s[:open])
	if _, ok := intrinsics[name]; !ok {
		return nil, p.errf("unknown function %q", name)
	}
	p.s = p.s[open+1:]
	c := &Intrinsic{Name: name}
	p.skip()
	if strings.HasPrefix(p.s, ")") {
		p.s = p.s[1:]
		return c, c.checkArity(p)
	}
	for {
		a, err := p.arg()
		if err != nil {
			return nil, err
		}
		c.Args = append(c.Args, a)
		p.skip()
		if strings.HasPrefix(p.s, ",") {
			p.s = p.s[1:]
			continue
		}
		if strings.HasPrefix(p.s, ")") {
			p.s = p.s[1:]
			return c, c.checkArity(p)
		}
		return nil, p.errf("expected ',' or ')' at %q", p.s)
	}
}

func (c *Intrinsic) checkArity(p *intrinsicParser) error {
	spec := intrinsics[c.Name]
	if len(c.Args) < spec.min || (spec.max >= 0 && len(c.Args) > spec.max) {
		return p.errf("%s takes %s, got %d", c.Name, spec.arity(), len(c.Args))
	}
	return nil
}

func (p *intrinsicParser) skip() { p.s = strings.TrimLeft(p.s, " \t\n") }

func (p *intrinsicParser) arg() (intrinsicArg, error) {
	p.skip()
	if p.s == "" {
		return intrinsicArg{}, p.errf("unexpected end")
	}
	switch c := p.s[0]; {
	case c == '\'':
		return p.stringLit()
	case c == '$':
		n, depth, quote := 0, 0, byte(0)
		for ; n < len(p.s); n++ {
			ch := p.s[n]
			if quote != 0 {
				if ch == '\\' {
					n++
				} else if ch == quote {
					quote = 0
				}
				continue
			}
			if ch == '\'' || ch == '"' {
				quote = ch
			} else if ch == '[' || ch == '(' {
				depth++
			} else if ch == ']' || ch == ')' {
				if depth == 0 {
					break
				}
				depth--
			} else if ch == ',' && depth == 0 {
				break
			}
		}
		if quote != 0 {
			return intrinsicArg{}, p.errf("a quoted name in the path %s is not closed", strings.TrimSpace(p.s))
		}
		text := strings.TrimSpace(p.s[:n])
		path, err := ParsePath(text)
		if err != nil {
			return intrinsicArg{}, p.errf("%v", err)
		}
		p.s = p.s[n:]
		return intrinsicArg{path: path}, nil
	case strings.HasPrefix(p.s, "States."):
		call, err := p.call()
		if err != nil {
			return intrinsicArg{}, err
		}
		return intrinsicArg{call: call}, nil
	}
	n := strings.IndexAny(p.s, ",) \t\n")
	if n < 0 {
		n = len(p.s)
	}
	word := p.s[:n]
	p.s = p.s[n:]
	switch word {
	case "true":
		return intrinsicArg{lit: true}, nil
	case "false":
		return intrinsicArg{lit: false}, nil
	case "null":
		return intrinsicArg{lit: nil}, nil
	}
	v, err := decode([]byte(word))
	if _, ok := v.(json.Number); err != nil || !ok {
		return intrinsicArg{}, p.errf("bad argument %q: use a 'string', a number, true, false, null, a path or a call", word)
	}
	return intrinsicArg{lit: v}, nil
}

func (p *intrinsicParser) stringLit() (intrinsicArg, error) {
	var raw, val strings.Builder
	for i := 1; i < len(p.s); i++ {
		c := p.s[i]
		switch c {
		case '\\':
			if i+1 >= len(p.s) {
				return intrinsicArg{}, p.errf("string ends with a lone backslash")
			}
			i++
			raw.WriteByte('\\')
			raw.WriteByte(p.s[i])
			val.WriteByte(p.s[i])
		case '\'':
			p.s = p.s[i+1:]
			return intrinsicArg{str: true, raw: raw.String(), lit: val.String()}, nil
		default:
			raw.WriteByte(c)
			val.WriteByte(c)
		}
	}
	return intrinsicArg{}, p.errf("unterminated string literal")
}

// Eval runs the call. Faults raise States.IntrinsicFailure (bad arguments) or
// States.Runtime (a path that selects nothing).
func (c *Intrinsic) Eval(sc Scope, env *Env) (any, *Failure) {
	args := make([]any, len(c.Args))
	for i, a := range c.Args {
		switch {
		case a.call != nil:
			v, f := a.call.Eval(sc, env)
			if f != nil {
				return nil, f
			}
			args[i] = v
		case a.path != nil:
			v, err := a.path.Eval(sc)
			if err != nil {
				return nil, failure(ErrRuntime, "The JsonPath argument %q for the intrinsic function %s could not be found in the input", a.path.src, c.Name)
			}
			args[i] = v
		default:
			args[i] = a.lit
		}
	}
	v, err := intrinsics[c.Name].fn(c, args, env)
	if err != nil {
		return nil, failure(ErrIntrinsicFailure, "Invalid arguments in %s: %v", c.Name, err)
	}
	return v, nil
}
