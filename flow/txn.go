package flow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/edgecd/edgecd/asl"
	"github.com/edgecd/edgecd/store"
)

// txn is one store transaction of the commit loop: it applies inputs to
// executions, records every effect (history events, timers, tasks) and
// collects what may only happen after the commit (task dispatch, wake-ups).
type txn struct {
	e       *Engine
	tx      store.Tx
	kv      kvTx
	now     time.Time
	execs   map[string]*execState
	dirty   []*execState
	queue   []*input  // follow-ups caused inside this transaction
	events  eventRows // history events, written together at flush
	results []result
	post    []func()
	timers  bool
	status  bool // the status outbox has news
}

type execState struct {
	rec   execRecord
	dirty bool
	body  []byte // rec as written at flush
}

// fatalError is a store failure: the whole transaction is abandoned.
type fatalError struct{ err error }

func (f fatalError) Error() string { return f.err.Error() }
func (f fatalError) Unwrap() error { return f.err }

func isFatal(err error) bool {
	var f fatalError
	return errors.As(err, &f)
}

func fatal(err error) error {
	if err == nil {
		return nil
	}
	return fatalError{err}
}

// drain applies the follow-ups queued so far (nested executions, their
// parents' task outcomes) in this same transaction.
func (t *txn) drain(ctx context.Context) error {
	for len(t.queue) > 0 {
		in := t.queue[0]
		t.queue = t.queue[1:]
		if _, err := t.input(ctx, in); err != nil && isFatal(err) {
			return err
		}
	}
	return nil
}

func (t *txn) flush(ctx context.Context) error {
	events, err := t.events.entries()
	if err != nil {
		return fatal(err)
	}
	if err := t.kv.putMany(ctx, kindEvent, events); err != nil {
		return fatal(err)
	}
	err = parallel(len(t.dirty), func(i int) error {
		x := t.dirty[i]
		body, err := json.Marshal(&x.rec)
		if err != nil {
			return fmt.Errorf("encode execution %s: %w", x.rec.ARN, err)
		}
		x.body = body
		return nil
	})
	if err != nil {
		return fatal(err)
	}
	for _, x := range t.dirty {
		if err := t.kv.put(ctx, kindExecution, x.rec.ARN, x.body); err != nil {
			return fatal(err)
		}
	}
	return nil
}

func (t *txn) load(ctx context.Context, arn string) (*execState, error) {
	if x := t.execs[arn]; x != nil {
		return x, nil
	}
	body, err := t.kv.get(ctx, kindExecution, arn)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrExecutionNotFound, arn)
	}
	if err != nil {
		return nil, fatal(err)
	}
	if x := t.e.cached(arn, body); x != nil {
		t.execs[arn] = x
		return x, nil
	}
	x := &execState{}
	if err := json.Unmarshal(body, &x.rec); err != nil {
		return nil, fatal(fmt.Errorf("decode execution %s: %w", arn, err))
	}
	t.execs[arn] = x
	return x, nil
}

func (t *txn) touch(x *execState) {
	if !x.dirty {
		x.dirty = true
		t.dirty = append(t.dirty, x)
	}
}

// consume deletes a record that an input uses up; found is false when it
// was already gone, which marks the input as a duplicate.
func (t *txn) consume(ctx context.Context, kind, id string) ([]byte, bool, error) {
	body, err := t.kv.get(ctx, kind, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fatal(err)
	}
	if _, err := t.kv.del(ctx, kind, id); err != nil {
		return nil, false, fatal(err)
	}
	return body, true, nil
}

