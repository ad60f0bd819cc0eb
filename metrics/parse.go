package metrics

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Sample is one sample line of an exposition.
type Sample struct {
	Name   string // the family's name, plus _bucket, _sum or _count in a histogram
	Labels map[string]string
	Value  float64
}

// Family is a metric family read back from an exposition.
type Family struct {
	Name, Help string
	Type       Type
	Samples    []Sample
}

// Exposition is a parsed text exposition.
type Exposition struct{ Families []Family }

// Parse reads a text exposition (format 0.0.4) strictly, as a check of
// what an Encoder wrote and as the way tests and tools read it back. Next
// to the format's syntax it insists on what Prometheus relies on: every
// family typed before its samples and written in one piece, no series
// twice, counters not negative, and histograms whose buckets rise with
// le, end with +Inf and agree with _count.
func Parse(r io.Reader) (*Exposition, error) {
	p := parser{x: &Exposition{}, done: map[string]bool{}, series: map[string]bool{}}
	er := &errReader{r: r}
	sc := bufio.NewScanner(er)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		if err := p.line(sc.Text()); err != nil {
			if er.err != nil {
				// The scanner hands back the part of a line read before
				// the reader failed (a cancelled scrape, a reset
				// connection): the read error is the cause, not the
				// truncated line.
				return nil, er.err
			}
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if err := p.finish(); err != nil {
		return nil, err
	}
	return p.x, nil
}

type parser struct {
	x      *Exposition
	cur    *Family
	done   map[string]bool // families seen
	series map[string]bool // name and labels of every sample
}

func (p *parser) line(l string) error {
	switch {
	case l == "":
		return nil
	case strings.HasPrefix(l, "# HELP "), strings.HasPrefix(l, "# TYPE "):
		return p.meta(l[2:6], l[7:])
	case strings.HasPrefix(l, "#"):
		return nil // a comment
	}
	return p.sample(l)
}

// meta reads a HELP or TYPE line; either may open a family.
func (p *parser) meta(kind, rest string) error {
	name, text, _ := strings.Cut(rest, " ")
	if !validName(name, true) {
		return fmt.Errorf("%s names %q, not a metric name", kind, name)
	}
	if p.cur == nil || p.cur.Name != name {
		if err := p.open(name); err != nil {
			return err
		}
	}
	f := p.cur
	switch kind {
	case "HELP":
		if f.Help != "" {
			return fmt.Errorf("family %s has two HELP lines", name)
		}
		h, err := unescape(text, false)
		if err != nil {
			return fmt.Errorf("HELP of %s: %w", name, err)
		}
		f.Help = h
	case "TYPE":
		if f.Type != "" {
			return fmt.Errorf("family %s has two TYPE lines", name)
		}
		if len(f.Samples) > 0 {
			return fmt.Errorf("TYPE of %s comes after its samples", name)
		}
		switch t := Type(text); t {
		case Counter, Gauge, Histogram:
			f.Type = t
		default:
			return fmt.Errorf("family %s has type %q; this parser knows counter, gauge and histogram", name, text)
		}
	}
	return nil
}

func (p *parser) open(name string) error {
	if err := p.finish(); err != nil {
		return err
	}
	if p.done[name] {
		return fmt.Errorf("family %s appears twice; its lines must be together", name)
	}
	p.done[name] = true
	p.x.Families = append(p.x.Families, Family{Name: name})
	p.cur = &p.x.Families[len(p.x.Families)-1]
	return nil
}

func (p *parser) sample(l string) error {
	s, err := parseSample(l)
	if err != nil {
		return err
	}
	f := p.cur
	if f == nil || f.Type == "" {
		return fmt.Errorf("sample %s has no TYPE line before it", s.Name)
	}
	switch f.Type {
	case Histogram:
		suffix, ok := strings.CutPrefix(s.Name, f.Name)
		if !ok || suffix != "_bucket" && suffix != "_sum" && suffix != "_count" {
			return fmt.Errorf("sample %s does not belong to histogram %s", s.Name, f.Name)
		}
		if _, le := s.Labels["le"]; le != (suffix == "_bucket") {
			return fmt.Errorf("sample %s: only _bucket samples carry le", s.Name)
		}
	default:
		if s.Name != f.Name {
			return fmt.Errorf("sample %s does not belong to %s %s", s.Name, f.Type, f.Name)
		}
		if f.Type == Counter && (s.Value < 0 || math.IsNaN(s.Value)) {
			return fmt.Errorf("counter %s has value %v", s.Name, s.Value)
		}
	}
	key := seriesKey(s.Name, s.Labels, "")
	if p.series[key] {
		return fmt.Errorf("series %s appears twice", key)
	}
	p.series[key] = true
	f.Samples = append(f.Samples, s)
	return nil
}

// finish checks the histograms of the current family once it is complete.
func (p *parser) finish() error {
	f := p.cur
	if f == nil || f.Type != Histogram {
		return nil
	}
	type hist struct {
		les, counts   []float64
		count         float64
		sum, hasCount bool
	}
	hs := map[string]*hist{}
	var order []string
	for _, s := range f.Samples {
		key := seriesKey("", s.Labels, "le")
		h := hs[key]
		if h == nil {
			h = &hist{}
			hs[key] = h
			order = append(order, key)
		}
		switch strings.TrimPrefix(s.Name, f.Name) {
		case "_bucket":
			le, err := parseValue(s.Labels["le"])
			if err != nil {
				return fmt.Errorf("histogram %s%s: le %q: %w", f.Name, key, s.Labels["le"], err)
			}
			if n := len(h.les); n > 0 && (le <= h.les[n-1] || s.Value < h.counts[n-1]) {
				return fmt.Errorf("histogram %s%s: buckets must rise with le and be cumulative", f.Name, key)
			}
			h.les, h.counts = append(h.les, le), append(h.counts, s.Value)
		case "_sum":
			h.sum = true
		case "_count":
			h.count, h.hasCount = s.Value, true
		}
	}
	for _, key := range order {
		h := hs[key]
		n := len(h.les)
		switch {
		case n == 0 || !math.IsInf(h.les[n-1], 1):
			return fmt.Errorf("histogram %s%s has no +Inf bucket", f.Name, key)
		case !h.sum || !h.hasCount:
			return fmt.Errorf("histogram %s%s needs _sum and _count", f.Name, key)
		case h.counts[n-1] != h.count:
			return fmt.Errorf("histogram %s%s: +Inf bucket %v differs from _count %v", f.Name, key, h.counts[n-1], h.count)
		}
	}
	return nil
}

// parseSample reads name{l="v",...} value [timestamp].
func parseSample(l string) (Sample, error) {
	i := strings.IndexAny(l, "{ ")
	if i < 0 {
		return Sample{}, fmt.Errorf("sample %q has no value", l)
	}
	s := Sample{Name: l[:i], Labels: map[string]string{}}
	if !validName(s.Name, true) {
		return s, fmt.Errorf("%q is not a metric name", s.Name)
	}
	rest := l[i:]
	if rest[0] == '{' {
		rest = rest[1:]
		for !strings.HasPrefix(rest, "}") {
			name, after, ok := strings.Cut(rest, `="`)
			if !ok || !validName(name, false) {
				return s, fmt.Errorf("sample %s: malformed label at %q", s.Name, rest)
			}
			if _, dup := s.Labels[name]; dup {
				return s, fmt.Errorf("sample %s: label %s twice", s.Name, name)
			}
			end := closingQuote(after)
			if end < 0 {
				return s, fmt.Errorf("sample %s: label %s has no closing quote", s.Name, name)
			}
			v, err := unescape(after[:end], true)
			if err != nil {
				return s, fmt.Errorf("sample %s: label %s: %w", s.Name, name, err)
			}
			s.Labels[name] = v
			rest = after[end+1:]
			if r, ok := strings.CutPrefix(rest, ","); ok && !strings.HasPrefix(r, "}") {
				rest = r
			} else if !strings.HasPrefix(rest, "}") {
				return s, fmt.Errorf("sample %s: expected , or } at %q", s.Name, rest)
			}
		}
		rest = rest[1:]
	}
	fields := strings.Split(strings.TrimPrefix(rest, " "), " ")
	if !strings.HasPrefix(rest, " ") || len(fields) > 2 || fields[0] == "" {
		return s, fmt.Errorf("sample %s: want one space, a value and an optional timestamp, got %q", s.Name, rest)
	}
	v, err := parseValue(fields[0])
	if err != nil {
		return s, fmt.Errorf("sample %s: %w", s.Name, err)
	}
	s.Value = v
	if len(fields) == 2 {
		if _, err := strconv.ParseInt(fields[1], 10, 64); err != nil {
			return s, fmt.Errorf("sample %s: timestamp %q is not an integer", s.Name, fields[1])
		}
	}
	return s, nil
}

// closingQuote returns the index of the first unescaped " in s.
func closingQuote(s string) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

func unescape(s string, quote bool) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i++; i == len(s) {
			return "", fmt.Errorf("%q ends in a lone backslash", s)
		}
		switch s[i] {
		case '\\':
			b.WriteByte('\\')
		case 'n':
			b.WriteByte('\n')
		case '"':
			if !quote {
				return "", fmt.Errorf(`%q escapes a quote, which HELP text may not`, s)
			}
			b.WriteByte('"')
		default:
			return "", fmt.Errorf(`%q has an unknown escape \%c`, s, s[i])
		}
	}
	return b.String(), nil
}

