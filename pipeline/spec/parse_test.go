package spec

import (
	"os"
	"strings"
	"testing"
	"time"
)

// head is a valid start of a definition (12 lines); cases append stages
// from line 13 on.
const head = `name: t
variables:
  Bucket: site
sources:
  - name: app
    repo: /r
stages:
  - name: Source
    actions:
      - name: Checkout
        kind: source.git
        namespace: Source
`

func problemStrings(ps []Problem) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

func TestParseReportsEveryProblemWithItsLocation(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // each a prefix "file:line:col: " plus a fragment of the message
	}{
		{"unknown top-level key", "name: t\nstagez: []\nstages: []\n", []string{
			`t.yaml:2:1: pipeline: unknown key "stagez"`,
			`t.yaml:3:9: stages is empty`,
		}},
		{"name and stages are required", "variables: {}\n", []string{
			`t.yaml:1:1: pipeline: name is required`,
			`t.yaml:1:1: pipeline: stages is required`,
		}},
		{"unknown kind", head + `  - name: Build
    actions:
      - name: B
        kind: compile
      - name: C
        kind: biuld
`, []string{
			`t.yaml:16:15: unknown action kind "compile" (known: approval, build,`,
			`t.yaml:18:15: unknown action kind "biuld" (did you mean "build"?)`,
		}},
		{"duplicate stage, action and namespace", head + `  - name: Source
    actions:
      - name: A
        kind: http
        namespace: Source
        with: {url: "http://x/"}
      - name: A
        kind: http
        with: {url: "http://x/"}
`, []string{
			`t.yaml:13:11: stage "Source" is defined twice`,
			`t.yaml:15:9: action "A": namespace "Source" is already used by action "Checkout" in stage "Source"`,
			`t.yaml:19:9: stage "Source": action "A" is defined twice`,
		}},
		{"unknown variables", head + `  - name: Build
    actions:
      - name: B
        kind: http
        with:
          url: "http://x/#{Nope.X}/#{Source.Sha}/#{variables.Missing}/#{codepipeline.Foo}"
`, []string{
			`t.yaml:18:26: action "B": with.url: unknown variable #{Nope.X}: no action has namespace "Nope"`,
			`t.yaml:18:36: action "B": with.url: unknown variable #{Source.Sha}: a source.git action sets CommitId, CommitShort`,
			`t.yaml:18:50: action "B": with.url: unknown variable #{variables.Missing}`,
			`t.yaml:18:71: action "B": with.url: unknown variable #{codepipeline.Foo}`,
		}},
		{"build variables are dynamic", head + `  - name: Build
    actions:
      - name: B
        kind: build
        namespace: Build
  - name: Tell
    actions:
      - name: T
        kind: http
        with:
          url: "http://x/#{Build.Anything}"
`, nil},
		{"namespace of a later stage or the same run order", head + `  - name: Build
    actions:
      - name: A
        kind: http
        namespace: A
        with: {url: "http://x/#{B.StatusCode}"}
      - name: B
        kind: http
        namespace: B
        with: {url: "http://x/#{C.StatusCode}/#{B.Body}"}
  - name: Later
    actions:
      - name: C
        kind: http
        namespace: C
        with: {url: "http://x/"}
`, []string{
			`t.yaml:18:31: action "A": with.url: #{B.StatusCode} is set by action "B", which runs at the same time or after this one`,
			`t.yaml:22:31: action "B": with.url: #{C.StatusCode} is set by action "C" in stage "Later", which runs after this one`,
			`t.yaml:22:47: action "B": with.url: #{B.Body} is this action's own output`,
		}},
		{"bad durations", "name: t\nsources:\n  - name: app\n    repo: /r\n    trigger: poll\n    poll_interval: 0s\n" + `stages:
  - name: S
    actions:
      - name: Checkout
        kind: source.git
        timeout: 5 minutes
`, []string{
			`t.yaml:6:20: source poll_interval: "0s" is out of range`,
			`t.yaml:12:18: action timeout: "5 minutes" is not a duration`,
		}},
		{"weights out of range and header rules", head + `  - name: Stage
    actions:
      - name: W
        kind: release.stage
        with: {primary: E1, origin_path: /v1, weight: "1.5"}
      - name: Z
        kind: release.stage
        with: {primary: E1, origin_path: /v1, weight: "0"}
      - name: H
        kind: release.stage
        with: {primary: E1, origin_path: v1/, header: x-env=blue}
      - name: Both
        kind: release.stage
        with: {primary: E1, origin_path: /v1, header: aws-cf-cd-x=1, weight: "0.1", sticky_idle: 300s}
`, []string{
			`t.yaml:17:55: action "W": with.weight: "1.5" must be a number greater than 0 and at most 1`,
			`t.yaml:20:55: action "Z": with.weight: "0" must be`,
			`t.yaml:23:42: action "H": with.origin_path: "v1/" must start with /`,
			`t.yaml:23:55: action "H": with.header: header name "x-env" must start with "aws-cf-cd-"`,
			`t.yaml:24:9: action "Both": give both sticky_idle and sticky_max`,
			`t.yaml:26:78: action "Both": give either header or weight, not both`,
		}},
		{"missing and unknown with keys", head + `  - name: Deploy
    actions:
      - name: D
        kind: deploy
        with: {dir: out, bucket: site}
`, []string{
			`t.yaml:15:9: action "D" (deploy): with.to is required`,
			`t.yaml:17:26: with: unknown key "bucket" (known: dir, to, delete)`,
		}},
		{"typos get a suggestion", head + `  - name: Deploy
    actions:
      - name: D
        kind: deploy
        with: {dir: out, to: "s3://b/#{Sorce.CommitShort}/#{Source.CommitShrt}", delet: "true"}
`, []string{
			`t.yaml:17:38: action "D": with.to: unknown variable #{Sorce.CommitShort}: no action has namespace "Sorce" (did you mean "Source"?)`,
			`t.yaml:17:59: action "D": with.to: unknown variable #{Source.CommitShrt} (did you mean "CommitShort"?)`,
			`t.yaml:17:82: with: unknown key "delet" (did you mean "delete"?)`,
		}},
		{"webhook needs a secret", "name: t\nsources:\n  - name: app\n    repo: /r\n    trigger: webhook\n" + `stages:
  - name: S
    actions:
      - name: Checkout
        kind: source.git
`, []string{`t.yaml:3:5: source "app": trigger webhook needs secret_env`}},
		{"malformed reference", head + `  - name: B
    actions:
      - name: H
        kind: http
        with: {url: "http://x/#{Source}"}
`, []string{`t.yaml:17:31: action "H": with.url: "#{Source}" is not a variable reference`}},
		{"invalid YAML", "name: t\nstages:\n  - name: [\n", []string{`t.yaml:3:1: invalid YAML`}},
		{"anchors are refused", "name: &n t\nstages: []\n", []string{
			`t.yaml:1:7: YAML anchors (&n) are not supported`,
			`t.yaml:2:9: stages is empty`,
		}},
		{"approval timeout cannot use variables", head + `  - name: A
    actions:
      - name: A
        kind: approval
        with: {timeout: "#{variables.Bucket}"}
`, []string{`t.yaml:17:25: action "A": with.timeout cannot use variables`}},
		{"approval timeout belongs in with", head + `  - name: A
    actions:
      - name: A
        kind: approval
        timeout: 1h
`, []string{`t.yaml:17:18: action "A": an approval's timeout goes in with: timeout`}},
		{"stepfunctions input must be JSON", head + `  - name: C
    actions:
      - name: C
        kind: stepfunctions
        with:
          state_machine: configure
          input: '{"Version": #{Source.CommitShort}, "x": }'
`, []string{`t.yaml:19:18: action "C": with.input must be a JSON object`}},
		{"run order range", head + `  - name: B
    actions:
      - name: H
        kind: http
        run_order: 0
        with: {url: "http://x/"}
`, []string{`t.yaml:17:20: run_order "0" must be a whole number from 1 to 999`}},
		{"source.git names an unknown source", head + `  - name: More
    actions:
      - name: Other
        kind: source.git
        with: {source: web}
`, []string{`t.yaml:17:24: action "Other": no source is named "web"`}},
		{"source.git names a source of a pipeline without sources", `name: t
stages:
  - name: S
    actions:
      - name: Checkout
        kind: source.git
        with: {source: app}
`, []string{`t.yaml:7:24: action "Checkout": no source is named "app": add it under sources`}},
		{"a variable in the pipeline's approval webhook", "name: t\napproval:\n  webhook: \"http://x/#{Nope.Y}\"\n" + `stages:
  - name: A
    actions:
      - {name: A, kind: approval}
      - {name: B, kind: approval, run_order: 2, with: {webhook: "http://y/"}}
`, []string{`t.yaml:3:12: action "A": with.webhook: unknown variable #{Nope.Y}: no action has namespace "Nope"`}},
		{"build without a checkout before it", `name: t
stages:
  - name: B
    actions:
      - name: B
        kind: build
`, []string{`t.yaml:5:9: action "B": with.source is required`}},
		{"a source nobody checks out", "name: t\nsources:\n  - name: app\n    repo: /r\n  - name: web\n    repo: /w\n" + `stages:
  - name: S
    actions:
      - name: Checkout
        kind: source.git
        with: {source: app}
`, []string{`t.yaml:5:5: source "web" is not checked out by any source.git action`}},
		{"empty sections are empty", "name: t\nvariables:\napproval:\nstages:\n  - name: S\n    actions:\n      - name: H\n        kind: http\n        with:\n", []string{
			`t.yaml:7:9: action "H" (http): with.url is required`,
		}},
		{"one document only", "name: t\nstages: []\n---\nname: u\n", []string{
			`t.yaml:2:9: stages is empty`,
			`t.yaml:3:1: a definition is one YAML document`,
		}},
		{"values must be strings", head + `  - name: B
    actions:
      - name: H
        kind: http
        with: {url: [a, b]}
`, []string{`t.yaml:17:21: with.url must be a string`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, probs := Parse("t.yaml", []byte(tt.yaml))
			got := problemStrings(probs)
			if len(tt.want) == 0 {
				if len(got) > 0 || p == nil {
					t.Fatalf("want no problems, got:\n%s", strings.Join(got, "\n"))
				}
				return
			}
			if p != nil {
				t.Errorf("a definition with problems must not return a pipeline")
			}
			if len(got) != len(tt.want) {
				t.Errorf("got %d problems, want %d:\n%s", len(got), len(tt.want), strings.Join(got, "\n"))
			}
			for _, w := range tt.want {
				found := false
				for _, g := range got {
					found = found || strings.HasPrefix(g, w)
				}
				if !found {
					t.Errorf("missing %q in:\n%s", w, strings.Join(got, "\n"))
				}
			}
		})
	}
}

