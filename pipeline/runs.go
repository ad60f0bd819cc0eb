package pipeline

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/edgecd/edgecd/pipeline/source"
	"github.com/edgecd/edgecd/pipeline/spec"
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
