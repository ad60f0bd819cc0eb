package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// These tests stop the node in the middle of a run and start it again on
// the same store, as a restart after a crash does: the run must go on
// where it was, without running again what already happened.

func TestRestartWhileBuildingRunsTheBuildAgainAndNothingBefore(t *testing.T) {
	h := newHarness(t, readDefinition(t, "build-approve.yaml"))
	ctx := context.Background()
	gate := filepath.Join(t.TempDir(), "go-on")
	h.commit("slow build", map[string]string{"buildspec.yml": strings.Replace(buildspecYAML, "      - mkdir -p out\n",
		"      - echo waiting for the gate\n      - while [ ! -f "+gate+" ]; do sleep 0.02; done\n      - mkdir -p out\n", 1)})
	run := h.start(StartRequest{Pipeline: "demo"})
	h.waitRun(run.ID, "building", func(r Run) bool {
		_, b := r.action("Build", "Build")
		if b == nil || b.Status != StatusInProgress {
			return false
		}
		log, _ := os.ReadFile(b.Log)
		return strings.Contains(string(log), "waiting for the gate")
	})
	h.stop()
	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	h.boot()
	r := h.waitRun(run.ID, "waiting for approval after the restart", waitingApproval)
	_, src := r.action("Source", "Checkout")
	_, b := r.action("Build", "Build")
	if src.Attempt != 1 || b.Attempt != 2 || b.Status != StatusSucceeded {
		t.Fatalf("source attempts %d, build attempts %d (%s); want the source once and the build again", src.Attempt, b.Attempt, b.Status)
	}
	if _, _, err := h.svc.Decide(ctx, Decision{Run: run.ID, Result: Approved, By: "a"}); err != nil {
		t.Fatal(err)
	}
	h.waitRun(run.ID, "Succeeded", func(r Run) bool { return r.Status == StatusSucceeded })
}

func TestRestartWhileWaitingForApprovalKeepsTheApproval(t *testing.T) {
	h := newHarness(t, readDefinition(t, "build-approve.yaml"))
	ctx := context.Background()
	run := h.start(StartRequest{Pipeline: "demo"})
	h.waitRun(run.ID, "waiting for approval", waitingApproval)
	h.waitPosts("edgecd pipeline approve "+run.ID, 1)
	h.stop()
	h.boot()
	if _, _, err := h.svc.Decide(ctx, Decision{Pipeline: "demo", Result: Approved, By: "after-restart"}); err != nil {
		t.Fatal(err)
	}
	r := h.waitRun(run.ID, "Succeeded", func(r Run) bool { return r.Status == StatusSucceeded })
	for _, st := range r.Stages {
		for _, a := range st.Actions {
			if a.Attempt != 1 {
				t.Fatalf("action %s ran %d times across the restart, want once", a.Name, a.Attempt)
			}
		}
	}
	// Posted once, before the restart, and not again.
	if n := h.postsContaining("edgecd pipeline approve " + run.ID); n != 1 {
		t.Fatalf("approval messages = %d, want 1 (not posted again after the restart)", n)
	}
}
