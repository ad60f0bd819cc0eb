package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"

	awsevents "github.com/edgecd/edgecd/awsapi/events"
	"github.com/edgecd/edgecd/events"
	"github.com/edgecd/edgecd/flow"
)

// nodeEvents wires the event bus into the node: the EventBridge API on the
// gateway, the events:putEvents task and execution status events on the
// flow engine, and state machine targets started on that engine. Others
// register Go targets on bus (e.g. the pipeline's release.abort action).
type nodeEvents struct {
	bus    *events.Bus
	tasks  *awsevents.Handler // unauthorized: tasks run with the operator's authority
	engine *flow.Engine       // set by start, before the bus delivers
}

// newEvents creates the bus and serves the EventBridge API ("events") on g.
func (n *Node) newEvents(g *gateway) (*nodeEvents, error) {
	ev := &nodeEvents{}
	bus, err := events.New(events.Options{
		Store:          n.Store,
		Logger:         n.cfg.Logger.With("part", "events"),
		Account:        n.CDN.Account(),
		Region:         n.cfg.Region,
		StartExecution: ev.startExecution,
	})
	if err != nil {
		return nil, fmt.Errorf("start the event bus: %w", err)
	}
	ev.bus = bus
	ev.tasks = awsevents.New(bus, awsevents.Config{Logger: n.cfg.Logger})
	g.handle("events", json11, awsevents.New(bus, awsevents.Config{Authorize: jsonAuthorize, Logger: n.cfg.Logger}))
	return ev, nil
}

// flowOptions adds the bus's task integration and status events to o.
func (ev *nodeEvents) flowOptions(o flow.Options) flow.Options {
	tasks := make(map[string]flow.TaskFunc, len(o.Tasks)+1) // not the caller's map
	maps.Copy(tasks, o.Tasks)
	o.Tasks = tasks
	o.Tasks[awsevents.TaskResource] = func(ctx context.Context, t flow.Task) (json.RawMessage, error) {
		return ev.tasks.PutEventsTask(ctx, t.Parameters)
	}
	next := o.OnStatus
	o.OnStatus = func(ctx context.Context, x flow.Execution) {
		ev.executionStatus(ctx, x)
		if next != nil {
			next(ctx, x)
		}
	}
	return o
}

// start runs the bus's delivery loop with the node.
func (n *Node) startEvents(ctx context.Context, ev *nodeEvents, engine *flow.Engine) {
	ev.engine = engine
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		if err := ev.bus.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			n.errs <- fmt.Errorf("event bus: %w", err)
		}
	}()
}

// startExecution serves state machine targets. The execution name is the
// delivery's, so a repeated delivery finds the execution it started.
func (ev *nodeEvents) startExecution(ctx context.Context, machine, name string, input json.RawMessage) error {
	_, err := ev.engine.Start(ctx, machine, name, input)
	switch {
	case errors.Is(err, flow.ErrExecutionExists):
		return nil
	case errors.Is(err, flow.ErrMachineNotFound):
		return fmt.Errorf("%w: %v", events.ErrPermanent, err)
	}
	return err
}

// executionStatus puts a "Step Functions Execution Status Change" event,
// shaped as the cloud's: dates in epoch milliseconds, input and output as
// JSON text, null where not yet known.
func (ev *nodeEvents) executionStatus(ctx context.Context, x flow.Execution) {
	millis := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t.UnixMilli()
	}
	text := func(b json.RawMessage) any {
		if len(b) == 0 {
			return nil
		}
		return string(b)
	}
	orNull := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	detail, err := json.Marshal(map[string]any{
		"executionArn":    x.ARN,
		"stateMachineArn": x.Machine,
		"name":            x.Name,
		"status":          string(x.Status),
		"startDate":       millis(x.Start),
		"stopDate":        millis(x.Stop),
		"input":           text(x.Input),
		"output":          text(x.Output),
		"inputDetails":    map[string]bool{"included": true},
		"outputDetails":   map[string]bool{"included": true},
		"error":           orNull(x.Error),
		"cause":           orNull(x.Cause),
	})
	if err != nil {
		return
	}
	at := x.Start
	if !x.Stop.IsZero() {
		at = x.Stop
	}
	res, err := ev.bus.PutTrusted(ctx, []events.Entry{{
		Source: events.StatesSource, DetailType: events.ExecutionStatusChange,
		Resources: []string{x.ARN}, Detail: string(detail), Time: at,
	}})
	if err == nil && len(res) == 1 && res[0].ErrorCode != "" {
		err = errors.New(res[0].ErrorMessage)
	}
	if err != nil && ctx.Err() == nil {
		// OnStatus has no way to report; the flow engine's outbox does not
		// retry a change it delivered, so say so loudly.
		ev.bus.Logger().Error("events: could not put an execution status change", "execution", x.ARN, "status", x.Status, "err", err)
	}
}
