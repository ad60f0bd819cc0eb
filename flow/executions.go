package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/edgecd/edgecd/asl"
	"github.com/edgecd/edgecd/store"
)

// Start starts an execution of a machine. An empty name draws a UUID. It
// returns once the start is durable; the execution runs on in the
// background. Starting again with the same name and input while it runs
// returns the same execution; otherwise the name is ErrExecutionExists.
func (e *Engine) Start(ctx context.Context, machineARN, name string, in json.RawMessage) (Execution, error) {
	if name != "" {
		if err := CheckName(name); err != nil {
			return Execution{}, err
		}
	}
	req, err := e.resolveStart(ctx, machineARN)
	if err != nil {
		return Execution{}, err
	}
	req.name, req.input = name, in
	return e.submit(ctx, &input{start: req})
}

// StartSync starts an execution of an EXPRESS machine and waits for its end.
func (e *Engine) StartSync(ctx context.Context, machineARN, name string, in json.RawMessage) (Execution, error) {
	base, _, err := SplitQualified(machineARN)
	if err != nil {
		return Execution{}, err
	}
	m, err := e.Machine(ctx, base)
	if err != nil {
		return Execution{}, err
	}
	if m.Type != Express {
		return Execution{}, ErrNotExpress
	}
	x, err := e.Start(ctx, machineARN, name, in)
	if err != nil {
		return Execution{}, err
	}
	return e.Wait(ctx, x.ARN)
}

// Wait blocks until an execution has finished and returns it.
func (e *Engine) Wait(ctx context.Context, arn string) (Execution, error) {
	// Register before reading, so an end committed in between is not missed.
	ch := make(chan Execution, 1)
	e.mu.Lock()
	e.done[arn] = append(e.done[arn], ch)
	e.mu.Unlock()
	x, err := e.Execution(ctx, arn)
	if err != nil || x.Status != asl.Running {
		e.forget(arn, ch)
		return x, err
	}
	select {
	case x := <-ch:
		return x, nil
	case <-ctx.Done():
		e.forget(arn, ch)
		return Execution{}, ctx.Err()
	}
}

func (e *Engine) forget(arn string, ch chan Execution) {
	e.mu.Lock()
	defer e.mu.Unlock()
	list := e.done[arn]
	if i := slices.Index(list, ch); i >= 0 {
		list = slices.Delete(list, i, i+1)
	}
	if len(list) == 0 {
		delete(e.done, arn)
	} else {
		e.done[arn] = list
	}
}

func (e *Engine) notifyDone(x Execution) {
	e.mu.Lock()
	list := e.done[x.ARN]
	delete(e.done, x.ARN)
	e.mu.Unlock()
	for _, ch := range list {
		ch <- x // buffered, and each channel is notified once
	}
}

// Execution returns an execution's summary.
func (e *Engine) Execution(ctx context.Context, arn string) (Execution, error) {
	body, err := e.kv.get(ctx, kindExecution, arn)
	if errors.Is(err, store.ErrNotFound) {
		return Execution{}, fmt.Errorf("%w: %s", ErrExecutionNotFound, arn)
	}
	if err != nil {
		return Execution{}, err
	}
	// The summary only: the interpreter state in the record is skipped,
	// not decoded.
	var x Execution
	if err := json.Unmarshal(body, &x); err != nil {
		return Execution{}, fmt.Errorf("decode execution %s: %w", arn, err)
	}
	return x, nil
}

// History returns up to limit history events (the GetExecutionHistory
// HistoryEvent shape) after the event id after, newest first if reverse
// (then after counts down; 0 means from the end).
func (e *Engine) History(ctx context.Context, arn string, after int64, limit int, reverse bool) ([]json.RawMessage, error) {
	if _, err := e.Execution(ctx, arn); err != nil {
		return nil, err
	}
	q := store.Query{Prefix: arn + "/"}
	if !reverse {
		// Rows are keyed by their last event: those after <after> hold
		// every later event, and limit rows hold at least limit events.
		if after > 0 {
			q.After = eventKey(arn, after)
		}
		q.Limit = limit
	}
	recs, err := e.kv.list(ctx, kindEvent, q)
	if err != nil {
		return nil, err
	}
	var evs []storedEvent
	for _, r := range recs {
		row, err := splitRow(r)
		if err != nil {
			return nil, err
		}
		evs = append(evs, row...)
	}
	if reverse {
		// The store lists forward only; a history holds at most 25,000 events.
		slices.Reverse(evs)
	}
	out := make([]json.RawMessage, 0, len(evs))
	for _, ev := range evs {
		if after > 0 && (!reverse && ev.id <= after || reverse && ev.id >= after) {
			continue
		}
		out = append(out, ev.body)
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out, nil
}

// Stop aborts a running execution (StopExecution). Stopping a finished
// execution changes nothing and returns it.
func (e *Engine) Stop(ctx context.Context, arn, errName, cause string) (Execution, error) {
	return e.submit(ctx, &input{exec: arn, ev: asl.Stop{Error: errName, Cause: cause}})
}

// SendTaskSuccess completes the task waiting for token with output.
func (e *Engine) SendTaskSuccess(ctx context.Context, token string, output json.RawMessage) error {
	if !json.Valid(output) {
		return fmt.Errorf("%w: the task output is not valid JSON", ErrInvalidOutput)
	}
	return e.answer(ctx, token, func(taskID string) asl.Event {
		return asl.TaskSucceeded{TaskID: taskID, Output: output}
	}, false)
}

// SendTaskFailure fails the task waiting for token.
func (e *Engine) SendTaskFailure(ctx context.Context, token, errName, cause string) error {
	return e.answer(ctx, token, func(taskID string) asl.Event {
		return asl.TaskFailed{TaskID: taskID, Error: errName, Cause: cause}
	}, false)
}

// SendTaskHeartbeat restarts the heartbeat timer of the task of token.
func (e *Engine) SendTaskHeartbeat(ctx context.Context, token string) error {
	return e.answer(ctx, token, func(taskID string) asl.Event { return asl.TaskHeartbeat{TaskID: taskID} }, true)
}

func (e *Engine) answer(ctx context.Context, token string, ev func(string) asl.Event, keep bool) error {
	if token == "" || len(token) > 2048 {
		return fmt.Errorf("%w: a task token is 1 to 2048 characters", ErrInvalidToken)
	}
	r, err := e.kv.get(ctx, kindToken, token)
	if errors.Is(err, store.ErrNotFound) {
		if !strings.HasPrefix(token, tokenPrefix) {
			return ErrInvalidToken
		}
		return ErrTaskNotFound
	}
	if err != nil {
		return err
	}
	var tok tokenRecord
	if err := json.Unmarshal(r, &tok); err != nil {
		return fmt.Errorf("decode token: %w", err)
	}
	if tok.Closed {
		return ErrTaskTimedOut
	}
	_, err = e.submit(ctx, &input{exec: tok.Exec, ev: ev(tok.TaskID), task: taskKey(tok.Exec, tok.TaskID), token: token, keep: keep})
	return err
}