func (t *txn) input(ctx context.Context, in *input) (Execution, error) {
	if in.start != nil {
		return t.start(ctx, in.start)
	}
	if in.timer != "" {
		// The timer record goes first: a timer of a vanished execution must
		// not fire forever. Its body is empty, so deleting it is enough.
		found, err := t.kv.del(ctx, kindTimer, in.timer)
		if err != nil || !found {
			return Execution{}, fatal(err)
		}
	}
	if in.task != "" {
		var (
			r     []byte
			found bool
			err   error
		)
		if in.dispatched && !in.keep && !in.delivered {
			found, err := t.kv.del(ctx, kindTask, in.task)
			if err != nil || !found {
				return Execution{}, fatal(err)
			}
			if err := t.closeToken(ctx, in.taskToken); err != nil {
				return Execution{}, err
			}
			return t.stepInput(ctx, in)
		}
		if in.keep || in.delivered {
			r, err = t.kv.get(ctx, kindTask, in.task)
			found = err == nil
			if errors.Is(err, store.ErrNotFound) {
				err = nil
			}
			err = fatal(err)
		} else {
			r, found, err = t.consume(ctx, kindTask, in.task)
		}
		if err != nil {
			return Execution{}, err
		}
		if !found {
			if in.token != "" {
				return Execution{}, ErrTaskTimedOut
			}
			return Execution{}, nil
		}
		var tr taskRecord
		if err := json.Unmarshal(r, &tr); err != nil {
			return Execution{}, fatal(err)
		}
		if in.delivered {
			tr.Delivered = true
			body, _ := json.Marshal(&tr)
			return Execution{}, fatal(t.kv.put(ctx, kindTask, in.task, body))
		}
		if !in.keep {
			if err := t.closeToken(ctx, tr.Token); err != nil {
				return Execution{}, err
			}
		}
	}
	return t.stepInput(ctx, in)
}

// stepInput applies an input's event to its execution.
func (t *txn) stepInput(ctx context.Context, in *input) (Execution, error) {
	x, err := t.load(ctx, in.exec)
	if err != nil {
		return Execution{}, err
	}
	if tf, ok := in.ev.(asl.TimerFired); ok {
		delete(x.rec.Timers, tf.TimerID)
		t.touch(x)
	}
	if err := t.step(ctx, x, in.ev); err != nil {
		return Execution{}, err
	}
	return x.rec.Execution, nil
}

func (t *txn) closeToken(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	r, err := t.kv.get(ctx, kindToken, token)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fatal(err)
	}
	var tok tokenRecord
	if err := json.Unmarshal(r, &tok); err != nil {
		return fatal(err)
	}
	tok.Closed = true
	body, _ := json.Marshal(&tok)
	return fatal(t.kv.put(ctx, kindToken, token, body))
}

func (t *txn) step(ctx context.Context, x *execState, ev asl.Event) error {
	if x.rec.Status != asl.Running {
		return nil
	}
	d, err := t.e.definition(ctx, t.tx, x.rec.Machine, x.rec.MachineVersion)
	if err != nil {
		return fatal(err)
	}
	effects, err := x.rec.State.Step(d, ev, t.e.env(t.now))
	if errors.Is(err, asl.ErrUnknownID) || errors.Is(err, asl.ErrNotRunning) {
		// A late answer for a task or timer the execution no longer waits on.
		return nil
	}
	if err != nil {
		return fmt.Errorf("execution %s: %w", x.rec.ARN, err)
	}
	return t.effects(ctx, x, effects)
}

// startReq asks for a new execution.
type startReq struct {
	machine string
	// revision pins the machine record version (a published version);
	// 0 runs the latest.
	revision   int64
	versionARN string
	aliasARN   string
	name       string
	input      json.RawMessage
	parent     *parentTask
}

