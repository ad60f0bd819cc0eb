package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/edgecd/edgecd/asl"
	"github.com/edgecd/edgecd/flow"
	"github.com/edgecd/edgecd/pipeline/source"
	"github.com/edgecd/edgecd/pipeline/spec"
	"github.com/edgecd/edgecd/store"
)

// StartRequest asks for a run.
type StartRequest struct {
	Pipeline string
	// Commits pins sources to commits (full id or a prefix of at least 7
	// hex digits); unpinned sources run their branch's head.
	Commits map[string]string
	// Variables override the pipeline's variables for this run.
	Variables map[string]string
	Trigger   Trigger
}

// Start validates the request (every pinned commit must exist: nothing is
// started otherwise), records the run with its exact commits and starts it,
// or queues it behind the pipeline's active run, superseding an older
// pending one.
func (s *Service) Start(ctx context.Context, req StartRequest) (Run, error) {
	p, err := s.Pipeline(ctx, req.Pipeline)
	if err != nil {
		return Run{}, err
	}
	sp, err := s.spec(p)
	if err != nil {
		return Run{}, err
	}
	for name := range req.Commits {
		if findSource(sp, name) == nil {
			return Run{}, fmt.Errorf("%w %q in pipeline %s (its sources: %s)", ErrUnknownSource, name, p.Name, sourceNames(sp))
		}
	}
	for name := range req.Variables {
		if _, ok := sp.Variables[name]; !ok {
			return Run{}, fmt.Errorf("unknown variable %q: pipeline %s declares %s", name, p.Name, variableNames(sp))
		}
	}
	id := newRunID()
	commits := map[string]string{}
	for _, src := range sp.Sources {
		repo := source.Repo{URL: src.Repo, Branch: src.Branch}
		pin := req.Commits[src.Name]
		if pin == "" {
			c, err := source.Resolve(ctx, repo)
			if err != nil {
				return Run{}, fmt.Errorf("resolve the head of source %s (%s): %w", src.Name, repo, err)
			}
			pin = c
		}
		// Checking the commit out now both validates a pinned commit and
		// gives the run the exact tree, whatever the branch does next.
		c, err := s.checkout(ctx, id, src, pin)
		if err != nil {
			s.removeWork(id)
			if errors.Is(err, source.ErrUnknownCommit) {
				return Run{}, fmt.Errorf("%w %q in source %s (%s): give a commit id that exists on the repository", ErrUnknownCommit, pin, src.Name, repo)
			}
			return Run{}, fmt.Errorf("check out %s of source %s: %w", pin, src.Name, err)
		}
		commits[src.Name] = c.ID
	}
	run := Run{
		ID: id, Pipeline: p.Name, Version: p.Version, Trigger: req.Trigger, Commits: commits,
		Stages: skeleton(sp), Start: s.now(), Updated: s.now(),
	}
	if len(req.Variables) > 0 {
		run.Summary = "variables: " + formatVars(req.Variables)
	}
	vars := map[string]string{}
	for k, v := range sp.Variables {
		vars[k] = v
	}
	for k, v := range req.Variables {
		vars[k] = v
	}
	return s.enqueue(ctx, run, vars, nil)
}

// enqueue stores a new run and makes it active or pending.
func (s *Service) enqueue(ctx context.Context, run Run, vars map[string]string, carried map[string]map[string]string) (Run, error) {
	in := spec.Input{Pipeline: run.Pipeline, ResumeFrom: run.Resume, Vars: spec.Vars{spec.NamespacePipeline: vars}}
	for ns, v := range carried {
		in.Vars[ns] = v
	}
	input, err := json.Marshal(in)
	if err != nil {
		return Run{}, err
	}
	var superseded string
	s.lanes.Lock()
	_, err = s.st.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		l, ver, err := getJSON[lane](ctx, tx.Get, kindLane, run.Pipeline)
		if errors.Is(err, store.ErrNotFound) {
			ver = store.NotExists
		} else if err != nil {
			return err
		}
		superseded = ""
		if l.Active == "" {
			l.Active, run.Status = run.ID, StatusInProgress
		} else {
			if l.Pending != "" {
				old, over, err := getJSON[Run](ctx, tx.Get, kindRun, runKey(run.Pipeline, l.Pending))
				if err != nil {
					return err
				}
				old.Status, old.End, old.Updated = StatusSuperseded, s.now(), s.now()
				old.Summary = "superseded by the newer run " + run.ID
				if err := putJSON(ctx, tx, kindRun, runKey(run.Pipeline, l.Pending), &old, over); err != nil {
					return err
				}
				superseded = l.Pending
			}
			l.Pending, run.Status = run.ID, StatusQueued
		}
		if err := putJSON(ctx, tx, kindLane, run.Pipeline, &l, ver); err != nil {
			return err
		}
		if _, err := tx.Put(ctx, kindRunRef, run.ID, []byte(run.Pipeline), store.NotExists); err != nil {
			return err
		}
		if err := s.putPendingInput(ctx, tx, run.ID, input); err != nil {
			return err
		}
		return putJSON(ctx, tx, kindRun, runKey(run.Pipeline, run.ID), &run, store.NotExists)
	})
	s.lanes.Unlock()
	if err != nil {
		s.removeWork(run.ID)
		return Run{}, err
	}
	if superseded != "" {
		s.removeWork(superseded)
		s.emitPipeline(ctx, run.Pipeline, superseded, "SUPERSEDED", Trigger{})
	}
	if run.Status == StatusInProgress {
		return s.launch(ctx, run.Pipeline, run.ID)
	}
	return run, nil
}

