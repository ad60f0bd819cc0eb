package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/edgecd/edgecd/flow"
	"github.com/edgecd/edgecd/store/sqlite"
)

func handler(t *testing.T) (*Handler, context.Context) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ops.db"))
	if err != nil {
		t.Fatal(err)
	}
	e, _ := flow.New(flow.Options{Store: db})
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; db.Close() })
	return New(e, Config{}), ctx
}

func call(t *testing.T, h *Handler, ctx context.Context, op string, in any, out any) error {
	t.Helper()
	body, _ := json.Marshal(in)
	res, err := h.Call(ctx, op, body)
	if err == nil && out != nil {
		if err := json.Unmarshal(res, out); err != nil {
			t.Fatal(err)
		}
	}
	return err
}

func code(err error) string {
	var api *APIError
	if errors.As(err, &api) {
		return api.Code
	}
	return fmt.Sprint(err)
}

func TestStartSyncExecutionRunsExpressMachinesOnly(t *testing.T) {
	h, ctx := handler(t)
	def := `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"sum.$":"States.MathAdd($.a, $.b)"},"End":true}}}`
	var express, standard struct{ StateMachineArn string }
	if err := call(t, h, ctx, "CreateStateMachine", map[string]any{"name": "fast", "type": "EXPRESS", "definition": def, "roleArn": "arn:aws:iam::000000000000:role/r"}, &express); err != nil {
		t.Fatal(err)
	}
	call(t, h, ctx, "CreateStateMachine", map[string]any{"name": "slow", "definition": def, "roleArn": "arn:aws:iam::000000000000:role/r"}, &standard)
	var res struct{ Status, Output, ExecutionArn string }
	if err := call(t, h, ctx, "StartSyncExecution", map[string]any{"stateMachineArn": express.StateMachineArn, "input": `{"a":2,"b":3}`}, &res); err != nil {
		t.Fatal(err)
	}
	if res.Status != "SUCCEEDED" || res.Output != `{"sum":5}` {
		t.Fatalf("%+v", res)
	}
	if err := call(t, h, ctx, "StartSyncExecution", map[string]any{"stateMachineArn": standard.StateMachineArn}, nil); code(err) != "StateMachineTypeNotSupported" {
		t.Fatalf("standard machine: %v", err)
	}
}

