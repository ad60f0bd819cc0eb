package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/edgecd/edgecd/flow"
	"github.com/edgecd/edgecd/pipeline/spec"
)

// action is what an action kind does; it returns the action's output
// variables. log receives the action's log (stored per run and action).
type action func(ctx context.Context, a *actionCall) (map[string]string, error)

// actionCall is one dispatch of an action.
type actionCall struct {
	in   spec.TaskInput
	with map[string]string // With, variables expanded
	run  Run
	log  io.Writer
	task flow.Task
}

// get returns a setting, or def when it is empty.
func (a *actionCall) get(key, def string) string {
	if v := strings.TrimSpace(a.with[key]); v != "" {
		return v
	}
	return def
}

// need returns a required setting or an error saying how to set it.
func (a *actionCall) need(key string) (string, error) {
	if v := a.get(key, ""); v != "" {
		return v, nil
	}
	return "", &flow.TaskError{Name: "Pipeline.MissingSetting",
		Cause: fmt.Sprintf("action %s (%s) of stage %s needs `with: {%s: ...}` in the pipeline definition", a.in.Action, a.in.Kind, a.in.Stage, key)}
}

// Tasks are the flow integrations of the action kinds, keyed by their
// Task resource (spec.Resource without ".waitForTaskToken"); put them in
// flow.Options.Tasks.
func (s *Service) Tasks() map[string]flow.TaskFunc {
	kinds := map[string]action{
		spec.KindSourceGit:      s.sourceGit,
		spec.KindBuild:          s.build,
		spec.KindDeploy:         s.deploy,
		spec.KindReleaseStage:   s.releaseStage,
		spec.KindReleasePromote: s.releasePromote,
		spec.KindReleaseAbort:   s.releaseAbort,
		spec.KindReleaseAnalyze: s.releaseAnalyze,
		spec.KindReleaseRamp:    s.releaseRamp,
		spec.KindInvalidate:     s.invalidate,
		spec.KindStepFunctions:  s.stepFunctions,
		spec.KindHTTP:           s.httpAction,
		spec.KindApproval:       s.approval,
	}
	out := make(map[string]flow.TaskFunc, len(kinds))
	for kind, fn := range kinds {
		out[spec.ResourcePrefix+kind] = s.wrap(kind, fn)
	}
	return out
}

// wrap records an action's progress in its run (and emits the events)
// around the kind's work. A crash during the work re-dispatches the task
// after the restart (flow's lease); every kind is safe to run again.
func (s *Service) wrap(kind string, fn action) flow.TaskFunc {
	return func(ctx context.Context, t flow.Task) (json.RawMessage, error) {
		var in spec.TaskInput
		if err := json.Unmarshal(t.Parameters, &in); err != nil {
			return nil, &flow.TaskError{Name: "Pipeline.BadParameters", Cause: "the task parameters are not a compiled pipeline action's: " + err.Error()}
		}
		if in.Token == "" {
			in.Token = t.Token
		}
		a := &actionCall{in: in, with: map[string]string{}, task: t}
		var expandErr error
		for k, v := range in.With {
			x, err := spec.Expand(v, in.Vars)
			if err != nil && expandErr == nil {
				expandErr = fmt.Errorf("with.%s: %w", k, err)
			}
			a.with[k] = x
		}
		if kind == spec.KindApproval && s.alreadyWaiting(ctx, in) {
			// Re-dispatched after a restart before the engine recorded the
			// delivery: the token is the same and the message went out.
			return json.RawMessage(`{}`), nil
		}
		logPath := s.logPath(in.Pipeline, in.Run, in.Stage, in.Action)
		run, fresh, err := s.actionStarted(ctx, in, logPath)
		if err != nil {
			return nil, err
		}
		a.run = run
		if fresh {
			s.emitStage(ctx, run, in.Stage, "STARTED")
		}
		_, ar := run.action(in.Stage, in.Action)
		if ar != nil {
			s.emitAction(ctx, run, in.Stage, *ar, "STARTED")
		}
		f, err := openLog(logPath)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		a.log = f
		var out map[string]string
		if expandErr != nil {
			err = &flow.TaskError{Name: "Pipeline.UnknownVariable", Cause: expandErr.Error()}
		} else {
			out, err = fn(ctx, a)
		}
		if kind == spec.KindApproval && err == nil {
			return json.RawMessage(`{}`), nil // it ends with Approve or Reject
		}
		if err != nil && ctx.Err() != nil {
			// The node is stopping (or the run was stopped): the engine
			// re-dispatches the task after a restart, so this is no
			// failure to record or announce.
			fmt.Fprintf(f, "\n[edgecd] action %s interrupted: %v\n", in.Action, ctx.Err())
			return nil, ctx.Err()
		}
		if err != nil {
			fmt.Fprintf(f, "\n[edgecd] action %s failed: %v\n", in.Action, err)
		}
		s.actionEnded(ctx, in, out, err)
		if err != nil {
			var te *flow.TaskError
			if errors.As(err, &te) {
				return nil, te
			}
			return nil, &flow.TaskError{Name: errorName(kind), Cause: err.Error()}
		}
		if out == nil {
			out = map[string]string{}
		}
		return json.Marshal(out)
	}
}