// kindInput keeps a run's execution input until the run is launched.
const kindInput = "pipeline.run.input"

func (s *Service) putPendingInput(ctx context.Context, tx store.Tx, id string, input []byte) error {
	_, err := tx.Put(ctx, kindInput, id, input, store.AnyVersion)
	return err
}

// launch starts the flow execution of an active run. Starting is
// idempotent (the execution is named after the run), so a crash between
// the queue decision and the start is repaired by calling it again.
func (s *Service) launch(ctx context.Context, pipeline, id string) (Run, error) {
	p, err := s.Pipeline(ctx, pipeline)
	if err != nil {
		return Run{}, err
	}
	rec, err := s.st.Get(ctx, kindInput, id)
	if err != nil {
		return Run{}, fmt.Errorf("read the input of run %s: %w", id, err)
	}
	x, err := s.engine.Start(ctx, p.Machine, id, rec.Body)
	if errors.Is(err, flow.ErrExecutionExists) {
		x, err = s.engine.Execution(ctx, flow.ExecutionARN(p.Machine, id))
	}
	if err != nil {
		return Run{}, fmt.Errorf("start run %s: %w", id, err)
	}
	run, err := s.updateRun(ctx, pipeline, id, func(r *Run) error {
		r.Execution = x.ARN
		return nil
	})
	if err != nil {
		return Run{}, err
	}
	s.emitPipeline(ctx, pipeline, id, "STARTED", run.Trigger)
	return run, nil
}

// advance moves a pipeline's queue on: the active run's end makes the
// pending run active, and an active run whose execution never started is
// started.
func (s *Service) advance(ctx context.Context, pipeline string) error {
	var start string
	s.lanes.Lock()
	_, err := s.st.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		start = ""
		l, ver, err := getJSON[lane](ctx, tx.Get, kindLane, pipeline)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		if l.Active != "" {
			r, _, err := getJSON[Run](ctx, tx.Get, kindRun, runKey(pipeline, l.Active))
			if err != nil {
				return err
			}
			if !r.Done() {
				if r.Execution == "" {
					start = r.ID
				}
				return nil
			}
			l.Active = ""
		}
		if l.Pending != "" {
			r, rver, err := getJSON[Run](ctx, tx.Get, kindRun, runKey(pipeline, l.Pending))
			if err != nil {
				return err
			}
			r.Status, r.Updated = StatusInProgress, s.now()
			if err := putJSON(ctx, tx, kindRun, runKey(pipeline, r.ID), &r, rver); err != nil {
				return err
			}
			l.Active, l.Pending, start = l.Pending, "", l.Pending
		}
		return putJSON(ctx, tx, kindLane, pipeline, &l, ver)
	})
	s.lanes.Unlock()
	if err != nil || start == "" {
		return err
	}
	_, err = s.launch(ctx, pipeline, start)
	return err
}

