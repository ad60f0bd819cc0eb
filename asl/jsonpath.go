package asl

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Path is a parsed JSONPath as the States Language uses it. The root is the
// state input ($), the context object ($$) or a variable ($name).
type Path struct {
	src      string
	root     rootKind
	varName  string
	segs     []segment
	definite bool
}

type rootKind uint8

const (
	rootInput rootKind = iota
	rootContext
	rootVar
	rootCurrent // @ inside a filter
)

type segKind uint8

const (
	segChild segKind = iota
	segIndex
	segWildcard
	segUnion
	segSlice
	segFilter
)

type segment struct {
	kind   segKind
	deep   bool // reached with ".." (descendants)
	name   string
	index  int
	names  []string
	idxs   []int
	slice  [3]int
	hasS   [3]bool
	filter *filterExpr
}

// ErrPathNotFound reports a definite path that selects nothing.
var ErrPathNotFound = errors.New("path selects nothing")

// String returns the source text of the path.
func (p *Path) String() string { return p.src }

// normalized writes the path in bracket notation, as Jayway reports it in
// errors: $.a[0] becomes $['a'][0].
func (p *Path) normalized() string {
	var b strings.Builder
	switch p.root {
	case rootContext:
		b.WriteString("$$")
	case rootVar:
		b.WriteString("$" + p.varName)
	default:
		b.WriteString("$")
	}
	for _, s := range p.segs {
		switch s.kind {
		case segChild:
			b.WriteString("['" + s.name + "']")
		case segIndex:
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
		default:
			return p.src
		}
	}
	return b.String()
}

// IsReference reports whether the path is a Reference Path: it selects at most
// one node, using only field names and array indexes (spec: "Reference Paths").
func (p *Path) IsReference() bool {
	if p.root == rootCurrent {
		return false
	}
	for _, s := range p.segs {
		if s.deep || (s.kind != segChild && s.kind != segIndex) {
			return false
		}
	}
	return true
}

// ParsePath parses a JSONPath starting with $, $$ or $name.
func ParsePath(s string) (*Path, error) {
	p := &Path{src: s, definite: true}
	rest, err := p.parseRoot(s)
	if err != nil {
		return nil, err
	}
	if err := p.parseSegments(rest); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Path) parseRoot(s string) (string, error) {
	switch {
	case strings.HasPrefix(s, "$$"):
		p.root = rootContext
		return s[2:], nil
	case strings.HasPrefix(s, "@"):
		p.root = rootCurrent
		return s[1:], nil
	case strings.HasPrefix(s, "$"):
		i := 1
		for i < len(s) && isIdentChar(s[i], i == 1) {
			i++
		}
		if i > 1 {
			p.root = rootVar
			p.varName = s[1:i]
		}
		return s[i:], nil
	}
	return "", fmt.Errorf("path %q must start with '$'", s)
}

func isIdentChar(c byte, first bool) bool {
	if c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') {
		return true
	}
	return !first && c >= '0' && c <= '9'
}

func (p *Path) parseSegments(s string) error {
	for len(s) > 0 {
		deep := false
		switch {
		case strings.HasPrefix(s, ".."):
			deep = true
			s = s[2:]
			if strings.HasPrefix(s, "[") {
				break
			}
			fallthrough
		case s[0] == '.':
			if !deep {
				s = s[1:]
			}
			n := strings.IndexAny(s, ".[")
			if n < 0 {
				n = len(s)
			}
			name := s[:n]
			s = s[n:]
			if name == "" {
				return fmt.Errorf("path %q has an empty field name", p.src)
			}
			if strings.ContainsAny(name, " ]'\"") && name != "*" {
				return fmt.Errorf("path %q: field name %q needs bracket notation ['...']", p.src, name)
			}
			if name == "*" {
				p.add(segment{kind: segWildcard, deep: deep})
			} else {
				p.add(segment{kind: segChild, name: name, deep: deep})
			}
			continue
		}
		if len(s) == 0 || s[0] != '[' {
			return fmt.Errorf("path %q: expected '.' or '[' at %q", p.src, s)
		}
		seg, rest, err := p.parseBracket(s)
		if err != nil {
			return err
		}
		seg.deep = deep
		p.add(seg)
		s = rest
	}
	return nil
}

