package metrics

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// ContentType is the media type of the text exposition format this
// package writes.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// Type is a metric family's type, as its # TYPE line names it.
type Type string

// The family types an Encoder writes.
const (
	Counter   Type = "counter"
	Gauge     Type = "gauge"
	Histogram Type = "histogram"
)

// Label is one label of a sample.
type Label struct{ Name, Value string }

// Encoder writes metric families in the text exposition format. Each
// family starts with Family; its samples follow. The first error (of the
// writer, or a name the format does not allow, or a family declared
// twice) stops the encoding and is returned by Flush.
type Encoder struct {
	w        *bufio.Writer
	err      error
	family   string
	typ      Type
	families map[string]bool
	line     []byte
}

// NewEncoder returns an Encoder writing to w.
func NewEncoder(w io.Writer) *Encoder {
	return &Encoder{w: bufio.NewWriter(w), families: map[string]bool{}}
}

// Family starts a metric family: its HELP and TYPE lines.
func (e *Encoder) Family(name string, t Type, help string) {
	if e.err != nil {
		return
	}
	switch {
	case !validName(name, true):
		e.err = fmt.Errorf("metrics: %q is not a valid metric name", name)
	case e.families[name]:
		e.err = fmt.Errorf("metrics: family %s written twice; its samples must be together", name)
	case t != Counter && t != Gauge && t != Histogram:
		e.err = fmt.Errorf("metrics: family %s has unknown type %q", name, t)
	}
	if e.err != nil {
		return
	}
	e.families[name], e.family, e.typ = true, name, t
	e.line = append(e.line[:0], "# HELP "...)
	e.line = append(e.line, name...)
	e.line = append(e.line, ' ')
	e.line = appendEscaped(e.line, help, false)
	e.line = append(e.line, "\n# TYPE "...)
	e.line = append(e.line, name...)
	e.line = append(e.line, ' ')
	e.line = append(e.line, t...)
	e.line = append(e.line, '\n')
	_, e.err = e.w.Write(e.line)
}

// Uint writes a sample of the current counter or gauge family.
func (e *Encoder) Uint(v uint64, labels ...Label) {
	if e.check(Counter, Gauge) {
		e.sample("", labels, Label{}, strconv.AppendUint(nil, v, 10))
	}
}

// Float writes a sample of the current counter or gauge family.
func (e *Encoder) Float(v float64, labels ...Label) {
	if e.check(Counter, Gauge) {
		e.sample("", labels, Label{}, appendFloat(nil, v))
	}
}

// Histogram writes one histogram of the current histogram family: its
// cumulative buckets (in seconds), +Inf, sum and count.
func (e *Encoder) Histogram(b Buckets, labels ...Label) {
	if !e.check(Histogram) {
		return
	}
	for _, l := range labels {
		if l.Name == "le" {
			e.err = fmt.Errorf("metrics: histogram %s may not have a label named le", e.family)
			return
		}
	}
	var num []byte
	for i, bound := range b.Bounds {
		le := string(appendFloat(nil, bound.Seconds()))
		num = strconv.AppendUint(num[:0], b.Counts[i], 10)
		e.sample("_bucket", labels, Label{"le", le}, num)
	}
	e.sample("_bucket", labels, Label{"le", "+Inf"}, strconv.AppendUint(num[:0], b.Count, 10))
	e.sample("_sum", labels, Label{}, appendFloat(nil, b.Sum.Seconds()))
	e.sample("_count", labels, Label{}, strconv.AppendUint(nil, b.Count, 10))
}

// Flush writes what is buffered and returns the first error met.
func (e *Encoder) Flush() error {
	if e.err != nil {
		return e.err
	}
	return e.w.Flush()
}

func (e *Encoder) check(types ...Type) bool {
	if e.err != nil {
		return false
	}
	if e.family == "" {
		e.err = fmt.Errorf("metrics: a sample was written before any Family")
		return false
	}
	for _, t := range types {
		if e.typ == t {
			return true
		}
	}
	e.err = fmt.Errorf("metrics: family %s is a %s; this sample does not fit it", e.family, e.typ)
	return false
}

// sample writes name+suffix{labels,extra} value.
func (e *Encoder) sample(suffix string, labels []Label, extra Label, value []byte) {
	if e.err != nil {
		return
	}
	l := append(e.line[:0], e.family...)
	l = append(l, suffix...)
	if len(labels) > 0 || extra.Name != "" {
		l = append(l, '{')
		n := 0
		for _, lb := range labels {
			if l = e.appendLabel(l, lb, n); e.err != nil {
				return
			}
			n++
		}
		if extra.Name != "" {
			if l = e.appendLabel(l, extra, n); e.err != nil {
				return
			}
		}
		l = append(l, '}')
	}
	l = append(l, ' ')
	l = append(l, value...)
	l = append(l, '\n')
	e.line = l
	_, e.err = e.w.Write(l)
}

// appendLabel appends the n-th label of a sample.
func (e *Encoder) appendLabel(l []byte, lb Label, n int) []byte {
	if !validName(lb.Name, false) || strings.HasPrefix(lb.Name, "__") {
		e.err = fmt.Errorf("metrics: %q is not a valid label name (family %s)", lb.Name, e.family)
		return l
	}
	if n > 0 {
		l = append(l, ',')
	}
	l = append(l, lb.Name...)
	l = append(l, `="`...)
	l = appendEscaped(l, lb.Value, true)
	return append(l, '"')
}

// validName reports whether s is a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)
// or, without colons, a label name.
func validName(s string, colon bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9' || colon && c == ':'
		if !ok {
			return false
		}
	}
	return true
}

// appendEscaped escapes a HELP text (backslash, newline) or a label value
// (also the double quote), as the format requires.
func appendEscaped(dst []byte, s string, quote bool) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			dst = append(dst, `\\`...)
		case c == '\n':
			dst = append(dst, `\n`...)
		case c == '"' && quote:
			dst = append(dst, `\"`...)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

func appendFloat(dst []byte, v float64) []byte {
	switch {
	case math.IsInf(v, 1):
		return append(dst, "+Inf"...)
	case math.IsInf(v, -1):
		return append(dst, "-Inf"...)
	case math.IsNaN(v):
		return append(dst, "NaN"...)
	}
	return strconv.AppendFloat(dst, v, 'g', -1, 64)
}
