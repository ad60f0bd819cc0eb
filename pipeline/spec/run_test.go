package spec

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"

	"github.com/edgecd/edgecd/asl"
	"github.com/edgecd/edgecd/flow"
)

// runDef is a pipeline exercising every compiled shape: single actions,
// a three-branch Parallel group, a second run order, an action without a
// namespace, an approval with a task token.
const runDef = `
name: demo
variables:
  Bucket: site
sources:
  - name: app
    repo: /srv/git/app.git
stages:
  - name: Source
    actions:
      - name: Checkout
        kind: source.git
        namespace: Source
  - name: Build
    actions:
      - name: Compile
        kind: build
        namespace: Build
      - name: Notify
        kind: http
        namespace: Hook
        with:
          url: "http://hooks.example/#{Source.CommitShort}"
      - name: Docs
        kind: build
        namespace: Docs
        with: {buildspec: docs.yml}
      - name: Lint
        kind: build
        namespace: Lint
        run_order: 2
        with:
          buildspec: "lint-#{Docs.Pages}.yml"
  - name: Deploy
    actions:
      - name: Upload
        kind: deploy
        namespace: Deploy
        with:
          dir: "#{Build.ArtifactsDir}"
          to: "s3://#{variables.Bucket}/#{Source.CommitShort}/"
      - name: Tell
        kind: http
        run_order: 2
        with:
          url: "http://chat.example/#{Lint.Result}/#{Hook.StatusCode}/#{codepipeline.PipelineExecutionId}"
  - name: Approve
    actions:
      - name: Approve
        kind: approval
        namespace: Approval
        with:
          timeout: 1h
          message: "ship #{Deploy.Version} of #{codepipeline.PipelineName}?"
`

// fakeActions serves every action kind in memory: it expands each with
// value against the task's Vars (so a variable that did not flow fails the
// action) and answers with fixed outputs.
type fakeActions struct {
	mu    sync.Mutex
	calls []string                     // "Stage/Action" in call order
	with  map[string]map[string]string // "Stage/Action" → expanded with
	in    map[string]TaskInput
	fail  map[string]error // "Stage/Action" → the error it fails with
}

func (f *fakeActions) tasks() map[string]flow.TaskFunc {
	m := map[string]flow.TaskFunc{}
	for _, k := range Kinds() {
		m[ResourcePrefix+k] = f.run
	}
	return m
}

func (f *fakeActions) run(ctx context.Context, t flow.Task) (json.RawMessage, error) {
	var in TaskInput
	if err := json.Unmarshal(t.Parameters, &in); err != nil {
		return nil, err
	}
	id := in.Stage + "/" + in.Action
	exp := map[string]string{}
	for k, v := range in.With {
		s, err := Expand(v, in.Vars)
		if err != nil {
			return nil, &flow.TaskError{Name: "Test.Expand", Cause: err.Error()}
		}
		exp[k] = s
	}
	f.mu.Lock()
	f.calls = append(f.calls, id)
	f.with[id] = exp
	f.in[id] = in
	err := f.fail[id]
	f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var out map[string]string
	switch in.Kind {
	case KindSourceGit:
		out = map[string]string{"CommitId": "abc1234def", "CommitShort": "abc1234", "BranchName": "main"}
	case KindBuild:
		out = map[string]string{"ArtifactsDir": "/work/" + in.Action, "Result": "clean", "Pages": "12"}
	case KindHTTP:
		out = map[string]string{"StatusCode": "200"}
	case KindDeploy:
		out = map[string]string{"Bucket": "site", "Version": "abc1234"}
	case KindApproval:
		if in.Token == "" {
			return nil, &flow.TaskError{Name: "Test.NoToken", Cause: "approval without a task token"}
		}
		out = map[string]string{"ApprovedBy": "alice"}
	default:
		out = map[string]string{}
	}
	return json.Marshal(out)
}

