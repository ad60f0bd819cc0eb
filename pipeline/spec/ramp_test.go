package spec

import (
	"bytes"
	"strings"
	"testing"
)

const rampStage = `  - name: Rollout
    actions:
      - name: Ramp
        kind: release.ramp
        namespace: Rollout
`

func TestReleaseRampFillsDefaultsAndCompilesToItsResource(t *testing.T) {
	p, probs := Parse("t.yaml", []byte(head+rampStage+`        with: {primary: E1}
`))
	if probs != nil {
		t.Fatalf("problems:\n%v", Problems(probs))
	}
	with := p.Stages[1].Actions[0].With
	for key, want := range map[string]string{"steps": "0.05,0.25,0.5,1", "hold": "5m", "analyze": "false", "promote": "true"} {
		if with[key] != want {
			t.Errorf("with.%s = %q, want the default %q", key, with[key], want)
		}
	}
	def, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(def, []byte(`"`+Resource(KindReleaseRamp)+`"`)) {
		t.Fatalf("the compiled machine has no %s task:\n%s", Resource(KindReleaseRamp), def)
	}
}

func TestReleaseRampSettingsAreChecked(t *testing.T) {
	tests := []struct {
		name string
		with string
		want string // a fragment of the only problem; "" = none
	}{
		{"all settings", `{primary: E1, steps: "0.1,0.5,1", hold: 2m, analyze: "true", promote: "false", invalidate: "/*", min_requests: "100", max_5xx_rate: "0.05", max_4xx_rate: "0.2"}`, ""},
		{"percentages", `{primary: E1, steps: "10%, 50%, 100%"}`, ""},
		{"settings from variables are checked at run time", `{primary: "#{Source.CommitId}", steps: "#{Pipeline.Bucket}"}`, ""},
		{"primary is required", `{steps: "0.5,1"}`, `with.primary is required`},
		{"weights going down", `{primary: E1, steps: "0.5,0.1"}`, `with.steps: "0.5,0.1" must be increasing weights`},
		{"a percentage as a fraction", `{primary: E1, steps: "5,25"}`, `with.steps: "5,25" must be increasing weights greater than 0 and at most 1`},
		{"an empty step", `{primary: E1, steps: "0.1,,1"}`, `with.steps`},
		{"a hold that is not a duration", `{primary: E1, hold: soon}`, `with.hold`},
		{"analyze that is not a boolean", `{primary: E1, analyze: maybe}`, `with.analyze`},
		{"a gate needing no requests", `{primary: E1, min_requests: "0"}`, `with.min_requests: "0"`},
		{"an unknown key", `{primary: E1, window: 1m}`, `window`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, probs := Parse("t.yaml", []byte(head+rampStage+"        with: "+tt.with+"\n"))
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