func (t *txn) start(ctx context.Context, req *startReq) (Execution, error) {
	var (
		mr  store.Record
		err error
	)
	if req.revision > 0 {
		mr, err = t.e.st.GetVersion(ctx, kindMachine, req.machine, req.revision)
	} else {
		mr, err = t.tx.Get(ctx, kindMachine, req.machine)
	}
	if errors.Is(err, store.ErrNotFound) {
		return Execution{}, fmt.Errorf("%w: %s", ErrMachineNotFound, req.machine)
	}
	if err != nil {
		return Execution{}, fatal(err)
	}
	var m Machine
	if err := json.Unmarshal(mr.Body, &m); err != nil {
		return Execution{}, fatal(err)
	}
	name := req.name
	if name == "" {
		name = t.e.uuid()
	}
	if err := CheckName(name); err != nil {
		return Execution{}, err
	}
	input := req.input
	if len(bytes.TrimSpace(input)) == 0 {
		input = json.RawMessage("{}")
	}
	if !json.Valid(input) {
		return Execution{}, fmt.Errorf("%w: the input is not valid JSON", ErrInvalidInput)
	}
	arn := ExecutionARN(m.ARN, name)
	if old, err := t.load(ctx, arn); err == nil {
		// StartExecution is idempotent for a running execution started with
		// the same name and input.
		if old.rec.Status == asl.Running && bytes.Equal(old.rec.Input, input) {
			return old.rec.Execution, nil
		}
		return Execution{}, fmt.Errorf("%w: %s", ErrExecutionExists, arn)
	} else if !errors.Is(err, ErrExecutionNotFound) {
		return Execution{}, err
	}
	d, err := t.e.definition(ctx, t.tx, m.ARN, mr.Version)
	if err != nil {
		return Execution{}, fatal(err)
	}
	co := asl.ContextObject{ExecutionID: arn, Name: name, RoleArn: m.RoleArn, StartTime: t.now, StateMachineID: m.ARN, StateMachineName: m.Name}
	state, effects, err := asl.Start(d, input, co, t.e.env(t.now))
	if err != nil {
		return Execution{}, fmt.Errorf("%w: %v", ErrInvalidInput, err)
	}
	x := &execState{rec: execRecord{
		Execution: Execution{
			ARN: arn, Machine: m.ARN, MachineVersion: mr.Version, Name: name, Type: m.Type, RoleArn: m.RoleArn,
			Status: asl.Running, Input: input, Start: t.now, VersionARN: req.versionARN, AliasARN: req.aliasARN,
		},
		Parent: req.parent,
		State:  state,
	}}
	t.execs[arn] = x
	if err := t.indexStart(ctx, x.rec.Execution); err != nil {
		return Execution{}, fatal(err)
	}
	if err := t.statusChanged(ctx, x.rec.Execution); err != nil {
		return Execution{}, fatal(err)
	}
	if err := t.effects(ctx, x, effects); err != nil {
		return Execution{}, err
	}
	return x.rec.Execution, nil
}

// effects records what one Start or Step asked for.
func (t *txn) effects(ctx context.Context, x *execState, effects []asl.Effect) error {
	t.touch(x)
	arn := x.rec.ARN
	for _, ef := range effects {
		var err error
		switch ef := ef.(type) {
		case asl.HistoryEvent:
			t.events.add(arn, ef)
		case asl.ScheduleTask:
			err = t.schedule(ctx, x, ef)
		case asl.CancelTask:
			err = t.cancelTask(ctx, arn, ef.TaskID)
		case asl.StartTimer:
			k := timerKey(ef.At, arn, ef.TimerID)
			if err = t.kv.put(ctx, kindTimer, k, []byte("{}")); err == nil {
				if x.rec.Timers == nil {
					x.rec.Timers = map[string]string{}
				}
				x.rec.Timers[ef.TimerID] = k
				t.timers = true
			}
		case asl.CancelTimer:
			if k, ok := x.rec.Timers[ef.TimerID]; ok {
				delete(x.rec.Timers, ef.TimerID)
				_, err = t.kv.del(ctx, kindTimer, k)
			}
		case asl.ExecutionFinished:
			err = t.finished(ctx, x, ef)
		}
		if err != nil {
			return fatal(err)
		}
	}
	return nil
}

func (t *txn) finished(ctx context.Context, x *execState, f asl.ExecutionFinished) error {
	x.rec.Status, x.rec.Error, x.rec.Cause, x.rec.Stop = f.Status, f.Error, f.Cause, t.now
	if f.Output != nil {
		x.rec.Output = append(json.RawMessage(nil), f.Output...)
	}
	done := x.rec.Execution
	t.post = append(t.post, func() { t.e.notifyDone(done) })
	if p := x.rec.Parent; p != nil {
		t.queue = append(t.queue, &input{exec: p.Exec, ev: childOutcome(x.rec.Execution, p.Mode, p.TaskID), task: taskKey(p.Exec, p.TaskID)})
	}
	return t.statusChanged(ctx, done)
}

// afterCommit makes the transaction's effects visible: tasks go out,
// waiters wake, the timer loop rescans.
func (t *txn) afterCommit() {
	for _, f := range t.post {
		f()
	}
	if t.timers {
		t.e.signalTimers()
	}
	if t.status {
		t.e.signalStatus()
	}
}