func TestValidateAndListPagination(t *testing.T) {
	h, ctx := handler(t)
	var v struct {
		Result      string
		Diagnostics []struct{ Severity, Code, Location string }
	}
	if err := call(t, h, ctx, "ValidateStateMachineDefinition", map[string]any{"definition": `{"StartAt":"X","States":{"A":{"Type":"Pass","Next":"B"}}}`}, &v); err != nil {
		t.Fatal(err)
	}
	if v.Result != "FAIL" || len(v.Diagnostics) < 2 || v.Diagnostics[0].Severity != "ERROR" {
		t.Fatalf("%+v", v)
	}
	call(t, h, ctx, "ValidateStateMachineDefinition", map[string]any{"definition": `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`}, &v)
	if v.Result != "OK" || len(v.Diagnostics) != 0 {
		t.Fatalf("%+v", v)
	}
	for i := range 3 {
		if err := call(t, h, ctx, "CreateStateMachine", map[string]any{"name": fmt.Sprintf("m%d", i), "definition": `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`, "roleArn": "arn:aws:iam::000000000000:role/r"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	token := ""
	for {
		var page struct {
			StateMachines []struct{ Name string }
			NextToken     string
		}
		if err := call(t, h, ctx, "ListStateMachines", map[string]any{"maxResults": 2, "nextToken": token}, &page); err != nil {
			t.Fatal(err)
		}
		for _, m := range page.StateMachines {
			names = append(names, m.Name)
		}
		if token = page.NextToken; token == "" {
			break
		}
	}
	if fmt.Sprint(names) != "[m0 m1 m2]" {
		t.Fatalf("pages gave %v", names)
	}
	if err := call(t, h, ctx, "ListStateMachines", map[string]any{"nextToken": "!!"}, nil); code(err) != "InvalidToken" {
		t.Fatalf("bad token: %v", err)
	}
	if err := call(t, h, ctx, "CreateStateMachine", map[string]any{"name": "x"}, nil); code(err) != "ValidationException" {
		t.Fatalf("missing members: %v", err)
	}
	if err := call(t, h, ctx, "Nope", nil, nil); code(err) != "UnknownOperationException" {
		t.Fatalf("unknown op: %v", err)
	}
}

// TestErrorCodes covers the error table through the in-process entry (the
// aws CLI tests cover the wire envelope with a few of them).
func TestErrorCodes(t *testing.T) {
	h, ctx := handler(t)
	role := "arn:aws:iam::000000000000:role/r"
	def := `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`
	var m struct{ StateMachineArn string }
	if err := call(t, h, ctx, "CreateStateMachine", map[string]any{"name": "m", "definition": def, "roleArn": role}, &m); err != nil {
		t.Fatal(err)
	}
	var first, again struct{ ExecutionArn string }
	call(t, h, ctx, "StartExecution", map[string]any{"stateMachineArn": m.StateMachineArn, "name": "run-1", "input": `{"a":1}`}, &first)
	call(t, h, ctx, "StartExecution", map[string]any{"stateMachineArn": m.StateMachineArn, "name": "run-1", "input": `{"a":1}`}, &again)
	if first.ExecutionArn == "" || again.ExecutionArn != first.ExecutionArn {
		t.Fatalf("idempotent start: %q then %q", first.ExecutionArn, again.ExecutionArn)
	}
	tests := []struct {
		name, op string
		in       map[string]any
		want     string
	}{
		{"same name, other input", "StartExecution", map[string]any{"stateMachineArn": m.StateMachineArn, "name": "run-1", "input": `{"a":2}`}, "ExecutionAlreadyExists"},
		{"input not JSON", "StartExecution", map[string]any{"stateMachineArn": m.StateMachineArn, "input": `{`}, "InvalidExecutionInput"},
		{"bad execution name", "StartExecution", map[string]any{"stateMachineArn": m.StateMachineArn, "name": "bad name"}, "InvalidName"},
		{"machine ARN malformed", "DescribeStateMachine", map[string]any{"stateMachineArn": "arn:nope"}, "InvalidArn"},
		{"execution ARN malformed", "DescribeExecution", map[string]any{"executionArn": "arn:nope"}, "InvalidArn"},
		{"missing machine", "StartExecution", map[string]any{"stateMachineArn": "arn:aws:states:us-east-1:000000000000:stateMachine:nope"}, "StateMachineDoesNotExist"},
		{"missing execution", "StopExecution", map[string]any{"executionArn": "arn:aws:states:us-east-1:000000000000:execution:m:nope"}, "ExecutionDoesNotExist"},
		{"same machine name, other definition", "CreateStateMachine", map[string]any{"name": "m", "definition": `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`, "roleArn": role}, "StateMachineAlreadyExists"},
		{"bad machine name", "CreateStateMachine", map[string]any{"name": "a/b", "definition": def, "roleArn": role}, "InvalidName"},
		{"bad definition", "UpdateStateMachine", map[string]any{"stateMachineArn": m.StateMachineArn, "definition": `{}`}, "InvalidDefinition"},
		{"update without changes", "UpdateStateMachine", map[string]any{"stateMachineArn": m.StateMachineArn}, "MissingRequiredParameter"},
		{"garbage token", "SendTaskSuccess", map[string]any{"taskToken": "not-a-token", "output": "{}"}, "InvalidToken"},
		{"unknown token", "SendTaskHeartbeat", map[string]any{"taskToken": "edgecd1.AAAA"}, "TaskDoesNotExist"},
		{"output not JSON", "SendTaskSuccess", map[string]any{"taskToken": "edgecd1.AAAA", "output": "{"}, "InvalidOutput"},
		{"bad status filter", "ListExecutions", map[string]any{"stateMachineArn": m.StateMachineArn, "statusFilter": "DONE"}, "ValidationException"},
		{"page too large", "ListStateMachines", map[string]any{"maxResults": 1001}, "ValidationException"},
		{"wrong member type", "StartExecution", map[string]any{"stateMachineArn": 7}, "SerializationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := code(call(t, h, ctx, tt.op, tt.in, nil)); got != tt.want {
				t.Fatalf("%s: %s, want %s", tt.op, got, tt.want)
			}
		})
	}
	if err := call(t, h, ctx, "DeleteStateMachine", map[string]any{"stateMachineArn": m.StateMachineArn}, nil); err != nil {
		t.Fatal(err)
	}
	if err := call(t, h, ctx, "DescribeStateMachine", map[string]any{"stateMachineArn": m.StateMachineArn}, nil); code(err) != "StateMachineDoesNotExist" {
		t.Fatalf("after delete: %v", err)
	}
	var desc struct{ Definition, StateMachineArn string }
	if err := call(t, h, ctx, "DescribeStateMachineForExecution", map[string]any{"executionArn": first.ExecutionArn}, &desc); err != nil || desc.Definition != def {
		t.Fatalf("machine of an execution after delete: %+v %v", desc, err)
	}
}

func TestTestStateOperation(t *testing.T) {
	h, ctx := handler(t)
	var res struct{ Status, NextState, Output string }
	if err := call(t, h, ctx, "TestState", map[string]any{"definition": `{"Type":"Pass","Parameters":{"v.$":"$.a"},"Next":"N"}`, "roleArn": "arn:aws:iam::000000000000:role/r", "input": `{"a":3}`}, &res); err != nil {
		t.Fatal(err)
	}
	if res.Status != "SUCCEEDED" || res.NextState != "N" || res.Output != `{"v":3}` {
		t.Fatalf("%+v", res)
	}
	if err := call(t, h, ctx, "TestState", map[string]any{"definition": `{"Type":"Nope"}`}, nil); code(err) != "InvalidDefinition" {
		t.Fatalf("bad state: %v", err)
	}
}
