package pipeline

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/edgecd/edgecd/events"
	"github.com/edgecd/edgecd/flow"
)

func readDefinition(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRunBuildsPausesForApprovalAndContinuesWhenApproved(t *testing.T) {
	h := newHarness(t, readDefinition(t, "build-approve.yaml"))
	ctx := context.Background()
	head := h.git("-C", h.repo, "rev-parse", "HEAD")

	run := h.start(StartRequest{Pipeline: "demo", Trigger: Trigger{Type: "StartPipelineExecution", Detail: "test"}})
	if run.Commits["app"] != head {
		t.Fatalf("run records commit %q, want the head %s", run.Commits["app"], head)
	}
	r := h.waitRun(run.ID, "waiting for approval", waitingApproval)
	_, build := r.action("Build", "Build")
	if build.Status != StatusSucceeded || build.Outputs["SITE_VERSION"] != "v1" {
		t.Fatalf("build = %+v, want Succeeded exporting SITE_VERSION=v1", build)
	}
	log, err := h.svc.Log(ctx, r, "Build", "Build", 0, 1<<20)
	if err != nil || !strings.Contains(log.Data, "built v1") {
		t.Fatalf("build log = %q, %v; want the build's output", log.Data, err)
	}
	h.waitPosts("edgecd pipeline approve "+run.ID, 1)

	if _, _, err := h.svc.Decide(ctx, Decision{Run: run.ID, Result: Approved, By: "alice", Comment: "looks good"}); err != nil {
		t.Fatal(err)
	}
	r = h.waitRun(run.ID, "Succeeded", func(r Run) bool { return r.Status == StatusSucceeded })
	_, ap := r.action("Approve", "Approve")
	if ap.Approval == nil || ap.Approval.By != "alice" || ap.Approval.Comment != "looks good" || ap.Approval.At.IsZero() {
		t.Fatalf("approval record = %+v, want who, when and the comment", ap.Approval)
	}
	// The later action read the approver, a pipeline variable and the
	// build's exported variable.
	if n := h.postsContaining(`"approved_by":"alice","greeting":"hello","build":"v1"`); n != 1 {
		t.Fatalf("http action posts with expanded variables = %d, want 1 (posts: %q)", n, h.posts)
	}
	for _, st := range r.Stages {
		if st.Status != StatusSucceeded || st.Start.IsZero() || st.End.IsZero() {
			t.Fatalf("stage %s = %+v, want Succeeded with start and end", st.Name, st)
		}
	}
	h.waitEvent("pipeline SUCCEEDED", func(ev events.Event, d map[string]any) bool {
		return ev.DetailType == typePipeline && d["state"] == "SUCCEEDED" && d["execution-id"] == run.ID &&
			len(ev.Resources) == 1 && ev.Resources[0] == h.svc.ARN("demo")
	})
}

func TestRejectFailsTheApprovalActionAndTheRun(t *testing.T) {
	h := newHarness(t, readDefinition(t, "build-approve.yaml"))
	ctx := context.Background()
	run := h.start(StartRequest{Pipeline: "demo"})
	h.waitRun(run.ID, "waiting for approval", waitingApproval)
	if _, _, err := h.svc.Decide(ctx, Decision{Pipeline: "demo", Result: Rejected, By: "bob", Comment: "broken header"}); err != nil {
		t.Fatal(err)
	}
	r := h.waitRun(run.ID, "Failed", func(r Run) bool { return r.Status == StatusFailed })
	st, ap := r.action("Approve", "Approve")
	if ap.Status != StatusFailed || ap.Error != Rejected || st.Status != StatusFailed {
		t.Fatalf("approve action = %+v (stage %s), want Failed with error Rejected", ap, st.Status)
	}
	if _, after := r.action("After", "Notify"); after.Status != "" {
		t.Fatalf("the action after a rejected approval ran: %+v", after)
	}
	// The seed 001 pattern matches this event.
	h.waitEvent("approval action FAILED", func(ev events.Event, d map[string]any) bool {
		return ev.DetailType == typeAction && d["stage"] == "Approve" && d["action"] == "Approve" && d["state"] == "FAILED"
	})
	if _, _, err := h.svc.Decide(ctx, Decision{Run: run.ID, Result: Approved, By: "late"}); !errors.Is(err, ErrNotWaiting) {
		t.Fatalf("approving a finished run: err = %v, want ErrNotWaiting", err)
	}
}

func TestStartWithUnknownCommitStartsNothing(t *testing.T) {
	h := newHarness(t, readDefinition(t, "build-approve.yaml"))
	ctx := context.Background()
	tests := []struct {
		name    string
		commits map[string]string
		want    error
	}{
		{"unknown commit", map[string]string{"app": strings.Repeat("ab", 20)}, ErrUnknownCommit},
		{"unknown source", map[string]string{"web": "abcdef1"}, ErrUnknownSource},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := h.svc.Start(ctx, StartRequest{Pipeline: "demo", Commits: tt.commits}); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	runs, err := h.svc.Runs(ctx, "demo", 0)
	if err != nil || len(runs) != 0 {
		t.Fatalf("runs = %d (%v), want none started", len(runs), err)
	}
}

func TestStartPinsAnOlderCommit(t *testing.T) {
	h := newHarness(t, readDefinition(t, "build-approve.yaml"))
	first := h.git("-C", h.repo, "rev-parse", "HEAD")
	h.commit("second", map[string]string{"message.txt": "v2"})
	run := h.start(StartRequest{Pipeline: "demo", Commits: map[string]string{"app": first[:8]}})
	if run.Commits["app"] != first {
		t.Fatalf("recorded commit %s, want the pinned %s in full", run.Commits["app"], first)
	}
	r := h.waitRun(run.ID, "waiting for approval", waitingApproval)
	if _, b := r.action("Build", "Build"); b.Outputs["SITE_VERSION"] != "v1" {
		t.Fatalf("built %q, want the pinned commit's v1", b.Outputs["SITE_VERSION"])
	}
}

func TestNewerTriggersQueueAndSupersedeOlderPendingRuns(t *testing.T) {
	h := newHarness(t, readDefinition(t, "build-approve.yaml"))
	ctx := context.Background()
	first := h.start(StartRequest{Pipeline: "demo"})
	h.waitRun(first.ID, "waiting for approval", waitingApproval)
	second := h.start(StartRequest{Pipeline: "demo"})
	third := h.start(StartRequest{Pipeline: "demo"})
	if second.Status != StatusQueued || third.Status != StatusQueued {
		t.Fatalf("runs behind an active one: %s, %s; want Queued", second.Status, third.Status)
	}
	if r, _ := h.svc.Run(ctx, "demo", second.ID); r.Status != StatusSuperseded {
		t.Fatalf("older pending run = %s, want Superseded", r.Status)
	}
	if _, _, err := h.svc.Decide(ctx, Decision{Run: first.ID, Result: Approved, By: "a"}); err != nil {
		t.Fatal(err)
	}
	h.waitRun(first.ID, "Succeeded", func(r Run) bool { return r.Status == StatusSucceeded })
	h.waitRun(third.ID, "started after the first ended", waitingApproval)
	if r, _ := h.svc.Run(ctx, "demo", second.ID); r.Status != StatusSuperseded || r.Execution != "" {
		t.Fatalf("superseded run = %s (execution %q), want never started", r.Status, r.Execution)
	}
}

func TestFailingBuildStopsTheRunWithItsLogTail(t *testing.T) {
	h := newHarness(t, readDefinition(t, "build-approve.yaml"))
	ctx := context.Background()
	h.commit("break", map[string]string{"buildspec.yml": "version: 0.2\nphases:\n  build:\n    commands:\n      - echo about to fail\n      - exit 3\n"})
	run := h.start(StartRequest{Pipeline: "demo"})
	r := h.waitRun(run.ID, "Failed", func(r Run) bool { return r.Status == StatusFailed })
	_, b := r.action("Build", "Build")
	if b.Status != StatusFailed || b.Error != "Pipeline.BuildFailed" || !strings.Contains(b.Summary, "about to fail") {
		t.Fatalf("build = %+v, want Failed with the log tail", b)
	}
	if _, ap := r.action("Approve", "Approve"); ap.Status != "" {
		t.Fatalf("approval ran after a failed build: %+v", ap)
	}
	retry, err := h.svc.Retry(ctx, "demo", run.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if retry.Resume != "Build" || retry.Commits["app"] != run.Commits["app"] {
		t.Fatalf("retry = resume %q on %v, want Build on the same commits", retry.Resume, retry.Commits)
	}
	h.waitRun(retry.ID, "Failed again", func(r Run) bool { return r.Status == StatusFailed })
}

func TestWebhookChecksTheSignature(t *testing.T) {
	h := newHarness(t, strings.Replace(readDefinition(t, "build-approve.yaml"), "trigger: manual", "trigger: webhook\n    secret_env: APP_SECRET", 1))
	head := h.git("-C", h.repo, "rev-parse", "HEAD")
	body := `{"ref":"refs/heads/main","before":"` + strings.Repeat("0", 40) + `","after":"` + head + `","repository":{"full_name":"o/r","clone_url":"https://example.com/o/r.git"},"head_commit":{"id":"` + head + `","message":"m"},"pusher":{"name":"carol"}}`
	sign := func(secret string) string {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(body))
		return "sha256=" + hex.EncodeToString(m.Sum(nil))
	}
	tests := []struct {
		name, signature string
		want            int
	}{
		{"wrong secret", sign("guess"), http.StatusUnauthorized},
		{"no signature", "", http.StatusUnauthorized},
		{"signed with the source's secret", sign("s3cret"), http.StatusAccepted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, WebhookPath+"demo", strings.NewReader(body))
			req.Header.Set("X-GitHub-Event", "push")
			if tt.signature != "" {
				req.Header.Set("X-Hub-Signature-256", tt.signature)
			}
			w := httptest.NewRecorder()
			h.svc.Webhook().ServeHTTP(w, req)
			if w.Code != tt.want {
				t.Fatalf("status = %d (%s), want %d", w.Code, w.Body, tt.want)
			}
		})
	}
	runs, _ := h.svc.Runs(context.Background(), "demo", 0)
	if len(runs) != 1 || runs[0].Commits["app"] != head || runs[0].Trigger.Type != "Webhook" {
		t.Fatalf("runs = %+v, want one webhook run of %s", runs, head)
	}
}

