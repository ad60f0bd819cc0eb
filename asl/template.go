package asl

import (
	"fmt"
	"strings"
)

// Template is a compiled payload template: Parameters, ResultSelector,
// ItemSelector and Assign in JSONPath (keys ending in ".$" hold a path or an
// intrinsic call), or any field value in JSONata (strings "{% expr %}").
type Template struct {
	kind  tkind
	lit   any
	keys  []string
	vals  []*Template
	items []*Template
	path  *Path
	field string // the ".$" key a path came from, for error messages
	fn    *Intrinsic
	expr  *jsonataExpr
}

type tkind uint8

const (
	tLit tkind = iota
	tObject
	tArray
	tPath
	tIntrinsic
	tJSONata
)

// evalCtx carries what a template or a path may read.
type evalCtx struct {
	scope     Scope
	env       *Env
	states    map[string]any // JSONata $states
	converted converter      // values already converted for JSONata

	// What the context object is built from, on first use.
	s     *stepper
	th    *Thread
	st    *State
	extra []func(map[string]any)
	built map[string]any
}

// compileJSONPathTemplate compiles a JSONPath-mode payload template.
func (p *parser) compileJSONPathTemplate(v any, at string) *Template {
	switch x := v.(type) {
	case map[string]any:
		t := &Template{kind: tObject}
		for _, k := range sortedKeys(x) {
			val := x[k]
			if name, ok := strings.CutSuffix(k, ".$"); ok {
				t.keys = append(t.keys, name)
				t.vals = append(t.vals, p.compileDynamic(val, at+"."+k))
				continue
			}
			t.keys = append(t.keys, k)
			t.vals = append(t.vals, p.compileJSONPathTemplate(val, at+"."+k))
		}
		return t
	case []any:
		t := &Template{kind: tArray}
		for i, e := range x {
			t.items = append(t.items, p.compileJSONPathTemplate(e, fmt.Sprintf("%s[%d]", at, i)))
		}
		return t
	}
	return &Template{kind: tLit, lit: v}
}

// compileDynamic compiles the value of a ".$" key: a path or an intrinsic.
func (p *parser) compileDynamic(v any, at string) *Template {
	s, ok := v.(string)
	if !ok {
		p.add(at, codeSchema, "the value of a field ending in \".$\" must be a string holding a path or an intrinsic function, got %s", typeName(v))
		return &Template{kind: tLit}
	}
	if IsIntrinsic(s) {
		fn, err := ParseIntrinsic(s)
		if err != nil {
			p.add(at, codeIntrinsic, "%v", err)
			return &Template{kind: tLit}
		}
		return &Template{kind: tIntrinsic, fn: fn}
	}
	path, err := ParsePath(s)
	if err != nil {
		p.add(at, codeInvalidPath, "%v", err)
		return &Template{kind: tLit}
	}
	key := strings.TrimSuffix(at, ".$")
	return &Template{kind: tPath, path: path, field: key[strings.LastIndexByte(key, '.')+1:] + ".$"}
}

// compileJSONataTemplate compiles a JSONata-mode value: every string of the
// form "{% ... %}", at any depth, is an expression.
func (p *parser) compileJSONataTemplate(v any, at string) *Template {
	switch x := v.(type) {
	case map[string]any:
		t := &Template{kind: tObject}
		for _, k := range sortedKeys(x) {
			t.keys = append(t.keys, k)
			t.vals = append(t.vals, p.compileJSONataTemplate(x[k], at+"."+k))
		}
		return t
	case []any:
		t := &Template{kind: tArray}
		for i, e := range x {
			t.items = append(t.items, p.compileJSONataTemplate(e, fmt.Sprintf("%s[%d]", at, i)))
		}
		return t
	case string:
		if src, ok := jsonataSource(x); ok {
			e, err := compileJSONata(src)
			if err != nil {
				p.add(at, codeJSONata, "JSONata expression %q does not compile: %v", src, err)
				return &Template{kind: tLit}
			}
			e.field = p.fieldName(at)
			return &Template{kind: tJSONata, expr: e}
		}
	}
	return &Template{kind: tLit, lit: v}
}

// fieldName turns a problem path into the state-relative field name the
// cloud quotes in causes: $.States.S.Output.result becomes Output/result.
func (p *parser) fieldName(at string) string {
	rel := strings.TrimPrefix(strings.TrimPrefix(at, p.statePath), ".")
	rel = strings.NewReplacer(".", "/", "[", "/", "]", "").Replace(rel)
	return rel
}

// jsonataSource returns the expression inside "{% ... %}". The string must
// start and end with the delimiters: " {% x %} " is a plain string.
func jsonataSource(s string) (string, bool) {
	if strings.HasPrefix(s, "{%") && strings.HasSuffix(s, "%}") && len(s) >= 4 {
		return s[2 : len(s)-2], true
	}
	return "", false
}

// eval builds the template's value. In JSONata mode a field whose expression
// yields nothing (undefined) is left out, as the cloud does.
func (t *Template) eval(c *evalCtx) (any, *Failure) {
	v, _, f := t.evalDef(c)
	return v, f
}

func (t *Template) evalDef(c *evalCtx) (any, bool, *Failure) {
	switch t.kind {
	case tObject:
		m := make(map[string]any, len(t.keys))
		for i, k := range t.keys {
			v, def, f := t.vals[i].evalDef(c)
			if f != nil {
				return nil, false, f
			}
			if def {
				m[k] = v
			}
		}
		return m, true, nil
	case tArray:
		a := make([]any, 0, len(t.items))
		for _, it := range t.items {
			v, def, f := it.evalDef(c)
			if f != nil {
				return nil, false, f
			}
			if def {
				a = append(a, v)
			}
		}
		return a, true, nil
	case tPath:
		v, err := t.path.Eval(c.scope)
		if err != nil {
			field := t.field
			if field == "" {
				field = "Path"
			}
			return nil, false, failure(ErrRuntime, "The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'", t.path.src, field, truncate(mustJSON(c.scope.Input)))
		}
		return v, true, nil
	case tIntrinsic:
		v, f := t.fn.Eval(c.scope, c.env)
		return v, true, f
	case tJSONata:
		return t.expr.eval(c)
	}
	return t.lit, true, nil
}

func truncate(s string) string {
	if len(s) > 256 {
		return s[:256] + "..."
	}
	return s
}