// OnStatus follows the flow executions of pipeline runs: at their end it
// records the run's outcome, fails or abandons the actions still in
// progress (a timed-out approval becomes a FAILED action, which the
// cleanup rule sees), emits the events and starts the next queued run.
// Wire it into flow.Options.OnStatus.
func (s *Service) OnStatus(ctx context.Context, x flow.Execution) {
	name, ok := s.pipelineOf(x.Machine)
	if !ok || x.Status == asl.Running {
		return
	}
	status, actionStatus := StatusFailed, StatusFailed
	switch x.Status {
	case asl.Succeeded:
		status = StatusSucceeded
	case asl.Aborted:
		status, actionStatus = StatusStopped, "Abandoned"
	}
	var ended []actionEnd
	changed := false
	run, err := s.updateRun(ctx, name, x.Name, func(r *Run) error {
		ended, changed = nil, false
		if r.Done() {
			return nil
		}
		changed = true
		r.Status, r.End = status, s.now()
		if f, ok := spec.ParseFailure(x.Cause); ok {
			r.Summary = fmt.Sprintf("action %s of stage %s failed: %s: %s", f.Action, f.Stage, f.Error, f.Cause)
		} else if x.Error != "" {
			r.Summary = strings.TrimSpace(x.Error + ": " + x.Cause)
		}
		for i := range r.Stages {
			st := &r.Stages[i]
			for j := range st.Actions {
				a := &st.Actions[j]
				if a.Status != StatusInProgress {
					continue
				}
				a.Status, a.End, a.Token = actionStatus, s.now(), ""
				switch f, ok := spec.ParseFailure(x.Cause); {
				case a.Approval != nil && a.Approval.Result == Rejected:
					a.Error, a.Summary = Rejected, "rejected by "+a.Approval.By+": "+a.Approval.Comment
				case ok && f.Stage == st.Name && f.Action == a.Name:
					a.Error, a.Summary = f.Error, f.Cause
				case a.Error == "":
					a.Error, a.Summary = x.Error, x.Cause
				}
				if a.Error == "States.Timeout" {
					a.Summary = "timed out: " + a.Summary
				}
				ended = append(ended, actionEnd{stage: st.Name, action: *a})
			}
			if st.Status == StatusInProgress {
				st.Status, st.End = stageStatus(status), s.now()
			}
		}
		return nil
	})
	if err != nil {
		s.log.Error("record the end of a pipeline run", "pipeline", name, "run", x.Name, "err", err)
		return
	}
	for _, e := range ended {
		s.emitAction(ctx, run, e.stage, e.action, eventState(e.action.Status))
		s.emitStage(ctx, run, e.stage, eventState(stageStatus(status)))
	}
	if changed {
		s.emitPipeline(ctx, name, run.ID, eventState(status), Trigger{})
	}
	if err := s.advance(ctx, name); err != nil {
		s.log.Error("start the next pipeline run", "pipeline", name, "err", err)
	}
}

type actionEnd struct {
	stage  string
	action ActionRun
}

func stageStatus(runStatus string) string {
	if runStatus == StatusSucceeded {
		return StatusSucceeded
	}
	return runStatus
}

func (s *Service) pipelineOf(machineARN string) (string, bool) {
	i := strings.LastIndex(machineARN, ":edgecd-pipeline-")
	if i < 0 {
		return "", false
	}
	return machineARN[i+len(":edgecd-pipeline-"):], true
}

// Stop stops a run: a queued run is dropped from the queue, a running one
// is aborted (its action in progress is abandoned).
func (s *Service) Stop(ctx context.Context, pipeline, id, reason string) (Run, error) {
	run, err := s.Run(ctx, pipeline, id)
	if err != nil {
		return Run{}, err
	}
	if reason == "" {
		reason = "stopped by request"
	}
	switch {
	case run.Done():
		return run, nil
	case run.Status == StatusQueued:
		s.lanes.Lock()
		_, err = s.st.Update(ctx, func(ctx context.Context, tx store.Tx) error {
			l, ver, err := getJSON[lane](ctx, tx.Get, kindLane, run.Pipeline)
			if err != nil {
				return err
			}
			r, rver, err := getJSON[Run](ctx, tx.Get, kindRun, runKey(run.Pipeline, id))
			if err != nil {
				return err
			}
			if r.Status != StatusQueued {
				return nil // it became active meanwhile: the caller may stop it again
			}
			r.Status, r.End, r.Summary, r.Updated = StatusStopped, s.now(), reason, s.now()
			if l.Pending == id {
				l.Pending = ""
			}
			run = r
			if err := putJSON(ctx, tx, kindLane, run.Pipeline, &l, ver); err != nil {
				return err
			}
			return putJSON(ctx, tx, kindRun, runKey(run.Pipeline, id), &r, rver)
		})
		s.lanes.Unlock()
		return run, err
	case run.Execution == "":
		return run, fmt.Errorf("run %s is starting; stop it again in a moment", id)
	}
	if _, err := s.engine.Stop(ctx, run.Execution, "Stopped", reason); err != nil {
		return Run{}, fmt.Errorf("stop run %s: %w", id, err)
	}
	return s.Run(ctx, run.Pipeline, id)
}