func TestUnansweredApprovalTimesOutAsAFailedAction(t *testing.T) {
	def := strings.Replace(readDefinition(t, "build-approve.yaml"), `message: "ship #{Source.CommitShort}?"`, "message: ship it?\n          timeout: 1s", 1)
	h := newHarness(t, def)
	run, err := h.svc.Start(context.Background(), StartRequest{Pipeline: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	r := h.waitRun(run.ID, "Failed", func(r Run) bool { return r.Status == StatusFailed })
	if _, ap := r.action("Approve", "Approve"); ap.Status != StatusFailed || ap.Error != "States.Timeout" || !strings.HasPrefix(ap.Summary, "timed out") {
		t.Fatalf("approval = %+v, want Failed with States.Timeout", ap)
	}
	h.waitEvent("approval action FAILED after the timeout", func(ev events.Event, d map[string]any) bool {
		return ev.DetailType == typeAction && d["action"] == "Approve" && d["state"] == "FAILED"
	})
}

func TestStopAbandonsTheWaitingApprovalAndStartsTheQueuedRun(t *testing.T) {
	h := newHarness(t, readDefinition(t, "build-approve.yaml"))
	ctx := context.Background()
	first := h.start(StartRequest{Pipeline: "demo"})
	h.waitRun(first.ID, "waiting for approval", waitingApproval)
	next := h.start(StartRequest{Pipeline: "demo"})
	if _, err := h.svc.Stop(ctx, "demo", first.ID, "wrong branch"); err != nil {
		t.Fatal(err)
	}
	r := h.waitRun(first.ID, "Stopped", func(r Run) bool { return r.Status == StatusStopped })
	if _, ap := r.action("Approve", "Approve"); ap.Status != "Abandoned" || ap.Token != "" {
		t.Fatalf("approval of a stopped run = %+v, want Abandoned without a token", ap)
	}
	h.waitRun(next.ID, "started after the stop", waitingApproval)
	if _, _, err := h.svc.Decide(ctx, Decision{Run: first.ID, Result: Approved, By: "x"}); !errors.Is(err, ErrNotWaiting) {
		t.Fatalf("approving a stopped run: %v, want ErrNotWaiting", err)
	}
}

func TestStepFunctionsActionRunsTheMachineAndReturnsItsOutput(t *testing.T) {
	def := `name: sfn
sources:
  - {name: app, repo: REPO, branch: main, trigger: manual}
stages:
  - name: Source
    actions:
      - {name: Checkout, kind: source.git}
  - name: Configure
    actions:
      - name: Configure
        kind: stepfunctions
        namespace: Configure
        with:
          state_machine: configure
          input: '{"version": "#{codepipeline.PipelineExecutionId}"}'
  - name: Check
    actions:
      - name: Notify
        kind: http
        with:
          url: HOOK
          body: '#{Configure.Output}'
`
	h := newHarness(t, def)
	ctx := context.Background()
	arn := "arn:aws:states:us-east-1:000000000000:stateMachine:configure"
	machine := `{"StartAt":"Set","States":{"Set":{"Type":"Pass","Parameters":{"Staging.$":"States.Format('staged {}', $.version)"},"End":true}}}`
	if _, err := h.engine.CreateMachine(ctx, flow.Machine{ARN: arn, Name: "configure", Definition: machine, RoleArn: "arn:aws:iam::000000000000:role/r"}); err != nil {
		t.Fatal(err)
	}
	run := h.start(StartRequest{Pipeline: "sfn"})
	r := h.waitRun(run.ID, "Succeeded", func(r Run) bool { return r.Done() })
	_, a := r.action("Configure", "Configure")
	if r.Status != StatusSucceeded || a.Outputs["Status"] != "SUCCEEDED" || !strings.HasPrefix(a.Outputs["ExecutionArn"], "arn:aws:states:us-east-1:000000000000:execution:configure:") {
		t.Fatalf("run %s, action %+v", r.Status, a)
	}
	h.waitPosts(`{"Staging":"staged `+run.ID+`"}`, 1)
}
