package spec

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/edgecd/edgecd/asl"
	"github.com/edgecd/edgecd/flow"
	"github.com/edgecd/edgecd/flow/flowtest"
	"github.com/edgecd/edgecd/store/sqlite"
)

// approvalDef gates a later action on an approval with a timeout of an
// hour, which the tests' flowtest.Clock fires without waiting.
const approvalDef = `
name: gate
stages:
  - name: Approve
    actions:
      - name: Approve
        kind: approval
        namespace: Approval
        with: {timeout: 1h}
  - name: Promote
    actions:
      - name: Tell
        kind: http
        with: {url: "http://x/#{Approval.ApprovedBy}"}
`

// durable starts the flow engine on a store in a temporary directory with
// the pipeline's machine; tokens receives each approval's task token.
func durable(t *testing.T, f *fakeActions) (*flow.Engine, *flowtest.Clock, string, chan string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "flow.db"))
	if err != nil {
		t.Fatal(err)
	}
	clock := flowtest.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	tokens := make(chan string, 1)
	tasks := f.tasks()
	// The approval waits for its token like the runtime's: it hands the
	// token over and answers nothing itself.
	tasks[ResourcePrefix+KindApproval] = func(ctx context.Context, tk flow.Task) (json.RawMessage, error) {
		tokens <- tk.Token
		return json.RawMessage(`{}`), nil
	}
	e, err := flow.New(flow.Options{Store: db, Clock: clock, Tasks: tasks, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); e.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; db.Close() })

	p, probs := Parse("gate.yaml", []byte(approvalDef))
	if probs != nil {
		t.Fatal(Problems(probs))
	}
	def, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	arn := flow.MachineARN("us-east-1", "000000000000", "gate")
	if _, err := e.CreateMachine(ctx, flow.Machine{ARN: arn, Name: "gate", Definition: string(def), Type: "STANDARD"}); err != nil {
		t.Fatal(err)
	}
	return e, clock, arn, tokens
}

func startGate(t *testing.T, e *flow.Engine, arn string) (context.Context, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	in, _ := json.Marshal(Input{Pipeline: "gate", Vars: Vars{NamespacePipeline: {}}})
	x, err := e.Start(ctx, arn, "run-1", in)
	if err != nil {
		t.Fatal(err)
	}
	return ctx, x.ARN
}

// approvalToken waits for the gate's approval to start and returns its
// task token.
func approvalToken(ctx context.Context, t *testing.T, tokens <-chan string) string {
	t.Helper()
	select {
	case token := <-tokens:
		return token
	case <-ctx.Done():
		t.Fatal("the approval never started")
		return ""
	}
}

func TestApprovalTimeoutRejectsTheRunOnTheDurableEngine(t *testing.T) {
	f := newFake()
	e, clock, arn, tokens := durable(t, f)
	ctx, x := startGate(t, e, arn)
	approvalToken(ctx, t, tokens)
	clock.Advance(time.Hour + time.Second)
	res, err := e.Wait(ctx, x)
	if err != nil {
		t.Fatal(err)
	}
	fl, ok := ParseFailure(res.Cause)
	if res.Status != asl.Failed || res.Error != "States.Timeout" || !ok || fl.Stage != "Approve" || fl.Action != "Approve" {
		t.Fatalf("status %s error %q cause %q", res.Status, res.Error, res.Cause)
	}
	if len(f.calls) != 0 {
		t.Fatalf("actions after a timed-out approval ran: %v", f.calls)
	}
}

func TestApprovalTokenContinuesTheRunWithItsOutput(t *testing.T) {
	f := newFake()
	e, _, arn, tokens := durable(t, f)
	ctx, x := startGate(t, e, arn)
	token := approvalToken(ctx, t, tokens)
	if err := e.SendTaskSuccess(ctx, token, json.RawMessage(`{"Result":"Approved","ApprovedBy":"alice","Comment":"ok"}`)); err != nil {
		t.Fatal(err)
	}
	res, err := e.Wait(ctx, x)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != asl.Succeeded {
		t.Fatalf("status %s error %q cause %q", res.Status, res.Error, res.Cause)
	}
	if got := f.with["Promote/Tell"]["url"]; got != "http://x/alice" {
		t.Fatalf("url = %q: the approval's output must reach later actions", got)
	}
}

func TestRejectedApprovalFailsTheRunOnTheDurableEngine(t *testing.T) {
	f := newFake()
	e, _, arn, tokens := durable(t, f)
	ctx, x := startGate(t, e, arn)
	token := approvalToken(ctx, t, tokens)
	if err := e.SendTaskFailure(ctx, token, "Approval.Rejected", "bob: not today"); err != nil {
		t.Fatal(err)
	}
	res, err := e.Wait(ctx, x)
	if err != nil {
		t.Fatal(err)
	}
	fl, ok := ParseFailure(res.Cause)
	if res.Status != asl.Failed || res.Error != "Approval.Rejected" || !ok || fl.Cause != "bob: not today" || len(f.calls) != 0 {
		t.Fatalf("status %s error %q cause %q calls %v", res.Status, res.Error, res.Cause, f.calls)
	}
}
