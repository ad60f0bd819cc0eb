package buildspec

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/edgecd/edgecd/pipeline/internal/yamlnode"
)

// MaxSize is the largest buildspec Parse reads.
const MaxSize = 1 << 20

// Parse reads a buildspec. It reports every problem it finds, each with its
// location in file; the spec is nil when there is any. Settings that are
// valid in CodeBuild but not honoured here are accepted with a warning in
// Spec.Warnings.
func Parse(file string, data []byte) (*Spec, []Problem) {
	p := &parser{file: file}
	if len(data) > MaxSize {
		p.problems = append(p.problems, Problem{File: file, Line: 1, Column: 1, Msg: fmt.Sprintf("buildspec is %d bytes, more than the %d accepted", len(data), MaxSize)})
		return nil, p.problems
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		p.problems = append(p.problems, yamlnode.Syntax(file, err))
		return nil, p.problems
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		p.problems = append(p.problems, Problem{File: file, Line: 1, Column: 1, Msg: "buildspec is empty: it needs at least version: 0.2 and phases"})
		return nil, p.problems
	}
	spec := p.spec(doc.Content[0])
	if len(p.problems) > 0 {
		return nil, p.problems
	}
	spec.Warnings = p.warnings
	return spec, nil
}

type parser struct {
	file     string
	problems []Problem
	warnings []Problem
}

func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	p.problems = append(p.problems, yamlnode.At(p.file, n, fmt.Sprintf(format, args...)))
}

func (p *parser) warnf(n *yaml.Node, format string, args ...any) {
	p.warnings = append(p.warnings, yamlnode.At(p.file, n, fmt.Sprintf(format, args...)))
}

// field is one key of a mapping with its value node.
type field struct {
	key   string
	knode *yaml.Node
	value *yaml.Node
}

// deref follows YAML aliases (*name) to the node they name.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// fields reads mapping n (named what in messages), reporting unknown and
// repeated keys. known lists the keys in the order CodeBuild documents them.
func (p *parser) fields(n *yaml.Node, what string, known ...string) []field {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s must be a mapping of keys to values, not %s", what, kind(n))
		return nil
	}
	var out []field
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			p.errorf(k, "%s has a key that is %s, not a name", what, kind(k))
			continue
		}
		if seen[k.Value] {
			p.errorf(k, "%s: key %q is repeated", what, k.Value)
			continue
		}
		seen[k.Value] = true
		if !slices.Contains(known, k.Value) {
			p.errorf(k, "%s: unknown key %q%s", what, k.Value, suggest(k.Value, known))
			continue
		}
		out = append(out, field{k.Value, k, deref(v)})
	}
	return out
}

// suggest names the known key a misspelt one most likely meant: the same
// letters once case, '-' and '_' are ignored ("pre-build" -> "pre_build").
func suggest(key string, known []string) string {
	norm := func(s string) string {
		return strings.NewReplacer("-", "", "_", "").Replace(strings.ToLower(s))
	}
	for _, k := range known {
		if norm(k) == norm(key) {
			return fmt.Sprintf(" (did you mean %q?)", k)
		}
	}
	return fmt.Sprintf(" (want one of %s)", strings.Join(known, ", "))
}

func kind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "empty"
		}
		return fmt.Sprintf("the value %q", n.Value)
	}
	return "empty"
}

// scalar reads a single value; numbers and booleans keep their text.
func (p *parser) scalar(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		p.errorf(n, "%s must be a single value, not %s", what, kind(n))
		return "", false
	}
	if n.Tag == "!!null" {
		return "", true
	}
	return n.Value, true
}

// list reads a sequence of scalars.
func (p *parser) list(n *yaml.Node, what string) []*yaml.Node {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "%s must be a list (lines starting with \"- \"), not %s", what, kind(n))
		return nil
	}
	items := make([]*yaml.Node, 0, len(n.Content))
	for _, it := range n.Content {
		items = append(items, deref(it))
	}
	return items
}

func (p *parser) yesNo(n *yaml.Node, what string) bool {
	v, ok := p.scalar(n, what)
	if !ok {
		return false
	}
	switch strings.ToLower(v) {
	case "yes", "true":
		return true
	case "no", "false", "":
		return false
	}
	p.errorf(n, "%s must be yes or no, not %q", what, v)
	return false
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (p *parser) varName(n *yaml.Node, what string) (string, bool) {
	name, ok := p.scalar(n, what)
	if !ok {
		return "", false
	}
	if !identifier.MatchString(name) {
		p.errorf(n, "%s %q is not a variable name: use letters, digits and _, not starting with a digit", what, name)
		return "", false
	}
	return name, true
}

// checkGlob reports a pattern that could never select a file here.
func (p *parser) checkGlob(n *yaml.Node, pattern, what string) bool {
	if pattern == "" {
		p.errorf(n, "%s: empty pattern", what)
		return false
	}
	if path.IsAbs(pattern) || strings.HasPrefix(pattern, "../") || pattern == ".." || strings.Contains(pattern, "/../") {
		p.errorf(n, "%s: pattern %q must be relative to the base directory and stay inside it", what, pattern)
		return false
	}
	for _, seg := range strings.Split(pattern, "/") {
		if _, err := path.Match(seg, ""); err != nil {
			p.errorf(n, "%s: pattern %q is malformed (unclosed [ or trailing \\)", what, pattern)
			return false
		}
	}
	return true
}
