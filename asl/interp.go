package asl

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// MaxPayloadSize is the cloud's limit on state inputs, outputs and task
// results: 256 KiB of UTF-8 JSON.
const MaxPayloadSize = 256 * 1024

// defaultMaxHistory is the cloud's execution history limit.
const defaultMaxHistory = 25000

// executionTimeoutTimer is the timer id of the top-level TimeoutSeconds.
const executionTimeoutTimer = "execution-timeout"

var (
	// ErrNotRunning is returned by Step for an execution that has finished.
	ErrNotRunning = errors.New("the execution is not running")
	// ErrUnknownID is returned by Step for a task or timer id the execution
	// is not waiting for (already handled, cancelled, or never issued).
	ErrUnknownID = errors.New("no pending task or timer has this id")
)

// stepper carries one Start or Step call.
type stepper struct {
	d      *Definition
	x      *Execution
	env    *Env
	out    []Effect
	limit  int64
	halted bool
	quiet  bool // the thread being advanced records no history

	converted converter // JSONata conversions made during this call
	buf       []byte    // scratch space for JSON encoding

	execCtx, machineCtx map[string]any // shared parts of $$, built on first use
}

func newStepper(d *Definition, x *Execution, env *Env) *stepper {
	limit := int64(env.MaxHistoryEvents)
	if limit == 0 {
		limit = defaultMaxHistory
	}
	return &stepper{d: d, x: x, env: env, limit: limit}
}

func (s *stepper) emit(typ string, details map[string]any) {
	if s.quiet {
		return
	}
	s.x.LastEventID++
	s.out = append(s.out, HistoryEvent{
		ID: s.x.LastEventID, PreviousEventID: s.x.LastEventID - 1, Timestamp: s.env.Now,
		Type: typ, DetailsField: detailsField(typ), Details: details,
	})
	if s.limit > 0 && s.x.LastEventID >= s.limit-2 {
		s.halted = true
	}
}

// json encodes v into the stepper's scratch buffer and returns it as a
// string: one allocation per payload instead of one per buffer growth.
func (s *stepper) json(v any) string {
	b, ok := appendJSON(s.buf[:0], v)
	if !ok {
		return mustJSON(v)
	}
	s.buf = b
	return string(b)
}

// effect records an effect and keeps Execution.Timers and Tasks current.
func (s *stepper) effect(e Effect) {
	x := s.x
	switch e := e.(type) {
	case StartTimer:
		if x.Timers == nil {
			x.Timers = map[string]time.Time{}
		}
		x.Timers[e.TimerID] = e.At
	case CancelTimer:
		delete(x.Timers, e.TimerID)
	case ScheduleTask:
		if x.Tasks == nil {
			x.Tasks = map[string]string{}
		}
		x.Tasks[e.TaskID] = e.Token
	case CancelTask:
		delete(x.Tasks, e.TaskID)
	case ExecutionFinished:
		x.Timers, x.Tasks = nil, nil
	}
	s.out = append(s.out, e)
}

func (s *stepper) newID(prefix string) string {
	s.x.Seq++
	return prefix + "-" + strconv.Itoa(s.x.Seq)
}

// ErrInternal wraps a fault inside the interpreter (a bug): Start and Step
// recover it and return it rather than crash the executor.
var ErrInternal = errors.New("internal interpreter error")

func recoverInternal(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: %v", ErrInternal, r)
	}
}

