package buildspec

import (
	"path"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// phaseKeys maps the buildspec's phase keys to CodeBuild's phase names, in
// run order.
var phaseKeys = []struct{ key, name string }{
	{"install", Install},
	{"pre_build", PreBuild},
	{"build", Build},
	{"post_build", PostBuild},
}

func (p *parser) spec(root *yaml.Node) *Spec {
	s := &Spec{File: p.file, Env: Env{Shell: "bash"}}
	fields := p.fields(root, "the buildspec", "version", "run-as", "env", "proxy", "batch", "phases", "reports", "artifacts", "cache")
	if fields == nil && deref(root).Kind != yaml.MappingNode {
		return s
	}
	var sawVersion, sawPhases bool
	for _, f := range fields {
		switch f.key {
		case "version":
			sawVersion = true
			v, ok := p.scalar(f.value, "version")
			switch {
			case !ok:
			case v == "0.2":
				s.Version = v
			case v == "0.1":
				p.errorf(f.value, "version 0.1 is not supported: use version: 0.2 (0.1 runs each command in a separate shell)")
			default:
				p.errorf(f.value, "version %q is not supported: use version: 0.2", v)
			}
		case "run-as":
			p.warnf(f.knode, "run-as is ignored: commands run as the user running edgecd")
		case "env":
			p.env(f.value, &s.Env)
		case "proxy", "batch", "reports", "cache":
			p.warnf(f.knode, "%s is ignored by edgecd's local builds", f.key)
		case "phases":
			sawPhases = true
			s.Phases = p.phases(f.value)
		case "artifacts":
			s.Artifacts = p.artifacts(f.value)
		}
	}
	if !sawVersion {
		p.errorf(deref(root), "version is missing: start the file with version: 0.2")
	}
	if !sawPhases {
		p.errorf(deref(root), "phases is missing: a buildspec needs at least a build phase with commands")
	}
	return s
}

func (p *parser) env(n *yaml.Node, env *Env) {
	for _, f := range p.fields(n, "env", "shell", "variables", "parameter-store", "exported-variables", "secrets-manager", "git-credential-helper") {
		switch f.key {
		case "shell":
			v, ok := p.scalar(f.value, "env.shell")
			switch {
			case !ok:
			case v == "bash" || v == "/bin/bash":
				env.Shell = "bash"
			case v == "sh" || v == "/bin/sh":
				env.Shell = "sh"
			default:
				p.errorf(f.value, "env.shell %q is not supported here: use bash or sh", v)
			}
		case "variables":
			env.Variables = p.vars(f.value, "env.variables")
		case "parameter-store":
			env.ParameterStore = p.vars(f.value, "env.parameter-store")
			for _, v := range env.ParameterStore {
				if v.Value == "" {
					p.errorf(f.value, "env.parameter-store: %s names no parameter", v.Name)
				}
			}
		case "exported-variables":
			for _, it := range p.list(f.value, "env.exported-variables") {
				if name, ok := p.varName(it, "env.exported-variables:"); ok {
					env.Exported = append(env.Exported, name)
				}
			}
		case "secrets-manager":
			p.errorf(f.knode, "env.secrets-manager is not supported by edgecd: store the secret as a SecureString parameter and use env.parameter-store")
		case "git-credential-helper":
			p.warnf(f.knode, "env.git-credential-helper is ignored: the source is already checked out")
		}
	}
}

func (p *parser) vars(n *yaml.Node, what string) []Var {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s must be a mapping of NAME: value, not %s", what, kind(n))
		return nil
	}
	var out []Var
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		name, ok := p.varName(k, what+":")
		if !ok {
			continue
		}
		if seen[name] {
			p.errorf(k, "%s: %s is repeated", what, name)
			continue
		}
		seen[name] = true
		if strings.HasPrefix(name, "CODEBUILD_") {
			p.warnf(k, "%s: %s: names starting with CODEBUILD_ are reserved for the build's own variables", what, name)
		}
		value, ok := p.scalar(v, what+": "+name)
		if !ok {
			continue
		}
		out = append(out, Var{Name: name, Value: value, Line: k.Line})
	}
	return out
}

func (p *parser) phases(n *yaml.Node) []Phase {
	keys := make([]string, len(phaseKeys))
	for i, k := range phaseKeys {
		keys[i] = k.key
	}
	got := map[string]field{}
	fields := p.fields(n, "phases", keys...)
	for _, f := range fields {
		got[f.key] = f
	}
	var out []Phase
	for _, k := range phaseKeys {
		f, ok := got[k.key]
		if !ok {
			continue
		}
		if ph, ok := p.phase(f, k.name); ok {
			out = append(out, ph)
		}
	}
	if d := deref(n); d.Kind == yaml.MappingNode && len(d.Content) == 0 {
		p.errorf(d, "phases is empty: add a build phase with commands")
	}
	return out
}

