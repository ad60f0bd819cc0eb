package spec

import (
	"bytes"
	"strings"
	"testing"
)

const analyzeStage = `  - name: Canary
    actions:
      - name: Analyze
        kind: release.analyze
        namespace: Canary
`

func TestReleaseAnalyzeFillsDefaultsAndCompilesToItsResource(t *testing.T) {
	p, probs := Parse("t.yaml", []byte(head+analyzeStage+`        with: {primary: "#{Pipeline.Bucket}"}
`))
	if probs != nil {
		t.Fatalf("problems:\n%v", Problems(probs))
	}
	with := p.Stages[1].Actions[0].With
	for key, want := range map[string]string{"window": "60s", "min_requests": "50", "max_5xx_rate": "0.01"} {
		if with[key] != want {
			t.Errorf("with.%s = %q, want the default %q", key, with[key], want)
		}
	}
	if _, set := with["max_4xx_rate"]; set {
		t.Errorf("with.max_4xx_rate = %q, want it unset (4xx reported, not gated)", with["max_4xx_rate"])
	}
	def, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(def, []byte(`"`+Resource(KindReleaseAnalyze)+`"`)) {
		t.Fatalf("the compiled machine has no %s task:\n%s", Resource(KindReleaseAnalyze), def)
	}
}

func TestReleaseAnalyzeSettingsAreChecked(t *testing.T) {
	tests := []struct {
		name string
		with string
		want string // a fragment of the only problem; "" = none
	}{
		{"all settings", `{primary: E1, window: 2m, min_requests: "100", max_5xx_rate: "0.05", max_4xx_rate: "0.2"}`, ""},
		{"settings from variables are checked at run time", `{primary: "#{Source.CommitId}", window: "#{Pipeline.Bucket}"}`, ""},
		{"primary is required", `{window: 30s}`, `with.primary is required`},
		{"a window under a second", `{primary: E1, window: 10ms}`, `with.window: "10ms" is out of range`},
		{"no requests needed", `{primary: E1, min_requests: "0"}`, `with.min_requests: "0" must be a whole number of at least 1`},
		{"a percentage for a fraction", `{primary: E1, max_5xx_rate: "5"}`, `with.max_5xx_rate: "5" must be a fraction greater than 0 and at most 1`},
		{"a 4xx rate that is not a number", `{primary: E1, max_4xx_rate: "lots"}`, `with.max_4xx_rate: "lots" must be a fraction`},
		{"an unknown key", `{primary: E1, max_latency: 1s}`, `max_latency`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, probs := Parse("t.yaml", []byte(head+analyzeStage+"        with: "+tt.with+"\n"))
			got := strings.Join(problemStrings(probs), "\n")
			switch {
			case tt.want == "" && len(probs) > 0:
				t.Fatalf("problems:\n%s", got)
			case tt.want != "" && (len(probs) != 1 || !strings.Contains(got, tt.want)):
				t.Fatalf("problems:\n%s\nwant exactly one containing %q", got, tt.want)
			}
		})
	}
}
