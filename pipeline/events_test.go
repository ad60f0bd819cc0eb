package pipeline

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/edgecd/edgecd/events"
)

const releaseDefinition = `name: rel
variables:
  Primary: E123PRIMARY
sources:
  - {name: app, repo: REPO, branch: main, trigger: manual}
stages:
  - name: Source
    actions:
      - {name: Checkout, kind: source.git, namespace: Source}
  - name: Build
    actions:
      - {name: Build, kind: build}
  - name: Configure
    actions:
      - name: Stage
        kind: release.stage
        with: {primary: "#{variables.Primary}", origin_path: "/#{Source.CommitShort}", header: aws-cf-cd-env=staging}
  - name: Approve
    actions:
      - {name: Approve, kind: approval}
  - name: Promote
    actions:
      - name: Promote
        kind: release.promote
        with: {primary: "#{variables.Primary}"}
`

func TestCleanupRuleMatchesARejectionAndLaterFailuresOnly(t *testing.T) {
	h := newHarness(t, releaseDefinition)
	ctx := context.Background()
	rule, err := h.bus.Rule(ctx, "", "edgecd-pipeline-rel-cleanup")
	if err != nil {
		t.Fatal(err)
	}
	if len(rule.Targets) != 1 || rule.Targets[0].ARN != AbortTarget {
		t.Fatalf("targets = %+v, want the release.abort target", rule.Targets)
	}
	var in cleanupInput
	if err := json.Unmarshal([]byte(rule.Targets[0].Input), &in); err != nil || in.Primary != "E123PRIMARY" || in.Service != "rel" {
		t.Fatalf("target input = %s (%v), want the primary and the service", rule.Targets[0].Input, err)
	}
	event := func(pipeline, stage, action, state string) []byte {
		detail, _ := json.Marshal(map[string]any{"pipeline": pipeline, "stage": stage, "action": action, "state": state, "execution-id": "x"})
		b, _ := json.Marshal(events.Event{Version: "0", ID: "1", DetailType: typeAction, Source: eventSource, Account: "000000000000",
			Time: "2026-01-01T00:00:00Z", Region: "us-east-1", Resources: []string{h.svc.ARN(pipeline)}, Detail: detail})
		return b
	}
	tests := []struct {
		name                           string
		pipeline, stage, action, state string
		want                           bool
	}{
		{"rejected approval (seed 001)", "rel", "Approve", "Approve", "FAILED", true},
		{"failed promote", "rel", "Promote", "Promote", "FAILED", true},
		{"failed staging", "rel", "Configure", "Stage", "FAILED", true},
		{"failed build, nothing staged yet", "rel", "Build", "Build", "FAILED", false},
		{"approved", "rel", "Approve", "Approve", "SUCCEEDED", false},
		{"another pipeline's rejection", "other", "Approve", "Approve", "FAILED", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := events.TestPattern([]byte(rule.EventPattern), event(tt.pipeline, tt.stage, tt.action, tt.state))
			if err != nil || got != tt.want {
				t.Fatalf("match = %v (%v), want %v; pattern %s", got, err, tt.want, rule.EventPattern)
			}
		})
	}
}
