package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/edgecd/edgecd/flow"
	"github.com/edgecd/edgecd/pipeline/spec"
	"github.com/edgecd/edgecd/store"
)

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
