package asl

import (
	"errors"
	"strings"
	"testing"
)

func TestParsePathRejectsMalformedPaths(t *testing.T) {
	for _, s := range []string{"", "a.b", "$.", "$..", "$[", "$['a'", "$[a]", "$[1:2:0]", "$.a b", "$[?(@.a == )]", "$[?(@.a]", "$['a',]"} {
		if _, err := ParsePath(s); err == nil {
			t.Errorf("ParsePath(%q) accepted a malformed path", s)
		}
	}
}

func TestReferencePathsSelectOneNode(t *testing.T) {
	tests := []struct {
		path string
		ref  bool
	}{
		{"$", true},
		{"$.a.b", true},
		{"$['a b'][0]", true},
		{"$$.Execution.Id", true},
		{"$.a[*]", false},
		{"$..a", false},
		{"$.a[0,1]", false},
		{"$.a[0:1]", false},
		{"$.a[?(@.x)]", false},
	}
	for _, tt := range tests {
		p, err := ParsePath(tt.path)
		if err != nil {
			t.Fatalf("%s: %v", tt.path, err)
		}
		if p.IsReference() != tt.ref {
			t.Errorf("%s: IsReference = %v, want %v", tt.path, !tt.ref, tt.ref)
		}
	}
}

func TestIntrinsicStringEscapes(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"escaped quote", `States.Format('it\'s')`, "it's"},
		{"escaped braces are literal", `States.Format('\{\}')`, "{}"},
		{"escaped backslash", `States.Format('a\\b')`, `a\b`},
		{"comma and parenthesis inside quotes", `States.Format('a, (b)')`, "a, (b)"},
		{"placeholder filled", `States.Format('x{}y', 'z')`, "xzy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn, err := ParseIntrinsic(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			got, f := fn.Eval(Scope{}, &Env{})
			if f != nil || got != tt.want {
				t.Errorf("got %q (%v), want %q", got, f, tt.want)
			}
		})
	}
}

func TestParseIntrinsicRejects(t *testing.T) {
	for _, s := range []string{
		"States.Format('unterminated)", "States.Nope()", "States.Format", "States.Array(1,", "States.Array(1) extra",
		"States.Array(bare)", "States.ArrayLength()", "States.UUID(1)", "States.Format('a\\",
	} {
		if _, err := ParseIntrinsic(s); err == nil {
			t.Errorf("ParseIntrinsic(%q) accepted it", s)
		}
	}
}

func TestStringMatchesPatterns(t *testing.T) {
	tests := []struct {
		s, pattern string
		want       bool
	}{
		{"log-1.txt", "log-*.txt", true},
		{"log-1.txt", "log-*", true},
		{"xlog-1.txt", "log-*", false},
		{"", "*", true},
		{"abc", "a*b*c", true},
		{"ac", "a*b*c", false},
		{"a*c", `a\*c`, true},
		{"abc", `a\*c`, false},
		{`a\c`, `a\\c`, true},
		{"aXbXb", "a*b", true},
		{"aba", "ab*ba", false},
	}
	for _, tt := range tests {
		if got := stringMatches(tt.s, tt.pattern); got != tt.want {
			t.Errorf("stringMatches(%q, %q) = %v, want %v", tt.s, tt.pattern, got, tt.want)
		}
	}
}

func TestValidationMessagesNameTheProblem(t *testing.T) {
	_, err := Parse([]byte(`{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Missing"},"B":{"Type":"Task","Resource":"arn:x","End":true}}}`))
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v", err)
	}
	want := map[string]string{
		"$.States.A.Next": `"Missing"`,
		"$.States.B":      `"B" cannot be reached`,
	}
	for _, p := range ve.Problems {
		if frag, ok := want[p.Path]; ok && strings.Contains(p.Message, frag) {
			delete(want, p.Path)
		}
	}
	if len(want) > 0 {
		t.Errorf("missing actionable problems %v in %v", want, ve.Problems)
	}
}

func TestProblemPointerIsTheAPILocation(t *testing.T) {
	tests := []struct{ path, want string }{
		{"$", "/"},
		{"$.States.A.Next", "/States/A/Next"},
		{"$.States.A.Retry[0].ErrorEquals[1]", "/States/A/Retry/0/ErrorEquals/1"},
		{"$.States['v1.2'].Next", "/States/v1.2/Next"},
		{"$.States['a/b']", "/States/a~1b"},
	}
	for _, tt := range tests {
		if got := (Problem{Path: tt.path}).Pointer(); got != tt.want {
			t.Errorf("Pointer(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}
