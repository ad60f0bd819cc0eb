package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/edgecd/edgecd/flow"
	"github.com/edgecd/edgecd/iam"
	"github.com/edgecd/edgecd/store/sqlite"
)

// FuzzCall feeds arbitrary request bodies to every operation: whatever the
// client sends, the answer is a JSON body or an *APIError, never a panic or
// an internal error.
func FuzzCall(f *testing.F) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, err := sqlite.Open(ctx, filepath.Join(f.TempDir(), "fuzz.db"))
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	e, _ := flow.New(flow.Options{Store: db, Logger: quiet})
	go e.Run(ctx)
	h := New(e, Config{Logger: quiet})
	seed, _ := h.Call(ctx, "CreateStateMachine", []byte(`{"name":"m","roleArn":"arn:aws:iam::000000000000:role/r","definition":"{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\",\"Seconds\":60,\"End\":true}}}"}`))
	if seed == nil {
		f.Fatal("seed machine not created")
	}
	f.Add("StartExecution", `{"stateMachineArn":"arn:aws:states:us-east-1:000000000000:stateMachine:m","name":"x","input":"{}"}`)
	f.Add("GetExecutionHistory", `{"executionArn":"arn:aws:states:us-east-1:000000000000:execution:m:x","reverseOrder":true,"maxResults":1,"nextToken":"MQ"}`)
	f.Add("ListExecutions", `{"stateMachineArn":"arn:aws:states:us-east-1:000000000000:stateMachine:m","statusFilter":"RUNNING","maxResults":1}`)
	f.Add("SendTaskSuccess", `{"taskToken":"edgecd1.AAAA","output":"{"}`)
	f.Add("ValidateStateMachineDefinition", `{"definition":"{\"StartAt\":1}"}`)
	f.Add("UpdateStateMachine", `{"stateMachineArn":"arn:aws:states:us-east-1:000000000000:stateMachine:m","definition":"{}"}`)
	ops := make([]string, 0, len(h.ops))
	for op := range h.ops {
		ops = append(ops, op)
	}
	f.Fuzz(func(t *testing.T, op, body string) {
		if _, ok := h.ops[op]; !ok {
			op = ops[len(body)%len(ops)]
		}
		if op == "StartSyncExecution" || op == "DeleteStateMachine" {
			return // would wait for an execution, or remove the seed machine
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		out, err := h.Call(cctx, op, []byte(body))
		var api *APIError
		switch {
		case err == nil:
			if !json.Valid(out) {
				t.Fatalf("%s: invalid JSON answer %q", op, out)
			}
		case !errors.As(err, &api):
			t.Fatalf("%s: error %v is not an APIError", op, err)
		case api.Code == "InternalServerError":
			t.Fatalf("%s %s: internal error", op, body)
		}
	})
}

func TestAccessDeniedFromTheAuthorizeHook(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e, _ := flow.New(flow.Options{Store: db})
	var asked []string
	h := New(e, Config{Authorize: func(ctx context.Context, action, resource string) error {
		asked = append(asked, action+" "+resource)
		return iam.Authorize(ctx, action, resource) // no principal: denied
	}})
	_, err = h.Call(ctx, "DescribeStateMachine", []byte(`{"stateMachineArn":"arn:aws:states:us-east-1:000000000000:stateMachine:m"}`))
	var api *APIError
	if !errors.As(err, &api) || api.Code != "AccessDeniedException" || api.Status != 400 {
		t.Fatalf("err %v", err)
	}
	if len(asked) != 1 || asked[0] != "states:DescribeStateMachine arn:aws:states:us-east-1:000000000000:stateMachine:m" {
		t.Fatalf("asked %v", asked)
	}
}