func parseValue(s string) (float64, error) {
	switch s {
	case "+Inf":
		return math.Inf(1), nil
	case "-Inf":
		return math.Inf(-1), nil
	case "NaN":
		return math.NaN(), nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || strings.ContainsAny(s, "_xXpPiInN") {
		return 0, fmt.Errorf("value %q is not a number", s)
	}
	return v, nil
}

// seriesKey names a series by its name and labels (without skip).
func seriesKey(name string, labels map[string]string, skip string) string {
	names := make([]string, 0, len(labels))
	for n := range labels {
		if n != skip {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(name)
	b.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(n + "=" + strconv.Quote(labels[n]))
	}
	b.WriteByte('}')
	return b.String()
}

// Family returns the family called name, nil when there is none.
func (x *Exposition) Family(name string) *Family {
	i := slices.IndexFunc(x.Families, func(f Family) bool { return f.Name == name })
	if i < 0 {
		return nil
	}
	return &x.Families[i]
}

// Sum adds up the samples called name (a family's name, or a histogram's
// name_count, name_sum) whose labels include all of labels.
func (x *Exposition) Sum(name string, labels ...Label) float64 {
	var sum float64
	for _, f := range x.Families {
		if !strings.HasPrefix(name, f.Name) {
			continue
		}
	samples:
		for _, s := range f.Samples {
			if s.Name != name {
				continue
			}
			for _, l := range labels {
				if v, ok := s.Labels[l.Name]; !ok || v != l.Value {
					continue samples
				}
			}
			sum += s.Value
		}
	}
	return sum
}

// errReader remembers the first error other than io.EOF its reader
// returned.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(b []byte) (int, error) {
	n, err := e.r.Read(b)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}