// Start begins an execution of d with the given input (empty means {}).
func Start(d *Definition, input json.RawMessage, c ContextObject, env Env) (x *Execution, effects []Effect, err error) {
	defer recoverInternal(&err)
	if len(input) == 0 {
		input = json.RawMessage("{}")
	}
	v, err := decode(input)
	if err != nil {
		return nil, nil, fmt.Errorf("execution input is not valid JSON: %w", err)
	}
	if c.StartTime.IsZero() {
		c.StartTime = env.Now
	}
	x = &Execution{Status: Running, Context: c, Input: Value{v}}
	s := newStepper(d, x, &env)
	s.emit("ExecutionStarted", map[string]any{"input": mustJSON(v), "inputDetails": payloadDetails, "roleArn": c.RoleArn})
	if d.TimeoutSeconds > 0 {
		s.effect(StartTimer{TimerID: executionTimeoutTimer, At: env.Now.Add(time.Duration(d.TimeoutSeconds) * time.Second)})
	}
	x.Root = &Thread{Machine: d.Root.ID, State: d.Root.StartAt, Phase: phaseEnter, Input: Value{v}}
	if len(input) > MaxPayloadSize {
		x.Root.Phase, x.Root.Failure = phaseFailed, failure(ErrDataLimitExceeded, "The execution input exceeds %d bytes", MaxPayloadSize)
	}
	s.advance(x.Root)
	s.finish()
	return x, s.out, nil
}

// Step applies one event to a running execution and returns the effects it
// causes, in order. History events carry Env.Now as their timestamp.
func (x *Execution) Step(d *Definition, ev Event, env Env) (effects []Effect, err error) {
	defer recoverInternal(&err)
	if x.Status != Running {
		return nil, ErrNotRunning
	}
	s := newStepper(d, x, &env)
	switch e := ev.(type) {
	case Stop:
		s.abort(Aborted, "ExecutionAborted", e.Error, e.Cause)
		return s.out, nil
	case TimerFired:
		if _, ok := x.Timers[e.TimerID]; !ok {
			return nil, fmt.Errorf("timer %q: %w", e.TimerID, ErrUnknownID)
		}
		delete(x.Timers, e.TimerID)
		if e.TimerID == executionTimeoutTimer {
			s.abort(TimedOut, "ExecutionTimedOut", ErrTimeout, "The execution timed out")
			return s.out, nil
		}
		path := x.find(func(w *Wait) bool {
			return w.TimerID == e.TimerID || w.TimeoutTimer == e.TimerID || w.HeartbeatTimer == e.TimerID
		})
		if path == nil {
			return nil, fmt.Errorf("timer %q: %w", e.TimerID, ErrUnknownID)
		}
		th := path[len(path)-1]
		restore := s.quietAs(th)
		s.timerFired(th, e.TimerID)
		restore()
		s.propagate(path)
	case TaskSucceeded, TaskFailed, TaskHeartbeat:
		id := taskID(e)
		path := x.find(func(w *Wait) bool { return w.Kind == "task" && w.TaskID == id })
		if path == nil {
			return nil, fmt.Errorf("task %q: %w", id, ErrUnknownID)
		}
		th := path[len(path)-1]
		if _, isHeartbeat := e.(TaskHeartbeat); !isHeartbeat {
			delete(x.Tasks, id)
		}
		restore := s.quietAs(th)
		switch e := e.(type) {
		case TaskSucceeded:
			s.taskSucceeded(th, e)
		case TaskFailed:
			s.taskFailed(th, e)
		case TaskHeartbeat:
			s.heartbeat(th)
		}
		restore()
		if _, ok := e.(TaskHeartbeat); ok {
			return s.out, nil
		}
		s.propagate(path)
	default:
		return nil, fmt.Errorf("unknown event %T", ev)
	}
	s.finish()
	return s.out, nil
}

func taskID(e Event) string {
	switch e := e.(type) {
	case TaskSucceeded:
		return e.TaskID
	case TaskFailed:
		return e.TaskID
	case TaskHeartbeat:
		return e.TaskID
	}
	return ""
}

// find returns the path from the root to the waiting thread matching w.
func (x *Execution) find(match func(*Wait) bool) []*Thread {
	var walk func(th *Thread, path []*Thread) []*Thread
	walk = func(th *Thread, path []*Thread) []*Thread {
		path = append(path, th)
		if th.Wait == nil {
			return nil
		}
		if th.Wait.Kind != "children" {
			if match(th.Wait) {
				return path
			}
			return nil
		}
		for _, c := range th.Children {
			if p := walk(c, path); p != nil {
				return p
			}
		}
		return nil
	}
	return walk(x.Root, nil)
}

