package spec

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/edgecd/edgecd/pipeline/internal/yamlnode"
)

// MaxSize is the largest definition Parse reads.
const MaxSize = 1 << 20

// Parse reads and checks a definition. It returns the pipeline, or nil and
// every problem found, each located in file, in file order.
func Parse(file string, data []byte) (pl *Pipeline, problems []Problem) {
	p := &parser{file: file}
	defer func() {
		// The YAML decoder is third-party code fed client input: a panic
		// in it must become a problem, not a crash.
		if r := recover(); r != nil {
			pl, problems = nil, []Problem{{File: file, Line: 1, Column: 1, Msg: fmt.Sprintf("cannot read the definition: %v", r)}}
		}
	}()
	if len(data) > MaxSize {
		return nil, []Problem{{File: file, Line: 1, Column: 1, Msg: fmt.Sprintf("definition is %d bytes, more than the %d accepted", len(data), MaxSize)}}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil && err != io.EOF {
		return nil, []Problem{yamlnode.Syntax(file, err)}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, []Problem{{File: file, Line: 1, Column: 1, Msg: "definition is empty: it needs at least name and stages"}}
	}
	var more yaml.Node
	if err := dec.Decode(&more); err == nil {
		p.errorf(&more, "a definition is one YAML document; remove the second one (after ---)")
	} else if err != io.EOF {
		p.problems = append(p.problems, yamlnode.Syntax(file, err))
	}
	pl = p.pipeline(doc.Content[0])
	p.check(pl)
	if len(p.problems) > 0 {
		sortProblems(p.problems)
		return nil, p.problems
	}
	return pl, nil
}

// parser collects problems while it walks the YAML tree. Besides the
// Pipeline it keeps the nodes later checks point at.
type parser struct {
	file     string
	problems []Problem
	actions  []*parsedAction
	sources  map[string]*yaml.Node // source name → its mapping
	approval map[string]*yaml.Node // the values of the approval mapping
}

// parsedAction is an action with the locations of what it was made of.
type parsedAction struct {
	a     *Action
	stage int
	node  *yaml.Node            // the action's mapping
	with  map[string]*yaml.Node // value nodes of with:, nil for filled-in defaults
	kind  *yaml.Node
	where map[string]*yaml.Node // a node to blame for each with key (the default's origin)
}

func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	p.problems = append(p.problems, yamlnode.At(p.file, n, fmt.Sprintf(format, args...)))
}

// field is one key of a mapping with its value node.
type field struct {
	key *yaml.Node
	val *yaml.Node
}

// fields reads mapping n, reporting a non-mapping, aliases, keys not in
// allowed (allowed == nil: any key) and duplicate keys. Keys come back
// in file order.
func (p *parser) fields(n *yaml.Node, what string, allowed []string) ([]field, bool) {
	if !p.plain(n) {
		return nil, false
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, true // "key:" with nothing after it: an empty mapping
	}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s must be a mapping (key: value lines)", what)
		return nil, false
	}
	var out []field
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !p.plain(k) || !p.plain(v) {
			continue
		}
		if k.Kind != yaml.ScalarNode {
			p.errorf(k, "%s: keys must be plain words", what)
			continue
		}
		if seen[k.Value] {
			p.errorf(k, "%s: %q is given twice", what, k.Value)
			continue
		}
		seen[k.Value] = true
		if allowed != nil && !contains(allowed, k.Value) {
			p.errorf(k, "%s: unknown key %q%s (known: %s)", what, k.Value, suggest(k.Value, allowed), strings.Join(allowed, ", "))
			continue
		}
		out = append(out, field{k, v})
	}
	return out, true
}

// keys lists the keys mapping n gives, valid or not, so that a refused
// value is not reported a second time as missing.
func keys(n *yaml.Node) map[string]bool {
	out := map[string]bool{}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			out[n.Content[i].Value] = true
		}
	}
	return out
}

