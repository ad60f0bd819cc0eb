package asl

import "strings"

// Fields each state type accepts, before the query-language filter.
var stateFields = map[string]map[string]bool{
	"Pass": setOf("Type", "Comment", "QueryLanguage", "Next", "End", "InputPath", "OutputPath", "ResultPath",
		"Parameters", "Result", "Assign", "Output"),
	"Task": setOf("Type", "Comment", "QueryLanguage", "Next", "End", "InputPath", "OutputPath", "ResultPath",
		"Parameters", "ResultSelector", "Resource", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds",
		"HeartbeatSecondsPath", "Retry", "Catch", "Credentials", "Arguments", "Output", "Assign"),
	"Choice": setOf("Type", "Comment", "QueryLanguage", "Choices", "Default", "InputPath", "OutputPath",
		"Output", "Assign"),
	"Wait": setOf("Type", "Comment", "QueryLanguage", "Next", "End", "InputPath", "OutputPath", "Seconds",
		"SecondsPath", "Timestamp", "TimestampPath", "Output", "Assign"),
	"Succeed": setOf("Type", "Comment", "QueryLanguage", "InputPath", "OutputPath", "Output"),
	"Fail":    setOf("Type", "Comment", "QueryLanguage", "Error", "ErrorPath", "Cause", "CausePath"),
	"Parallel": setOf("Type", "Comment", "QueryLanguage", "Next", "End", "InputPath", "OutputPath", "ResultPath",
		"Parameters", "ResultSelector", "Branches", "Retry", "Catch", "Arguments", "Output", "Assign"),
	"Map": setOf("Type", "Comment", "QueryLanguage", "Next", "End", "InputPath", "OutputPath", "ResultPath",
		"Parameters", "ResultSelector", "ItemProcessor", "Iterator", "ItemsPath", "Items", "ItemSelector",
		"ItemReader", "ItemBatcher", "ResultWriter", "MaxConcurrency", "MaxConcurrencyPath",
		"ToleratedFailureCount", "ToleratedFailureCountPath", "ToleratedFailurePercentage",
		"ToleratedFailurePercentagePath", "Label", "Retry", "Catch", "Output", "Assign"),
}

// Fields that belong to one query language only.
var (
	jsonPathOnly = setOf("InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "Result",
		"ItemsPath", "SecondsPath", "TimestampPath", "TimeoutSecondsPath", "HeartbeatSecondsPath", "ErrorPath",
		"CausePath", "MaxConcurrencyPath", "ToleratedFailureCountPath", "ToleratedFailurePercentagePath", "Iterator")
	jsonataOnly = setOf("Arguments", "Output", "Items")
)

func (p *parser) state(name string, m map[string]any, at, inherited string) *State {
	s := &State{Name: name, QueryLanguage: inherited}
	f := fields{p: p, m: m, at: at}
	prev := p.statePath
	p.statePath = at
	defer func() { p.statePath = prev }()
	typ, ok := f.str("Type")
	if !ok {
		if !f.has("Type") {
			p.add(at, codeSchema, "Type is required: one of Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map")
		}
		return s
	}
	allowed, known := stateFields[typ]
	if !known {
		p.add(at+".Type", codeSchema, "unknown state type %q: use Pass, Task, Choice, Wait, Succeed, Fail, Parallel or Map", typ)
		return s
	}
	s.Type = typ
	if ql, ok := f.str("QueryLanguage"); ok {
		switch {
		case ql != JSONPath && ql != JSONata:
			p.add(at+".QueryLanguage", codeSchema, "QueryLanguage must be \"JSONPath\" or \"JSONata\", got %q", ql)
		case inherited == JSONata && ql == JSONPath:
			p.add(at, codeSchema, "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine")
		default:
			s.QueryLanguage = ql
		}
	}
	for _, k := range sortedKeys(m) {
		switch {
		case !allowed[k]:
			p.add(at+"."+k, codeSchema, "field %q is not supported in a %s state", k, typ)
		case s.QueryLanguage == JSONata && jsonPathOnly[k]:
			p.add(at+"."+k, codeSchema, "field %q is only supported with JSONPath; this state uses JSONata (see Arguments, Output and Assign)", k)
		case s.QueryLanguage == JSONPath && jsonataOnly[k]:
			p.add(at+"."+k, codeSchema, "field %q is only supported with JSONata; set \"QueryLanguage\": \"JSONata\" or use the JSONPath fields", k)
		}
	}
	p.transition(s, f)
	p.processing(s, f)
	switch typ {
	case "Task":
		p.task(s, f)
	case "Choice":
		p.choice(s, f)
	case "Wait":
		p.wait(s, f)
	case "Fail":
		p.fail(s, f)
	case "Parallel":
		p.parallel(s, f)
	case "Map":
		p.mapState(s, f)
	}
	if typ == "Task" || typ == "Parallel" || typ == "Map" {
		s.Retry = p.retriers(f)
		s.Catch = p.catchers(f, s.QueryLanguage)
	}
	return s
}