// propagate advances the thread that received an event, then each ancestor
// whose Parallel or Map may now be complete.
func (s *stepper) propagate(path []*Thread) {
	for i := len(path) - 1; i >= 0 && !s.halted; i-- {
		th := path[i]
		if i < len(path)-1 {
			if th.Wait == nil || th.Wait.Kind != "children" {
				return
			}
			restore := s.quietAs(th)
			s.childrenChanged(th)
			restore()
		}
		s.advance(th)
	}
}

// advance runs a thread until it blocks or finishes.
func (s *stepper) advance(th *Thread) {
	defer s.quietAs(th)()
	for !s.halted {
		switch th.Phase {
		case phaseEnter:
			s.enter(th)
		case phaseRun:
			s.run(th)
		default:
			return
		}
	}
}

// finish ends the execution when the root thread is done.
func (s *stepper) finish() {
	root := s.x.Root
	if s.halted && root.Phase != phaseDone && root.Phase != phaseFailed {
		s.cancelAll(root, false)
		root.Phase = phaseFailed
		root.Failure = failure(ErrRuntime, "The execution reached the maximum number of history events (%d)", s.limit)
	}
	switch root.Phase {
	case phaseDone:
		out := mustJSON(root.Output.V)
		s.x.Status, s.x.Output = Succeeded, root.Output
		s.emit("ExecutionSucceeded", map[string]any{"output": out, "outputDetails": payloadDetails})
		s.end(ExecutionFinished{Status: Succeeded, Output: json.RawMessage(out)})
	case phaseFailed:
		f := root.Failure
		s.x.Status, s.x.Error, s.x.Cause = Failed, f.Error, f.Cause
		s.emit("ExecutionFailed", errorDetails(f.Error, f.Cause))
		s.end(ExecutionFinished{Status: Failed, Error: f.Error, Cause: f.Cause})
	}
}

func (s *stepper) end(fin ExecutionFinished) {
	if s.d.TimeoutSeconds > 0 {
		s.effect(CancelTimer{TimerID: executionTimeoutTimer})
	}
	s.effect(fin)
}

func errorDetails(errName, cause string) map[string]any {
	m := map[string]any{}
	if errName != "" {
		m["error"] = errName
	}
	if cause != "" {
		m["cause"] = cause
	}
	return m
}

// abort stops everything in flight and ends the execution.
func (s *stepper) abort(status Status, typ, errName, cause string) {
	s.cancelAll(s.x.Root, true)
	s.x.Status, s.x.Error, s.x.Cause = status, errName, cause
	s.emit(typ, errorDetails(errName, cause))
	if status == TimedOut {
		s.effect(ExecutionFinished{Status: status, Error: errName, Cause: cause})
		return
	}
	s.end(ExecutionFinished{Status: status, Error: errName, Cause: cause})
}

// cancelAll withdraws every task and timer a thread (and its children) waits
// on, emitting the state's Aborted event when events is true.
func (s *stepper) cancelAll(th *Thread, events bool) {
	defer s.quietAs(th)()
	w := th.Wait
	if w == nil {
		return
	}
	switch w.Kind {
	case "task":
		s.effect(CancelTask{TaskID: w.TaskID})
	case "children":
		for _, c := range th.Children {
			s.cancelAll(c, events)
		}
	}
	for _, id := range []string{w.TimerID, w.TimeoutTimer, w.HeartbeatTimer} {
		if id != "" {
			s.effect(CancelTimer{TimerID: id})
		}
	}
	if st := s.state(th); st != nil && events {
		s.emit(st.Type+"StateAborted", map[string]any{})
	}
	th.Wait = nil
	th.Phase = phaseAborted
}

// quietAs makes emit follow th's quietness until the returned func runs.
func (s *stepper) quietAs(th *Thread) func() {
	prev := s.quiet
	s.quiet = th.Quiet
	return func() { s.quiet = prev }
}

func (s *stepper) state(th *Thread) *State {
	m := s.d.machine(th.Machine)
	if m == nil {
		return nil
	}
	return m.States[th.State]
}