func (p *parser) phase(f field, name string) (Phase, bool) {
	ph := Phase{Name: name}
	what := "phases." + f.key
	if f.value.Kind == yaml.ScalarNode && f.value.Tag == "!!null" {
		p.errorf(f.knode, "%s is empty: give it commands, or remove it", what)
		return ph, false
	}
	sawCommands := false
	for _, g := range p.fields(f.value, what, "run-as", "on-failure", "runtime-versions", "commands", "finally") {
		switch g.key {
		case "run-as":
			p.warnf(g.knode, "%s.run-as is ignored: commands run as the user running edgecd", what)
		case "runtime-versions":
			p.warnf(g.knode, "%s.runtime-versions is ignored: the build uses the tools installed on this machine", what)
		case "on-failure":
			v, ok := p.scalar(g.value, what+".on-failure")
			switch {
			case !ok:
			case v == string(Abort) || v == string(Continue):
				ph.OnFailure = OnFailure(v)
			default:
				p.errorf(g.value, "%s.on-failure %q is not supported: use ABORT or CONTINUE", what, v)
			}
		case "commands":
			sawCommands = true
			ph.Commands = p.commands(g, what+".commands")
		case "finally":
			ph.Finally = p.commands(g, what+".finally")
		}
	}
	if !sawCommands && f.value.Kind == yaml.MappingNode {
		p.errorf(f.knode, "%s has no commands: add commands, or remove the phase", what)
	}
	return ph, true
}

func (p *parser) commands(f field, what string) []Command {
	if f.value.Kind == yaml.ScalarNode && f.value.Tag == "!!null" {
		p.errorf(f.knode, "%s is empty: list at least one command", what)
		return nil
	}
	items := p.list(f.value, what)
	if items == nil {
		return nil
	}
	if len(items) == 0 {
		p.errorf(f.value, "%s is empty: list at least one command", what)
	}
	var out []Command
	for _, it := range items {
		switch {
		case it.Kind == yaml.MappingNode:
			p.errorf(it, "%s: this command is a YAML mapping because it contains \": \"; put the whole command in quotes", what)
		case it.Kind != yaml.ScalarNode:
			p.errorf(it, "%s: a command must be a string, not %s", what, kind(it))
		case it.Tag == "!!null" || strings.TrimSpace(it.Value) == "":
			p.errorf(it, "%s: empty command", what)
		default:
			out = append(out, Command{Text: it.Value, Line: it.Line})
		}
	}
	return out
}

func (p *parser) artifacts(n *yaml.Node) *Artifacts {
	a := &Artifacts{}
	sawFiles := false
	for _, f := range p.fields(n, "artifacts", "files", "name", "discard-paths", "base-directory", "exclude-paths", "enable-symlinks", "s3-prefix", "secondary-artifacts") {
		switch f.key {
		case "files":
			sawFiles = true
			items := p.list(f.value, "artifacts.files")
			if items != nil && len(items) == 0 {
				p.errorf(f.value, "artifacts.files is empty: list the files to keep, e.g. '**/*'")
			}
			for _, it := range items {
				if v, ok := p.scalar(it, "artifacts.files:"); ok && p.checkGlob(it, cleanGlob(v), "artifacts.files") {
					a.Files = append(a.Files, cleanGlob(v))
				}
			}
		case "exclude-paths":
			for _, it := range p.list(f.value, "artifacts.exclude-paths") {
				if v, ok := p.scalar(it, "artifacts.exclude-paths:"); ok && p.checkGlob(it, cleanGlob(v), "artifacts.exclude-paths") {
					a.Exclude = append(a.Exclude, cleanGlob(v))
				}
			}
		case "name":
			a.Name, _ = p.scalar(f.value, "artifacts.name")
		case "discard-paths":
			a.DiscardPaths = p.yesNo(f.value, "artifacts.discard-paths")
		case "base-directory":
			v, ok := p.scalar(f.value, "artifacts.base-directory")
			if !ok {
				break
			}
			clean := path.Clean(strings.TrimSuffix(v, "/"))
			if !filepath.IsLocal(filepath.FromSlash(clean)) && clean != "." {
				p.errorf(f.value, "artifacts.base-directory %q must be a directory inside the source directory", v)
				break
			}
			if clean == "." {
				clean = ""
			}
			a.BaseDirectory = clean
		case "enable-symlinks", "s3-prefix", "secondary-artifacts":
			p.warnf(f.knode, "artifacts.%s is ignored by edgecd", f.key)
		}
	}
	if !sawFiles && deref(n).Kind == yaml.MappingNode {
		p.errorf(deref(n), "artifacts has no files: list the files to keep, e.g. files: ['**/*']")
	}
	return a
}

// cleanGlob drops a leading "./", which CodeBuild users often write.
func cleanGlob(s string) string {
	for strings.HasPrefix(s, "./") {
		s = s[2:]
	}
	return s
}