// transition checks Next/End: exactly one for most states, neither for
// Choice, Succeed and Fail.
func (p *parser) transition(s *State, f fields) {
	next, hasNext := f.str("Next")
	end := f.boolean("End")
	if f.has("End") && !end {
		p.add(f.at+".End", codeSchema, "End may only be true; to continue, use Next instead")
	}
	s.Next, s.End = next, end
	switch s.Type {
	case "Choice", "Succeed", "Fail":
		return
	}
	switch {
	case hasNext && end:
		p.add(f.at, codeTerminal, "state %q has both Next and End; keep exactly one", s.Name)
	case !f.has("Next") && !end:
		p.add(f.at, codeTerminal, "state %q needs either \"Next\" naming the following state or \"End\": true", s.Name)
	}
}

// processing reads the input/output fields of either query language.
func (p *parser) processing(s *State, f fields) {
	if s.QueryLanguage == JSONata {
		if v, ok := f.m["Output"]; ok {
			s.Output = p.compileJSONataTemplate(v, f.at+".Output")
		}
		if v, ok := f.m["Arguments"]; ok {
			s.Arguments = p.compileJSONataTemplate(v, f.at+".Arguments")
		}
		if v, ok := f.m["Assign"]; ok {
			s.Assign = p.assign(v, f.at+".Assign", JSONata)
		}
		return
	}
	s.InputPath, s.DiscardInput = f.path("InputPath", false)
	s.OutputPath, s.DiscardOutput = f.path("OutputPath", false)
	s.ResultPath, s.DiscardResult = f.path("ResultPath", true)
	if v, ok := f.m["Parameters"]; ok {
		s.Parameters = p.payload(v, f.at+".Parameters")
	}
	if v, ok := f.m["ResultSelector"]; ok {
		s.ResultSelector = p.payload(v, f.at+".ResultSelector")
	}
	if v, ok := f.m["Result"]; ok {
		s.Result, s.HasResult = &Template{kind: tLit, lit: v}, true
	}
	if v, ok := f.m["Assign"]; ok {
		s.Assign = p.assign(v, f.at+".Assign", JSONPath)
	}
}

// payload compiles a JSONPath payload template, which must be an object.
func (p *parser) payload(v any, at string) *Template {
	if _, ok := v.(map[string]any); !ok {
		p.add(at, codeSchema, "a payload template must be a JSON object, got %s", typeName(v))
	}
	return p.compileJSONPathTemplate(v, at)
}

func (p *parser) assign(v any, at, ql string) *Template {
	m, ok := v.(map[string]any)
	if !ok {
		p.add(at, codeSchema, "Assign must be an object of variable names to values, got %s", typeName(v))
		return nil
	}
	for k := range m {
		name := strings.TrimSuffix(k, ".$")
		if ql == JSONata {
			name = k
		}
		valid := name != "" && len(name) <= 80 && isIdentChar(name[0], true)
		for i := 1; valid && i < len(name); i++ {
			valid = isIdentChar(name[i], false)
		}
		if !valid {
			p.add(at+"."+k, codeSchema, "variable name %q must start with a letter or '_' and hold only letters, digits and '_'", name)
		}
		if name == "states" {
			p.add(at+"."+k, codeSchema, "the variable name \"states\" is reserved")
		}
	}
	if ql == JSONata {
		return p.compileJSONataTemplate(v, at)
	}
	return p.compileJSONPathTemplate(v, at)
}

func (p *parser) task(s *State, f fields) {
	res, ok := f.str("Resource")
	if !ok && !f.has("Resource") {
		p.add(f.at, codeSchema, "a Task state needs Resource: the ARN or URI of the work to run")
	}
	if ok && !strings.HasPrefix(res, "arn:") {
		p.add(f.at+".Resource", codeSchema, "Resource must be an ARN (\"arn:...\"), got %q", res)
	}
	s.Resource = res
	s.TimeoutSeconds = p.seconds(f, "TimeoutSeconds", s.QueryLanguage)
	s.HeartbeatSeconds = p.seconds(f, "HeartbeatSeconds", s.QueryLanguage)
	if v, ok := f.m["Credentials"]; ok {
		if s.QueryLanguage == JSONata {
			s.Credentials = p.compileJSONataTemplate(v, f.at+".Credentials")
		} else {
			s.Credentials = p.payload(v, f.at+".Credentials")
		}
	}
	if s.TimeoutSeconds != nil && s.HeartbeatSeconds != nil && s.TimeoutSeconds.kind == tLit && s.HeartbeatSeconds.kind == tLit {
		t, _ := toFloat(s.TimeoutSeconds.lit)
		h, _ := toFloat(s.HeartbeatSeconds.lit)
		if h >= t {
			p.add(f.at+".HeartbeatSeconds", codeSchema, "HeartbeatSeconds (%v) must be smaller than TimeoutSeconds (%v)", h, t)
		}
	}
}

// seconds reads X or XPath (JSONPath) or X as a number or JSONata string.
func (p *parser) seconds(f fields, k, ql string) *Template {
	if f.has(k) && f.has(k+"Path") {
		p.add(f.at, codeSchema, "use only one of %s and %sPath", k, k)
	}
	if v, ok := f.m[k]; ok {
		if s, isStr := v.(string); isStr && ql == JSONata {
			return p.compileJSONataTemplate(s, f.at+"."+k)
		}
		if n, ok := f.integer(k, 1, 99999999); ok {
			return &Template{kind: tLit, lit: intNumber(n)}
		}
		return nil
	}
	if path, _ := f.path(k+"Path", true); path != nil {
		return &Template{kind: tPath, path: path}
	}
	return nil
}
