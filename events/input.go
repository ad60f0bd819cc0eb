package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// targetInput is what a target receives for the event raw.
func targetInput(t Target, raw []byte, d *delivery) (json.RawMessage, error) {
	switch {
	case t.Input != "":
		return json.RawMessage(t.Input), nil
	case t.InputPath != "":
		v, ok, err := extract(raw, t.InputPath)
		if err != nil {
			return nil, err
		}
		if !ok {
			return json.RawMessage("null"), nil
		}
		return v, nil
	case t.InputTransformer != nil:
		return transform(t.InputTransformer, raw, d)
	}
	return raw, nil
}

// pathStep is one step of a JSONPath: a member name or an array index.
type pathStep struct {
	name  string
	index int // -1 for a member
}

var pathName = regexp.MustCompile(`^[^.\[\]]+`)

// parsePath parses the JSONPath subset targets use: $, $.a.b, $.a[0].b.
func parsePath(p string) ([]pathStep, error) {
	rest, ok := strings.CutPrefix(p, "$")
	if !ok {
		return nil, errors.New("a path starts with $")
	}
	var steps []pathStep
	for rest != "" {
		switch rest[0] {
		case '.':
			name := pathName.FindString(rest[1:])
			if name == "" {
				return nil, fmt.Errorf("a member name is missing after %q", p[:len(p)-len(rest)+1])
			}
			steps = append(steps, pathStep{name: name, index: -1})
			rest = rest[1+len(name):]
		case '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, errors.New("an index is not closed with ]")
			}
			n, err := strconv.Atoi(rest[1:end])
			if err != nil || n < 0 {
				return nil, fmt.Errorf("index %q is not a non-negative number", rest[1:end])
			}
			steps = append(steps, pathStep{index: n})
			rest = rest[end+1:]
		default:
			return nil, fmt.Errorf("unexpected %q in the path", rest[0])
		}
	}
	return steps, nil
}

// extract returns the JSON at path in doc, and whether it exists.
func extract(doc []byte, path string) (json.RawMessage, bool, error) {
	steps, err := parsePath(path)
	if err != nil {
		return nil, false, err
	}
	cur := json.RawMessage(doc)
	var ok bool
	for _, s := range steps {
		if s.index < 0 {
			var m map[string]json.RawMessage
			if json.Unmarshal(cur, &m) != nil {
				return nil, false, nil
			}
			if cur, ok = m[s.name]; !ok {
				return nil, false, nil
			}
			continue
		}
		var a []json.RawMessage
		if json.Unmarshal(cur, &a) != nil || s.index >= len(a) {
			return nil, false, nil
		}
		cur = a[s.index]
	}
	return cur, true, nil
}

// reserved placeholders every template may use.
var reserved = map[string]bool{
	"aws.events.rule-arn":             true,
	"aws.events.rule-name":            true,
	"aws.events.event.ingestion-time": true,
	"aws.events.event":                true,
	"aws.events.event.json":           true,
}

func checkTransformer(tr *InputTransformer) error {
	if tr.InputTemplate == "" {
		return errors.New("InputTemplate is required")
	}
	if len(tr.InputPathsMap) > 100 {
		return errors.New("InputPathsMap has more than 100 entries")
	}
	sample := map[string]json.RawMessage{}
	for k, p := range tr.InputPathsMap {
		if reserved[k] {
			return fmt.Errorf("%s is a reserved placeholder", k)
		}
		if _, err := parsePath(p); err != nil {
			return fmt.Errorf("path %s (%q): %v", k, p, err)
		}
		sample[k] = json.RawMessage(`"x"`)
	}
	for k := range reserved {
		sample[k] = json.RawMessage(`"x"`)
	}
	// Fill it once with sample values so that a template that can never
	// give JSON is refused now rather than at every delivery.
	_, err := render(tr, sample)
	return err
}

// transform fills the template: <name> inside a JSON string is replaced by
// the value's text, elsewhere by the value's JSON (null when absent).
func transform(tr *InputTransformer, raw []byte, d *delivery) (json.RawMessage, error) {
	vals := map[string]json.RawMessage{}
	for k, p := range tr.InputPathsMap {
		v, found, err := extract(raw, p)
		if err != nil {
			return nil, err
		}
		if found {
			vals[k] = v
		}
	}
	str := func(s string) json.RawMessage { b, _ := json.Marshal(s); return b }
	vals["aws.events.rule-arn"] = str(d.RuleARN)
	vals["aws.events.rule-name"] = str(d.Rule)
	vals["aws.events.event.ingestion-time"] = str(d.Event.Time)
	vals["aws.events.event"] = raw
	vals["aws.events.event.json"] = raw
	return render(tr, vals)
}

// render fills tr's template with vals (by placeholder name).
func render(tr *InputTransformer, vals map[string]json.RawMessage) (json.RawMessage, error) {
	tpl := tr.InputTemplate
	// A template that is not JSON (an object, array or string) is plain
	// text: every value goes in as text, and the result is sent as a JSON
	// string.
	trimmed := strings.TrimSpace(tpl)
	text := trimmed == "" || !strings.ContainsRune(`{["`, rune(trimmed[0]))
	var out bytes.Buffer
	inString := text
	for i := 0; i < len(tpl); i++ {
		c := tpl[i]
		switch {
		case c == '\\' && inString && i+1 < len(tpl):
			out.WriteByte(c)
			i++
			out.WriteByte(tpl[i])
			continue
		case c == '"' && !text:
			inString = !inString
		case c == '<':
			end := strings.IndexByte(tpl[i:], '>')
			if end > 0 {
				name := tpl[i+1 : i+end]
				_, known := tr.InputPathsMap[name]
				if known || reserved[name] {
					writeValue(&out, vals[name], inString, text)
					i += end
					continue
				}
			}
		}
		out.WriteByte(c)
	}
	res := out.Bytes()
	if text {
		return json.Marshal(string(res))
	}
	if !json.Valid(res) {
		return nil, fmt.Errorf("InputTemplate does not give valid JSON once filled (%.200s); put text placeholders inside quotes", res)
	}
	return res, nil
}

// writeValue inserts a value: its JSON outside strings, its text escaped
// for a JSON string inside one, its bare text in a plain text template.
func writeValue(out *bytes.Buffer, v json.RawMessage, inString, text bool) {
	if !inString {
		if v == nil {
			out.WriteString("null")
			return
		}
		out.Write(v)
		return
	}
	raw := text
	s := string(v)
	var str string
	if json.Unmarshal(v, &str) == nil {
		s = str
	}
	if raw {
		out.WriteString(s)
		return
	}
	b, _ := json.Marshal(s)
	out.Write(b[1 : len(b)-1])
}
