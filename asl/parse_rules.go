package asl

import (
	"fmt"
	"strings"
	"time"
)

// comparison operators and the type of literal each takes.
var comparisons = map[string]string{
	"StringEquals": "string", "StringLessThan": "string", "StringGreaterThan": "string",
	"StringLessThanEquals": "string", "StringGreaterThanEquals": "string", "StringMatches": "string",
	"NumericEquals": "number", "NumericLessThan": "number", "NumericGreaterThan": "number",
	"NumericLessThanEquals": "number", "NumericGreaterThanEquals": "number",
	"BooleanEquals":   "boolean",
	"TimestampEquals": "timestamp", "TimestampLessThan": "timestamp", "TimestampGreaterThan": "timestamp",
	"TimestampLessThanEquals": "timestamp", "TimestampGreaterThanEquals": "timestamp",
	"IsNull": "boolean", "IsPresent": "boolean", "IsNumeric": "boolean", "IsString": "boolean",
	"IsBoolean": "boolean", "IsTimestamp": "boolean",
}

func (p *parser) choice(s *State, f fields) {
	s.Default, _ = f.str("Default")
	raw, ok := f.m["Choices"]
	list, isList := raw.([]any)
	if !ok || !isList || len(list) == 0 {
		p.add(f.at, codeSchema, "a Choice state needs Choices: a non-empty array of rules")
		return
	}
	for i, r := range list {
		at := fmt.Sprintf("%s.Choices[%d]", f.at, i)
		m, ok := r.(map[string]any)
		if !ok {
			p.add(at, codeSchema, "a choice rule must be an object")
			continue
		}
		rule := p.rule(m, at, s.QueryLanguage, true)
		if rule != nil {
			s.Choices = append(s.Choices, rule)
		}
	}
}

// rule parses a choice rule; top-level rules carry Next, nested ones must not.
func (p *parser) rule(m map[string]any, at, ql string, top bool) *ChoiceRule {
	f := fields{p: p, m: m, at: at}
	r := &ChoiceRule{}
	if top {
		next, ok := f.str("Next")
		if !ok && !f.has("Next") {
			p.add(at, codeSchema, "a top-level choice rule needs Next")
		}
		r.Next = next
		if v, ok := m["Assign"]; ok {
			r.Assign = p.assign(v, at+".Assign", ql)
		}
	} else {
		for _, k := range []string{"Next", "Assign", "Output"} {
			if f.has(k) {
				p.add(at+"."+k, codeSchema, "%s is only allowed in a top-level choice rule, not inside And, Or or Not", k)
			}
		}
	}
	if ql == JSONata {
		allowed := setOf("Condition", "Comment")
		if top {
			allowed = setOf("Condition", "Comment", "Next", "Assign", "Output")
		}
		f.allow("a JSONata choice rule (use Condition)", allowed)
		cond, ok := m["Condition"]
		if !ok {
			p.add(at, codeSchema, "a JSONata choice rule needs Condition: a {%% ... %%} expression or a boolean")
			return r
		}
		r.Condition = p.compileJSONataTemplate(cond, at+".Condition")
		if v, ok := m["Output"]; ok {
			r.Output = p.compileJSONataTemplate(v, at+".Output")
		}
		return r
	}
	var ops []string
	for k := range m {
		if _, isOp := comparisons[strings.TrimSuffix(k, "Path")]; isOp || k == "And" || k == "Or" || k == "Not" {
			ops = append(ops, k)
		} else if k != "Variable" && k != "Next" && k != "Comment" && k != "Assign" {
			p.add(at+"."+k, codeSchema, "field %q is not a choice rule field or comparison operator", k)
		}
	}
	if len(ops) != 1 {
		p.add(at, codeSchema, "a choice rule needs exactly one comparison operator or one of And, Or, Not; found %d", len(ops))
		return r
	}
	op := ops[0]
	switch op {
	case "And", "Or":
		list, ok := m[op].([]any)
		if !ok || len(list) == 0 {
			p.add(at+"."+op, codeSchema, "%s must be a non-empty array of choice rules", op)
			return r
		}
		for i, e := range list {
			sub, ok := e.(map[string]any)
			if !ok {
				p.add(fmt.Sprintf("%s.%s[%d]", at, op, i), codeSchema, "a choice rule must be an object")
				continue
			}
			x := p.rule(sub, fmt.Sprintf("%s.%s[%d]", at, op, i), ql, false)
			if op == "And" {
				r.And = append(r.And, x)
			} else {
				r.Or = append(r.Or, x)
			}
		}
		if f.has("Variable") {
			p.add(at+".Variable", codeSchema, "a rule with %s takes no Variable", op)
		}
		return r
	case "Not":
		sub, ok := m["Not"].(map[string]any)
		if !ok {
			p.add(at+".Not", codeSchema, "Not must be a single choice rule object")
			return r
		}
		r.Not = p.rule(sub, at+".Not", ql, false)
		return r
	}
	r.Op = op
	v, hasVar := m["Variable"]
	vs, isStr := v.(string)
	if !hasVar || !isStr {
		p.add(at, codeSchema, "a comparison needs Variable: a path to the value to test")
	} else if path, err := ParsePath(vs); err != nil {
		p.add(at+".Variable", codeInvalidPath, "%v", err)
	} else {
		r.Variable = path
	}
	arg := m[op]
	if base, ok := strings.CutSuffix(op, "Path"); ok && comparisons[base] != "" && !strings.HasPrefix(op, "Is") {
		s, isStr := arg.(string)
		path, err := ParsePath(s)
		if !isStr || err != nil {
			p.add(at+"."+op, codeInvalidPath, "%s must be a path string", op)
			return r
		}
		r.ValuePath = path
		return r
	}
	r.Value = arg
	want := comparisons[op]
	okType := false
	switch want {
	case "string":
		_, okType = arg.(string)
	case "number":
		_, okType = toFloat(arg)
	case "boolean":
		_, okType = arg.(bool)
	case "timestamp":
		s, isStr := arg.(string)
		_, okType = parseTimestamp(s)
		okType = okType && isStr
	}
	if !okType {
		p.add(at+"."+op, codeSchema, "%s needs a %s operand, got %s", op, want, mustJSON(arg))
	}
	return r
}

