package asl

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
)

func (p *parser) mapState(s *State, f fields) {
	key := "ItemProcessor"
	if f.has("Iterator") {
		key = "Iterator"
		if f.has("ItemProcessor") {
			p.add(f.at, codeSchema, "use ItemProcessor or the older Iterator, not both")
		}
	}
	m, ok := f.m[key].(map[string]any)
	if !ok {
		p.add(f.at, codeSchema, "a Map state needs ItemProcessor: an object with StartAt and States")
	} else {
		pf := fields{p: p, m: m, at: f.at + "." + key}
		pf.allow("an item processor", setOf("StartAt", "States", "Comment", "ProcessorConfig", "QueryLanguage"))
		if cfg, ok := m["ProcessorConfig"].(map[string]any); ok {
			if mode, ok := cfg["Mode"].(string); ok && mode != "INLINE" && mode != "DISTRIBUTED" {
				p.add(pf.at+".ProcessorConfig.Mode", codeSchema, "Mode must be INLINE or DISTRIBUTED, got %q", mode)
			}
			s.Distributed = cfg["Mode"] == "DISTRIBUTED"
		}
		s.Processor = p.machine(m, pf.at, s.QueryLanguage)
	}
	if f.has("Parameters") && f.has("ItemSelector") {
		p.add(f.at, codeSchema, "use ItemSelector or the older Parameters, not both")
	}
	if s.Parameters != nil {
		s.ItemSelector, s.Parameters = s.Parameters, nil
	}
	if v, ok := f.m["ItemSelector"]; ok {
		if s.QueryLanguage == JSONata {
			s.ItemSelector = p.compileJSONataTemplate(v, f.at+".ItemSelector")
		} else {
			s.ItemSelector = p.payload(v, f.at+".ItemSelector")
		}
	}
	s.ItemsPath, _ = f.path("ItemsPath", true)
	if v, ok := f.m["Items"]; ok {
		s.Items = p.compileJSONataTemplate(v, f.at+".Items")
	}
	s.MaxConcurrency = p.limit(f, "MaxConcurrency", 0, math.MaxInt32, s.QueryLanguage)
	s.ToleratedFailureCount = p.limit(f, "ToleratedFailureCount", 0, math.MaxInt32, s.QueryLanguage)
	s.ToleratedFailurePercentage = p.limit(f, "ToleratedFailurePercentage", 0, 100, s.QueryLanguage)
	s.Batcher = p.batcher(f, s.QueryLanguage)
	s.ItemReader = p.integration(f, "ItemReader", "ReaderConfig", s.QueryLanguage)
	s.ResultWriter = p.integration(f, "ResultWriter", "WriterConfig", s.QueryLanguage)
}

// batcher parses ItemBatcher.
func (p *parser) batcher(f fields, ql string) *Batcher {
	v, ok := f.m["ItemBatcher"]
	if !ok {
		return nil
	}
	m, ok := v.(map[string]any)
	at := f.at + ".ItemBatcher"
	if !ok {
		p.add(at, codeSchema, "ItemBatcher must be an object")
		return nil
	}
	bf := fields{p: p, m: m, at: at}
	bf.allow("ItemBatcher", setOf("MaxItemsPerBatch", "MaxItemsPerBatchPath", "MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath", "BatchInput"))
	b := &Batcher{
		MaxItems: p.limit(bf, "MaxItemsPerBatch", 1, math.MaxInt32, ql),
		MaxBytes: p.limit(bf, "MaxInputBytesPerBatch", 1, MaxPayloadSize, ql),
	}
	if b.MaxItems == nil && b.MaxBytes == nil {
		p.add(at, codeSchema, "ItemBatcher needs MaxItemsPerBatch or MaxInputBytesPerBatch (or their Path forms)")
	}
	if in, ok := m["BatchInput"]; ok {
		if ql == JSONata {
			b.BatchInput = p.compileJSONataTemplate(in, at+".BatchInput")
		} else {
			b.BatchInput = p.payload(in, at+".BatchInput")
		}
	}
	return b
}

// integration parses an ItemReader or ResultWriter object.
func (p *parser) integration(f fields, k, configKey, ql string) *Integration {
	v, ok := f.m[k]
	if !ok {
		return nil
	}
	m, ok := v.(map[string]any)
	at := f.at + "." + k
	if !ok {
		p.add(at, codeSchema, "%s must be an object with Resource and Parameters", k)
		return nil
	}
	argsKey := "Parameters"
	if ql == JSONata {
		argsKey = "Arguments"
	}
	ff := fields{p: p, m: m, at: at}
	ff.allow("a "+k, setOf("Resource", argsKey, configKey))
	in := &Integration{}
	res, ok := ff.str("Resource")
	if !ok || !strings.HasPrefix(res, "arn:") {
		p.add(at, codeSchema, "%s needs Resource: an ARN such as arn:aws:states:::s3:getObject", k)
	}
	in.Resource = res
	if a, ok := m[argsKey]; ok {
		if ql == JSONata {
			in.Parameters = p.compileJSONataTemplate(a, at+"."+argsKey)
		} else {
			in.Parameters = p.payload(a, at+"."+argsKey)
		}
	}
	if c, ok := m[configKey]; ok {
		if _, isObj := c.(map[string]any); !isObj {
			p.add(at+"."+configKey, codeSchema, "%s must be an object", configKey)
		} else {
			in.Config = json.RawMessage(mustJSON(c))
		}
	}
	return in
}

