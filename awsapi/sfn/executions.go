package sfn

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/edgecd/edgecd/asl"
	"github.com/edgecd/edgecd/flow"
)

type startInput struct {
	StateMachineArn string  `json:"stateMachineArn"`
	Name            string  `json:"name"`
	Input           *string `json:"input"`
	TraceHeader     string  `json:"traceHeader"`
}

func (h *Handler) readStart(ctx context.Context, body []byte, action string) (startInput, error) {
	var in startInput
	if err := decode(body, &in); err != nil {
		return in, err
	}
	if err := required("stateMachineArn", in.StateMachineArn); err != nil {
		return in, err
	}
	// A version or alias ARN starts that version.
	if _, _, err := flow.SplitQualified(in.StateMachineArn); err != nil {
		return in, err
	}
	if in.Name != "" {
		if err := flow.CheckName(in.Name); err != nil {
			return in, err
		}
	}
	if in.Input != nil && !json.Valid([]byte(*in.Input)) {
		return in, fmt.Errorf("%w: Invalid State Machine Execution Input: the input is not valid JSON", flow.ErrInvalidInput)
	}
	return in, h.authorize(ctx, action, in.StateMachineArn)
}

func (in startInput) input() json.RawMessage {
	if in.Input == nil {
		return nil
	}
	return json.RawMessage(*in.Input)
}

func (h *Handler) startExecution(ctx context.Context, c Caller, body []byte) (any, error) {
	in, err := h.readStart(ctx, body, "states:StartExecution")
	if err != nil {
		return nil, err
	}
	x, err := h.e.Start(ctx, in.StateMachineArn, in.Name, in.input())
	if err != nil {
		return nil, err
	}
	return map[string]any{"executionArn": x.ARN, "startDate": ts(x.Start)}, nil
}

func (h *Handler) startSyncExecution(ctx context.Context, c Caller, body []byte) (any, error) {
	in, err := h.readStart(ctx, body, "states:StartSyncExecution")
	if err != nil {
		return nil, err
	}
	x, err := h.e.StartSync(ctx, in.StateMachineArn, in.Name, in.input())
	if err != nil {
		return nil, err
	}
	out := describe(x, true)
	delete(out, "mapRunArn")
	return out, nil
}

// describe is the DescribeExecution shape of an execution.
func describe(x flow.Execution, data bool) map[string]any {
	out := map[string]any{
		"executionArn": x.ARN, "stateMachineArn": x.Machine, "name": x.Name,
		"status": string(x.Status), "startDate": ts(x.Start),
		"inputDetails": map[string]any{"included": data},
	}
	if data {
		out["input"] = string(x.Input)
	}
	if x.Status != asl.Running {
		out["stopDate"] = ts(x.Stop)
	}
	if x.Output != nil {
		out["outputDetails"] = map[string]any{"included": data}
		if data {
			out["output"] = string(x.Output)
		}
	}
	setOptional(out, "error", x.Error, "cause", x.Cause, "stateMachineVersionArn", x.VersionARN, "stateMachineAliasArn", x.AliasARN)
	return out
}

func (h *Handler) executionArg(ctx context.Context, body []byte, action string, v any) (string, error) {
	var in struct {
		ExecutionArn string `json:"executionArn"`
	}
	if err := decode(body, &in); err != nil {
		return "", err
	}
	if v != nil {
		if err := decode(body, v); err != nil {
			return "", err
		}
	}
	if err := required("executionArn", in.ExecutionArn); err != nil {
		return "", err
	}
	if err := flow.CheckExecutionARN(in.ExecutionArn); err != nil {
		return "", err
	}
	return in.ExecutionArn, h.authorize(ctx, action, in.ExecutionArn)
}

func (h *Handler) describeExecution(ctx context.Context, c Caller, body []byte) (any, error) {
	arn, err := h.executionArg(ctx, body, "states:DescribeExecution", nil)
	if err != nil {
		return nil, err
	}
	x, err := h.e.Execution(ctx, arn)
	if err != nil {
		return nil, err
	}
	return describe(x, true), nil
}

func (h *Handler) describeStateMachineForExecution(ctx context.Context, c Caller, body []byte) (any, error) {
	arn, err := h.executionArg(ctx, body, "states:DescribeStateMachineForExecution", nil)
	if err != nil {
		return nil, err
	}
	m, err := h.e.MachineForExecution(ctx, arn)
	if err != nil {
		return nil, err
	}
	out := describeMachine(m)
	for _, k := range []string{"status", "type", "creationDate"} {
		delete(out, k)
	}
	out["updateDate"] = ts(m.Updated)
	return out, nil
}

