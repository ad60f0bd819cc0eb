package spec

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The compiled machine's own states. Names built from stages and actions
// always contain "/", which stage and action names cannot, so they never
// collide with these.
const (
	stateStart        = "Start"
	stateResume       = "Resume"
	stateResumeAt     = "ResumeAt"
	stateUnknownStage = "UnknownStage"
)

// Compile turns a checked pipeline into an Amazon States Language
// definition (JSONPath) for the flow engine:
//
//   - "Start" (Pass) sets $.vars.codepipeline {PipelineExecutionId,
//     PipelineName}; "Resume"/"ResumeAt" (Choice) jump to the first state of
//     the stage named by $.resume_from (absent, null or "" = the first stage;
//     another name fails with ErrUnknownStage).
//   - Each action is a Task "Stage/Action" on Resource(kind) whose
//     Parameters are TaskInput, with ResultPath $.vars.<Namespace> (null
//     without a namespace) and TimeoutSeconds from the action's timeout (an
//     approval's from with.timeout).
//   - Actions of a stage with the same run order run in a Parallel state
//     "Stage/run order N"; its ResultSelector merges the branches' $.vars
//     and the Pass "Stage/run order N/merge" puts the merge back at $.vars.
//   - A failing action is caught into $.failure, "Stage/Action/Caught"
//     (Pass) adds Stage and Action, and "Stage/Action/Failed" (Fail) ends
//     the run with the action's own error name and the Failure as JSON
//     cause (ParseFailure reads it).
func Compile(p *Pipeline) ([]byte, error) {
	if err := validate(p); err != nil {
		return nil, err
	}
	var steps [][]string // per stage, the entry state of each run-order group
	states := map[string]any{}
	type group struct {
		stage   *Stage
		order   int
		actions []Action
	}
	var groups []group
	for i := range p.Stages {
		st := &p.Stages[i]
		var entries []string
		for j := 0; j < len(st.Actions); {
			k := j
			for k < len(st.Actions) && st.Actions[k].RunOrder == st.Actions[j].RunOrder {
				k++
			}
			g := group{st, st.Actions[j].RunOrder, st.Actions[j:k]}
			groups = append(groups, g)
			entries = append(entries, groupEntry(g.stage.Name, g.order, g.actions))
			j = k
		}
		steps = append(steps, entries)
	}
	for i, g := range groups {
		next := ""
		if i+1 < len(groups) {
			next = groupEntry(groups[i+1].stage.Name, groups[i+1].order, groups[i+1].actions)
		}
		if len(g.actions) == 1 {
			addAction(states, p, g.stage.Name, g.actions[0], next)
			continue
		}
		name := groupEntry(g.stage.Name, g.order, g.actions)
		merge := name + "/merge"
		var branches []any
		var vars []string
		for bi, a := range g.actions {
			bs := map[string]any{}
			addAction(bs, p, g.stage.Name, a, "")
			branches = append(branches, map[string]any{"StartAt": actionState(g.stage.Name, a.Name), "States": bs})
			vars = append(vars, fmt.Sprintf("$[%d].vars", bi))
		}
		merged := mergeTree(vars)
		states[name] = map[string]any{
			"Type":           "Parallel",
			"Comment":        fmt.Sprintf("stage %s: the actions of run order %d", g.stage.Name, g.order),
			"Branches":       branches,
			"ResultSelector": map[string]any{"all.$": merged},
			"ResultPath":     "$.vars",
			"Next":           merge,
		}
		states[merge] = withNext(map[string]any{
			"Type":       "Pass",
			"Comment":    "put the branches' merged variables back at $.vars",
			"InputPath":  "$.vars.all",
			"ResultPath": "$.vars",
		}, next)
	}
	first := steps[0][0]
	states[stateStart] = map[string]any{
		"Type":       "Pass",
		"Comment":    "the built-in variables #{codepipeline.*}",
		"Parameters": map[string]any{"PipelineExecutionId.$": "$$.Execution.Name", "PipelineName": p.Name},
		"ResultPath": "$.vars." + NamespaceRun,
		"Next":       stateResume,
	}
	states[stateResume] = map[string]any{
		"Type":    "Choice",
		"Comment": "a retry names the stage to resume from in $.resume_from",
		"Choices": []any{map[string]any{"Variable": "$.resume_from", "IsPresent": true, "Next": stateResumeAt}},
		"Default": first,
	}
	choices := []any{
		map[string]any{"Variable": "$.resume_from", "IsNull": true, "Next": first},
		map[string]any{"Variable": "$.resume_from", "StringEquals": "", "Next": first},
	}
	names := make([]string, len(p.Stages))
	for i, st := range p.Stages {
		names[i] = st.Name
		choices = append(choices, map[string]any{"Variable": "$.resume_from", "StringEquals": st.Name, "Next": steps[i][0]})
	}
	states[stateResumeAt] = map[string]any{"Type": "Choice", "Choices": choices, "Default": stateUnknownStage}
	states[stateUnknownStage] = map[string]any{
		"Type":  "Fail",
		"Error": ErrUnknownStage,
		"Cause": "resume_from must name a stage of the pipeline: " + strings.Join(names, ", "),
	}
	def := map[string]any{
		"Comment":       fmt.Sprintf("edgecd pipeline %s (compiled from %s)", p.Name, p.File),
		"QueryLanguage": "JSONPath",
		"StartAt":       stateStart,
		"States":        states,
	}
	return json.MarshalIndent(def, "", "  ")
}

