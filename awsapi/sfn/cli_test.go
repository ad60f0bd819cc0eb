package sfn

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/edgecd/edgecd/flow"
	"github.com/edgecd/edgecd/internal/awscli"
	"github.com/edgecd/edgecd/store/sqlite"
)

// newCLI runs `aws stepfunctions ...` (the real CLI v2) against one
// endpoint, with JSON output.
func newCLI(t *testing.T, endpoint string) *awscli.CLI {
	c := awscli.New(t, endpoint, "AKIDEDGECDTEST", "secret")
	c.Prefix = []string{"stepfunctions", "--output", "json"}
	return c
}

// server runs the API over an engine on a real SQLite file.
func server(t *testing.T) (*flow.Engine, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "sfn.db"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := flow.New(flow.Options{Store: db, Node: "cli-test"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	srv := httptest.NewServer(New(e, Config{Caller: func(context.Context) Caller { return Caller{Account: "123456789012", Region: "us-east-1"} }}))
	t.Cleanup(func() { srv.Close(); cancel(); <-done; db.Close() })
	return e, srv.URL
}

func TestCLISeed004ApprovalThroughWebhookAndSendTaskSuccess(t *testing.T) {
	t.Parallel()
	e, url := server(t)
	c := newCLI(t, url)
	posts := make(chan map[string]any, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg map[string]any
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &msg); err != nil || r.Method != http.MethodPost {
			http.Error(w, "bad message", http.StatusBadRequest)
			return
		}
		posts <- msg
		io.WriteString(w, "ok") // Slack answers "ok" as plain text
	}))
	defer hook.Close()

	def, err := os.ReadFile("testdata/seed004.asl.json")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "def.json")
	os.WriteFile(file, bytes.ReplaceAll(def, []byte("WEBHOOK_URL"), []byte(hook.URL+"/services/T000/B000/XXXX")), 0o600)

	var created struct{ StateMachineArn string }
	c.Run(&created, "create-state-machine", "--name", "seed004", "--definition", "file://"+file, "--role-arn", "arn:aws:iam::123456789012:role/deployer")
	if created.StateMachineArn != "arn:aws:states:us-east-1:123456789012:stateMachine:seed004" {
		t.Fatalf("machine ARN %q", created.StateMachineArn)
	}

	// Input validation fails an execution without a commit.
	var bad struct{ ExecutionArn string }
	c.Run(&bad, "start-execution", "--state-machine-arn", created.StateMachineArn, "--name", "no-commit", "--input", `{"branch":"main"}`)
	if x, _ := e.Wait(context.Background(), bad.ExecutionArn); x.Status != "FAILED" || x.Error != "InvalidInput" {
		t.Fatalf("execution without commit: %+v", x)
	}

	var started struct{ ExecutionArn string }
	c.Run(&started, "start-execution", "--state-machine-arn", created.StateMachineArn, "--name", "release-1", "--input", `{"commit":"abc123"}`)
	var msg map[string]any
	select {
	case msg = <-posts:
	case <-time.After(30 * time.Second):
		t.Fatal("the webhook got no message")
	}
	if msg["text"] != "Deploy abc123? Approve with the code below." {
		t.Fatalf("message %v", msg)
	}
	token := msg["attachments"].([]any)[0].(map[string]any)["fields"].([]any)[0].(map[string]any)["value"].(string)

	if x, _ := e.Execution(context.Background(), started.ExecutionArn); x.Status != "RUNNING" {
		t.Fatalf("before approval: %s", x.Status)
	}
	c.Run(nil, "send-task-success", "--task-token", token, "--task-output", "{}")
	x, err := e.Wait(context.Background(), started.ExecutionArn)
	if err != nil {
		t.Fatal(err)
	}
	var done struct{ Status, Output string }
	c.Run(&done, "describe-execution", "--execution-arn", started.ExecutionArn)
	if done.Status != "SUCCEEDED" || x.Status != "SUCCEEDED" {
		t.Fatalf("after approval: %+v", done)
	}
	var out struct {
		Approval any
		Deployed []struct{ Image string }
	}
	json.Unmarshal([]byte(done.Output), &out)
	if len(out.Deployed) != 2 || out.Deployed[1].Image != "backend-b:abc123" {
		t.Fatalf("output %s", done.Output)
	}
	if err := e.SendTaskSuccess(context.Background(), token, json.RawMessage(`{}`)); !errors.Is(err, flow.ErrTaskTimedOut) {
		t.Fatalf("second answer: %v", err)
	}

	var hist struct{ Events []struct{ Type string } }
	c.Run(&hist, "get-execution-history", "--execution-arn", started.ExecutionArn)
	var types []string
	for _, ev := range hist.Events {
		types = append(types, ev.Type)
	}
	for _, want := range []string{"ExecutionStarted", "ChoiceStateEntered", "ParallelStateEntered", "TaskScheduled", "TaskSucceeded", "SucceedStateEntered", "ExecutionSucceeded"} {
		if !slices.Contains(types, want) {
			t.Fatalf("history %v lacks %s", types, want)
		}
	}
	if types[0] != "ExecutionStarted" || types[len(types)-1] != "ExecutionSucceeded" {
		t.Fatalf("history order %v", types)
	}
}

