package events

import (
	"encoding/json"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// matcher is one element of a leaf array. match gets every leaf value at
// the field's path (none when the field is absent) and reports whether one
// of them satisfies it (exists: false is the one that wants none).
type matcher interface {
	match(leaves []any) bool
}

// anyLeaf is the common case: some leaf satisfies ok.
type anyLeaf func(v any) bool

func (f anyLeaf) match(leaves []any) bool { return slices.ContainsFunc(leaves, f) }

type exists bool

func (e exists) match(leaves []any) bool { return (len(leaves) > 0) == bool(e) }

func compileMatcher(el any, path string) (matcher, error) {
	switch v := el.(type) {
	case nil, bool, string:
		return anyLeaf(func(l any) bool { return l == v }), nil
	case json.Number:
		n, err := number(v, path)
		if err != nil {
			return nil, err
		}
		return anyLeaf(func(l any) bool { x, ok := leafNumber(l); return ok && x == n }), nil
	case map[string]any:
		return compileExpression(v, path)
	default:
		return nil, errAt(path, "Match value must be String, number, true, false, null or a match expression object, got %s", jsonText(el))
	}
}

func number(v json.Number, path string) (float64, error) {
	n, err := strconv.ParseFloat(string(v), 64)
	if err != nil {
		return 0, errAt(path, "number %s is out of range", v)
	}
	return n, nil
}

func leafNumber(l any) (float64, bool) {
	n, ok := l.(json.Number)
	if !ok {
		return 0, false
	}
	x, err := strconv.ParseFloat(string(n), 64)
	return x, err == nil
}

func compileExpression(m map[string]any, path string) (matcher, error) {
	if len(m) != 1 {
		return nil, errAt(path, "a match expression has exactly one key (prefix, suffix, anything-but, numeric, exists, equals-ignore-case, wildcard or cidr), got %d", len(m))
	}
	op, v := onlyKey(m)
	{
		switch op {
		case "prefix", "suffix":
			return compileAffix(op, v, path)
		case "equals-ignore-case":
			s, err := mustString(v, op, path)
			if err != nil {
				return nil, err
			}
			return anyLeaf(func(l any) bool { x, ok := l.(string); return ok && strings.EqualFold(x, s) }), nil
		case "wildcard":
			s, err := mustString(v, op, path)
			if err != nil {
				return nil, err
			}
			w, err := compileWildcard(s, path)
			if err != nil {
				return nil, err
			}
			return anyLeaf(func(l any) bool { x, ok := l.(string); return ok && w.match(x) }), nil
		case "exists":
			b, ok := v.(bool)
			if !ok {
				return nil, errAt(path, "exists match pattern must be either true or false, got %s", jsonText(v))
			}
			return exists(b), nil
		case "numeric":
			return compileNumeric(v, path)
		case "anything-but":
			return compileAnythingBut(v, path)
		case "cidr":
			s, err := mustString(v, op, path)
			if err != nil {
				return nil, err
			}
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, errAt(path, "Malformed CIDR %q: write an address block such as \"10.0.0.0/24\"", s)
			}
			p = p.Masked()
			return anyLeaf(func(l any) bool {
				x, ok := l.(string)
				if !ok {
					return false
				}
				a, err := netip.ParseAddr(x)
				return err == nil && p.Contains(a)
			}), nil
		default:
			return nil, errAt(path, "Unrecognized match type %s: use prefix, suffix, anything-but, numeric, exists, equals-ignore-case, wildcard or cidr", op)
		}
	}
}

// compileAffix compiles prefix and suffix, either a string or
// {"equals-ignore-case": string}.
func compileAffix(op string, v any, path string) (matcher, error) {
	s, fold, err := affixValue(op, v, path)
	if err != nil {
		return nil, err
	}
	has := affixFunc(op, s, fold)
	return anyLeaf(func(l any) bool { x, ok := l.(string); return ok && has(x) }), nil
}

