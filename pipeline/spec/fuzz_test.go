package spec

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/edgecd/edgecd/asl"
)

// FuzzParse feeds arbitrary bytes to Parse: it must not panic, every
// problem must have a location, and any definition it accepts must
// compile to a machine the States Language parser accepts.
func FuzzParse(f *testing.F) {
	f.Add([]byte(head))
	f.Add([]byte(runDef))
	f.Add([]byte("name: t\nstages: []\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, probs := Parse("f.yaml", data)
		for _, pr := range probs {
			if pr.Line < 1 || pr.Column < 1 || pr.Msg == "" || pr.File != "f.yaml" {
				t.Fatalf("problem without a location: %+v", pr)
			}
		}
		if (p == nil) == (len(probs) == 0) {
			t.Fatalf("want a pipeline or problems, got %v and %d problems", p != nil, len(probs))
		}
		if p == nil {
			return
		}
		def, err := Compile(p)
		if err != nil {
			t.Fatalf("Compile of a checked pipeline: %v", err)
		}
		if _, err := asl.Parse(def); err != nil {
			t.Fatalf("asl.Parse: %v\n%s", err, def)
		}
	})
}

// FuzzExpand checks Expand against References: without an error, the
// result is s with each reference replaced by its value.
func FuzzExpand(f *testing.F) {
	for _, s := range []string{"", "#{A.b}", "x#{A.b}y#{C.d}", "#{A.", "#{#{A.b}}", "#{A.b}#{", "}#{A.b"} {
		f.Add(s)
	}
	vars := Vars{"A": {"b": "B#{C.d}"}, "C": {"d": ""}}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Expand(s, vars)
		if err != nil {
			return
		}
		var b strings.Builder
		last := 0
		for _, r := range References(s) {
			b.WriteString(s[last:r.Offset])
			b.WriteString(vars[r.Namespace][r.Var])
			last = r.Offset + r.Len
		}
		b.WriteString(s[last:])
		if got != b.String() {
			t.Fatalf("Expand(%q) = %q, References say %q", s, got, b.String())
		}
		if _, err := json.Marshal(got); err != nil {
			t.Fatal(err)
		}
	})
}