// plain refuses anchors, aliases and merge keys: a definition is small,
// and expanding aliases is how YAML bombs work.
func (p *parser) plain(n *yaml.Node) bool {
	switch {
	case n.Kind == yaml.AliasNode:
		p.errorf(n, "YAML aliases (*%s) are not supported in a pipeline definition: write the value out", n.Value)
		return false
	case n.Anchor != "":
		p.errorf(n, "YAML anchors (&%s) are not supported in a pipeline definition", n.Anchor)
		return false
	case n.Tag == "!!merge":
		p.errorf(n, "YAML merge keys (<<) are not supported in a pipeline definition")
		return false
	}
	return true
}

// str reads a scalar as a string: numbers and booleans keep their text, so
// weight: 0.1 and delete: true read as "0.1" and "true".
func (p *parser) str(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errorf(n, "%s must be a string", what)
		return "", false
	}
	if n.Tag == "!!binary" {
		p.errorf(n, "%s must be text, not !!binary", what)
		return "", false
	}
	return n.Value, true
}

// seq reads a sequence node.
func (p *parser) seq(n *yaml.Node, what string) []*yaml.Node {
	if !p.plain(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "%s must be a list (lines starting with -)", what)
		return nil
	}
	var out []*yaml.Node
	for _, c := range n.Content {
		if p.plain(c) {
			out = append(out, c)
		}
	}
	return out
}

// duration reads a Go duration of at least one second, e.g. 30s, 5m, 24h.
func (p *parser) duration(n *yaml.Node, what string) (time.Duration, bool) {
	s, ok := p.str(n, what)
	if !ok {
		return 0, false
	}
	d, err := parseDuration(s)
	if err != nil {
		p.errorf(n, "%s: %v", what, err)
		return 0, false
	}
	return d, true
}

// maxDuration keeps timeouts inside what a States Language TimeoutSeconds
// can hold.
const maxDuration = 99999999 * time.Second

func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (write e.g. 30s, 15m or 24h)", s)
	}
	if d < time.Second || d > maxDuration {
		return 0, fmt.Errorf("%q is out of range: between 1s and %v", s, maxDuration)
	}
	return d, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Names.