func affixValue(op string, v any, path string) (s string, fold bool, err error) {
	if m, ok := v.(map[string]any); ok {
		inner, ok := m["equals-ignore-case"]
		if len(m) != 1 || !ok {
			return "", false, errAt(path, "%s match pattern must be a string or {\"equals-ignore-case\": string}", op)
		}
		s, err := mustString(inner, op+" equals-ignore-case", path)
		return s, true, err
	}
	s, err = mustString(v, op, path)
	return s, false, err
}

func affixFunc(op, s string, fold bool) func(string) bool {
	if fold {
		ls := strings.ToLower(s)
		if op == "prefix" {
			return func(x string) bool { return strings.HasPrefix(strings.ToLower(x), ls) }
		}
		return func(x string) bool { return strings.HasSuffix(strings.ToLower(x), ls) }
	}
	if op == "prefix" {
		return func(x string) bool { return strings.HasPrefix(x, s) }
	}
	return func(x string) bool { return strings.HasSuffix(x, s) }
}

// compileNumeric compiles ["=", 5], [">", 0], [">", 0, "<=", 5], ...
func compileNumeric(v any, path string) (matcher, error) {
	list, ok := v.([]any)
	if !ok || len(list) == 0 || len(list)%2 != 0 || len(list) > 4 {
		return nil, errAt(path, "Value of numeric must be an array of one or two (operator, number) pairs, e.g. [\">\", 0, \"<=\", 5]")
	}
	type bound struct {
		set       bool
		n         float64
		inclusive bool
	}
	var lo, hi bound
	eq, isEq := 0.0, false
	for i := 0; i < len(list); i += 2 {
		op, ok := list[i].(string)
		if !ok {
			return nil, errAt(path, "numeric operator must be a string (=, <, <=, >, >=), got %s", jsonText(list[i]))
		}
		raw, ok := list[i+1].(json.Number)
		if !ok {
			return nil, errAt(path, "Value of %s must be numeric, got %s", op, jsonText(list[i+1]))
		}
		n, err := number(raw, path)
		if err != nil {
			return nil, err
		}
		switch op {
		case "=":
			if len(list) != 2 {
				return nil, errAt(path, "numeric \"=\" cannot be combined with other operators")
			}
			eq, isEq = n, true
		case ">", ">=":
			if lo.set {
				return nil, errAt(path, "numeric range has two lower bounds")
			}
			lo = bound{true, n, op == ">="}
		case "<", "<=":
			if hi.set {
				return nil, errAt(path, "numeric range has two upper bounds")
			}
			hi = bound{true, n, op == "<="}
		default:
			return nil, errAt(path, "Unrecognized numeric range operator: %s (use =, <, <=, >, >=)", op)
		}
	}
	if lo.set && hi.set && lo.n >= hi.n {
		return nil, errAt(path, "Bottom must be less than top: the lower bound %v is not below the upper bound %v", lo.n, hi.n)
	}
	return anyLeaf(func(l any) bool {
		x, ok := leafNumber(l)
		if !ok {
			return false
		}
		if isEq {
			return x == eq
		}
		if lo.set && (x < lo.n || (x == lo.n && !lo.inclusive)) {
			return false
		}
		if hi.set && (x > hi.n || (x == hi.n && !hi.inclusive)) {
			return false
		}
		return true
	}), nil
}