// parseTimestamp accepts RFC 3339 timestamps, as the spec requires
// (an uppercase T separator and a time zone).
func parseTimestamp(s string) (time.Time, bool) {
	if !strings.Contains(s, "T") {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

func (p *parser) wait(s *State, f fields) {
	n := 0
	for _, k := range []string{"Seconds", "SecondsPath", "Timestamp", "TimestampPath"} {
		if f.has(k) {
			n++
		}
	}
	if n != 1 {
		p.add(f.at, codeSchema, "a Wait state needs exactly one of Seconds, SecondsPath, Timestamp, TimestampPath; found %d", n)
	}
	if v, ok := f.m["Seconds"]; ok {
		if str, isStr := v.(string); isStr && s.QueryLanguage == JSONata {
			s.Seconds = p.compileJSONataTemplate(str, f.at+".Seconds")
		} else if x, ok := f.integer("Seconds", 0, 99999999); ok {
			s.Seconds = &Template{kind: tLit, lit: intNumber(x)}
		}
	}
	if path, _ := f.path("SecondsPath", true); path != nil {
		s.Seconds = &Template{kind: tPath, path: path}
	}
	if v, ok := f.str("Timestamp"); ok {
		if _, isExpr := jsonataSource(v); isExpr && s.QueryLanguage == JSONata {
			s.Timestamp = p.compileJSONataTemplate(v, f.at+".Timestamp")
		} else if _, ok := parseTimestamp(v); !ok {
			p.add(f.at+".Timestamp", codeSchema, "Timestamp must be an RFC 3339 time such as 2026-03-14T01:59:00Z, got %q", v)
		} else {
			s.Timestamp = &Template{kind: tLit, lit: v}
		}
	}
	if path, _ := f.path("TimestampPath", true); path != nil {
		s.Timestamp = &Template{kind: tPath, path: path}
	}
}

func (p *parser) fail(s *State, f fields) {
	for _, k := range []string{"Error", "Cause"} {
		if f.has(k) && f.has(k+"Path") {
			p.add(f.at, codeSchema, "use only one of %s and %sPath", k, k)
		}
		var t *Template
		if v, ok := f.str(k); ok {
			if s.QueryLanguage == JSONata {
				t = p.compileJSONataTemplate(v, f.at+"."+k)
			} else {
				t = &Template{kind: tLit, lit: v}
			}
		}
		if str, ok := f.str(k + "Path"); ok {
			if IsIntrinsic(str) {
				t = p.compileDynamic(str, f.at+"."+k+"Path")
			} else if path, _ := f.path(k+"Path", true); path != nil {
				t = &Template{kind: tPath, path: path, field: k + "Path"}
			}
		}
		if k == "Error" {
			s.Error = t
		} else {
			s.Cause = t
		}
	}
}

func (p *parser) parallel(s *State, f fields) {
	list, ok := f.m["Branches"].([]any)
	if !ok || len(list) == 0 {
		p.add(f.at, codeSchema, "a Parallel state needs Branches: a non-empty array of state machines")
		return
	}
	for i, b := range list {
		at := fmt.Sprintf("%s.Branches[%d]", f.at, i)
		m, ok := b.(map[string]any)
		if !ok {
			p.add(at, codeSchema, "a branch must be an object with StartAt and States")
			continue
		}
		fields{p: p, m: m, at: at}.allow("a branch", setOf("StartAt", "States", "Comment", "QueryLanguage"))
		s.Branches = append(s.Branches, p.machine(m, at, s.QueryLanguage))
	}
}
