package spec

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// check runs the rules that span the whole definition once every part has
// been read: namespaces, defaults drawn from earlier actions, references,
// values.
func (p *parser) check(pl *Pipeline) {
	owner := map[string]*parsedAction{}
	for _, pa := range p.actions {
		ns := pa.a.Namespace
		if ns == "" {
			continue
		}
		if prev, dup := owner[ns]; dup {
			p.errorf(pa.node, "action %q: namespace %q is already used by action %q in stage %q; namespaces are unique in a pipeline",
				pa.a.Name, ns, prev.a.Name, pl.Stages[prev.stage].Name)
			continue
		}
		owner[ns] = pa
	}
	for _, pa := range p.actions {
		p.defaults(pl, pa)
		p.rules(pl, pa)
		p.values(pl, pa, owner)
	}
	if len(pl.Stages) > 0 && len(pl.Sources) > 0 {
		used := map[string]bool{}
		for _, pa := range p.actions {
			if pa.a.Kind == KindSourceGit {
				used[pa.a.With["source"]] = true
			}
		}
		for _, s := range pl.Sources {
			if !used[s.Name] {
				p.errorf(p.sources[s.Name], "source %q is not checked out by any source.git action", s.Name)
			}
		}
	}
}

// before reports whether action a runs before action b: in an earlier
// stage, or earlier in the same stage.
func before(a, b *parsedAction) bool {
	return a.stage < b.stage || a.stage == b.stage && a.a.RunOrder < b.a.RunOrder
}

// earlier lists the actions of kind that run before pa.
func (p *parser) earlier(pa *parsedAction, kind string) []*parsedAction {
	var out []*parsedAction
	for _, o := range p.actions {
		if o.a.Kind == kind && before(o, pa) {
			out = append(out, o)
		}
	}
	return out
}

// setDefault fills in key unless the action gives it; from is the node a
// problem with the default's value points at.
func (pa *parsedAction) setDefault(key, v string, from *yaml.Node) {
	if _, ok := pa.a.With[key]; ok {
		return
	}
	pa.a.With[key] = v
	pa.where[key] = from
}

func (p *parser) defaults(pl *Pipeline, pa *parsedAction) {
	spec, ok := kinds[pa.a.Kind]
	if !ok {
		return
	}
	for _, ks := range spec.keys {
		if ks.def != "" {
			pa.setDefault(ks.name, ks.def, pa.node)
		}
	}
	a := pa.a
	switch a.Kind {
	case KindSourceGit:
		if _, ok := a.With["source"]; !ok {
			switch len(pl.Sources) {
			case 0:
				p.errorf(pa.node, "action %q: source.git needs a source: add one under sources (name, repo, branch)", a.Name)
			case 1:
				pa.setDefault("source", pl.Sources[0].Name, pa.node)
			default:
				p.errorf(pa.node, "action %q: with.source is required when the pipeline has several sources", a.Name)
			}
		}
	case KindBuild:
		if _, ok := a.With["source"]; !ok {
			srcs := p.earlier(pa, KindSourceGit)
			if len(srcs) == 1 {
				pa.setDefault("source", srcs[0].a.With["source"], pa.node)
			} else {
				p.errorf(pa.node, "action %q: with.source is required: name the source whose checkout this build runs in (%d source.git actions run before it)", a.Name, len(srcs))
			}
		}
	case KindDeploy:
		if _, ok := a.With["dir"]; !ok {
			builds := p.earlier(pa, KindBuild)
			switch {
			case len(builds) == 1 && builds[0].a.Namespace != "":
				pa.setDefault("dir", "#{"+builds[0].a.Namespace+".ArtifactsDir}", pa.node)
			case len(builds) == 1:
				p.errorf(pa.node, "action %q: with.dir is required, or give the build action %q a namespace so its artifacts are deployed", a.Name, builds[0].a.Name)
			default:
				p.errorf(pa.node, "action %q: with.dir is required: the directory to upload, e.g. #{Build.ArtifactsDir} (%d build actions run before it)", a.Name, len(builds))
			}
		}
	case KindApproval:
		if pl.Approval.Webhook != "" {
			pa.setDefault("webhook", pl.Approval.Webhook, p.approval["webhook"])
		}
		if pl.Approval.Timeout > 0 {
			pa.setDefault("timeout", formatDuration(pl.Approval.Timeout), p.approval["timeout"])
		}
	}
}

