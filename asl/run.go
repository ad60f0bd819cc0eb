package asl

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"
)

// TaskFunc performs a task for Run. Returning a *TaskError fails the task
// with that error and cause; ErrNoResponse leaves it unanswered (so its
// timeout or heartbeat timer decides); any other error fails it with
// States.TaskFailed. A nil TaskFunc answers every task with its parameters.
type TaskFunc func(t ScheduleTask) (json.RawMessage, error)

// TaskError is a task failure with a States Language error name.
type TaskError struct{ Name, Cause string }

func (e *TaskError) Error() string { return e.Name + ": " + e.Cause }

// ErrNoResponse is returned by a TaskFunc for a task that never answers.
var ErrNoResponse = errors.New("the task does not answer")

// ErrStuck is returned by Run when the execution waits for something that
// can never happen (an unanswered task without a timeout).
var ErrStuck = errors.New("the execution waits for a task that never answers")

// RunOptions configures Run. Zero values are fine.
type RunOptions struct {
	Context   ContextObject
	Start     time.Time // logical start time; zero means 2026-01-01T00:00:00Z
	Random    func() float64
	UUID      func() string
	TaskToken func() string
	// MaxHistoryEvents as in Env.
	MaxHistoryEvents int
	// RoundTrip stores and reloads the Execution as JSON between steps, as
	// a durable executor would, to prove the state survives it.
	RoundTrip bool
	// StopAfter sends Stop after this many steps (0: never).
	StopAfter int
}

// RunResult is what Run returns.
type RunResult struct {
	Status       Status
	Output       json.RawMessage
	Error, Cause string
	History      []HistoryEvent
	Execution    *Execution
}

type pendingTimer struct {
	id  string
	at  time.Time
	seq int
}

// Run drives an execution to its end in memory with a logical clock: tasks
// run through fn in the order they were scheduled, and timers fire as soon as
// nothing else is pending, moving the clock forward to their time.
func Run(d *Definition, input json.RawMessage, fn TaskFunc, opts RunOptions) (*RunResult, error) {
	now := opts.Start
	if now.IsZero() {
		now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	env := Env{Now: now, Random: opts.Random, UUID: opts.UUID, TaskToken: opts.TaskToken, MaxHistoryEvents: opts.MaxHistoryEvents}
	if env.UUID == nil {
		n := 0
		env.UUID = func() string { n++; return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }
	}
	if env.TaskToken == nil {
		n := 0
		env.TaskToken = func() string { n++; return fmt.Sprintf("token-%d", n) }
	}
	x, effects, err := Start(d, input, opts.Context, env)
	if err != nil {
		return nil, err
	}
	res := &RunResult{}
	var tasks []ScheduleTask
	var timers []pendingTimer
	seq, steps := 0, 0
	apply := func(effects []Effect) {
		res.History = slices.Grow(res.History, len(effects))
		for _, e := range effects {
			switch e := e.(type) {
			case HistoryEvent:
				res.History = append(res.History, e)
			case ScheduleTask:
				tasks = append(tasks, e)
			case CancelTask:
				for i, t := range tasks {
					if t.TaskID == e.TaskID {
						tasks = append(tasks[:i], tasks[i+1:]...)
						break
					}
				}
			case StartTimer:
				seq++
				timers = append(timers, pendingTimer{e.TimerID, e.At, seq})
			case CancelTimer:
				for i, t := range timers {
					if t.id == e.TimerID {
						timers = append(timers[:i], timers[i+1:]...)
						break
					}
				}
			}
		}
	}
	apply(effects)
	for x.Status == Running {
		steps++
		var ev Event
		switch {
		case opts.StopAfter > 0 && steps > opts.StopAfter:
			ev = Stop{Error: "Stopped", Cause: "stopped by RunOptions.StopAfter"}
		case len(tasks) > 0:
			t := tasks[0]
			tasks = tasks[1:]
			ev = taskEvent(t, fn)
			if ev == nil {
				continue
			}
		case len(timers) > 0:
			sort.Slice(timers, func(i, j int) bool {
				if !timers[i].at.Equal(timers[j].at) {
					return timers[i].at.Before(timers[j].at)
				}
				return timers[i].seq < timers[j].seq
			})
			t := timers[0]
			timers = timers[1:]
			if t.at.After(env.Now) {
				env.Now = t.at
			}
			ev = TimerFired{TimerID: t.id}
		default:
			return nil, ErrStuck
		}
		if opts.RoundTrip {
			if x, err = roundTrip(x); err != nil {
				return nil, err
			}
		}
		effects, err := x.Step(d, ev, env)
		if err != nil {
			return nil, err
		}
		apply(effects)
	}
	res.Status, res.Error, res.Cause, res.Execution = x.Status, x.Error, x.Cause, x
	if x.Output != nil {
		res.Output = json.RawMessage(mustJSON(x.Output.V))
	}
	return res, nil
}

func taskEvent(t ScheduleTask, fn TaskFunc) Event {
	if fn == nil {
		return TaskSucceeded{TaskID: t.TaskID, Output: t.Parameters}
	}
	out, err := fn(t)
	var te *TaskError
	switch {
	case err == nil:
		return TaskSucceeded{TaskID: t.TaskID, Output: out}
	case errors.Is(err, ErrNoResponse):
		return nil
	case errors.As(err, &te):
		return TaskFailed{TaskID: t.TaskID, Error: te.Name, Cause: te.Cause}
	}
	return TaskFailed{TaskID: t.TaskID, Error: ErrTaskFailed, Cause: err.Error()}
}

func roundTrip(x *Execution) (*Execution, error) {
	b, err := json.Marshal(x)
	if err != nil {
		return nil, fmt.Errorf("storing the execution: %w", err)
	}
	var y Execution
	if err := json.Unmarshal(b, &y); err != nil {
		return nil, fmt.Errorf("loading the execution: %w", err)
	}
	return &y, nil
}