var (
	pipelineName = regexp.MustCompile(`^[A-Za-z0-9.@_-]{1,100}$`)
	// Stage and action names are at most 36 characters so that the state
	// names built from them ("Stage/Action/Failed") fit the States
	// Language's 80.
	stepName = regexp.MustCompile(`^[A-Za-z0-9.@_-]{1,36}$`)
	envName  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

func (p *parser) pipeline(n *yaml.Node) *Pipeline {
	pl := &Pipeline{File: p.file, Variables: map[string]string{}, Cleanup: Cleanup{OnReject: true}}
	fs, ok := p.fields(n, "pipeline", []string{"name", "variables", "sources", "stages", "approval", "cleanup"})
	if !ok {
		return pl
	}
	for _, f := range fs {
		switch f.key.Value {
		case "name":
			if s, ok := p.str(f.val, "name"); ok {
				if !pipelineName.MatchString(s) {
					p.errorf(f.val, "name %q: use 1 to 100 of A-Z a-z 0-9 . @ _ -", s)
				}
				pl.Name = s
			}
		case "variables":
			p.variables(f.val, pl)
		case "sources":
			p.sourceList(f.val, pl)
		case "stages":
			p.stages(f.val, pl)
		case "approval":
			p.approvalDefaults(f.val, pl)
		case "cleanup":
			p.cleanup(f.val, pl)
		}
	}
	given := keys(n)
	if !given["name"] {
		p.errorf(n, "pipeline: name is required")
	}
	if !given["stages"] {
		p.errorf(n, "pipeline: stages is required (a list of stages, each with actions)")
	}
	return pl
}

func (p *parser) variables(n *yaml.Node, pl *Pipeline) {
	fs, _ := p.fields(n, "variables", nil)
	for _, f := range fs {
		name := f.key.Value
		if !validName(name) {
			p.errorf(f.key, "variable name %q: use 1 to 100 of A-Z a-z 0-9 @ _ -", name)
			continue
		}
		v, ok := p.str(f.val, "variables."+name)
		if !ok {
			continue
		}
		if strings.Contains(v, "#{") {
			p.errorf(f.val, "variables.%s: a default value is literal text; #{...} is not expanded here", name)
		}
		pl.Variables[name] = v
	}
}

func (p *parser) sourceList(n *yaml.Node, pl *Pipeline) {
	p.sources = map[string]*yaml.Node{}
	for _, c := range p.seq(n, "sources") {
		s, ok := p.source(c)
		if !ok {
			continue
		}
		if _, dup := p.sources[s.Name]; dup {
			p.errorf(c, "source %q is defined twice", s.Name)
			continue
		}
		p.sources[s.Name] = c
		pl.Sources = append(pl.Sources, s)
	}
}

func (p *parser) source(n *yaml.Node) (Source, bool) {
	s := Source{Branch: "main", Trigger: Manual, Line: n.Line}
	fs, ok := p.fields(n, "source", []string{"name", "repo", "branch", "trigger", "poll_interval", "secret_env"})
	if !ok {
		return s, false
	}
	var intervalNode, secretNode *yaml.Node
	got := keys(n)
	for _, f := range fs {
		v, ok := p.str(f.val, "source "+f.key.Value)
		if !ok {
			continue
		}
		switch f.key.Value {
		case "name":
			if !validName(v) {
				p.errorf(f.val, "source name %q: use 1 to 100 of A-Z a-z 0-9 @ _ -", v)
			}
			s.Name = v
		case "repo":
			if strings.TrimSpace(v) == "" {
				p.errorf(f.val, "source repo is empty: give a local path or a git URL")
			}
			s.Repo = v
		case "branch":
			if v == "" || strings.ContainsAny(v, " ~^:?*[\\") || strings.HasPrefix(v, "-") {
				p.errorf(f.val, "source branch %q is not a valid git branch name", v)
			}
			s.Branch = strings.TrimPrefix(v, "refs/heads/")
		case "trigger":
			switch Trigger(v) {
			case Poll, Webhook, Manual:
				s.Trigger = Trigger(v)
			default:
				p.errorf(f.val, "source trigger %q: use poll, webhook or manual", v)
			}
		case "poll_interval":
			intervalNode = f.val
			if d, ok := p.duration(f.val, "source poll_interval"); ok {
				s.PollInterval = d
			}
		case "secret_env":
			secretNode = f.val
			if !envName.MatchString(v) {
				p.errorf(f.val, "source secret_env %q must be an environment variable name (A-Z a-z 0-9 _)", v)
			}
			s.SecretEnv = v
		}
	}
	for _, k := range []string{"name", "repo"} {
		if !got[k] {
			p.errorf(n, "source: %s is required", k)
		}
	}
	if intervalNode != nil && s.Trigger != Poll {
		p.errorf(intervalNode, "source poll_interval applies to trigger: poll only")
	}
	if s.Trigger == Poll && s.PollInterval == 0 {
		s.PollInterval = DefaultPollInterval
	}
	switch {
	case s.Trigger == Webhook && secretNode == nil:
		p.errorf(n, "source %q: trigger webhook needs secret_env, the environment variable holding the webhook's HMAC secret", s.Name)
	case secretNode != nil && s.Trigger != Webhook:
		p.errorf(secretNode, "source secret_env applies to trigger: webhook only")
	}
	return s, s.Name != ""
}

func (p *parser) approvalDefaults(n *yaml.Node, pl *Pipeline) {
	p.approval = map[string]*yaml.Node{}
	fs, _ := p.fields(n, "approval", []string{"webhook", "timeout"})
	for _, f := range fs {
		p.approval[f.key.Value] = f.val
		switch f.key.Value {
		case "webhook":
			if v, ok := p.str(f.val, "approval webhook"); ok {
				p.checkValue(f.val, "approval webhook", v, httpURL)
				pl.Approval.Webhook = v
			}
		case "timeout":
			if d, ok := p.duration(f.val, "approval timeout"); ok {
				pl.Approval.Timeout = d
			}
		}
	}
}

func (p *parser) cleanup(n *yaml.Node, pl *Pipeline) {
	fs, _ := p.fields(n, "cleanup", []string{"on_reject"})
	for _, f := range fs {
		if v, ok := p.str(f.val, "cleanup on_reject"); ok {
			b, err := parseBool(v)
			if err != nil {
				p.errorf(f.val, "cleanup on_reject: %v", err)
			}
			pl.Cleanup.OnReject = b
		}
	}
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "true", "yes", "on":
		return true, nil
	case "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("%q is not true or false", s)
}