func (p *Path) add(seg segment) {
	if seg.deep || (seg.kind != segChild && seg.kind != segIndex) {
		p.definite = false
	}
	p.segs = append(p.segs, seg)
}

// parseBracket parses one [...] selector; s starts with '['.
func (p *Path) parseBracket(s string) (segment, string, error) {
	body := s[1:]
	if strings.HasPrefix(body, "?(") {
		f, rest, err := parseFilter(body[2:])
		if err != nil {
			return segment{}, "", fmt.Errorf("path %q: %w", p.src, err)
		}
		if !strings.HasPrefix(rest, "]") {
			return segment{}, "", fmt.Errorf("path %q: filter must end with ')]'", p.src)
		}
		return segment{kind: segFilter, filter: f}, rest[1:], nil
	}
	if body != "" && (body[0] == '\'' || body[0] == '"') {
		var names []string
		for {
			name, rest, err := readQuoted(body)
			if err != nil {
				return segment{}, "", fmt.Errorf("path %q: %w", p.src, err)
			}
			names = append(names, name)
			rest = strings.TrimLeft(rest, " ")
			if strings.HasPrefix(rest, "]") {
				if len(names) == 1 {
					return segment{kind: segChild, name: names[0]}, rest[1:], nil
				}
				return segment{kind: segUnion, names: names}, rest[1:], nil
			}
			if !strings.HasPrefix(rest, ",") {
				return segment{}, "", fmt.Errorf("path %q: expected ',' or ']' after a quoted name", p.src)
			}
			body = strings.TrimLeft(rest[1:], " ")
		}
	}
	end := strings.IndexByte(body, ']')
	if end < 0 {
		return segment{}, "", fmt.Errorf("path %q: missing ']'", p.src)
	}
	inner, rest := strings.TrimSpace(body[:end]), body[end+1:]
	switch {
	case inner == "*":
		return segment{kind: segWildcard}, rest, nil
	case strings.Contains(inner, ":"):
		parts := strings.Split(inner, ":")
		if len(parts) > 3 {
			return segment{}, "", fmt.Errorf("path %q: bad slice [%s]", p.src, inner)
		}
		seg := segment{kind: segSlice}
		for i, part := range parts {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			n, err := strconv.Atoi(part)
			if err != nil {
				return segment{}, "", fmt.Errorf("path %q: bad slice bound %q", p.src, part)
			}
			seg.slice[i], seg.hasS[i] = n, true
		}
		if seg.hasS[2] && seg.slice[2] <= 0 {
			return segment{}, "", fmt.Errorf("path %q: slice step must be positive", p.src)
		}
		return seg, rest, nil
	}
	var idxs []int
	for _, part := range strings.Split(inner, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil {
			return segment{}, "", fmt.Errorf("path %q: bad array index %q", p.src, part)
		}
		idxs = append(idxs, n)
	}
	if len(idxs) == 1 {
		return segment{kind: segIndex, index: idxs[0]}, rest, nil
	}
	return segment{kind: segUnion, idxs: idxs}, rest, nil
}

// readQuoted reads a '...' or "..." name; \' (or \") escapes the quote.
func readQuoted(s string) (string, string, error) {
	if s == "" || (s[0] != '\'' && s[0] != '"') {
		return "", "", fmt.Errorf("expected a quoted name")
	}
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && s[i+1] == q:
			// Only the quote itself is escaped; any other backslash is
			// literal, as in Jayway ($['a\"b'] names the key a\"b).
			i++
			b.WriteByte(q)
		case c == q:
			return b.String(), s[i+1:], nil
		default:
			b.WriteByte(c)
		}
	}
	return "", "", fmt.Errorf("unterminated quoted name")
}

