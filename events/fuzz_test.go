package events

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// FuzzPattern compiles arbitrary patterns and matches them against
// arbitrary events: no panics, compile errors are *PatternError with a
// reason, and a compiled pattern's source round-trips.
func FuzzPattern(f *testing.F) {
	f.Add(rejectionPattern, actionEvent("FAILED"))
	f.Add(`{"a":[{"numeric":[">",0,"<=",5]}]}`, `{"a":[1,"x",{"b":2}]}`)
	f.Add(`{"$or":[{"a":["x"]},{"b":[{"exists":false}]}]}`, `{"b":null}`)
	f.Add(`{"f":[{"wildcard":"*a\\*b*"}]}`, `{"f":"xa*by"}`)
	f.Fuzz(func(t *testing.T, pattern, event string) {
		p, err := CompilePattern([]byte(pattern))
		if err != nil {
			var pe *PatternError
			if !errors.As(err, &pe) || pe.Reason == "" {
				t.Fatalf("compile error %v is not a *PatternError with a reason", err)
			}
			if !strings.HasPrefix(err.Error(), "Event pattern is not valid. Reason: ") {
				t.Fatalf("message %q", err)
			}
			return
		}
		if p.String() != pattern {
			t.Fatalf("String() = %q, want the source", p.String())
		}
		first := p.Match([]byte(event))
		if p.Match([]byte(event)) != first {
			t.Fatal("Match is not deterministic")
		}
	})
}

// FuzzInput runs client-written InputPaths and InputTemplates against an
// event: no panics, and whatever is produced is valid JSON.
func FuzzInput(f *testing.F) {
	f.Add("$.detail.state", `{"s": <s>, "m": "<s> is <aws.events.rule-name>"}`)
	f.Add("$.resources[0]", `plain <s> text`)
	f.Add("$", `"<s>"`)
	raw := []byte(actionEvent("FAILED"))
	d := &delivery{Rule: "r", RuleARN: "arn:aws:events:us-east-1:1:rule/r"}
	f.Fuzz(func(t *testing.T, path, template string) {
		tgt := Target{ID: "t", ARN: "https://x", InputPath: path}
		if _, err := parsePath(path); err == nil {
			out, err := targetInput(tgt, raw, d)
			if err != nil || !json.Valid(out) {
				t.Fatalf("InputPath %q: %s, %v", path, out, err)
			}
		}
		tr := &InputTransformer{InputPathsMap: map[string]string{"s": path}, InputTemplate: template}
		if checkTransformer(tr) != nil {
			return
		}
		out, err := targetInput(Target{InputTransformer: tr}, raw, d)
		if err == nil && !json.Valid(out) {
			t.Fatalf("template %q gave invalid JSON %s", template, out)
		}
	})
}
