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
