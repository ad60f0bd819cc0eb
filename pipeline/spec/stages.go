package spec

import (
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

func (p *parser) stages(n *yaml.Node, pl *Pipeline) {
	list := p.seq(n, "stages")
	if n.Kind == yaml.SequenceNode && len(n.Content) == 0 {
		p.errorf(n, "stages is empty: a pipeline needs at least one stage")
	}
	if len(list) > maxStages {
		p.errorf(n, "%d stages: a pipeline has at most %d", len(list), maxStages)
	}
	seen := map[string]bool{}
	for _, c := range list {
		fs, ok := p.fields(c, "stage", []string{"name", "actions"})
		if !ok {
			continue
		}
		st := Stage{Line: c.Line}
		var actions *yaml.Node
		for _, f := range fs {
			switch f.key.Value {
			case "name":
				if s, ok := p.str(f.val, "stage name"); ok {
					if !stepName.MatchString(s) {
						p.errorf(f.val, "stage name %q: use 1 to 36 of A-Z a-z 0-9 . @ _ -", s)
					} else if seen[s] {
						p.errorf(f.val, "stage %q is defined twice", s)
					}
					seen[s] = true
					st.Name = s
				}
			case "actions":
				actions = f.val
			}
		}
		if !keys(c)["name"] {
			p.errorf(c, "stage: name is required")
		}
		if actions == nil && !keys(c)["actions"] {
			p.errorf(c, "stage %q: actions is required (a list with at least one action)", st.Name)
		} else {
			p.actionList(actions, &st, len(pl.Stages))
		}
		pl.Stages = append(pl.Stages, st)
	}
}

func (p *parser) actionList(n *yaml.Node, st *Stage, stage int) {
	list := p.seq(n, "actions")
	if n.Kind == yaml.SequenceNode && len(n.Content) == 0 {
		p.errorf(n, "stage %q: actions is empty: a stage needs at least one action", st.Name)
	}
	if len(list) > maxActions {
		p.errorf(n, "stage %q has %d actions: a stage has at most %d", st.Name, len(list), maxActions)
	}
	seen := map[string]bool{}
	var parsed []*parsedAction
	for _, c := range list {
		pa := p.action(c, stage)
		if pa == nil {
			continue
		}
		if pa.a.Name != "" {
			if seen[pa.a.Name] {
				p.errorf(c, "stage %q: action %q is defined twice", st.Name, pa.a.Name)
			}
			seen[pa.a.Name] = true
		}
		parsed = append(parsed, pa)
	}
	// Run order first, file order within one run order (stable).
	sort.SliceStable(parsed, func(i, j int) bool { return parsed[i].a.RunOrder < parsed[j].a.RunOrder })
	for _, pa := range parsed {
		st.Actions = append(st.Actions, *pa.a)
		pa.a = &st.Actions[len(st.Actions)-1]
	}
	p.actions = append(p.actions, parsed...)
}

// CodePipeline's limits.
const (
	maxRunOrder = 999
	maxStages   = 50
	maxActions  = 50 // per stage
)

func (p *parser) action(n *yaml.Node, stage int) *parsedAction {
	fs, ok := p.fields(n, "action", []string{"name", "kind", "namespace", "run_order", "timeout", "with"})
	if !ok {
		return nil
	}
	a := &Action{RunOrder: 1, With: map[string]string{}, Line: n.Line}
	pa := &parsedAction{a: a, stage: stage, node: n, with: map[string]*yaml.Node{}, where: map[string]*yaml.Node{}}
	var with, timeout *yaml.Node
	for _, f := range fs {
		switch f.key.Value {
		case "with":
			with = f.val
			continue
		case "timeout":
			timeout = f.val
		}
		v, ok := p.str(f.val, "action "+f.key.Value)
		if !ok {
			continue
		}
		switch f.key.Value {
		case "name":
			if !stepName.MatchString(v) {
				p.errorf(f.val, "action name %q: use 1 to 36 of A-Z a-z 0-9 . @ _ -", v)
			}
			a.Name = v
		case "kind":
			pa.kind = f.val
			if _, ok := kinds[v]; !ok {
				p.errorf(f.val, "unknown action kind %q%s (known: %s)", v, suggest(v, Kinds()), strings.Join(Kinds(), ", "))
			}
			a.Kind = v
		case "namespace":
			if !validName(v) {
				p.errorf(f.val, "namespace %q: use 1 to 100 of A-Z a-z 0-9 @ _ -", v)
			} else if v == NamespacePipeline || v == NamespaceVariables || v == NamespaceRun {
				p.errorf(f.val, "namespace %q is reserved for built-in variables", v)
			}
			a.Namespace = v
		case "run_order":
			r, err := strconv.Atoi(v)
			if err != nil || r < 1 || r > maxRunOrder {
				p.errorf(f.val, "run_order %q must be a whole number from 1 to %d", v, maxRunOrder)
			}
			a.RunOrder = r
		case "timeout":
			if d, err := parseDuration(v); err != nil {
				p.errorf(f.val, "action timeout: %v", err)
			} else {
				a.Timeout = d
			}
		}
	}
	given := keys(n)
	if !given["name"] {
		p.errorf(n, "action: name is required")
	}
	if !given["kind"] {
		p.errorf(n, "action %q: kind is required (one of %s)", a.Name, strings.Join(Kinds(), ", "))
	}
	if timeout != nil && a.Kind == KindApproval {
		p.errorf(timeout, "action %q: an approval's timeout goes in with: timeout (it rejects the approval)", a.Name)
	}
	spec, known := kinds[a.Kind]
	if with != nil {
		var allowed []string
		if known {
			allowed = spec.keyNames()
		}
		wfs, _ := p.fields(with, "with", allowed)
		for _, f := range wfs {
			if v, ok := p.str(f.val, "with."+f.key.Value); ok {
				a.With[f.key.Value] = v
				pa.with[f.key.Value] = f.val
				pa.where[f.key.Value] = f.val
			}
		}
	}
	if known {
		for _, ks := range spec.keys {
			refused := with == nil && given["with"] // already reported
			if ks.required && !refused && (with == nil || !keys(with)[ks.name]) {
				p.errorf(n, "action %q (%s): with.%s is required", a.Name, a.Kind, ks.name)
			}
		}
	}
	return pa
}
