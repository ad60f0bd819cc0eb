package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
)

func TestRuleManagement(t *testing.T) {
	ctx := context.Background()
	b := openBus(t, filepath.Join(t.TempDir(), "db"), Options{})
	b.RegisterTarget(goTarget, newRecorder().target)
	arn, err := b.PutRule(ctx, Rule{Name: "purge", EventPattern: rejectionPattern, Description: "cleanup"})
	if err != nil || arn != "arn:aws:events:eu-west-1:123456789012:rule/purge" {
		t.Fatalf("PutRule = %q, %v", arn, err)
	}
	var pe *PatternError
	if _, err := b.PutRule(ctx, Rule{Name: "bad", EventPattern: `{"source":"x"}`}); !errors.As(err, &pe) {
		t.Errorf("bad pattern: %v", err)
	}
	if _, err := b.PutRule(ctx, Rule{Name: "bad name!", EventPattern: `{"source":["x"]}`}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad name: %v", err)
	}
	if _, err := b.PutTargets(ctx, "", "missing", []Target{{ID: "t", ARN: goTarget}}); !errors.Is(err, ErrNotFound) || err.Error() != "Rule missing does not exist on EventBus default." {
		t.Errorf("targets on a missing rule: %v", err)
	}
	if _, err := b.PutTargets(ctx, "", "purge", []Target{{ID: "t", ARN: "arn:aws:lambda:eu-west-1:1:function:f"}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("undeliverable target: %v", err)
	}
	if _, err := b.PutTargets(ctx, "", "purge", []Target{{ID: "t", ARN: goTarget, Input: "{", InputPath: "$"}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("two input kinds: %v", err)
	}
	var six []Target
	for i := range 6 {
		six = append(six, Target{ID: fmt.Sprint("t", i), ARN: goTarget})
	}
	if _, err := b.PutTargets(ctx, "", "purge", six); !errors.Is(err, ErrLimit) {
		t.Errorf("six targets: %v", err)
	}
	if _, err := b.PutTargets(ctx, "", "purge", six[:2]); err != nil {
		t.Fatal(err)
	}
	// PutRule keeps targets; replacing by ID keeps the count.
	if _, err := b.PutRule(ctx, Rule{Name: "purge", EventPattern: rejectionPattern, State: Disabled}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.PutTargets(ctx, "", "purge", []Target{{ID: "t0", ARN: goTarget + "new"}}); err != nil {
		t.Fatal(err)
	}
	r, err := b.Rule(ctx, "", "purge")
	if err != nil || r.State != Disabled || r.Description != "" || len(r.Targets) != 2 || r.Targets[0].ARN != goTarget+"new" {
		t.Errorf("rule %+v, %v", r, err)
	}
	if err := b.DeleteRule(ctx, "", "purge"); !errors.Is(err, ErrInvalid) {
		t.Errorf("deleting a rule with targets: %v", err)
	}
	if _, err := b.RemoveTargets(ctx, "", "purge", []string{"t0", "t1", "nope"}); err != nil {
		t.Fatal(err)
	}
	if err := b.DeleteRule(ctx, "", "purge"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Rule(ctx, "", "purge"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted rule: %v", err)
	}
	if err := b.DeleteRule(ctx, "", "purge"); err != nil {
		t.Errorf("deleting a missing rule: %v", err)
	}
	if err := b.SetState(ctx, "", "purge", Enabled); !errors.Is(err, ErrNotFound) {
		t.Errorf("enabling a missing rule: %v", err)
	}
}

func TestRejectionRuleMatchesPipelineEvents(t *testing.T) {
	rec := newRecorder()
	b := openBus(t, filepath.Join(t.TempDir(), "db"), Options{})
	b.RegisterTarget(goTarget, rec.target)
	putRule(t, b, "site-purge", b.RejectionPattern("site", "Approve", "Approve"), Target{ID: "abort", ARN: goTarget + "release.abort"})
	approval := &ActionType{Owner: "AWS", Provider: "Manual", Category: "Approval", Version: "1"}
	change := func(pipeline, stage, action, state string) Entry {
		return b.PipelineEntry(PipelineChange{Pipeline: pipeline, ExecutionID: "x1", Stage: stage, Action: action, State: state, Version: 1, Type: approval})
	}
	res, err := b.PutTrusted(context.Background(), []Entry{
		change("site", "Approve", "Approve", "SUCCEEDED"),
		change("other", "Approve", "Approve", "FAILED"),
		change("site", "Approve", "", "FAILED"), // the stage, not the action
		change("site", "Approve", "Approve", "FAILED"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := b.Pending(context.Background()); n != 1 {
		t.Fatalf("%d deliveries, want 1 (only the rejected approval)", n)
	}
	run(t, b)
	got := rec.wait(t)
	if got.ev.ID != res[3].EventID || got.ev.Source != "aws.codepipeline" || got.ev.Resources[0] != "arn:aws:codepipeline:eu-west-1:123456789012:site" {
		t.Errorf("delivered %+v", got.ev)
	}
	var d map[string]any
	json.Unmarshal(got.ev.Detail, &d)
	if d["execution-id"] != "x1" || d["type"].(map[string]any)["provider"] != "Manual" || d["region"] != "eu-west-1" {
		t.Errorf("detail %s", got.ev.Detail)
	}
}