// formatDuration writes d the short way a person would (24h, 1m30s).
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// rules are the cross-key rules of one action.
func (p *parser) rules(pl *Pipeline, pa *parsedAction) {
	a := pa.a
	switch a.Kind {
	case KindSourceGit:
		s, ok := a.With["source"]
		switch {
		case !ok || p.sources[s] != nil:
		case len(pl.Sources) == 0:
			p.errorf(pa.where["source"], "action %q: no source is named %q: add it under sources (name, repo, branch)", a.Name, s)
		default:
			p.errorf(pa.where["source"], "action %q: no source is named %q (sources: %s)", a.Name, s, sourceNames(pl))
		}
	case KindBuild:
		s, ok := a.With["source"]
		if !ok || pa.with["source"] == nil {
			break
		}
		found := false
		for _, o := range p.earlier(pa, KindSourceGit) {
			found = found || o.a.With["source"] == s
		}
		if !found {
			p.errorf(pa.where["source"], "action %q: no source.git action before it checks out source %q", a.Name, s)
		}
	case KindReleaseStage:
		_, header := a.With["header"]
		_, weight := a.With["weight"]
		_, idle := a.With["sticky_idle"]
		_, max := a.With["sticky_max"]
		switch {
		case header && weight:
			p.errorf(pa.where["weight"], "action %q: give either header or weight, not both", a.Name)
		case !header && !weight:
			p.errorf(pa.node, "action %q: release.stage needs with.header (NAME=VALUE, e.g. aws-cf-cd-env=staging) or with.weight (e.g. 0.1)", a.Name)
		}
		if (idle || max) && !weight {
			p.errorf(pa.node, "action %q: sticky_idle and sticky_max apply to weight routing only", a.Name)
		}
		if idle != max {
			p.errorf(pa.node, "action %q: give both sticky_idle and sticky_max (e.g. 300s and 3600s), or neither", a.Name)
		}
		if idle && max {
			i, err1 := parseDuration(a.With["sticky_idle"])
			m, err2 := parseDuration(a.With["sticky_max"])
			if err1 == nil && err2 == nil && i > m {
				p.errorf(pa.where["sticky_idle"], "action %q: sticky_idle %v is longer than sticky_max %v", a.Name, i, m)
			}
		}
	}
}

func sourceNames(pl *Pipeline) string {
	var s []string
	for _, src := range pl.Sources {
		s = append(s, src.Name)
	}
	return strings.Join(s, ", ")
}

// builtinVars are the variables of the namespace the compiled machine sets.
var builtinVars = []string{"PipelineExecutionId", "PipelineName"}

// values checks every with value: its references and, when it has none,
// its form.
func (p *parser) values(pl *Pipeline, pa *parsedAction, owner map[string]*parsedAction) {
	spec, ok := kinds[pa.a.Kind]
	if !ok {
		return
	}
	keys := make([]string, 0, len(pa.a.With))
	for k := range pa.a.With {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, n := pa.a.With[k], pa.where[k]
		what := fmt.Sprintf("action %q: with.%s", pa.a.Name, k)
		p.references(pl, pa, n, what, v, owner)
		ks, _ := spec.key(k)
		if ks.static && strings.Contains(v, "#{") {
			p.errorf(n, "%s cannot use variables: the pipeline needs its value before the run starts", what)
			continue
		}
		if ks.check != nil {
			p.checkValue(n, what, v, ks.check)
		}
	}
	if pa.a.Kind == KindStepFunctions {
		if err := jsonTemplate(pa.a.With["input"]); err != nil {
			p.errorf(pa.where["input"], "action %q: with.input %v", pa.a.Name, err)
		}
	}
}

