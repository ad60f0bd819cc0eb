package events

import (
	"encoding/json"
	"fmt"
)

// CodePipeline's event vocabulary, for edgecd's pipelines to emit state
// changes that rules written for CodePipeline (seed 001) match unchanged.
const (
	PipelineSource          = "aws.codepipeline"
	PipelineExecutionChange = "CodePipeline Pipeline Execution State Change"
	StageExecutionChange    = "CodePipeline Stage Execution State Change"
	ActionExecutionChange   = "CodePipeline Action Execution State Change"
	ExecutionStatusChange   = "Step Functions Execution Status Change"
	StatesSource            = "aws.states"
)

// ActionType is an action's type in an action state change, e.g.
// {Owner: "AWS", Provider: "Manual", Category: "Approval", Version: "1"}
// for a manual approval.
type ActionType struct {
	Owner    string `json:"owner"`
	Provider string `json:"provider"`
	Category string `json:"category"`
	Version  string `json:"version"`
}

// PipelineChange is a pipeline, stage or action state change: Stage is
// empty for a pipeline change, Action for a stage change. State is
// CodePipeline's: STARTED, SUCCEEDED, FAILED, CANCELED, SUPERSEDED, ...
// (a rejected approval is an action that FAILED).
type PipelineChange struct {
	Pipeline    string
	ExecutionID string
	Stage       string
	Action      string
	State       string
	Version     int         // the pipeline's version
	Type        *ActionType // action changes only
}

// PipelineARN is the ARN CodePipeline gives a pipeline, which its events
// carry in resources.
func (b *Bus) PipelineARN(name string) string {
	return fmt.Sprintf("arn:aws:codepipeline:%s:%s:%s", b.opt.Region, b.opt.Account, name)
}

// PipelineEntry builds the event CodePipeline emits for c. Put it with
// PutTrusted (its source is aws.codepipeline).
func (b *Bus) PipelineEntry(c PipelineChange) Entry {
	d := map[string]any{
		"pipeline":     c.Pipeline,
		"execution-id": c.ExecutionID,
		"state":        c.State,
		"version":      c.Version,
	}
	dt := PipelineExecutionChange
	if c.Stage != "" {
		d["stage"] = c.Stage
		dt = StageExecutionChange
	}
	if c.Action != "" {
		d["action"] = c.Action
		d["region"] = b.opt.Region
		if c.Type != nil {
			d["type"] = c.Type
		}
		dt = ActionExecutionChange
	}
	detail, _ := json.Marshal(d)
	return Entry{Source: PipelineSource, DetailType: dt, Detail: string(detail), Resources: []string{b.PipelineARN(c.Pipeline)}}
}

// RejectionPattern is seed 001's rule: the named approval action of the
// pipeline failed (was rejected, or timed out).
func (b *Bus) RejectionPattern(pipeline, stage, action string) string {
	p, _ := json.Marshal(map[string]any{
		"source":      []string{PipelineSource},
		"detail-type": []string{ActionExecutionChange},
		"resources":   []string{b.PipelineARN(pipeline)},
		"detail": map[string]any{
			"stage":  []string{stage},
			"action": []string{action},
			"state":  []string{"FAILED"},
		},
	})
	return string(p)
}
