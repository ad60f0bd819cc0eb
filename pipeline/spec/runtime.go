package spec

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// ResourcePrefix starts the Task resource of every compiled action:
// ResourcePrefix + kind, e.g. "arn:aws:states:::edgecd:pipeline.build".
// The approval action's resource ends in ".waitForTaskToken" as well.
const ResourcePrefix = "arn:aws:states:::edgecd:pipeline."

// Resource is the Task resource a compiled action of this kind uses; the
// runtime registers a flow.TaskFunc under Resource(kind) (the flow engine
// strips ".waitForTaskToken" before looking it up).
func Resource(kind string) string {
	if kind == KindApproval {
		return ResourcePrefix + kind + ".waitForTaskToken"
	}
	return ResourcePrefix + kind
}

// Built-in namespaces, present in every run's variables.
const (
	// NamespacePipeline holds the pipeline-level variables
	// (#{Pipeline.Name}); the run's input supplies them.
	NamespacePipeline = "Pipeline"
	// NamespaceRun is CodePipeline's own namespace: the compiled machine
	// sets #{codepipeline.PipelineExecutionId} (the execution name) and
	// #{codepipeline.PipelineName} itself.
	NamespaceRun = "codepipeline"
)

// Vars are a run's variables: namespace → variable → value.
type Vars map[string]map[string]string

// Input is a compiled pipeline's execution input.
type Input struct {
	Pipeline string `json:"pipeline"`
	// Vars must hold NamespacePipeline with the pipeline variables; a retry
	// passes the failed run's variables so skipped stages' outputs remain.
	Vars Vars `json:"vars"`
	// ResumeFrom names the stage to start at ("" = the first). A name that
	// is not a stage fails the run with ErrUnknownStage.
	ResumeFrom string `json:"resume_from,omitempty"`
}

// TaskInput is the Parameters object every compiled action's Task receives
// (flow.Task.Parameters). The task answers with a flat JSON object of
// string output variables, stored at $.vars.<Namespace>.
type TaskInput struct {
	Pipeline  string            `json:"Pipeline"`
	Run       string            `json:"Run"` // the execution name
	Stage     string            `json:"Stage"`
	Action    string            `json:"Action"`
	Kind      string            `json:"Kind"`
	Namespace string            `json:"Namespace"`
	With      map[string]string `json:"With"` // as written: expand with Expand(v, Vars)
	Vars      Vars              `json:"Vars"`
	Token     string            `json:"Token,omitempty"` // approval only
}

// Error names the compiled machine raises itself.
const (
	// ErrUnknownStage fails a run whose resume_from names no stage.
	ErrUnknownStage = "Pipeline.UnknownStage"
)

// Failure is the Cause of a run that failed in an action: the execution's
// Error is the action's own error name (e.g. "States.Timeout" for an
// approval nobody answered) and its Cause is this object as JSON.
type Failure struct {
	Stage  string `json:"Stage"`
	Action string `json:"Action"`
	Error  string `json:"Error"`
	Cause  string `json:"Cause"`
}

// ParseFailure reads the Cause of a failed run; ok is false when the run
// did not fail in an action (e.g. it was stopped).
func ParseFailure(cause string) (f Failure, ok bool) {
	if !strings.HasPrefix(cause, "{") || json.Unmarshal([]byte(cause), &f) != nil {
		return Failure{}, false
	}
	return f, f.Stage != "" && f.Action != ""
}

// NewInput is the execution input of a run from the first stage: the
// pipeline variables' defaults with overrides applied. Overriding a
// variable the pipeline does not declare is an error, as in CodePipeline.
func (p *Pipeline) NewInput(overrides map[string]string) (Input, error) {
	vars := make(map[string]string, len(p.Variables))
	for k, v := range p.Variables {
		vars[k] = v
	}
	var unknown []string
	for k, v := range overrides {
		if _, ok := p.Variables[k]; !ok {
			unknown = append(unknown, k)
			continue
		}
		vars[k] = v
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return Input{}, fmt.Errorf("pipeline %s declares no variable %s", p.Name, strings.Join(unknown, ", "))
	}
	return Input{Pipeline: p.Name, Vars: Vars{NamespacePipeline: vars}}, nil
}