func (s *Service) alreadyWaiting(ctx context.Context, in spec.TaskInput) bool {
	r, err := s.Run(ctx, in.Pipeline, in.Run)
	if err != nil {
		return false
	}
	_, a := r.action(in.Stage, in.Action)
	return a != nil && a.Status == StatusInProgress && a.Token != "" && a.Token == in.Token
}

// errorName is the States error name of a kind's failure.
func errorName(kind string) string {
	switch kind {
	case spec.KindBuild:
		return "Pipeline.BuildFailed"
	case spec.KindSourceGit:
		return "Pipeline.SourceFailed"
	}
	return "Pipeline.ActionFailed"
}

// actionStarted marks the action (and its stage, the first time) in
// progress; fresh says the stage just started.
func (s *Service) actionStarted(ctx context.Context, in spec.TaskInput, logPath string) (Run, bool, error) {
	fresh := false
	run, err := s.updateRun(ctx, in.Pipeline, in.Run, func(r *Run) error {
		fresh = false
		st, a := r.action(in.Stage, in.Action)
		if a == nil {
			return fmt.Errorf("run %s has no action %s in stage %s", in.Run, in.Action, in.Stage)
		}
		if st.Status != StatusInProgress {
			st.Status, st.Start, st.End, fresh = StatusInProgress, s.now(), timeZero, true
		}
		a.Status, a.Start, a.End, a.Error, a.Summary, a.Log = StatusInProgress, s.now(), timeZero, "", "", logPath
		a.Attempt++
		return nil
	})
	return run, fresh, err
}

// actionEnded records an action's outcome and, when it settles its stage,
// the stage's.
func (s *Service) actionEnded(ctx context.Context, in spec.TaskInput, out map[string]string, failure error) {
	var stageDone string
	run, err := s.updateRun(ctx, in.Pipeline, in.Run, func(r *Run) error {
		stageDone = ""
		st, a := r.action(in.Stage, in.Action)
		if a == nil {
			return fmt.Errorf("run %s has no action %s in stage %s", in.Run, in.Action, in.Stage)
		}
		a.End, a.Token = s.now(), ""
		if failure != nil {
			a.Status, a.Summary = StatusFailed, failure.Error()
			a.Error = errorName(a.Kind)
			var te *flow.TaskError
			if errors.As(failure, &te) {
				a.Error, a.Summary = te.Name, te.Cause
			}
			st.Status, st.End, stageDone = StatusFailed, s.now(), StatusFailed
			return nil
		}
		a.Status, a.Outputs = StatusSucceeded, out
		a.Summary = summarize(a.Kind, out)
		for _, other := range st.Actions {
			if other.Status != StatusSucceeded {
				return nil
			}
		}
		st.Status, st.End, stageDone = StatusSucceeded, s.now(), StatusSucceeded
		return nil
	})
	if err != nil {
		s.log.Error("record an action's end", "run", in.Run, "action", in.Action, "err", err)
		return
	}
	_, a := run.action(in.Stage, in.Action)
	s.emitAction(ctx, run, in.Stage, *a, eventState(a.Status))
	if stageDone != "" {
		s.emitStage(ctx, run, in.Stage, eventState(stageDone))
	}
}

func summarize(kind string, out map[string]string) string {
	switch kind {
	case spec.KindSourceGit:
		return out["CommitId"] + " " + out["CommitMessage"]
	case spec.KindBuild:
		var vars []string
		for k, v := range out {
			if k != "ArtifactsDir" && k != "ArtifactFiles" {
				vars = append(vars, k+"="+v)
			}
		}
		sort.Strings(vars)
		if n := out["ArtifactFiles"]; n != "" {
			vars = append([]string{n + " artifact files"}, vars...)
		}
		return strings.Join(vars, " ")
	case spec.KindDeploy:
		return "deployed to s3://" + out["Bucket"] + "/" + out["Prefix"]
	case spec.KindReleaseStage:
		return "staged " + out["OriginPath"] + " on " + out["StagingDistributionId"]
	case spec.KindReleaseRamp:
		return "ramp " + out["Outcome"] + " after " + out["Steps"] + " steps"
	case spec.KindReleaseAnalyze:
		return "canary " + out["Verdict"] + ": staging " + out["StagingRequests"] + " requests, 5xx rate " + out["Staging5xxRate"] + ", p95 " + out["StagingLatencyP95"] + " s"
	}
	return ""
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// logPath is where an action's log lives: one file per run and action.
func (s *Service) logPath(pipeline, run, stage, action string) string {
	clean := func(v string) string { return unsafeName.ReplaceAllString(v, "_") }
	return filepath.Join(s.dir, "logs", clean(pipeline), clean(run), clean(stage)+"."+clean(action)+".log")
}

func openLog(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	return os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
}