// checkValue runs check on a value without references; one with
// references is checked by the action at run time, once expanded.
func (p *parser) checkValue(n *yaml.Node, what, v string, check func(string) error) {
	if strings.Contains(v, "#{") {
		return
	}
	if err := check(v); err != nil {
		p.errorf(n, "%s: %v", what, err)
	}
}

// references reports each #{Ns.Var} in v that the action cannot read.
func (p *parser) references(pl *Pipeline, pa *parsedAction, n *yaml.Node, what, v string, owner map[string]*parsedAction) {
	scan(v, func(r Ref, ok bool) {
		line, col := refPos(n, pa.owns(n), r.Offset)
		bad := func(format string, args ...any) {
			p.problems = append(p.problems, Problem{File: p.file, Line: line, Column: col, Msg: what + ": " + fmt.Sprintf(format, args...)})
		}
		if !ok {
			bad("%q is not a variable reference: write #{Namespace.Variable}", clip(v[r.Offset:r.Offset+r.Len]))
			return
		}
		switch r.Namespace {
		case NamespacePipeline, NamespaceVariables:
			if _, ok := pl.Variables[r.Var]; !ok {
				bad("unknown variable %s: the pipeline declares no variable %q under variables", r, r.Var)
			}
			return
		case NamespaceRun:
			if !contains(builtinVars, r.Var) {
				bad("unknown variable %s: the codepipeline namespace has %s", r, strings.Join(builtinVars, ", "))
			}
			return
		}
		o := owner[r.Namespace]
		switch {
		case o == nil:
			names := []string{NamespacePipeline, NamespaceVariables, NamespaceRun}
			for ns := range owner {
				names = append(names, ns)
			}
			sort.Strings(names)
			bad("unknown variable %s: no action has namespace %q%s", r, r.Namespace, suggest(r.Namespace, names))
		case o == pa:
			bad("%s is this action's own output; only later actions can read it", r)
		case o.stage > pa.stage:
			bad("%s is set by action %q in stage %q, which runs after this one", r, o.a.Name, pl.Stages[o.stage].Name)
		case !before(o, pa):
			bad("%s is set by action %q, which runs at the same time or after this one (run_order %d, this one %d)", r, o.a.Name, o.a.RunOrder, pa.a.RunOrder)
		default:
			outs, any := Outputs(o.a.Kind)
			if !any && !contains(outs, r.Var) {
				bad("unknown variable %s%s: a %s action sets %s", r, suggest(r.Var, outs), o.a.Kind, strings.Join(outs, ", "))
			}
		}
	})
}

// owns reports whether n is a value the action wrote in its with:.
func (pa *parsedAction) owns(n *yaml.Node) bool {
	for _, v := range pa.with {
		if v == n {
			return true
		}
	}
	return false
}

// refPos locates byte offset off of a scalar's value in the file: exact for
// one-line plain and simply quoted scalars the action wrote itself, the
// scalar's start otherwise (a filled-in default points at its origin).
func refPos(n *yaml.Node, own bool, off int) (int, int) {
	if !own || strings.Contains(n.Value, "\n") {
		return n.Line, n.Column
	}
	switch n.Style {
	case 0:
		return n.Line, n.Column + off
	case yaml.SingleQuotedStyle, yaml.DoubleQuotedStyle:
		if !strings.ContainsAny(n.Value[:off], `\'"`) {
			return n.Line, n.Column + 1 + off
		}
	}
	return n.Line, n.Column
}

func sortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Line != ps[j].Line {
			return ps[i].Line < ps[j].Line
		}
		return ps[i].Column < ps[j].Column
	})
}
