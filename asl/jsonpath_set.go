package asl

import "fmt"

// set returns a copy of root with val written at the reference path p,
// creating missing objects on the way. Maps and arrays on the path are copied,
// never modified, so values can be shared freely. It fails when the path runs
// into a value that is not an object (spec: States.ResultPathMatchFailure).
func (p *Path) set(root, val any) (any, error) {
	return setAt(root, p.segs, val)
}

func setAt(cur any, segs []segment, val any) (any, error) {
	if len(segs) == 0 {
		return val, nil
	}
	s := segs[0]
	switch s.kind {
	case segChild:
		if cur == nil {
			cur = map[string]any{}
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("cannot set field %q on a %s", s.name, typeName(cur))
		}
		next, err := setAt(m[s.name], segs[1:], val)
		if err != nil {
			return nil, err
		}
		out := make(map[string]any, len(m)+1)
		for k, v := range m {
			out[k] = v
		}
		out[s.name] = next
		return out, nil
	case segIndex:
		a, ok := cur.([]any)
		if !ok || s.index < 0 || s.index >= len(a) {
			return nil, fmt.Errorf("cannot set index %d: no such array element", s.index)
		}
		next, err := setAt(a[s.index], segs[1:], val)
		if err != nil {
			return nil, err
		}
		out := append([]any{}, a...)
		out[s.index] = next
		return out, nil
	}
	return nil, fmt.Errorf("not a reference path")
}

// missingAt returns the index of the first segment of a definite path that
// selects nothing, or -1.
func (p *Path) missingAt(sc Scope) int {
	if !p.definite || p.root != rootInput {
		return -1
	}
	cur := sc.Input
	for i, s := range p.segs {
		next, ok := child(cur, s)
		if !ok {
			return i
		}
		cur = next
	}
	return -1
}