// mergeTree merges the branches' variables pairwise, as a balanced tree,
// so fifty branches nest six calls deep rather than forty-nine.
func mergeTree(paths []string) string {
	if len(paths) == 1 {
		return paths[0]
	}
	h := len(paths) / 2
	return fmt.Sprintf("States.JsonMerge(%s, %s, false)", mergeTree(paths[:h]), mergeTree(paths[h:]))
}

// actionState is the name of an action's Task state.
func actionState(stage, action string) string { return StateName(stage, action) }

// StateName is the name of the Task state that runs an action, as the
// execution's history shows it ("Build/Compile").
func StateName(stage, action string) string { return stage + "/" + action }

// SplitStateName reads a history event's state name: ok is true for an
// action's Task state, false for the machine's own states (the Parallel,
// merge, Caught and Failed states too).
func SplitStateName(name string) (stage, action string, ok bool) {
	stage, action, ok = strings.Cut(name, "/")
	if !ok || stage == "" || action == "" || strings.Contains(action, "/") || strings.Contains(action, " ") {
		return "", "", false
	}
	return stage, action, true
}

// validate refuses a Pipeline Parse would not have returned, so a
// hand-built one cannot produce a machine the engine rejects.
func validate(p *Pipeline) error {
	if p == nil || len(p.Stages) == 0 {
		return errors.New("compile: the pipeline has no stages")
	}
	if !pipelineName.MatchString(p.Name) {
		return fmt.Errorf("compile: pipeline name %q is not valid", p.Name)
	}
	stages := map[string]bool{}
	for _, st := range p.Stages {
		if !stepName.MatchString(st.Name) || stages[st.Name] {
			return fmt.Errorf("compile: stage name %q is not valid or not unique", st.Name)
		}
		stages[st.Name] = true
		if len(st.Actions) == 0 {
			return fmt.Errorf("compile: stage %q has no actions", st.Name)
		}
		names := map[string]bool{}
		for i, a := range st.Actions {
			switch {
			case !stepName.MatchString(a.Name) || names[a.Name]:
				return fmt.Errorf("compile: stage %q: action name %q is not valid or not unique", st.Name, a.Name)
			case kinds[a.Kind].keys == nil:
				return fmt.Errorf("compile: stage %q: action %q has unknown kind %q", st.Name, a.Name, a.Kind)
			case a.Namespace != "" && !validName(a.Namespace):
				return fmt.Errorf("compile: stage %q: action %q has invalid namespace %q", st.Name, a.Name, a.Namespace)
			case i > 0 && a.RunOrder < st.Actions[i-1].RunOrder:
				return fmt.Errorf("compile: stage %q: actions are not sorted by run order", st.Name)
			}
			names[a.Name] = true
		}
	}
	return nil
}

// groupEntry is the state a run-order group starts at.
func groupEntry(stage string, order int, actions []Action) string {
	if len(actions) == 1 {
		return actionState(stage, actions[0].Name)
	}
	return fmt.Sprintf("%s/run order %d", stage, order)
}

func withNext(s map[string]any, next string) map[string]any {
	if next == "" {
		s["End"] = true
	} else {
		s["Next"] = next
	}
	return s
}

// addAction adds an action's Task, Caught and Failed states.
func addAction(states map[string]any, p *Pipeline, stage string, a Action, next string) {
	name := actionState(stage, a.Name)
	with := map[string]any{}
	for k, v := range a.With {
		with[k] = v
	}
	params := map[string]any{
		"Pipeline.$": "$.pipeline",
		"Run.$":      "$$.Execution.Name",
		"Stage":      stage,
		"Action":     a.Name,
		"Kind":       a.Kind,
		"Namespace":  a.Namespace,
		"With":       with,
		"Vars.$":     "$.vars",
	}
	if a.Kind == KindApproval {
		params["Token.$"] = "$$.Task.Token"
	}
	task := map[string]any{
		"Type":       "Task",
		"Resource":   Resource(a.Kind),
		"Parameters": params,
		"Catch":      []any{map[string]any{"ErrorEquals": []string{"States.ALL"}, "ResultPath": "$.failure", "Next": name + "/Caught"}},
	}
	if a.Namespace != "" {
		task["ResultPath"] = "$.vars." + a.Namespace
	} else {
		task["ResultPath"] = nil
	}
	timeout := a.Timeout
	if a.Kind == KindApproval {
		if d, err := parseDuration(a.With["timeout"]); err == nil {
			timeout = d
		}
	}
	if timeout > 0 {
		task["TimeoutSeconds"] = int64((timeout + time.Second - 1) / time.Second)
	}
	states[name] = withNext(task, next)
	states[name+"/Caught"] = map[string]any{
		"Type":       "Pass",
		"Parameters": map[string]any{"Stage": stage, "Action": a.Name, "Error.$": "$.failure.Error", "Cause.$": "$.failure.Cause"},
		"ResultPath": "$.failure",
		"Next":       name + "/Failed",
	}
	states[name+"/Failed"] = map[string]any{
		"Type":      "Fail",
		"Comment":   fmt.Sprintf("stage %s, action %s failed", stage, a.Name),
		"ErrorPath": "$.failure.Error",
		"CausePath": "States.JsonToString($.failure)",
	}
}
