package asl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
)

// MaxDefinitionSize is the cloud's limit on a definition (1 MiB).
const MaxDefinitionSize = 1 << 20

// Parse reads and validates a state machine definition. On failure the error
// is a *ValidationError listing every problem found, each with its location.
func Parse(def []byte) (*Definition, error) {
	p := &parser{def: &Definition{}, allNames: map[string]string{}}
	if len(def) > MaxDefinitionSize {
		p.add("$", codeSchema, "the definition is %d bytes; the limit is %d", len(def), MaxDefinitionSize)
		return nil, &ValidationError{Problems: p.probs}
	}
	v, err := decodeStrict(def, p)
	if err != nil {
		p.add("$", codeInvalidJSON, "the definition is not valid JSON: %v", err)
		return nil, &ValidationError{Problems: p.probs}
	}
	top, ok := v.(map[string]any)
	if !ok {
		p.add("$", codeSchema, "the definition must be a JSON object, got %s", typeName(v))
		return nil, &ValidationError{Problems: p.probs}
	}
	f := fields{p: p, m: top, at: "$"}
	f.allow("the top level", setOf("Comment", "StartAt", "States", "TimeoutSeconds", "Version", "QueryLanguage"))
	d := p.def
	d.Comment, _ = f.str("Comment")
	d.Version, _ = f.str("Version")
	if d.Version != "" && d.Version != "1.0" {
		p.add("$.Version", codeSchema, "Version must be \"1.0\", got %q", d.Version)
	}
	d.QueryLanguage = JSONPath
	if ql, ok := f.str("QueryLanguage"); ok {
		if ql != JSONPath && ql != JSONata {
			p.add("$.QueryLanguage", codeSchema, "QueryLanguage must be \"JSONPath\" or \"JSONata\", got %q", ql)
		} else {
			d.QueryLanguage = ql
		}
	}
	if n, ok := f.integer("TimeoutSeconds", 0, 99999999); ok {
		d.TimeoutSeconds = n
	}
	d.Root = p.machine(top, "$", d.QueryLanguage)
	if len(p.probs) > 0 {
		sort.SliceStable(p.probs, func(i, j int) bool { return p.probs[i].Path < p.probs[j].Path })
		return nil, &ValidationError{Problems: p.probs}
	}
	return d, nil
}

// machine parses StartAt and States of the top level, a branch or a processor.
func (p *parser) machine(m map[string]any, at, ql string) *Machine {
	mc := &Machine{ID: len(p.def.machines), States: map[string]*State{}}
	p.def.machines = append(p.def.machines, mc)
	f := fields{p: p, m: m, at: at}
	start, ok := f.str("StartAt")
	if !ok && !f.has("StartAt") {
		p.add(at, codeSchema, "StartAt is required: name the state to run first")
	}
	mc.StartAt = start
	raw, ok := m["States"]
	if !ok {
		p.add(at, codeSchema, "States is required: an object of state names to states")
		return mc
	}
	states, ok := raw.(map[string]any)
	if !ok {
		p.add(at+".States", codeSchema, "States must be an object, got %s", typeName(raw))
		return mc
	}
	if len(states) == 0 {
		p.add(at+".States", codeSchema, "States must hold at least one state")
	}
	mc.Order = sortedKeys(states)
	for _, name := range mc.Order {
		sat := at + ".States" + pathKey(name)
		if len(name) == 0 || len(name) > 80 {
			p.add(sat, codeSchema, "state names must be 1 to 80 characters long")
		}
		if first, dup := p.allNames[name]; dup {
			p.add(sat, codeDuplicate, "state name %q is already used at %s; names must be unique across the whole state machine, branches included", name, first)
		} else {
			p.allNames[name] = sat
		}
		sm, ok := states[name].(map[string]any)
		if !ok {
			p.add(sat, codeSchema, "a state must be an object, got %s", typeName(states[name]))
			continue
		}
		mc.States[name] = p.state(name, sm, sat, ql)
	}
	if start != "" && len(states) > 0 {
		if _, ok := states[start]; !ok {
			p.add(at+".StartAt", codeMissingTarget, "StartAt names %q, which is not a state in States", start)
		}
	}
	p.checkGraph(mc, at)
	return mc
}

// checkGraph finds transitions to unknown states and unreachable states.
func (p *parser) checkGraph(mc *Machine, at string) {
	for _, name := range mc.Order {
		s := mc.States[name]
		if s == nil {
			continue
		}
		for _, t := range transitions(s) {
			if _, ok := mc.States[t.to]; !ok && t.to != "" {
				p.add(at+".States"+pathKey(name)+t.field, codeMissingTarget, "state %q moves to %q, which is not a state of this machine (a branch or item processor can only reach its own states)", name, t.to)
			}
		}
	}
	if _, ok := mc.States[mc.StartAt]; !ok {
		return
	}
	seen := map[string]bool{mc.StartAt: true}
	queue := []string{mc.StartAt}
	for len(queue) > 0 {
		s := mc.States[queue[0]]
		queue = queue[1:]
		if s == nil {
			continue
		}
		for _, t := range transitions(s) {
			if !seen[t.to] {
				seen[t.to] = true
				queue = append(queue, t.to)
			}
		}
	}
	for _, name := range mc.Order {
		if !seen[name] {
			p.add(at+".States"+pathKey(name), codeUnreachable, "state %q cannot be reached from StartAt %q; remove it or add a transition to it", name, mc.StartAt)
		}
	}
}

// decodeStrict decodes JSON keeping numbers exact and reports duplicate
// object keys, which encoding/json would silently merge.
func decodeStrict(b []byte, p *parser) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	v, err := readValue(d, "$", p)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err == nil {
		return nil, fmt.Errorf("unexpected data after the definition object")
	}
	return v, nil
}

func readValue(d *json.Decoder, at string, p *parser) (any, error) {
	t, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch t {
	case json.Delim('{'):
		m := map[string]any{}
		for d.More() {
			kt, err := d.Token()
			if err != nil {
				return nil, err
			}
			k := kt.(string)
			v, err := readValue(d, at+"."+k, p)
			if err != nil {
				return nil, err
			}
			if _, dup := m[k]; dup {
				code := codeSchema
				if len(at) > 7 && at[len(at)-7:] == ".States" {
					code = codeDuplicate
				}
				p.add(at+"."+k, code, "field %q appears more than once in the same object", k)
			}
			m[k] = v
		}
		_, err := d.Token()
		return m, err
	case json.Delim('['):
		a := []any{}
		for i := 0; d.More(); i++ {
			v, err := readValue(d, fmt.Sprintf("%s[%d]", at, i), p)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		_, err := d.Token()
		return a, err
	}
	return t, nil
}

type transition struct{ field, to string }

func transitions(s *State) []transition {
	var out []transition
	if s.Next != "" {
		out = append(out, transition{".Next", s.Next})
	}
	if s.Default != "" {
		out = append(out, transition{".Default", s.Default})
	}
	for i, c := range s.Choices {
		out = append(out, transition{fmt.Sprintf(".Choices[%d].Next", i), c.Next})
	}
	for i, c := range s.Catch {
		out = append(out, transition{fmt.Sprintf(".Catch[%d].Next", i), c.Next})
	}
	return out
}