// Retry starts a new run of a failed or stopped run from one of its stages
// (default: the stage that failed), on the same commits, carrying the
// output variables of the stages before it. It returns the new run.
func (s *Service) Retry(ctx context.Context, pipeline, id, stage string) (Run, error) {
	old, err := s.Run(ctx, pipeline, id)
	if err != nil {
		return Run{}, err
	}
	if old.Status != StatusFailed && old.Status != StatusStopped {
		return Run{}, fmt.Errorf("%w: run %s is %s; only a Failed or Stopped run can be retried", ErrNotRetryable, id, old.Status)
	}
	p, err := s.Pipeline(ctx, old.Pipeline)
	if err != nil {
		return Run{}, err
	}
	if p.Version != old.Version {
		return Run{}, fmt.Errorf("%w: pipeline %s changed since run %s (version %d, now %d); start a new run", ErrNotRetryable, p.Name, id, old.Version, p.Version)
	}
	sp, err := s.spec(p)
	if err != nil {
		return Run{}, err
	}
	if stage == "" {
		for _, st := range old.Stages {
			if st.Status == StatusFailed || st.Status == StatusStopped {
				stage = st.Name
				break
			}
		}
	}
	idx := -1
	for i, st := range sp.Stages {
		if st.Name == stage {
			idx = i
		}
	}
	if idx < 0 {
		return Run{}, fmt.Errorf("%w: pipeline %s has no stage %q", ErrNotRetryable, p.Name, stage)
	}
	carried := map[string]map[string]string{}
	for _, st := range sp.Stages[:idx] {
		for _, a := range st.Actions {
			_, ar := old.action(st.Name, a.Name)
			if ar == nil || ar.Status != StatusSucceeded {
				return Run{}, fmt.Errorf("%w: action %s of stage %s did not succeed in run %s; retry from stage %s or earlier", ErrNotRetryable, a.Name, st.Name, id, st.Name)
			}
			if a.Namespace != "" {
				carried[a.Namespace] = ar.Outputs
			}
		}
	}
	newID := newRunID()
	for _, src := range sp.Sources {
		if _, err := s.checkout(ctx, newID, src, old.Commits[src.Name]); err != nil {
			s.removeWork(newID)
			return Run{}, fmt.Errorf("check out %s of source %s again: %w", old.Commits[src.Name], src.Name, err)
		}
	}
	run := Run{
		ID: newID, Pipeline: p.Name, Version: p.Version, Commits: old.Commits, ResumeOf: id, Resume: stage,
		Trigger: Trigger{Type: "RetryStageExecution", Detail: "retry of " + id + " from stage " + stage},
		Stages:  skeleton(sp), Start: s.now(), Updated: s.now(),
	}
	for i := range run.Stages[:idx] {
		run.Stages[i] = old.Stages[i]
		run.Stages[i].Status = "Skipped"
	}
	vars := map[string]string{}
	for k, v := range sp.Variables {
		vars[k] = v
	}
	return s.enqueue(ctx, run, vars, carried)
}

func skeleton(sp *spec.Pipeline) []StageRun {
	out := make([]StageRun, 0, len(sp.Stages))
	for _, st := range sp.Stages {
		sr := StageRun{Name: st.Name}
		for _, a := range st.Actions {
			sr.Actions = append(sr.Actions, ActionRun{Name: a.Name, Kind: a.Kind})
		}
		out = append(out, sr)
	}
	return out
}

func findSource(sp *spec.Pipeline, name string) *spec.Source {
	for i := range sp.Sources {
		if sp.Sources[i].Name == name {
			return &sp.Sources[i]
		}
	}
	return nil
}

func sourceNames(sp *spec.Pipeline) string {
	var n []string
	for _, s := range sp.Sources {
		n = append(n, s.Name)
	}
	return strings.Join(n, ", ")
}

func variableNames(sp *spec.Pipeline) string {
	var n []string
	for k := range sp.Variables {
		n = append(n, k)
	}
	if len(n) == 0 {
		return "no variables"
	}
	sort.Strings(n)
	return strings.Join(n, ", ")
}

func formatVars(v map[string]string) string {
	var parts []string
	for k, val := range v {
		parts = append(parts, k+"="+val)
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// newRunID draws a CodePipeline-style execution id (a UUID).
func newRunID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// workDir is where a run's sources are checked out.
func (s *Service) workDir(run, src string) string { return filepath.Join(s.dir, "work", run, src) }

func (s *Service) removeWork(run string) {
	if run != "" {
		os.RemoveAll(filepath.Join(s.dir, "work", run))
	}
}

// checkout puts exactly commit of src into the run's work dir, once.
func (s *Service) checkout(ctx context.Context, run string, src spec.Source, commit string) (*source.Commit, error) {
	dir := s.workDir(run, src.Name)
	marker := dir + ".commit"
	if b, err := os.ReadFile(marker); err == nil {
		var c source.Commit
		if json.Unmarshal(b, &c) == nil && (c.ID == commit || strings.HasPrefix(c.ID, commit)) {
			return &c, nil
		}
	}
	os.RemoveAll(dir)
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return nil, err
	}
	c, err := source.Checkout(ctx, source.Repo{URL: src.Repo, Branch: src.Branch}, commit, dir)
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(c)
	if err := os.WriteFile(marker, b, 0o600); err != nil {
		return nil, err
	}
	return c, nil
}