func newFake() *fakeActions {
	return &fakeActions{with: map[string]map[string]string{}, in: map[string]TaskInput{}, fail: map[string]error{}}
}

// runPipeline parses and compiles def and runs it with the flow engine's
// local runner.
func runPipeline(t *testing.T, def string, f *fakeActions, input Input) (flow.Execution, map[string]any) {
	t.Helper()
	p, probs := Parse("demo.yaml", []byte(def))
	if probs != nil {
		t.Fatalf("problems:\n%v", Problems(probs))
	}
	machine, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := asl.Parse(machine); err != nil {
		t.Fatalf("asl.Parse rejects the compiled machine: %v", err)
	}
	in, _ := json.Marshal(input)
	x, err := flow.RunLocal(context.Background(), machine, in, io.Discard, flow.LocalOptions{Tasks: f.tasks(), Name: "run-1"})
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if x.Output != nil {
		if err := json.Unmarshal(x.Output, &out); err != nil {
			t.Fatal(err)
		}
	}
	return x, out
}

func startInput() Input {
	return Input{Pipeline: "demo", Vars: Vars{NamespacePipeline: {"Bucket": "site"}}}
}

func TestCompiledPipelineFlowsVariablesToLaterActions(t *testing.T) {
	f := newFake()
	x, out := runPipeline(t, runDef, f, startInput())
	if x.Status != asl.Succeeded {
		t.Fatalf("status %s: %s %s", x.Status, x.Error, x.Cause)
	}
	wantWith := map[string]map[string]string{
		"Build/Notify":    {"url": "http://hooks.example/abc1234", "method": "POST"},
		"Build/Lint":      {"buildspec": "lint-12.yml", "source": "app"},
		"Deploy/Upload":   {"to": "s3://site/abc1234/", "dir": "/work/Compile", "delete": "false"},
		"Deploy/Tell":     {"url": "http://chat.example/clean/200/run-1", "method": "POST"},
		"Approve/Approve": {"timeout": "1h", "message": "ship abc1234 of demo?"},
	}
	for id, want := range wantWith {
		got := f.with[id]
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s with.%s = %q, want %q", id, k, got[k], v)
			}
		}
	}
	in := f.in["Approve/Approve"]
	if in.Pipeline != "demo" || in.Run != "run-1" || in.Kind != KindApproval || in.Namespace != "Approval" || in.Token == "" {
		t.Errorf("approval task input = %+v", in)
	}
	vars, _ := out["vars"].(map[string]any)
	var got []string
	for ns := range vars {
		got = append(got, ns)
	}
	slices.Sort(got)
	want := []string{"Approval", "Build", "Deploy", "Docs", "Hook", "Lint", "Pipeline", "Source", "codepipeline"}
	if !slices.Equal(got, want) {
		t.Errorf("final namespaces = %v, want %v (Tell has no namespace; the three-branch group merges all three)", got, want)
	}
}

func TestCompiledPipelineRunsParallelGroupsBeforeLaterRunOrders(t *testing.T) {
	f := newFake()
	runPipeline(t, runDef, f, startInput())
	pos := func(id string) int { return slices.Index(f.calls, id) }
	for _, early := range []string{"Build/Compile", "Build/Notify", "Build/Docs"} {
		if pos(early) < 0 || pos(early) > pos("Build/Lint") {
			t.Errorf("%s must run before Build/Lint: %v", early, f.calls)
		}
	}
	if len(f.calls) != 8 {
		t.Errorf("calls = %v, want each of the 8 actions once", f.calls)
	}
}