// compileAnythingBut compiles anything-but: a value, a list of strings or
// of numbers, or {prefix|suffix|equals-ignore-case|wildcard: ...}. Like
// every operator but exists it needs the field to be present.
func compileAnythingBut(v any, path string) (matcher, error) {
	const op = "anything-but"
	switch v := v.(type) {
	case string:
		return anyLeaf(func(l any) bool { return l != v }), nil
	case json.Number:
		n, err := number(v, path)
		if err != nil {
			return nil, err
		}
		return anyLeaf(func(l any) bool { x, ok := leafNumber(l); return !ok || x != n }), nil
	case []any:
		return anythingButList(v, path)
	case map[string]any:
		if len(v) != 1 {
			return nil, errAt(path, "anything-but takes one of prefix, suffix, equals-ignore-case or wildcard, got %d keys", len(v))
		}
		k, inner := onlyKey(v)
		{
			var not func(string) bool
			switch k {
			case "prefix", "suffix":
				s, err := mustString(inner, op+" "+k, path)
				if err != nil {
					return nil, err
				}
				not = affixFunc(k, s, false)
			case "equals-ignore-case", "wildcard":
				ss, err := stringOrList(inner, op+" "+k, path)
				if err != nil {
					return nil, err
				}
				if k == "equals-ignore-case" {
					not = func(x string) bool {
						return slices.ContainsFunc(ss, func(s string) bool { return strings.EqualFold(x, s) })
					}
					break
				}
				ws := make([]wildcard, len(ss))
				for i, s := range ss {
					w, err := compileWildcard(s, path)
					if err != nil {
						return nil, err
					}
					ws[i] = w
				}
				not = func(x string) bool {
					return slices.ContainsFunc(ws, func(w wildcard) bool { return w.match(x) })
				}
			default:
				return nil, errAt(path, "Unsupported anything-but pattern: %s (use prefix, suffix, equals-ignore-case or wildcard)", k)
			}
			return anyLeaf(func(l any) bool { x, ok := l.(string); return ok && !not(x) }), nil
		}
	}
	return nil, errAt(path, "Value of anything-but must be an array or single string/number value, got %s", jsonText(v))
}

func anythingButList(list []any, path string) (matcher, error) {
	if len(list) == 0 {
		return nil, errAt(path, "anything-but list must not be empty")
	}
	var strs []string
	var nums []float64
	for _, el := range list {
		switch el := el.(type) {
		case string:
			strs = append(strs, el)
		case json.Number:
			n, err := number(el, path)
			if err != nil {
				return nil, err
			}
			nums = append(nums, n)
		default:
			return nil, errAt(path, "Inside anything but list, only strings and numbers are supported, got %s", jsonText(el))
		}
	}
	if len(strs) > 0 && len(nums) > 0 {
		return nil, errAt(path, "Inside anything but list, all values must be strings or all numbers, not a mix")
	}
	return anyLeaf(func(l any) bool {
		if s, ok := l.(string); ok {
			return !slices.Contains(strs, s)
		}
		if x, ok := leafNumber(l); ok {
			return !slices.Contains(nums, x)
		}
		return true
	}), nil
}

func stringOrList(v any, op, path string) ([]string, error) {
	if s, ok := v.(string); ok {
		return []string{s}, nil
	}
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return nil, errAt(path, "%s match pattern must be a string or a non-empty list of strings", op)
	}
	out := make([]string, len(list))
	for i, el := range list {
		s, err := mustString(el, op, path)
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

// wildcard is a compiled wildcard: literal parts separated by '*'. "\*"
// is a literal star and "\\" a literal backslash.
type wildcard struct {
	parts []string // len(parts)-1 stars between them
}

func compileWildcard(s, path string) (wildcard, error) {
	var w wildcard
	var cur strings.Builder
	prevStar := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			if i+1 >= len(s) || (s[i+1] != '*' && s[i+1] != '\\') {
				return w, errAt(path, "Invalid escape in wildcard at position %d: only \\* and \\\\ are escapes", i)
			}
			i++
			cur.WriteByte(s[i])
			prevStar = false
		case c == '*':
			if prevStar {
				return w, errAt(path, "Consecutive wildcard characters at pos %d", i)
			}
			w.parts = append(w.parts, cur.String())
			cur.Reset()
			prevStar = true
		default:
			cur.WriteByte(c)
			prevStar = false
		}
	}
	w.parts = append(w.parts, cur.String())
	return w, nil
}

func (w wildcard) match(s string) bool {
	if len(w.parts) == 1 {
		return s == w.parts[0]
	}
	first, last := w.parts[0], w.parts[len(w.parts)-1]
	if len(s) < len(first)+len(last) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	s = s[len(first) : len(s)-len(last)]
	for _, p := range w.parts[1 : len(w.parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return true
}

// onlyKey returns the key and value of a one-key object.
func onlyKey(m map[string]any) (string, any) {
	for k, v := range m {
		return k, v
	}
	return "", nil
}
