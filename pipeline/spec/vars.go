package spec

import (
	"errors"
	"fmt"
	"strings"
)

// Ref is one #{Namespace.Variable} reference in a string.
type Ref struct {
	Namespace, Var string
	Offset         int // byte offset of "#{" in the string
	Len            int // bytes up to and including "}"
}

func (r Ref) String() string { return "#{" + r.Namespace + "." + r.Var + "}" }

// ErrBadReference is wrapped by Expand's errors for text after "#{" that
// is not a well-formed reference.
var ErrBadReference = errors.New("malformed variable reference")

// ErrUnknownVariable is wrapped by Expand's errors for a reference to a
// variable the run does not have.
var ErrUnknownVariable = errors.New("unknown variable")

// NamespaceVariables is CodePipeline's name for the pipeline-level
// variables: #{variables.X} reads the same value as #{Pipeline.X}.
const NamespaceVariables = "variables"

// maxName bounds namespace and variable names, as CodePipeline does.
const maxName = 100

// scan walks the references of s. For each "#{" it calls f with the
// reference (ok) or with the offset of a malformed one (!ok).
func scan(s string, f func(r Ref, ok bool)) {
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], "#{")
		if j < 0 {
			return
		}
		at := i + j
		r, ok := parseRef(s[at:])
		r.Offset = at
		f(r, ok)
		if ok {
			i = at + r.Len
		} else {
			i = at + 2
		}
	}
}

// parseRef reads "#{Ns.Var}" at the start of s.
func parseRef(s string) (Ref, bool) {
	end := strings.IndexByte(s, '}')
	if end < 0 {
		return Ref{Len: len(s)}, false
	}
	ns, v, ok := strings.Cut(s[2:end], ".")
	if !ok || !validName(ns) || !validName(v) {
		return Ref{Len: end + 1}, false
	}
	return Ref{Namespace: ns, Var: v, Len: end + 1}, true
}

// validName reports whether s is a namespace or variable name: 1 to 100 of
// A-Z a-z 0-9 @ _ - (CodePipeline's pattern, which excludes the dot that
// separates the two).
func validName(s string) bool {
	if s == "" || len(s) > maxName {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '@' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// References lists the well-formed references in s, in order. Malformed
// "#{" text is skipped; Expand refuses it.
func References(s string) []Ref {
	var refs []Ref
	scan(s, func(r Ref, ok bool) {
		if ok {
			refs = append(refs, r)
		}
	})
	return refs
}

// Expand replaces every #{Namespace.Variable} in s by its value in vars.
// A reference to a variable vars lacks (ErrUnknownVariable), or a "#{"
// that does not start a well-formed reference (ErrBadReference), is an
// error. Values are inserted as they are: a value containing "#{" is not
// expanded again.
func Expand(s string, vars Vars) (string, error) {
	if !strings.Contains(s, "#{") {
		return s, nil
	}
	var b strings.Builder
	var err error
	last := 0
	scan(s, func(r Ref, ok bool) {
		if err != nil {
			return
		}
		if !ok {
			err = fmt.Errorf("%w at byte %d: %q (want #{Namespace.Variable})", ErrBadReference, r.Offset, clip(s[r.Offset:r.Offset+r.Len]))
			return
		}
		v, found := lookup(vars, r.Namespace, r.Var)
		if !found {
			err = fmt.Errorf("%w %s", ErrUnknownVariable, r)
			return
		}
		b.WriteString(s[last:r.Offset])
		b.WriteString(v)
		last = r.Offset + r.Len
	})
	if err != nil {
		return "", err
	}
	b.WriteString(s[last:])
	return b.String(), nil
}

func lookup(vars Vars, ns, v string) (string, bool) {
	m, ok := vars[ns]
	if !ok && ns == NamespaceVariables {
		m = vars[NamespacePipeline]
	}
	val, ok := m[v]
	return val, ok
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
