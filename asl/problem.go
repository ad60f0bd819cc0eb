package asl

import (
	"fmt"
	"strings"
)

// Problem codes, shared with ValidateStateMachineDefinition diagnostics.
const (
	codeInvalidJSON   = "INVALID_JSON_DESCRIPTION"
	codeSchema        = "SCHEMA_VALIDATION_FAILED"
	codeMissingTarget = "MISSING_TRANSITION_TARGET"
	codeUnreachable   = "UNREACHABLE_STATE"
	codeDuplicate     = "DUPLICATE_STATE_NAME"
	codeInvalidPath   = "INVALID_JSON_PATH"
	codeIntrinsic     = "INVALID_INTRINSIC_FUNCTION"
	codeJSONata       = "INVALID_JSONATA"
	codeTerminal      = "MISSING_END_OR_NEXT"
)

// Problem is one thing wrong with a definition.
type Problem struct {
	// Path locates the problem, e.g. "$.States.Foo.Next".
	Path    string `json:"path"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Pointer returns the location as the JSON Pointer the Step Functions API
// reports in diagnostics: $.States.A.Retry[0] becomes /States/A/Retry/0.
func (p Problem) Pointer() string {
	var b strings.Builder
	s := strings.TrimPrefix(p.Path, "$")
	for s != "" {
		var seg string
		switch {
		case strings.HasPrefix(s, "['"):
			end := strings.Index(s, "']")
			if end < 0 {
				end = len(s) - 2
			}
			seg, s = s[2:end], s[end+2:]
		case s[0] == '[':
			end := strings.IndexByte(s, ']')
			if end < 0 {
				end = len(s) - 1
			}
			seg, s = s[1:end], s[end+1:]
		case s[0] == '.':
			s = s[1:]
			end := strings.IndexAny(s, ".[")
			if end < 0 {
				end = len(s)
			}
			seg, s = s[:end], s[end:]
		default:
			seg, s = s, ""
		}
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(seg))
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}

// pathKey writes a field name for a Problem path, in brackets when a dot
// or bracket in it would make the path ambiguous.
func pathKey(name string) string {
	if strings.ContainsAny(name, ".[]'") || name == "" {
		return "['" + name + "']"
	}
	return "." + name
}

func (p Problem) String() string { return fmt.Sprintf("%s: %s (at %s)", p.Code, p.Message, p.Path) }

// ValidationError lists every problem Parse found.
type ValidationError struct{ Problems []Problem }

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid state machine definition: %d problem(s)", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

type parser struct {
	probs     []Problem
	def       *Definition
	allNames  map[string]string // state name -> path of its first definition
	statePath string            // path of the state being parsed, for field names
}

func (p *parser) add(path, code, format string, args ...any) {
	p.probs = append(p.probs, Problem{Path: path, Code: code, Message: fmt.Sprintf(format, args...)})
}

// fields is a JSON object being read, with the path it was found at.
type fields struct {
	p  *parser
	m  map[string]any
	at string
}

func (f fields) has(k string) bool { _, ok := f.m[k]; return ok }

func (f fields) str(k string) (string, bool) {
	v, ok := f.m[k]
	if !ok {
		return "", false
	}
	s, isStr := v.(string)
	if !isStr {
		f.p.add(f.at+"."+k, codeSchema, "%s must be a string, got %s", k, typeName(v))
		return "", false
	}
	return s, true
}

func (f fields) boolean(k string) bool {
	v, ok := f.m[k]
	if !ok {
		return false
	}
	b, isBool := v.(bool)
	if !isBool {
		f.p.add(f.at+"."+k, codeSchema, "%s must be true or false, got %s", k, typeName(v))
	}
	return b
}

// number reads a number field; ok is false when absent or wrong.
func (f fields) number(k string) (float64, bool) {
	v, ok := f.m[k]
	if !ok {
		return 0, false
	}
	n, isNum := toFloat(v)
	if !isNum {
		f.p.add(f.at+"."+k, codeSchema, "%s must be a number, got %s", k, typeName(v))
	}
	return n, isNum
}

func (f fields) integer(k string, lo, hi int64) (int64, bool) {
	v, ok := f.m[k]
	if !ok {
		return 0, false
	}
	n, isInt := toInt(v)
	if !isInt || n < lo || n > hi {
		f.p.add(f.at+"."+k, codeSchema, "%s must be an integer from %d to %d, got %s", k, lo, hi, mustJSON(v))
		return 0, false
	}
	return n, true
}

// path reads a JSONPath field; null sets discard.
func (f fields) path(k string, reference bool) (p *Path, discard bool) {
	v, ok := f.m[k]
	if !ok {
		return nil, false
	}
	if v == nil {
		return nil, true
	}
	s, isStr := v.(string)
	if !isStr {
		f.p.add(f.at+"."+k, codeSchema, "%s must be a JSONPath string or null, got %s", k, typeName(v))
		return nil, false
	}
	path, err := ParsePath(s)
	if err != nil {
		f.p.add(f.at+"."+k, codeInvalidPath, "%v", err)
		return nil, false
	}
	if reference && !path.IsReference() {
		f.p.add(f.at+"."+k, codeInvalidPath, "%s must be a reference path (only field names and array indexes, selecting one node), got %q", k, s)
		return nil, false
	}
	if k == "ResultPath" && path.root != rootInput {
		f.p.add(f.at+"."+k, codeInvalidPath, "ResultPath must start with '$', not %q", s)
		return nil, false
	}
	return path, false
}

// allow reports fields not in the allowed set for this object.
func (f fields) allow(what string, allowed map[string]bool) {
	for _, k := range sortedKeys(f.m) {
		if !allowed[k] {
			f.p.add(f.at+"."+k, codeSchema, "field %q is not supported in %s", k, what)
		}
	}
}

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}