func TestCompiledPipelineResumesFromAStage(t *testing.T) {
	f := newFake()
	in := startInput()
	in.ResumeFrom = "Deploy"
	// A retry hands over the variables of the run it retries.
	in.Vars["Source"] = map[string]string{"CommitShort": "feed123"}
	in.Vars["Build"] = map[string]string{"ArtifactsDir": "/old/build"}
	in.Vars["Lint"] = map[string]string{"Result": "old"}
	in.Vars["Hook"] = map[string]string{"StatusCode": "204"}
	x, _ := runPipeline(t, runDef, f, in)
	if x.Status != asl.Succeeded {
		t.Fatalf("status %s: %s %s", x.Status, x.Error, x.Cause)
	}
	want := []string{"Deploy/Upload", "Deploy/Tell", "Approve/Approve"}
	if !slices.Equal(f.calls, want) {
		t.Fatalf("calls = %v, want %v", f.calls, want)
	}
	if got := f.with["Deploy/Upload"]["to"]; got != "s3://site/feed123/" {
		t.Errorf("to = %q: the retried run's variables must be used", got)
	}
}

func TestCompiledPipelineResumeFromEmptyStartsAtTheFirstStage(t *testing.T) {
	for _, rf := range []string{`""`, `null`} {
		f := newFake()
		p, _ := Parse("demo.yaml", []byte(runDef))
		machine, _ := Compile(p)
		in := `{"pipeline":"demo","vars":{"Pipeline":{"Bucket":"site"}},"resume_from":` + rf + `}`
		x, err := flow.RunLocal(context.Background(), machine, []byte(in), io.Discard, flow.LocalOptions{Tasks: f.tasks()})
		if err != nil || x.Status != asl.Succeeded || len(f.calls) != 8 || f.calls[0] != "Source/Checkout" {
			t.Errorf("resume_from %s: %v %s %v", rf, err, x.Status, f.calls)
		}
	}
}

func TestCompiledPipelineRefusesAnUnknownResumeStage(t *testing.T) {
	f := newFake()
	in := startInput()
	in.ResumeFrom = "Nope"
	x, _ := runPipeline(t, runDef, f, in)
	if x.Status != asl.Failed || x.Error != ErrUnknownStage || len(f.calls) != 0 {
		t.Fatalf("got %s %s %q, calls %v", x.Status, x.Error, x.Cause, f.calls)
	}
}

func TestFailingActionStopsTheRunNamingStageAndAction(t *testing.T) {
	tests := []struct {
		name      string
		fail      string
		err       error
		wantError string
		never     []string
	}{
		{"single action", "Deploy/Upload", &flow.TaskError{Name: "Deploy.Failed", Cause: "bucket site: access denied"}, "Deploy.Failed",
			[]string{"Deploy/Tell", "Approve/Approve"}},
		{"branch of a parallel group", "Build/Notify", &flow.TaskError{Name: "HTTP.Status", Cause: "500 from hooks.example"}, "HTTP.Status",
			[]string{"Build/Lint", "Deploy/Upload", "Approve/Approve"}},
		{"rejected approval", "Approve/Approve", &flow.TaskError{Name: "Approval.Rejected", Cause: "bob: not today"}, "Approval.Rejected", nil},
		{"plain error", "Source/Checkout", fmt.Errorf("branch main not found"), "States.TaskFailed",
			[]string{"Build/Compile", "Deploy/Upload"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			f.fail[tt.fail] = tt.err
			x, _ := runPipeline(t, runDef, f, startInput())
			if x.Status != asl.Failed || x.Error != tt.wantError {
				t.Fatalf("status %s error %q cause %q", x.Status, x.Error, x.Cause)
			}
			fl, ok := ParseFailure(x.Cause)
			stage, action, _ := cut(tt.fail)
			if !ok || fl.Stage != stage || fl.Action != action || fl.Error != tt.wantError {
				t.Fatalf("cause %q → %+v %v", x.Cause, fl, ok)
			}
			for _, id := range tt.never {
				if slices.Contains(f.calls, id) {
					t.Errorf("%s ran after the failure: %v", id, f.calls)
				}
			}
		})
	}
}

func cut(id string) (string, string, bool) {
	for i := range id {
		if id[i] == '/' {
			return id[:i], id[i+1:], true
		}
	}
	return id, "", false
}
