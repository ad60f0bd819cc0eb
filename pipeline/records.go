package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/edgecd/edgecd/store"
)

// Store kinds. Pipelines and runs are versioned records: users read them,
// they change a few times per action, and their history is the audit
// trail (who approved, when).
const (
	kindPipeline = "pipeline"
	kindRun      = "pipeline.run"     // id: <pipeline>/<run id>
	kindRunRef   = "pipeline.run.ref" // id: <run id> -> pipeline name
	kindLane     = "pipeline.lane"    // id: <pipeline> -> the active and the pending run
)

// Errors callers check with errors.Is.
var (
	ErrPipelineNotFound  = errors.New("pipeline not found")
	ErrRunNotFound       = errors.New("pipeline run not found")
	ErrNotWaiting        = errors.New("no approval is waiting")
	ErrInvalidDefinition = errors.New("invalid pipeline definition")
	ErrUnknownCommit     = errors.New("unknown commit")
	ErrUnknownSource     = errors.New("unknown source")
	ErrNotRetryable      = errors.New("run cannot be retried")
	ErrBadSignature      = errors.New("webhook signature does not match")
)

// Run statuses, as CodePipeline names them.
const (
	StatusQueued     = "Queued" // edgecd: waiting for the active run to end
	StatusInProgress = "InProgress"
	StatusSucceeded  = "Succeeded"
	StatusFailed     = "Failed"
	StatusStopped    = "Stopped"
	StatusSuperseded = "Superseded"
	StatusCancelled  = "Cancelled" // a stage or action a run never reached
)

