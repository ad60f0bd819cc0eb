package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

// Pattern is a compiled EventBridge event pattern. It is immutable and safe
// for concurrent use.
type Pattern struct {
	root *object
	src  string
}

// object is a pattern object: every field must match (AND), and each $or
// group must have at least one alternative that matches the same event
// object.
type object struct {
	fields []field
	ors    [][]*object
}

// field is one key of a pattern object: either a nested object or a list
// of leaf matchers of which one must match (OR).
type field struct {
	name   string
	nested *object
	leaf   []matcher
}

// PatternError is a pattern that does not compile. Reason says what is
// wrong and where; Error gives the text EventBridge's
// InvalidEventPatternException carries ("Event pattern is not valid.
// Reason: ...").
type PatternError struct {
	Reason string
}

func (e *PatternError) Error() string { return "Event pattern is not valid. Reason: " + e.Reason }

// maxPatternDepth bounds nesting so that a hostile pattern cannot exhaust
// the stack; real patterns are a few levels deep.
const maxPatternDepth = 64

// CompilePattern parses and checks an event pattern (a JSON object whose
// leaves are arrays of values or match expressions). It returns a
// *PatternError naming the offending field for a pattern EventBridge would
// refuse.
func CompilePattern(src []byte) (*Pattern, error) {
	d := json.NewDecoder(bytes.NewReader(src))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, &PatternError{Reason: "the pattern is not valid JSON: " + err.Error()}
	}
	if d.More() {
		return nil, &PatternError{Reason: "the pattern has text after its JSON object"}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &PatternError{Reason: "the pattern must be a JSON object such as {\"source\": [\"my.app\"]}"}
	}
	root, err := compileObject(m, "", 0)
	if err != nil {
		return nil, err
	}
	return &Pattern{root: root, src: string(src)}, nil
}

// String returns the pattern's source text.
func (p *Pattern) String() string { return p.src }

