package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/edgecd/edgecd/asl"
	"github.com/edgecd/edgecd/flow"
)

// ts is a timestamp as the JSON protocol sends it: epoch seconds.
func ts(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

func checkType(t string) error {
	switch t {
	case "", flow.Standard, flow.Express:
		return nil
	}
	return validation(fmt.Sprintf("1 validation error detected: Value '%s' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]", t))
}

func (h *Handler) createStateMachine(ctx context.Context, c Caller, body []byte) (any, error) {
	var in struct {
		Name                 string          `json:"name"`
		Definition           string          `json:"definition"`
		RoleArn              string          `json:"roleArn"`
		Type                 string          `json:"type"`
		LoggingConfiguration json.RawMessage `json:"loggingConfiguration"`
		TracingConfiguration json.RawMessage `json:"tracingConfiguration"`
		Publish              bool            `json:"publish"`
		VersionDescription   string          `json:"versionDescription"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := required("name", in.Name, "definition", in.Definition, "roleArn", in.RoleArn); err != nil {
		return nil, err
	}
	if err := checkType(in.Type); err != nil {
		return nil, err
	}
	if err := flow.CheckName(in.Name); err != nil {
		return nil, err
	}
	arn := flow.MachineARN(c.Region, c.Account, in.Name)
	if err := h.authorize(ctx, "states:CreateStateMachine", arn); err != nil {
		return nil, err
	}
	m, err := h.e.CreateMachine(ctx, flow.Machine{ARN: arn, Name: in.Name, Definition: in.Definition, RoleArn: in.RoleArn, Type: in.Type, Logging: in.LoggingConfiguration, Tracing: in.TracingConfiguration})
	if err != nil {
		return nil, err
	}
	out := map[string]any{"stateMachineArn": m.ARN, "creationDate": ts(m.Created)}
	return out, h.publish(ctx, in.Publish, m.ARN, in.VersionDescription, out)
}

// publish publishes a version after Create/UpdateStateMachine with
// publish=true and reports its ARN in out.
func (h *Handler) publish(ctx context.Context, publish bool, arn, description string, out map[string]any) error {
	if !publish {
		return nil
	}
	if err := h.authorize(ctx, "states:PublishStateMachineVersion", arn); err != nil {
		return err
	}
	v, err := h.e.PublishVersion(ctx, arn, description, 0)
	if err != nil {
		return err
	}
	out["stateMachineVersionArn"] = v.ARN
	return nil
}

// machineArg reads the stateMachineArn member of a request.
func (h *Handler) machineArg(ctx context.Context, body []byte, action string) (string, error) {
	var in struct {
		StateMachineArn string `json:"stateMachineArn"`
	}
	if err := decode(body, &in); err != nil {
		return "", err
	}
	if err := required("stateMachineArn", in.StateMachineArn); err != nil {
		return "", err
	}
	if err := flow.CheckMachineARN(in.StateMachineArn); err != nil {
		return "", err
	}
	return in.StateMachineArn, h.authorize(ctx, action, in.StateMachineArn)
}

func describeMachine(m flow.Machine) map[string]any {
	out := map[string]any{
		"stateMachineArn": m.ARN, "name": m.Name, "status": "ACTIVE", "definition": m.Definition,
		"roleArn": m.RoleArn, "type": m.Type, "creationDate": ts(m.Created),
		"revisionId": strconv.FormatInt(m.Version, 10),
	}
	if m.Logging != nil {
		out["loggingConfiguration"] = m.Logging
	} else {
		out["loggingConfiguration"] = map[string]any{"level": "OFF", "includeExecutionData": false}
	}
	if m.Tracing != nil {
		out["tracingConfiguration"] = m.Tracing
	} else {
		out["tracingConfiguration"] = map[string]any{"enabled": false}
	}
	return out
}

func (h *Handler) describeStateMachine(ctx context.Context, c Caller, body []byte) (any, error) {
	var in struct {
		StateMachineArn string `json:"stateMachineArn"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if _, q, err := flow.SplitQualified(in.StateMachineArn); err == nil && q != "" {
		// A version ARN describes the machine as that version published it.
		if err := h.authorize(ctx, "states:DescribeStateMachine", in.StateMachineArn); err != nil {
			return nil, err
		}
		v, m, err := h.e.Version(ctx, in.StateMachineArn)
		if err != nil {
			return nil, err
		}
		out := describeMachine(m)
		out["stateMachineArn"] = v.ARN
		out["creationDate"] = ts(v.Created)
		setOptional(out, "description", v.Description)
		return out, nil
	}
	arn, err := h.machineArg(ctx, body, "states:DescribeStateMachine")
	if err != nil {
		return nil, err
	}
	m, err := h.e.Machine(ctx, arn)
	if err != nil {
		return nil, err
	}
	return describeMachine(m), nil
}

func (h *Handler) listStateMachines(ctx context.Context, c Caller, body []byte) (any, error) {
	var in struct {
		MaxResults int    `json:"maxResults"`
		NextToken  string `json:"nextToken"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	limit, err := pageSize(in.MaxResults)
	if err != nil {
		return nil, err
	}
	after, err := readPageToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	if err := h.authorize(ctx, "states:ListStateMachines", "*"); err != nil {
		return nil, err
	}
	ms, err := h.e.Machines(ctx, after, limit+1)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	if len(ms) > limit {
		ms = ms[:limit]
		out["nextToken"] = pageToken(ms[limit-1].ARN)
	}
	items := make([]map[string]any, len(ms))
	for i, m := range ms {
		items[i] = map[string]any{"stateMachineArn": m.ARN, "name": m.Name, "type": m.Type, "creationDate": ts(m.Created)}
	}
	out["stateMachines"] = items
	return out, nil
}

func (h *Handler) updateStateMachine(ctx context.Context, c Caller, body []byte) (any, error) {
	var in struct {
		StateMachineArn      string          `json:"stateMachineArn"`
		Definition           *string         `json:"definition"`
		RoleArn              *string         `json:"roleArn"`
		LoggingConfiguration json.RawMessage `json:"loggingConfiguration"`
		TracingConfiguration json.RawMessage `json:"tracingConfiguration"`
		Publish              bool            `json:"publish"`
		VersionDescription   string          `json:"versionDescription"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := required("stateMachineArn", in.StateMachineArn); err != nil {
		return nil, err
	}
	if err := flow.CheckMachineARN(in.StateMachineArn); err != nil {
		return nil, err
	}
	if in.Definition == nil && in.RoleArn == nil && in.LoggingConfiguration == nil && in.TracingConfiguration == nil && !in.Publish {
		return nil, &APIError{Code: "MissingRequiredParameter", Message: "Either the definition, the roleArn, the loggingConfiguration or the tracingConfiguration must be specified", Status: 400}
	}
	if err := h.authorize(ctx, "states:UpdateStateMachine", in.StateMachineArn); err != nil {
		return nil, err
	}
	m, err := h.e.UpdateMachine(ctx, in.StateMachineArn, flow.MachineUpdate{Definition: in.Definition, RoleArn: in.RoleArn, Logging: in.LoggingConfiguration, Tracing: in.TracingConfiguration})
	if err != nil {
		return nil, err
	}
	out := map[string]any{"updateDate": ts(m.Updated), "revisionId": strconv.FormatInt(m.Version, 10)}
	return out, h.publish(ctx, in.Publish, m.ARN, in.VersionDescription, out)
}

func (h *Handler) deleteStateMachine(ctx context.Context, c Caller, body []byte) (any, error) {
	arn, err := h.machineArg(ctx, body, "states:DeleteStateMachine")
	if err != nil {
		return nil, err
	}
	return struct{}{}, h.e.DeleteMachine(ctx, arn)
}

func (h *Handler) validateStateMachineDefinition(ctx context.Context, c Caller, body []byte) (any, error) {
	var in struct {
		Definition string `json:"definition"`
		Type       string `json:"type"`
		MaxResults int    `json:"maxResults"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := required("definition", in.Definition); err != nil {
		return nil, err
	}
	if err := checkType(in.Type); err != nil {
		return nil, err
	}
	if err := h.authorize(ctx, "states:ValidateStateMachineDefinition", "*"); err != nil {
		return nil, err
	}
	diags := []map[string]any{}
	_, err := asl.Parse([]byte(in.Definition))
	var ve *asl.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			diags = append(diags, map[string]any{"severity": "ERROR", "code": p.Code, "message": p.Message, "location": p.Path})
		}
	} else if err != nil {
		return nil, err
	}
	limit := in.MaxResults
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	truncated := len(diags) > limit
	if truncated {
		diags = diags[:limit]
	}
	result := "OK"
	if len(diags) > 0 {
		result = "FAIL"
	}
	return map[string]any{"result": result, "diagnostics": diags, "truncated": truncated}, nil
}

func (h *Handler) testState(ctx context.Context, c Caller, body []byte) (any, error) {
	var in struct {
		Definition string  `json:"definition"`
		RoleArn    string  `json:"roleArn"`
		Input      *string `json:"input"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := required("definition", in.Definition); err != nil {
		return nil, err
	}
	if in.Input != nil && !json.Valid([]byte(*in.Input)) {
		return nil, fmt.Errorf("%w: Invalid State Machine Execution Input: the input is not valid JSON", flow.ErrInvalidInput)
	}
	if err := h.authorize(ctx, "states:TestState", "*"); err != nil {
		return nil, err
	}
	var input json.RawMessage
	if in.Input != nil {
		input = json.RawMessage(*in.Input)
	}
	res, err := h.e.TestState(ctx, []byte(in.Definition), input)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"status": res.Status}
	if res.Output != nil {
		out["output"] = string(res.Output)
	}
	setOptional(out, "nextState", res.NextState, "error", res.Error, "cause", res.Cause)
	return out, nil
}