// contextBuilder makes the context object $$ when a path first reads it.
type contextBuilder interface{ contextObject() any }

// Scope supplies the roots a path may start from.
type Scope struct {
	Input   any
	Context any
	Vars    map[string]any
	// context builds Context on first use when Context is nil: most
	// templates never read $$, and building it costs allocations.
	context contextBuilder
}

// Eval evaluates the path. A definite path returns the one node it selects or
// ErrPathNotFound; an indefinite path returns an array of every match, as the
// Jayway implementation Step Functions is built on does.
func (p *Path) Eval(sc Scope) (any, error) {
	var root any
	switch p.root {
	case rootContext:
		root = sc.Context
		if root == nil && sc.context != nil {
			root = sc.context.contextObject()
		}
	case rootVar:
		v, ok := sc.Vars[p.varName]
		if !ok {
			return nil, fmt.Errorf("variable $%s is not defined: %w", p.varName, ErrPathNotFound)
		}
		root = v
	default:
		root = sc.Input
	}
	if p.definite {
		cur := root
		for _, s := range p.segs {
			next, ok := child(cur, s)
			if !ok {
				return nil, fmt.Errorf("%s: %w", p.src, ErrPathNotFound)
			}
			cur = next
		}
		return cur, nil
	}
	nodes := []any{root}
	for _, s := range p.segs {
		var out []any
		for _, n := range nodes {
			if s.deep {
				out = descend(n, s, out, sc)
			} else {
				out = apply(n, s, out, sc)
			}
		}
		nodes = out
	}
	if nodes == nil {
		nodes = []any{}
	}
	return nodes, nil
}

func child(v any, s segment) (any, bool) {
	switch s.kind {
	case segChild:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		x, ok := m[s.name]
		return x, ok
	case segIndex:
		a, ok := v.([]any)
		if !ok {
			return nil, false
		}
		i := s.index
		if i < 0 {
			i += len(a)
		}
		if i < 0 || i >= len(a) {
			return nil, false
		}
		return a[i], true
	}
	return nil, false
}

func apply(v any, s segment, out []any, sc Scope) []any {
	switch s.kind {
	case segChild, segIndex:
		if x, ok := child(v, s); ok {
			out = append(out, x)
		}
	case segWildcard:
		switch x := v.(type) {
		case []any:
			out = append(out, x...)
		case map[string]any:
			for _, k := range sortedKeys(x) {
				out = append(out, x[k])
			}
		}
	case segUnion:
		for _, n := range s.names {
			if x, ok := child(v, segment{kind: segChild, name: n}); ok {
				out = append(out, x)
			}
		}
		for _, i := range s.idxs {
			if x, ok := child(v, segment{kind: segIndex, index: i}); ok {
				out = append(out, x)
			}
		}
	case segSlice:
		a, ok := v.([]any)
		if !ok {
			return out
		}
		start, end, step := 0, len(a), 1
		if s.hasS[0] {
			start = clampIndex(s.slice[0], len(a))
		}
		if s.hasS[1] {
			end = clampIndex(s.slice[1], len(a))
		}
		if s.hasS[2] {
			step = s.slice[2]
		}
		for i := start; i < end; i += step {
			out = append(out, a[i])
		}
	case segFilter:
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				if s.filter.match(e, sc) {
					out = append(out, e)
				}
			}
		case map[string]any:
			if s.filter.match(x, sc) {
				out = append(out, x)
			}
		}
	}
	return out
}

func clampIndex(i, n int) int {
	if i < 0 {
		i += n
	}
	return max(0, min(i, n))
}

// descend applies s to v and to every descendant of v.
func descend(v any, s segment, out []any, sc Scope) []any {
	out = apply(v, s, out, sc)
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			out = descend(e, s, out, sc)
		}
	case map[string]any:
		for _, k := range sortedKeys(x) {
			out = descend(x[k], s, out, sc)
		}
	}
	return out
}
