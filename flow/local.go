package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/edgecd/edgecd/asl"
)

// LocalOptions configures RunLocal. Zero values are fine.
type LocalOptions struct {
	Tasks      map[string]TaskFunc
	SDK        SDKFunc
	HTTPClient *http.Client
	// Color marks event types with ANSI colours (for a terminal).
	Color bool
	// RealTime sleeps through Wait states, back-offs and timeouts; by
	// default time is logical and they pass at once.
	RealTime bool
	Name     string // the execution name; default "local"
}

// ErrStuck is returned by RunLocal when the execution waits for something
// that cannot happen in a local run.
var ErrStuck = errors.New("the execution waits for a task that never answers")

// RunLocal runs a definition in memory, printing each history event to out
// as it happens and the execution's result at the end; it backs
// `edgecd flow run`. Tasks run through the same integrations as the engine
// (http:invoke, Tasks, SDK). A .waitForTaskToken task is answered with its
// integration's own result, as nobody can send the token back.
func RunLocal(ctx context.Context, def, input []byte, out io.Writer, opt LocalOptions) (Execution, error) {
	d, err := asl.Parse(def)
	if err != nil {
		return Execution{}, err
	}
	e := &Engine{opt: Options{Tasks: opt.Tasks, SDK: opt.SDK, HTTPClient: opt.HTTPClient}}
	if e.opt.HTTPClient == nil {
		e.opt.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	name := opt.Name
	if name == "" {
		name = "local"
	}
	p := &printer{w: out, color: opt.Color}
	x, _, err := e.runInMemory(ctx, d, input, name, opt.RealTime, p)
	if err != nil {
		return Execution{}, err
	}
	p.result(x)
	return x, nil
}

// runInMemory drives one execution without a store, running tasks through
// the engine's integrations one at a time and timers in logical time.
func (e *Engine) runInMemory(ctx context.Context, d *asl.Definition, input []byte, name string, realTime bool, p *printer) (Execution, []asl.HistoryEvent, error) {
	machine := MachineARN("local", "000000000000", "local")
	arn := ExecutionARN(machine, name)
	start := time.Now().UTC()
	env := asl.Env{Now: start}
	if p != nil {
		p.start = start
	}
	var history []asl.HistoryEvent
	x, effects, err := asl.Start(d, input, asl.ContextObject{ExecutionID: arn, Name: name, StateMachineID: machine, StateMachineName: "local", StartTime: start}, env)
	if err != nil {
		return Execution{}, nil, fmt.Errorf("%w: %v", ErrInvalidInput, err)
	}
	type timer struct {
		id  string
		at  time.Time
		seq int
	}
	var tasks []asl.ScheduleTask
	var timers []timer
	seq := 0
	apply := func(effects []asl.Effect) {
		for _, ef := range effects {
			switch ef := ef.(type) {
			case asl.HistoryEvent:
				history = append(history, ef)
				if p != nil {
					p.event(ef)
				}
			case asl.ScheduleTask:
				tasks = append(tasks, ef)
			case asl.CancelTask:
				tasks = removeFunc(tasks, func(t asl.ScheduleTask) bool { return t.TaskID == ef.TaskID })
			case asl.StartTimer:
				seq++
				timers = append(timers, timer{ef.TimerID, ef.At, seq})
			case asl.CancelTimer:
				timers = removeFunc(timers, func(t timer) bool { return t.id == ef.TimerID })
			}
		}
	}
	apply(effects)
	for x.Status == asl.Running {
		if err := ctx.Err(); err != nil {
			return Execution{}, nil, err
		}
		var ev asl.Event
		switch {
		case len(tasks) > 0:
			t := tasks[0]
			tasks = tasks[1:]
			tr := taskRecord{Exec: arn, TaskID: t.TaskID, State: t.StateName, Resource: t.Resource, Parameters: t.Parameters, Credentials: t.Credentials, Token: t.Token}
			res, err := e.invoke(ctx, tr)
			if err != nil {
				n, c := errorName(err)
				ev = asl.TaskFailed{TaskID: t.TaskID, Error: n, Cause: c}
			} else {
				ev = asl.TaskSucceeded{TaskID: t.TaskID, Output: res}
			}
			env.Now = advance(env.Now, realTime)
		case len(timers) > 0:
			sort.Slice(timers, func(i, j int) bool {
				if !timers[i].at.Equal(timers[j].at) {
					return timers[i].at.Before(timers[j].at)
				}
				return timers[i].seq < timers[j].seq
			})
			t := timers[0]
			timers = timers[1:]
			if realTime {
				select {
				case <-time.After(time.Until(t.at)):
				case <-ctx.Done():
					return Execution{}, nil, ctx.Err()
				}
			}
			if t.at.After(env.Now) {
				env.Now = t.at
			}
			ev = asl.TimerFired{TimerID: t.id}
		default:
			return Execution{}, nil, ErrStuck
		}
		effects, err := x.Step(d, ev, env)
		if err != nil {
			return Execution{}, nil, err
		}
		apply(effects)
	}
	res := Execution{ARN: arn, Machine: machine, Name: name, Status: x.Status, Input: input, Error: x.Error, Cause: x.Cause, Start: start, Stop: env.Now}
	if x.Output != nil {
		res.Output, _ = json.Marshal(x.Output)
	}
	return res, history, nil
}

// advance keeps logical time moving forward with real time when it runs.
func advance(now time.Time, real bool) time.Time {
	if t := time.Now().UTC(); real && t.After(now) {
		return t
	}
	return now
}

func removeFunc[T any](s []T, f func(T) bool) []T {
	for i, v := range s {
		if f(v) {
			return append(s[:i], s[i+1:]...)
		}
	}
	return s
}

// printer writes history events one a line: id, time since start, type and
// the detail a reader looks for (state name, error, output).
type printer struct {
	w     io.Writer
	color bool
	start time.Time
}

const (
	ansiReset = "\x1b[0m"
	ansiGreen = "\x1b[32m"
	ansiRed   = "\x1b[31m"
	ansiCyan  = "\x1b[36m"
	ansiDim   = "\x1b[2m"
)

func (p *printer) paint(code, s string) string {
	if !p.color {
		return s
	}
	return code + s + ansiReset
}

func (p *printer) event(h asl.HistoryEvent) {
	typ := h.Type
	code := ""
	switch {
	case strings.HasSuffix(typ, "Failed"), strings.HasSuffix(typ, "Aborted"), strings.HasSuffix(typ, "TimedOut"):
		code = ansiRed
	case strings.HasSuffix(typ, "Succeeded"):
		code = ansiGreen
	case strings.HasSuffix(typ, "Entered"):
		code = ansiCyan
	}
	if code != "" {
		typ = p.paint(code, fmt.Sprintf("%-28s", typ))
	} else {
		typ = fmt.Sprintf("%-28s", typ)
	}
	fmt.Fprintf(p.w, "%4d  %s  %s %s\n", h.ID, p.paint(ansiDim, fmt.Sprintf("+%8.3fs", h.Timestamp.Sub(p.start).Seconds())), typ, summary(h.Details))
}

// summary picks the telling fields of an event's details.
func summary(d map[string]any) string {
	var parts []string
	for _, k := range []string{"name", "resource", "error", "cause", "input", "parameters", "output"} {
		v, ok := d[k]
		if !ok {
			continue
		}
		s := fmt.Sprint(v)
		if len(s) > 120 {
			s = s[:117] + "..."
		}
		if k == "name" || k == "resource" {
			parts = append(parts, s)
		} else {
			parts = append(parts, k+"="+s)
		}
	}
	return strings.Join(parts, "  ")
}

func (p *printer) result(x Execution) {
	status := string(x.Status)
	if x.Status == asl.Succeeded {
		status = p.paint(ansiGreen, status)
	} else {
		status = p.paint(ansiRed, status)
	}
	fmt.Fprintf(p.w, "status: %s\n", status)
	if x.Error != "" || x.Cause != "" {
		fmt.Fprintf(p.w, "error: %s\ncause: %s\n", x.Error, x.Cause)
	}
	if x.Output != nil {
		fmt.Fprintf(p.w, "output: %s\n", x.Output)
	}
}
