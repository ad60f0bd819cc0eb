package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/edgecd/edgecd/internal/awsjson"
)

func TestAPIAnswersWithCodePipelineShapesAndCodes(t *testing.T) {
	h := newHarness(t, readDefinition(t, "build-approve.yaml"))
	api := h.svc.API(APIConfig{Caller: func(context.Context) string { return "arn:aws:iam::000000000000:user/dana" }})
	ctx := context.Background()
	call := func(op, body string) (map[string]any, error) {
		out, err := api.Call(ctx, op, []byte(body))
		if err != nil {
			return nil, err
		}
		var m map[string]any
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatalf("%s answered no JSON object: %s", op, out)
		}
		return m, nil
	}
	got, err := call("GetPipeline", `{"name":"demo"}`)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(got); !strings.Contains(string(b), `"actionTypeId":{"category":"Approval","owner":"AWS","provider":"Manual","version":"1"}`) {
		t.Fatalf("GetPipeline = %s, want the approval's CodePipeline action type", b)
	}
	started, err := call("StartPipelineExecution", `{"name":"demo"}`)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := started["pipelineExecutionId"].(string)
	h.waitRun(id, "waiting for approval", waitingApproval)
	state, err := call("GetPipelineState", `{"name":"demo"}`)
	if err != nil {
		t.Fatal(err)
	}
	var token string
	var shape struct {
		StageStates []struct {
			StageName    string
			ActionStates []struct {
				ActionName      string
				LatestExecution struct{ Status, Token string }
			}
		}
	}
	b, _ := json.Marshal(state)
	json.Unmarshal(b, &shape)
	for _, st := range shape.StageStates {
		for _, a := range st.ActionStates {
			if st.StageName == "Approve" && a.LatestExecution.Status == StatusInProgress {
				token = a.LatestExecution.Token
			}
		}
	}
	if token == "" {
		t.Fatalf("GetPipelineState shows no approval token: %v", state)
	}
	errorCases := []struct {
		name, op, body, code string
	}{
		{"unknown pipeline", "GetPipelineState", `{"name":"nope"}`, "PipelineNotFoundException"},
		{"missing name", "GetPipelineState", `{}`, "ValidationException"},
		{"wrong token", "PutApprovalResult", `{"pipelineName":"demo","stageName":"Approve","actionName":"Approve","token":"x","result":{"status":"Approved","summary":"s"}}`, "InvalidApprovalTokenException"},
		{"unknown run", "GetPipelineExecution", `{"pipelineName":"demo","pipelineExecutionId":"0000"}`, "PipelineExecutionNotFoundException"},
		{"not JSON", "ListPipelineExecutions", `{"pipelineName":`, "SerializationException"},
		{"unknown operation", "DeletePipeline", `{}`, "UnknownOperationException"},
		{"invalid YAML definition", "EdgecdPutPipeline", `{"definition":"name: [x"}`, "InvalidStructureException"},
	}
	for _, tt := range errorCases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := call(tt.op, tt.body)
			var e *awsjson.Error
			if !errors.As(err, &e) || e.Code != tt.code {
				t.Fatalf("err = %v, want %s", err, tt.code)
			}
		})
	}
	body, _ := json.Marshal(map[string]any{"pipelineName": "demo", "stageName": "Approve", "actionName": "Approve", "token": token,
		"result": map[string]string{"status": "Approved", "summary": "via the API"}})
	if _, err := call("PutApprovalResult", string(body)); err != nil {
		t.Fatal(err)
	}
	r := h.waitRun(id, "Succeeded", func(r Run) bool { return r.Status == StatusSucceeded })
	if _, ap := r.action("Approve", "Approve"); ap.Approval == nil || ap.Approval.By != "arn:aws:iam::000000000000:user/dana" || ap.Approval.Comment != "via the API" {
		t.Fatalf("approval = %+v, want the caller and the summary recorded", ap.Approval)
	}
	list, err := call("ListPipelineExecutions", `{"pipelineName":"demo"}`)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := json.Marshal(list); !strings.Contains(string(s), `"status":"Succeeded"`) || !strings.Contains(string(s), `"triggerType":"StartPipelineExecution"`) {
		t.Fatalf("ListPipelineExecutions = %s", s)
	}
}

// FuzzAPICall feeds arbitrary bodies to every operation: each must answer
// JSON or a protocol error, never panic.
func FuzzAPICall(f *testing.F) {
	// StartPipelineExecution and RetryStageExecution are left out: they
	// run builds, which is not what this fuzzer is about.
	ops := []string{"ListPipelines", "GetPipeline", "GetPipelineState", "ListPipelineExecutions", "GetPipelineExecution",
		"PutApprovalResult", "StopPipelineExecution", "EdgecdValidatePipeline", "EdgecdGetRun",
		"EdgecdListRuns", "EdgecdGetActionLog", "EdgecdDecide"}
	slices.Sort(ops)
	f.Add(uint8(0), []byte(`{"name":"demo"}`))
	f.Add(uint8(5), []byte(`{"pipelineName":"demo","pipelineExecutionId":"x","stageName":"Build","actionName":"Build","offset":-5}`))
	h := newHarness(f, readDefinition(f, "build-approve.yaml"))
	f.Fuzz(func(t *testing.T, op uint8, body []byte) {
		name := ops[int(op)%len(ops)]
		out, err := h.svc.API(APIConfig{}).Call(context.Background(), name, body)
		if err != nil {
			var e *awsjson.Error
			if !errors.As(err, &e) || e.Code == "" {
				t.Fatalf("%s: error without a code: %v", name, err)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("%s answered invalid JSON: %q", name, out)
		}
	})
}