func (h *Handler) listExecutions(ctx context.Context, c Caller, body []byte) (any, error) {
	var in struct {
		StateMachineArn string `json:"stateMachineArn"`
		StatusFilter    string `json:"statusFilter"`
		MaxResults      int    `json:"maxResults"`
		NextToken       string `json:"nextToken"`
		MapRunArn       string `json:"mapRunArn"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.StateMachineArn == "" {
		return nil, validation("Must provide a StateMachine ARN or MapRun ARN")
	}
	if err := flow.CheckMachineARN(in.StateMachineArn); err != nil {
		return nil, err
	}
	switch asl.Status(in.StatusFilter) {
	case "", asl.Running, asl.Succeeded, asl.Failed, asl.TimedOut, asl.Aborted:
	default:
		return nil, validation(fmt.Sprintf("1 validation error detected: Value '%s' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]", in.StatusFilter))
	}
	limit, err := pageSize(in.MaxResults)
	if err != nil {
		return nil, err
	}
	after, err := readPageToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	if err := h.authorize(ctx, "states:ListExecutions", in.StateMachineArn); err != nil {
		return nil, err
	}
	if _, err := h.e.Machine(ctx, in.StateMachineArn); err != nil {
		return nil, err
	}
	xs, err := h.e.Executions(ctx, in.StateMachineArn, asl.Status(in.StatusFilter), after, limit+1)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	if len(xs) > limit {
		xs = xs[:limit]
		out["nextToken"] = pageToken(xs[limit-1].ARN)
	}
	items := make([]map[string]any, len(xs))
	for i, x := range xs {
		items[i] = map[string]any{"executionArn": x.ARN, "stateMachineArn": x.Machine, "name": x.Name, "status": string(x.Status), "startDate": ts(x.Start)}
		if x.Status != asl.Running {
			items[i]["stopDate"] = ts(x.Stop)
		}
	}
	out["executions"] = items
	return out, nil
}

func (h *Handler) getExecutionHistory(ctx context.Context, c Caller, body []byte) (any, error) {
	var in struct {
		MaxResults           int    `json:"maxResults"`
		ReverseOrder         bool   `json:"reverseOrder"`
		NextToken            string `json:"nextToken"`
		IncludeExecutionData *bool  `json:"includeExecutionData"`
	}
	arn, err := h.executionArg(ctx, body, "states:GetExecutionHistory", &in)
	if err != nil {
		return nil, err
	}
	limit, err := pageSize(in.MaxResults)
	if err != nil {
		return nil, err
	}
	tok, err := readPageToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	var after int64
	if tok != "" {
		if after, err = strconv.ParseInt(tok, 10, 64); err != nil {
			return nil, &APIError{Code: "InvalidToken", Message: "Invalid Token: the nextToken was not issued by this service", Status: 400}
		}
	}
	evs, err := h.e.History(ctx, arn, after, limit+1, in.ReverseOrder)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	if len(evs) > limit {
		evs = evs[:limit]
		var last struct{ ID int64 }
		json.Unmarshal(evs[limit-1], &last)
		out["nextToken"] = pageToken(strconv.FormatInt(last.ID, 10))
	}
	withData := in.IncludeExecutionData == nil || *in.IncludeExecutionData
	events := make([]json.RawMessage, len(evs))
	for i, ev := range evs {
		events[i] = ev
		if !withData {
			events[i] = withoutData(ev)
		}
	}
	out["events"] = events
	return out, nil
}

// withoutData drops inputs and outputs from an event's details, as
// includeExecutionData=false asks.
func withoutData(ev json.RawMessage) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(ev, &m) != nil {
		return ev
	}
	for k, v := range m {
		var d map[string]json.RawMessage
		if len(k) < 7 || k[len(k)-7:] != "Details" || json.Unmarshal(v, &d) != nil {
			continue
		}
		for _, f := range []string{"input", "output", "parameters"} {
			delete(d, f)
		}
		m[k], _ = json.Marshal(d)
	}
	b, _ := json.Marshal(m)
	return b
}

func (h *Handler) stopExecution(ctx context.Context, c Caller, body []byte) (any, error) {
	var in struct {
		Error string `json:"error"`
		Cause string `json:"cause"`
	}
	arn, err := h.executionArg(ctx, body, "states:StopExecution", &in)
	if err != nil {
		return nil, err
	}
	x, err := h.e.Stop(ctx, arn, in.Error, in.Cause)
	if err != nil {
		return nil, err
	}
	return map[string]any{"stopDate": ts(x.Stop)}, nil
}

type tokenInput struct {
	TaskToken string  `json:"taskToken"`
	Output    *string `json:"output"`
	Error     string  `json:"error"`
	Cause     string  `json:"cause"`
}

func (h *Handler) readToken(ctx context.Context, body []byte, action string) (tokenInput, error) {
	var in tokenInput
	if err := decode(body, &in); err != nil {
		return in, err
	}
	if err := required("taskToken", in.TaskToken); err != nil {
		return in, err
	}
	return in, h.authorize(ctx, action, "*")
}

func (h *Handler) sendTaskSuccess(ctx context.Context, c Caller, body []byte) (any, error) {
	in, err := h.readToken(ctx, body, "states:SendTaskSuccess")
	if err != nil {
		return nil, err
	}
	if in.Output == nil {
		return nil, required("output", "")
	}
	return struct{}{}, h.e.SendTaskSuccess(ctx, in.TaskToken, json.RawMessage(*in.Output))
}

func (h *Handler) sendTaskFailure(ctx context.Context, c Caller, body []byte) (any, error) {
	in, err := h.readToken(ctx, body, "states:SendTaskFailure")
	if err != nil {
		return nil, err
	}
	return struct{}{}, h.e.SendTaskFailure(ctx, in.TaskToken, in.Error, in.Cause)
}

func (h *Handler) sendTaskHeartbeat(ctx context.Context, c Caller, body []byte) (any, error) {
	in, err := h.readToken(ctx, body, "states:SendTaskHeartbeat")
	if err != nil {
		return nil, err
	}
	return struct{}{}, h.e.SendTaskHeartbeat(ctx, in.TaskToken)
}