func TestCLIStartDescribeHistoryStopAndErrors(t *testing.T) {
	t.Parallel()
	_, url := server(t)
	c := newCLI(t, url)
	file := filepath.Join(t.TempDir(), "wait.json")
	os.WriteFile(file, []byte(`{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"W"},"W":{"Type":"Wait","Seconds":3600,"End":true}}}`), 0o600)
	var m struct{ StateMachineArn string }
	c.Run(&m, "create-state-machine", "--name", "waiter", "--definition", "file://"+file, "--role-arn", "arn:aws:iam::123456789012:role/r")
	var desc struct{ Name, Type, Status, Definition string }
	c.Run(&desc, "describe-state-machine", "--state-machine-arn", m.StateMachineArn)
	if desc.Name != "waiter" || desc.Type != "STANDARD" || desc.Status != "ACTIVE" || !strings.Contains(desc.Definition, `"Wait"`) {
		t.Fatalf("describe-state-machine %+v", desc)
	}

	var x struct {
		ExecutionArn string
		StartDate    string
	}
	c.Run(&x, "start-execution", "--state-machine-arn", m.StateMachineArn, "--name", "run-1", "--input", `{"a":1}`)
	if x.ExecutionArn != "arn:aws:states:us-east-1:123456789012:execution:waiter:run-1" || !strings.HasPrefix(x.StartDate, "20") {
		t.Fatalf("start-execution %+v", x)
	}
	c.Run(nil, "start-execution", "--state-machine-arn", m.StateMachineArn, "--name", "run-2")

	var running struct{ Status, Input string }
	c.Run(&running, "describe-execution", "--execution-arn", x.ExecutionArn)
	if running.Status != "RUNNING" || running.Input != `{"a":1}` {
		t.Fatalf("describe-execution %+v", running)
	}
	var stopped struct{ StopDate string }
	c.Run(&stopped, "stop-execution", "--execution-arn", x.ExecutionArn, "--error", "Halt", "--cause", "by the test")
	var after struct{ Status, Error, Cause string }
	c.Run(&after, "describe-execution", "--execution-arn", x.ExecutionArn)
	if after.Status != "ABORTED" || after.Error != "Halt" || stopped.StopDate < x.StartDate {
		t.Fatalf("after stop %+v (stopDate %v)", after, stopped.StopDate)
	}

	var list struct {
		Executions []struct{ Name, Status string }
	}
	c.Run(&list, "list-executions", "--state-machine-arn", m.StateMachineArn, "--status-filter", "ABORTED")
	if len(list.Executions) != 1 || list.Executions[0].Name != "run-1" {
		t.Fatalf("list-executions ABORTED %+v", list)
	}
	c.Run(&list, "list-executions", "--state-machine-arn", m.StateMachineArn, "--page-size", "1")
	if len(list.Executions) != 2 {
		t.Fatalf("list-executions over pages %+v", list)
	}

	var hist struct {
		Events []struct {
			ID                           int64
			Type                         string
			ExecutionAbortedEventDetails struct{ Error string }
		}
	}
	c.Run(&hist, "get-execution-history", "--execution-arn", x.ExecutionArn, "--reverse-order", "--page-size", "2")
	if len(hist.Events) != 6 || hist.Events[0].Type != "ExecutionAborted" || hist.Events[0].ExecutionAbortedEventDetails.Error != "Halt" || hist.Events[5].ID != 1 {
		t.Fatalf("reverse history %+v", hist.Events)
	}

	c.Fails("ExecutionDoesNotExist", "stop-execution", "--execution-arn", "arn:aws:states:us-east-1:123456789012:execution:waiter:nope")
	badDef := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(badDef, []byte(`{"StartAt":"X","States":{"A":{"Type":"Pass","Next":"B"}}}`), 0o600)
	_, stderr, _ := c.Try("create-state-machine", "--name", "bad", "--definition", "file://"+badDef, "--role-arn", "arn:aws:iam::123456789012:role/r")
	if !strings.Contains(stderr, "(InvalidDefinition)") || !strings.Contains(stderr, "$.StartAt") || !strings.Contains(stderr, "$.States.A.Next") {
		t.Fatalf("invalid definition: %s", stderr)
	}
}