func (p *parser) limit(f fields, k string, lo, hi int64, ql string) *Template {
	if f.has(k) && f.has(k+"Path") {
		p.add(f.at, codeSchema, "use only one of %s and %sPath", k, k)
	}
	if v, ok := f.m[k]; ok {
		if str, isStr := v.(string); isStr && ql == JSONata {
			return p.compileJSONataTemplate(str, f.at+"."+k)
		}
		if k == "ToleratedFailurePercentage" {
			if x, ok := f.number(k); ok && (x < 0 || x > 100) {
				p.add(f.at+"."+k, codeSchema, "%s must be from 0 to 100", k)
			}
			return &Template{kind: tLit, lit: v}
		}
		if n, ok := f.integer(k, lo, hi); ok {
			return &Template{kind: tLit, lit: intNumber(n)}
		}
		return nil
	}
	if path, _ := f.path(k+"Path", true); path != nil {
		return &Template{kind: tPath, path: path}
	}
	return nil
}

func (p *parser) errorEquals(f fields) []string {
	raw, ok := f.m["ErrorEquals"].([]any)
	if !ok || len(raw) == 0 {
		p.add(f.at, codeSchema, "ErrorEquals is required: a non-empty array of error names")
		return nil
	}
	var out []string
	for i, e := range raw {
		s, ok := e.(string)
		if !ok || s == "" {
			p.add(fmt.Sprintf("%s.ErrorEquals[%d]", f.at, i), codeSchema, "error names must be non-empty strings")
			continue
		}
		if isStatesError(s) && !knownErrors[s] {
			p.add(fmt.Sprintf("%s.ErrorEquals[%d]", f.at, i), codeSchema, "%q is not a predefined error; names starting with \"States.\" are reserved", s)
		}
		if s == ErrAll && len(raw) > 1 {
			p.add(fmt.Sprintf("%s.ErrorEquals[%d]", f.at, i), codeSchema, "States.ALL must appear alone in its ErrorEquals")
		}
		out = append(out, s)
	}
	return out
}

// checkAllLast reports a States.ALL entry that is not the last one.
func (p *parser) checkAllLast(at, what string, i, n int, names []string) {
	for _, e := range names {
		if e == ErrAll && i != n-1 {
			p.add(fmt.Sprintf("%s[%d]", at, i), codeSchema, "the %s with States.ALL must be the last one; entries after it can never match", what)
		}
	}
}

func (p *parser) retriers(f fields) []Retrier {
	v, ok := f.m["Retry"]
	if !ok {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		p.add(f.at+".Retry", codeSchema, "Retry must be an array of retriers")
		return nil
	}
	var out []Retrier
	for i, e := range list {
		at := fmt.Sprintf("%s.Retry[%d]", f.at, i)
		m, ok := e.(map[string]any)
		if !ok {
			p.add(at, codeSchema, "a retrier must be an object")
			continue
		}
		rf := fields{p: p, m: m, at: at}
		rf.allow("a retrier", setOf("ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy", "Comment"))
		r := Retrier{ErrorEquals: p.errorEquals(rf), IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2}
		p.checkAllLast(f.at+".Retry", "retrier", i, len(list), r.ErrorEquals)
		if n, ok := rf.integer("IntervalSeconds", 1, 99999999); ok {
			r.IntervalSeconds = float64(n)
		}
		if n, ok := rf.integer("MaxAttempts", 0, 99999999); ok {
			r.MaxAttempts = int(n)
		}
		if x, ok := rf.number("BackoffRate"); ok {
			if x < 1 {
				p.add(at+".BackoffRate", codeSchema, "BackoffRate must be at least 1.0, got %v", x)
			}
			r.BackoffRate = x
		}
		if n, ok := rf.integer("MaxDelaySeconds", 1, 31622400); ok {
			r.MaxDelaySeconds = float64(n)
		}
		if js, ok := rf.str("JitterStrategy"); ok {
			switch js {
			case "FULL":
				r.JitterFull = true
			case "NONE":
			default:
				p.add(at+".JitterStrategy", codeSchema, "JitterStrategy must be FULL or NONE, got %q", js)
			}
		}
		out = append(out, r)
	}
	return out
}

func (p *parser) catchers(f fields, ql string) []Catcher {
	v, ok := f.m["Catch"]
	if !ok {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		p.add(f.at+".Catch", codeSchema, "Catch must be an array of catchers")
		return nil
	}
	var out []Catcher
	for i, e := range list {
		at := fmt.Sprintf("%s.Catch[%d]", f.at, i)
		m, ok := e.(map[string]any)
		if !ok {
			p.add(at, codeSchema, "a catcher must be an object")
			continue
		}
		cf := fields{p: p, m: m, at: at}
		if ql == JSONata {
			cf.allow("a JSONata catcher", setOf("ErrorEquals", "Next", "Output", "Assign", "Comment"))
		} else {
			cf.allow("a JSONPath catcher", setOf("ErrorEquals", "Next", "ResultPath", "Assign", "Comment"))
		}
		c := Catcher{ErrorEquals: p.errorEquals(cf)}
		p.checkAllLast(f.at+".Catch", "catcher", i, len(list), c.ErrorEquals)
		next, ok := cf.str("Next")
		if !ok && !cf.has("Next") {
			p.add(at, codeSchema, "a catcher needs Next: the state to go to when it matches")
		}
		c.Next = next
		if ql == JSONata {
			if v, ok := m["Output"]; ok {
				c.Output = p.compileJSONataTemplate(v, at+".Output")
			}
		} else {
			c.ResultPath, c.DiscardResult = cf.path("ResultPath", true)
		}
		if v, ok := m["Assign"]; ok {
			c.Assign = p.assign(v, at+".Assign", ql)
		}
		out = append(out, c)
	}
	return out
}