func TestParseReadsTheExample(t *testing.T) {
	data, err := os.ReadFile("../../examples/pipeline/edgecd.pipeline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, probs := Parse("edgecd.pipeline.yaml", data)
	if probs != nil {
		t.Fatalf("problems:\n%v", Problems(probs))
	}
	if p.Name != "site" || p.Variables["Bucket"] != "site" || !p.Cleanup.OnReject {
		t.Errorf("pipeline = %+v", p)
	}
	src := p.Sources[0]
	if src.Name != "site" || src.Branch != "main" || src.Trigger != Poll || src.PollInterval != 10*time.Second {
		t.Errorf("source = %+v", src)
	}
	if p.Approval.Timeout != 24*time.Hour || p.Approval.Webhook == "" {
		t.Errorf("approval = %+v", p.Approval)
	}
	var stages []string
	for _, st := range p.Stages {
		stages = append(stages, st.Name)
	}
	if strings.Join(stages, ",") != "Source,Build,Deploy,Configure,Approve,Promote" {
		t.Errorf("stages = %v", stages)
	}
	appr := p.Stages[4].Actions[0]
	if appr.Kind != KindApproval || appr.With["timeout"] != "24h" || appr.With["webhook"] != p.Approval.Webhook {
		t.Errorf("the approval action takes the pipeline's approval defaults: %+v", appr)
	}
	if b := p.Stages[1].Actions[0]; b.Timeout != 10*time.Minute || b.With["buildspec"] != "buildspec.yml" {
		t.Errorf("build = %+v", b)
	}
}

func TestParseFillsDefaults(t *testing.T) {
	p, probs := Parse("t.yaml", []byte(head+`  - name: Build
    actions:
      - name: B
        kind: build
        namespace: Build
      - name: Later
        kind: invalidate
        run_order: 3
        with: {distribution: E1}
      - name: Early
        kind: http
        run_order: 2
        with: {url: "http://x/"}
  - name: Deploy
    actions:
      - name: D
        kind: deploy
        with: {to: "s3://site/v1/"}
`))
	if probs != nil {
		t.Fatalf("problems:\n%v", Problems(probs))
	}
	if got := p.Stages[0].Actions[0].With["source"]; got != "app" {
		t.Errorf("source.git source = %q, want the only source", got)
	}
	b := p.Stages[1].Actions
	if b[0].With["source"] != "app" || b[0].With["buildspec"] != "buildspec.yml" {
		t.Errorf("build with = %v", b[0].With)
	}
	if b[1].Name != "Early" || b[2].Name != "Later" {
		t.Errorf("actions are not in run order: %v, %v, %v", b[0].Name, b[1].Name, b[2].Name)
	}
	if b[2].With["paths"] != "/*" || b[2].With["wait"] != "false" {
		t.Errorf("invalidate with = %v", b[2].With)
	}
	if d := p.Stages[2].Actions[0].With; d["dir"] != "#{Build.ArtifactsDir}" || d["delete"] != "false" {
		t.Errorf("deploy with = %v", d)
	}
	if p.Sources[0].Trigger != Manual || p.Sources[0].Branch != "main" {
		t.Errorf("source defaults = %+v", p.Sources[0])
	}
}
