package asl

import "strings"

func (s *stepper) choice(th *Thread, st *State) {
	eff := th.Input.V
	var f *Failure
	if !jsonataMode(st) {
		if eff, f = s.inputPath(th, st); f != nil {
			s.fail(th, st, f)
			return
		}
	}
	c := s.ectx(th, st, eff)
	for _, r := range st.Choices {
		ok, f := r.eval(c, jsonataMode(st))
		if f != nil {
			s.fail(th, st, f)
			return
		}
		if ok {
			s.choose(th, st, c, eff, r.Next, r.Output, r.Assign)
			return
		}
	}
	if st.Default == "" {
		s.fail(th, st, failure(ErrNoChoiceMatched, "No Matches!"))
		return
	}
	s.choose(th, st, c, eff, st.Default, nil, nil)
}

// choose leaves a Choice state for next. A rule's Output overrides the
// state's; the state's Assign applies first, then the rule's.
func (s *stepper) choose(th *Thread, st *State, c *evalCtx, eff any, next string, ruleOut, ruleAssign *Template) {
	out := eff
	var f *Failure
	if jsonataMode(st) {
		if t := ruleOut; t != nil || st.Output != nil {
			if t == nil {
				t = st.Output
			}
			out, f = t.eval(c)
		}
	} else {
		out, f = s.outputPath(th, st, eff)
	}
	if f == nil {
		f = s.assign(th, st.Assign, c)
	}
	if f == nil {
		f = s.assign(th, ruleAssign, c)
	}
	if f != nil {
		s.fail(th, st, f)
		return
	}
	s.exit(th, st, out, next)
}

// eval decides a rule. Type mismatches are false, as in the cloud; a
// Variable or ...Path that selects nothing is States.Runtime (except for
// IsPresent, which exists to test that).
func (r *ChoiceRule) eval(c *evalCtx, jsonata bool) (bool, *Failure) {
	if jsonata {
		v, f := r.Condition.eval(c)
		if f != nil {
			return false, f
		}
		b, ok := v.(bool)
		if !ok {
			return false, failure(ErrQueryEvaluationError, "a Condition must evaluate to a boolean, got %s", typeName(v))
		}
		return b, nil
	}
	switch {
	case r.And != nil:
		for _, x := range r.And {
			ok, f := x.eval(c, false)
			if f != nil || !ok {
				return false, f
			}
		}
		return true, nil
	case r.Or != nil:
		for _, x := range r.Or {
			ok, f := x.eval(c, false)
			if f != nil || ok {
				return ok, f
			}
		}
		return false, nil
	case r.Not != nil:
		ok, f := r.Not.eval(c, false)
		return !ok && f == nil, f
	}
	if r.Variable == nil {
		return false, nil
	}
	v, err := r.Variable.Eval(c.scope)
	present := err == nil
	if strings.HasPrefix(r.Op, "Is") {
		want, _ := r.Value.(bool)
		if r.Op == "IsPresent" {
			return present == want, nil
		}
		if !present {
			return false, nil
		}
		return typeTest(r.Op, v) == want, nil
	}
	if !present {
		return false, failure(ErrRuntime, "Invalid path '%s': The choice state's condition path references an invalid value.", r.Variable.src)
	}
	op, arg := r.Op, r.Value
	if r.ValuePath != nil {
		op = strings.TrimSuffix(op, "Path")
		a, err := r.ValuePath.Eval(c.scope)
		if err != nil {
			return false, failure(ErrRuntime, "Invalid path '%s': The choice state's condition path references an invalid value.", r.ValuePath.src)
		}
		arg = a
	}
	return compareRule(op, v, arg), nil
}

func typeTest(op string, v any) bool {
	switch op {
	case "IsNull":
		return v == nil
	case "IsNumeric":
		_, ok := toFloat(v)
		return ok
	case "IsString":
		_, ok := v.(string)
		return ok
	case "IsBoolean":
		_, ok := v.(bool)
		return ok
	case "IsTimestamp":
		s, ok := v.(string)
		if !ok {
			return false
		}
		_, ok = parseTimestamp(s)
		return ok
	}
	return false
}

func compareRule(op string, v, arg any) bool {
	var kind, rel string
	for _, k := range []string{"String", "Numeric", "Boolean", "Timestamp"} {
		if after, ok := strings.CutPrefix(op, k); ok {
			kind, rel = k, after
		}
	}
	var c int
	switch kind {
	case "String":
		a, ok1 := v.(string)
		b, ok2 := arg.(string)
		if !ok1 || !ok2 {
			return false
		}
		if rel == "Matches" {
			return stringMatches(a, b)
		}
		c = strings.Compare(a, b)
	case "Numeric":
		a, ok1 := toFloat(v)
		b, ok2 := toFloat(arg)
		if !ok1 || !ok2 {
			return false
		}
		c = cmpFloat(a, b)
	case "Boolean":
		a, ok1 := v.(bool)
		b, ok2 := arg.(bool)
		return ok1 && ok2 && a == b && rel == "Equals"
	case "Timestamp":
		as, _ := v.(string)
		bs, _ := arg.(string)
		a, ok1 := parseTimestamp(as)
		b, ok2 := parseTimestamp(bs)
		if !ok1 || !ok2 {
			return false
		}
		c = a.Compare(b)
	default:
		return false
	}
	switch rel {
	case "Equals":
		return c == 0
	case "LessThan":
		return c < 0
	case "GreaterThan":
		return c > 0
	case "LessThanEquals":
		return c <= 0
	case "GreaterThanEquals":
		return c >= 0
	}
	return false
}

// stringMatches matches s against a pattern where * matches any run of
// characters, \* is a literal star and \\ a literal backslash.
func stringMatches(s, pattern string) bool {
	type tok struct {
		star bool
		lit  string
	}
	var toks []tok
	var lit strings.Builder
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; {
		case c == '\\' && i+1 < len(pattern):
			i++
			lit.WriteByte(pattern[i])
		case c == '*':
			toks = append(toks, tok{lit: lit.String()}, tok{star: true})
			lit.Reset()
		default:
			lit.WriteByte(c)
		}
	}
	toks = append(toks, tok{lit: lit.String()})
	// Greedy-free matching: the first literal anchors at the start, the last
	// at the end, the middle ones are found left to right.
	var lits []string
	for _, t := range toks {
		if !t.star {
			lits = append(lits, t.lit)
		}
	}
	if len(lits) == 1 {
		return s == lits[0]
	}
	if !strings.HasPrefix(s, lits[0]) {
		return false
	}
	s = s[len(lits[0]):]
	last := lits[len(lits)-1]
	for _, l := range lits[1 : len(lits)-1] {
		i := strings.Index(s, l)
		if i < 0 {
			return false
		}
		s = s[i+len(l):]
	}
	return len(s) >= len(last) && strings.HasSuffix(s, last)
}
