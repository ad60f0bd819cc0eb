package asl

import "strings"

// jsonataBuiltins are JSONata's and Step Functions' function names, which an
// expression may name without calling them (e.g. $map($xs, $string)).
var jsonataBuiltins = setOf("sum", "count", "max", "min", "average", "string", "substring", "substringBefore",
	"substringAfter", "lowercase", "uppercase", "length", "trim", "pad", "contains", "split", "join", "match",
	"replace", "now", "millis", "fromMillis", "toMillis", "formatNumber", "formatBase", "formatInteger",
	"parseInteger", "number", "abs", "floor", "ceil", "round", "power", "sqrt", "random", "boolean", "not",
	"exists", "map", "zip", "filter", "single", "reduce", "sift", "keys", "lookup", "append", "spread", "merge",
	"reverse", "each", "error", "assert", "type", "sort", "shuffle", "distinct", "base64encode", "base64decode",
	"encodeUrlComponent", "encodeUrl", "decodeUrlComponent", "decodeUrl", "eval", "clone", "partition", "range",
	"hash", "uuid", "parse")

// freeVariables lists the $names an expression reads that it neither binds
// itself (with := or as a lambda parameter) nor gets from JSONata. The cloud
// fails an expression that reads an undefined variable; JSONata alone would
// quietly yield nothing.
func freeVariables(src string) []string {
	var refs []string
	bound := map[string]bool{}
	n := len(src)
	for i := 0; i < n; i++ {
		c := src[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			for i++; i < n && src[i] != c; i++ {
				if src[i] == '\\' {
					i++
				}
			}
		case c == '/' && i+1 < n && src[i+1] == '*':
			if end := strings.Index(src[i+2:], "*/"); end >= 0 {
				i += end + 3
			} else {
				i = n
			}
		case c == '$' && (i == 0 || src[i-1] != '\\'):
			j := i + 1
			for j < n && isIdentChar(src[j], j == i+1) {
				j++
			}
			if j == i+1 {
				continue
			}
			name := src[i+1 : j]
			rest := strings.TrimLeft(src[j:], " \t\n\r")
			switch {
			case strings.HasPrefix(rest, ":="):
				bound[name] = true
			case strings.HasPrefix(rest, "(") || jsonataBuiltins[name]:
				// a call, or a function passed as a value
			default:
				refs = append(refs, name)
			}
			i = j - 1
		case strings.HasPrefix(src[i:], "function") || strings.HasPrefix(src[i:], "λ"):
			open := strings.IndexByte(src[i:], '(')
			close := strings.IndexByte(src[i:], ')')
			if open >= 0 && close > open {
				for _, p := range strings.Split(src[i+open+1:i+close], ",") {
					if p = strings.TrimSpace(p); strings.HasPrefix(p, "$") {
						bound[p[1:]] = true
					}
				}
			}
		}
	}
	var free []string
	for _, r := range refs {
		if !bound[r] && r != "states" {
			free = append(free, r)
		}
	}
	return free
}