// Pipeline is a stored pipeline definition.
type Pipeline struct {
	Name    string    `json:"name"`
	File    string    `json:"file"` // where the YAML came from, for error locations
	YAML    string    `json:"yaml"`
	Machine string    `json:"machine"` // the flow state machine ARN
	Version int64     `json:"version"` // bumped on each update, as CodePipeline's
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

// Run is one execution of a pipeline.
type Run struct {
	ID        string            `json:"id"`
	Pipeline  string            `json:"pipeline"`
	Version   int64             `json:"pipelineVersion"`
	Status    string            `json:"status"`
	Summary   string            `json:"summary,omitempty"`
	Trigger   Trigger           `json:"trigger"`
	Commits   map[string]string `json:"commits"` // source name -> full commit id
	Execution string            `json:"execution,omitempty"`
	ResumeOf  string            `json:"resumeOf,omitempty"` // retry: the run whose stages before ResumeFrom it reuses
	Resume    string            `json:"resumeFrom,omitempty"`
	Stages    []StageRun        `json:"stages"`
	Start     time.Time         `json:"start"`
	End       time.Time         `json:"end,omitzero"`
	Updated   time.Time         `json:"updated"`
}

// Trigger says what started a run.
type Trigger struct {
	Type   string `json:"type"`   // StartPipelineExecution, PollForSourceChanges, Webhook, RetryStageExecution
	Detail string `json:"detail"` // who or what
}

// StageRun is a stage's state in a run.
type StageRun struct {
	Name    string      `json:"name"`
	Status  string      `json:"status,omitempty"`
	Start   time.Time   `json:"start,omitzero"`
	End     time.Time   `json:"end,omitzero"`
	Actions []ActionRun `json:"actions"`
}

// ActionRun is an action's state in a run.
type ActionRun struct {
	Name     string            `json:"name"`
	Kind     string            `json:"kind"`
	Status   string            `json:"status,omitempty"`
	Summary  string            `json:"summary,omitempty"`
	Error    string            `json:"error,omitempty"` // error code, e.g. Rejected, BuildFailed
	Start    time.Time         `json:"start,omitzero"`
	End      time.Time         `json:"end,omitzero"`
	Outputs  map[string]string `json:"outputs,omitempty"`
	Token    string            `json:"token,omitempty"` // approval: while waiting
	Approval *Approval         `json:"approval,omitempty"`
	Log      string            `json:"log,omitempty"` // path of its log file
	// Attempt counts dispatches of the action: more than one means it was
	// run again after a crash.
	Attempt int `json:"attempt,omitempty"`
}

// Approval records who decided a manual approval, when and why.
type Approval struct {
	Result  string    `json:"result"` // Approved or Rejected
	By      string    `json:"by"`
	At      time.Time `json:"at"`
	Comment string    `json:"comment,omitempty"`
}

// Duration is how long the stage ran (so far, when still running).
func (s StageRun) Duration(now time.Time) time.Duration { return span(s.Start, s.End, now) }

// Duration is how long the run took (so far).
func (r Run) Duration(now time.Time) time.Duration { return span(r.Start, r.End, now) }

// Duration is how long the action ran (so far; zero before it started).
func (a ActionRun) Duration(now time.Time) time.Duration { return span(a.Start, a.End, now) }

func span(start, end, now time.Time) time.Duration {
	switch {
	case start.IsZero():
		return 0
	case end.IsZero():
		return now.Sub(start)
	}
	return end.Sub(start)
}

// Done reports whether the run has ended.
func (r *Run) Done() bool {
	switch r.Status {
	case StatusSucceeded, StatusFailed, StatusStopped, StatusSuperseded:
		return true
	}
	return false
}

func (r *Run) action(stage, action string) (*StageRun, *ActionRun) {
	for i := range r.Stages {
		if r.Stages[i].Name != stage {
			continue
		}
		s := &r.Stages[i]
		for j := range s.Actions {
			if s.Actions[j].Name == action {
				return s, &s.Actions[j]
			}
		}
		return s, nil
	}
	return nil, nil
}

// lane is the per-pipeline queue: one active run, at most one pending
// (newer triggers supersede older pending ones, CodePipeline V2's
// SUPERSEDED mode).
type lane struct {
	Active  string `json:"active,omitempty"`
	Pending string `json:"pending,omitempty"`
}

func runKey(pipeline, id string) string { return pipeline + "/" + id }

func getJSON[T any](ctx context.Context, get func(ctx context.Context, kind, id string) (store.Record, error), kind, id string) (T, int64, error) {
	var v T
	r, err := get(ctx, kind, id)
	if err != nil {
		return v, 0, err
	}
	if err := json.Unmarshal(r.Body, &v); err != nil {
		return v, 0, fmt.Errorf("decode %s %s: %w", kind, id, err)
	}
	return v, r.Version, nil
}

// listJSON decodes the records of kind that q selects, in the store's order.
func listJSON[T any](ctx context.Context, st store.Store, kind string, q store.Query) ([]T, error) {
	recs, err := st.List(ctx, kind, q)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(recs))
	for _, r := range recs {
		var v T
		if err := json.Unmarshal(r.Body, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func putJSON(ctx context.Context, tx store.Tx, kind, id string, v any, expect int64) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = tx.Put(ctx, kind, id, b, expect)
	return err
}

// Pipeline returns a stored pipeline.
func (s *Service) Pipeline(ctx context.Context, name string) (Pipeline, error) {
	p, _, err := getJSON[Pipeline](ctx, s.st.Get, kindPipeline, name)
	if errors.Is(err, store.ErrNotFound) {
		return p, fmt.Errorf("%w: %q (list them with `edgecd pipeline list`)", ErrPipelineNotFound, name)
	}
	return p, err
}

// Pipelines lists the stored pipelines by name.
func (s *Service) Pipelines(ctx context.Context) ([]Pipeline, error) {
	return listJSON[Pipeline](ctx, s.st, kindPipeline, store.Query{})
}

// Run returns a run by id; pipeline may be empty.
func (s *Service) Run(ctx context.Context, pipeline, id string) (Run, error) {
	if pipeline == "" {
		r, err := s.st.Get(ctx, kindRunRef, id)
		if errors.Is(err, store.ErrNotFound) {
			return Run{}, fmt.Errorf("%w: %q (list runs with `edgecd pipeline status PIPELINE`)", ErrRunNotFound, id)
		} else if err != nil {
			return Run{}, err
		}
		pipeline = string(r.Body)
	}
	run, _, err := getJSON[Run](ctx, s.st.Get, kindRun, runKey(pipeline, id))
	if errors.Is(err, store.ErrNotFound) {
		return run, fmt.Errorf("%w: %q of pipeline %q (list runs with `edgecd pipeline status %s`)", ErrRunNotFound, id, pipeline, pipeline)
	}
	return run, err
}

// Runs lists a pipeline's runs, newest first.
func (s *Service) Runs(ctx context.Context, pipeline string, limit int) ([]Run, error) {
	if _, err := s.Pipeline(ctx, pipeline); err != nil {
		return nil, err
	}
	out, err := listJSON[Run](ctx, s.st, kindRun, store.Query{Prefix: pipeline + "/"})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.After(out[j].Start) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// updateRun applies fn to a run in one transaction and returns the result.
func (s *Service) updateRun(ctx context.Context, pipeline, id string, fn func(r *Run) error) (Run, error) {
	var out Run
	_, err := s.st.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		r, ver, err := getJSON[Run](ctx, tx.Get, kindRun, runKey(pipeline, id))
		if err != nil {
			return err
		}
		if err := fn(&r); err != nil {
			return err
		}
		r.Updated = s.now()
		out = r
		return putJSON(ctx, tx, kindRun, runKey(pipeline, id), &r, ver)
	})
	return out, err
}