func errAt(path, format string, args ...any) error {
	where := path
	if where == "" {
		where = "the top level"
	}
	return &PatternError{Reason: fmt.Sprintf(format, args...) + " (at " + where + ")"}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func compileObject(m map[string]any, path string, depth int) (*object, error) {
	if depth > maxPatternDepth {
		return nil, errAt(path, "the pattern nests deeper than %d levels", maxPatternDepth)
	}
	if len(m) == 0 {
		return nil, errAt(path, "Empty objects are not allowed")
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	o := &object{}
	for _, name := range names {
		v := m[name]
		p := join(path, name)
		if list, ok := v.([]any); ok && name == "$or" && len(list) == 1 {
			if m, ok := list[0].(map[string]any); ok && !hasOperator(m) {
				return nil, errAt(p, "$or needs at least two pattern objects, e.g. \"$or\": [{\"a\": [\"x\"]}, {\"b\": [\"y\"]}]")
			}
		}
		if name == "$or" && isOr(v) {
			alts, err := compileOr(v, p, depth)
			if err != nil {
				return nil, err
			}
			o.ors = append(o.ors, alts)
			continue
		}
		switch v := v.(type) {
		case map[string]any:
			sub, err := compileObject(v, p, depth+1)
			if err != nil {
				return nil, err
			}
			o.fields = append(o.fields, field{name: name, nested: sub})
		case []any:
			if len(v) == 0 {
				return nil, errAt(p, "Empty arrays are not allowed: list at least one value or match expression, e.g. [\"value\"] or [{\"exists\": true}]")
			}
			f := field{name: name}
			for _, el := range v {
				mt, err := compileMatcher(el, p)
				if err != nil {
					return nil, err
				}
				f.leaf = append(f.leaf, mt)
			}
			o.fields = append(o.fields, f)
		default:
			return nil, errAt(p, "%q must be an object or an array: write [%s] to match that value", name, jsonText(v))
		}
	}
	return o, nil
}

// operators are the match expression keys; an object using one as a field
// name is a match expression, not a pattern object.
var operators = map[string]bool{
	"prefix": true, "suffix": true, "anything-but": true, "numeric": true, "exists": true,
	"equals-ignore-case": true, "wildcard": true, "cidr": true,
}

// isOr says whether a "$or" key is the OR primitive: an array of two or
// more pattern objects. Otherwise, as in EventBridge's rule engine, "$or" is
// an ordinary field name (patterns written before the primitive existed
// keep working).
func isOr(v any) bool {
	list, ok := v.([]any)
	if !ok || len(list) < 2 {
		return false
	}
	for _, el := range list {
		m, ok := el.(map[string]any)
		if !ok || hasOperator(m) {
			return false
		}
	}
	return true
}

func hasOperator(m map[string]any) bool {
	for k := range m {
		if operators[k] {
			return true
		}
	}
	return false
}

func compileOr(v any, path string, depth int) ([]*object, error) {
	list, ok := v.([]any)
	if !ok || len(list) < 2 {
		return nil, errAt(path, "$or must be an array of at least two pattern objects")
	}
	alts := make([]*object, 0, len(list))
	for i, el := range list {
		m, ok := el.(map[string]any)
		if !ok {
			return nil, errAt(fmt.Sprintf("%s[%d]", path, i), "each $or alternative must be a pattern object, got %s", jsonText(el))
		}
		o, err := compileObject(m, fmt.Sprintf("%s[%d]", path, i), depth+1)
		if err != nil {
			return nil, err
		}
		alts = append(alts, o)
	}
	return alts, nil
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	const max = 40
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}

// Match reports whether event (a JSON object, usually an Event) matches
// the pattern. Text that is not a JSON object matches nothing.
func (p *Pattern) Match(event []byte) bool {
	v, ok := decodeEvent(event)
	return ok && p.matchValue(v)
}

func decodeEvent(event []byte) (map[string]any, bool) {
	d := json.NewDecoder(bytes.NewReader(event))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil || m == nil {
		return nil, false
	}
	return m, true
}

func (p *Pattern) matchValue(ev map[string]any) bool { return p.root.match(ev) }

func (o *object) match(ev map[string]any) bool {
	for i := range o.fields {
		if !o.fields[i].match(ev) {
			return false
		}
	}
	for _, alts := range o.ors {
		if !slices.ContainsFunc(alts, func(a *object) bool { return a.match(ev) }) {
			return false
		}
	}
	return true
}

var emptyObject = map[string]any{}

func (f *field) match(ev map[string]any) bool {
	v, present := ev[f.name]
	if f.nested != nil {
		// EventBridge flattens arrays of objects: a nested pattern matches
		// when one element matches it as a whole. A path that leads nowhere
		// is matched as an empty object, so {"exists": false} below it
		// holds.
		switch v := v.(type) {
		case map[string]any:
			return f.nested.match(v)
		case []any:
			objs := collectObjects(v, nil)
			for _, m := range objs {
				if f.nested.match(m) {
					return true
				}
			}
			if len(objs) > 0 {
				return false
			}
		}
		return f.nested.match(emptyObject)
	}
	var leaves []any
	if present {
		leaves = collectLeaves(v, leaves)
	}
	for _, m := range f.leaf {
		if m.match(leaves) {
			return true
		}
	}
	return false
}

// collectObjects lists the objects in an array, arrays of arrays
// flattened.
func collectObjects(v []any, out []map[string]any) []map[string]any {
	for _, el := range v {
		switch el := el.(type) {
		case map[string]any:
			out = append(out, el)
		case []any:
			out = collectObjects(el, out)
		}
	}
	return out
}

// collectLeaves lists the leaf values at a path: the value itself, or the
// elements of an array (arrays of arrays are flattened). Objects are not
// leaves: comparison operators apply to leaf nodes only.
func collectLeaves(v any, out []any) []any {
	switch v := v.(type) {
	case map[string]any:
		return out
	case []any:
		for _, el := range v {
			out = collectLeaves(el, out)
		}
		return out
	default:
		return append(out, v)
	}
}

// mustString returns s as a string or an error naming the operator.
func mustString(v any, op, path string) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", errAt(path, "%s match pattern must be a string, got %s", op, jsonText(v))
	}
	return s, nil
}
