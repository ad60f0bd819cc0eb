package flow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/edgecd/edgecd/asl"
	"github.com/edgecd/edgecd/store"
)

// Task is what an integration receives.
type Task struct {
	Resource    string // as written in the definition
	Execution   string // the execution ARN
	State       string // the Task state's name
	Parameters  json.RawMessage
	Credentials json.RawMessage
	// Token is set for .waitForTaskToken resources: the integration hands
	// it to whoever will call SendTaskSuccess/Failure, and its own result is
	// ignored.
	Token string
}

// TaskFunc runs one task. Its error decides the States Language error name
// that Retry and Catch see: a *TaskError gives Name and Cause; an error
// with an ErrorCode() string method (as smithy's API errors have) gives that
// code; anything else is States.TaskFailed.
type TaskFunc func(ctx context.Context, t Task) (json.RawMessage, error)

// SDKFunc serves arn:aws:states:::aws-sdk:<service>:<action>; service and
// action are as written (e.g. "cloudfront", "getDistribution").
type SDKFunc func(ctx context.Context, service, action string, t Task) (json.RawMessage, error)

// TaskError is a task failure with a States Language error name, e.g.
// &TaskError{Name: "CloudFront.PreconditionFailedException", Cause: "..."}.
type TaskError = asl.TaskError

const (
	httpInvoke     = "arn:aws:states:::http:invoke"
	startExecution = "arn:aws:states:::states:startExecution"
	tokenSuffix    = ".waitForTaskToken"
	sdkPrefix      = "arn:aws:states:::aws-sdk:"
)

// schedule records a task and arranges its dispatch after the commit;
// nested executions start inside this same transaction instead, so they
// happen exactly once.
func (t *txn) schedule(ctx context.Context, x *execState, s asl.ScheduleTask) error {
	arn := x.rec.ARN
	tr := taskRecord{
		Exec: arn, TaskID: s.TaskID, State: s.StateName, Resource: s.Resource,
		Parameters: s.Parameters, Credentials: s.Credentials, Token: s.Token,
		Owner: t.e.opt.Node, Until: t.now.Add(t.e.opt.LeaseTTL),
	}
	key := taskKey(arn, s.TaskID)
	if s.Token != "" {
		body, _ := json.Marshal(tokenRecord{Exec: arn, TaskID: s.TaskID})
		if err := t.kv.put(ctx, kindToken, s.Token, body); err != nil {
			return err
		}
	}
	if strings.HasPrefix(s.Resource, startExecution) && s.Purpose == "" {
		return t.startChild(ctx, x, tr, key)
	}
	body, _ := json.Marshal(&tr)
	if err := t.kv.put(ctx, kindTask, key, body); err != nil {
		return err
	}
	t.post = append(t.post, func() { t.e.dispatchTask(tr) })
	return nil
}

func (t *txn) cancelTask(ctx context.Context, exec, taskID string) error {
	r, found, err := t.consume(ctx, kindTask, taskKey(exec, taskID))
	if err != nil || !found {
		return err
	}
	var tr taskRecord
	if err := json.Unmarshal(r, &tr); err != nil {
		return err
	}
	if tr.Child != "" {
		// The cloud stops a .sync child when its parent task is cancelled.
		t.queue = append(t.queue, &input{exec: tr.Child, ev: asl.Stop{Error: "States.Runtime", Cause: "the parent execution stopped waiting for this execution"}})
	}
	return t.closeToken(ctx, tr.Token)
}

// startChild runs states:startExecution[.sync[:2]|.waitForTaskToken].
func (t *txn) startChild(ctx context.Context, x *execState, tr taskRecord, key string) error {
	mode := ""
	switch {
	case strings.HasSuffix(tr.Resource, ".sync:2"):
		mode = "sync2"
	case strings.HasSuffix(tr.Resource, ".sync"):
		mode = "sync"
	case strings.HasSuffix(tr.Resource, tokenSuffix):
		tr.Delivered = true
	}
	var p struct {
		StateMachineArn string
		Name            string
		Input           json.RawMessage
	}
	err := json.Unmarshal(tr.Parameters, &p)
	var child Execution
	if err == nil {
		input := p.Input
		var s string
		if json.Unmarshal(input, &s) == nil {
			input = json.RawMessage(s) // Input given as a JSON string
		}
		// A version or alias ARN names the revision to run.
		var req *startReq
		if req, err = t.e.resolveStart(ctx, p.StateMachineArn); err == nil {
			req.name, req.input = p.Name, input
			if mode != "" {
				req.parent = &parentTask{Exec: x.rec.ARN, TaskID: tr.TaskID, Mode: mode}
			}
			child, err = t.start(ctx, req)
		}
	}
	if err != nil && isFatal(err) {
		return err
	}
	tr.Child = child.ARN
	body, _ := json.Marshal(&tr)
	if err := t.kv.put(ctx, kindTask, key, body); err != nil {
		return err
	}
	switch {
	case err != nil:
		t.queue = append(t.queue, &input{exec: x.rec.ARN, task: key, ev: asl.TaskFailed{TaskID: tr.TaskID, Error: startErrorName(err), Cause: err.Error()}})
	case mode == "" && !tr.Delivered:
		out, _ := json.Marshal(map[string]any{"ExecutionArn": child.ARN, "StartDate": epochMillis(child.Start)})
		t.queue = append(t.queue, &input{exec: x.rec.ARN, task: key, ev: asl.TaskSucceeded{TaskID: tr.TaskID, Output: out}})
	}
	return nil
}

func startErrorName(err error) string {
	switch {
	case errors.Is(err, ErrMachineNotFound):
		return "StepFunctions.StateMachineDoesNotExistException"
	case errors.Is(err, ErrExecutionExists):
		return "StepFunctions.ExecutionAlreadyExistsException"
	case errors.Is(err, ErrInvalidName):
		return "StepFunctions.InvalidNameException"
	case errors.Is(err, ErrInvalidInput):
		return "StepFunctions.InvalidExecutionInputException"
	}
	return asl.ErrTaskFailed
}

// childOutcome is a parent task's answer when its nested execution ends,
// shaped like DescribeExecution as the .sync integrations return it.
func childOutcome(c Execution, mode, taskID string) asl.Event {
	out := map[string]any{
		"ExecutionArn": c.ARN, "Name": c.Name, "StateMachineArn": c.Machine, "Status": string(c.Status),
		"StartDate": epochMillis(c.Start), "StopDate": epochMillis(c.Stop),
		"InputDetails": map[string]any{"Included": true}, "OutputDetails": map[string]any{"Included": true},
	}
	if mode == "sync2" {
		out["Input"] = json.RawMessage(c.Input)
		if c.Output != nil {
			out["Output"] = json.RawMessage(c.Output)
		}
	} else {
		out["Input"] = string(c.Input)
		if c.Output != nil {
			out["Output"] = string(c.Output)
		}
	}
	if c.Error != "" {
		out["Error"] = c.Error
	}
	if c.Cause != "" {
		out["Cause"] = c.Cause
	}
	body, _ := json.Marshal(out)
	if c.Status == asl.Succeeded {
		return asl.TaskSucceeded{TaskID: taskID, Output: body}
	}
	return asl.TaskFailed{TaskID: taskID, Error: asl.ErrTaskFailed, Cause: string(body)}
}

// dispatchTask runs an outside integration once, unless this node already
// runs it. Its outcome comes back through the commit loop; if the process
// dies first, the task is dispatched again after restart (at-least-once).
func (e *Engine) dispatchTask(tr taskRecord) {
	key := taskKey(tr.Exec, tr.TaskID)
	e.mu.Lock()
	ctx := e.runCtx
	if e.running[key] || ctx == nil || ctx.Err() != nil {
		e.mu.Unlock()
		return
	}
	e.running[key] = true
	e.mu.Unlock()
	e.dispatch.Add(1)
	go func() {
		defer e.dispatch.Done()
		defer func() {
			e.mu.Lock()
			delete(e.running, key)
			e.mu.Unlock()
		}()
		out, err := e.invoke(ctx, tr)
		if ctx.Err() != nil {
			return // shutting down: the task stays outstanding for the next start
		}
		in := &input{exec: tr.Exec, task: key, dispatched: true, taskToken: tr.Token}
		switch {
		case err == nil && tr.Token != "":
			in.delivered = true
		case err == nil:
			in.ev = asl.TaskSucceeded{TaskID: tr.TaskID, Output: out}
		default:
			name, cause := errorName(err)
			in.ev = asl.TaskFailed{TaskID: tr.TaskID, Error: name, Cause: cause}
		}
		if _, err := e.submit(ctx, in); err != nil && ctx.Err() == nil {
			e.log.Error("flow: recording a task outcome", "execution", tr.Exec, "task", tr.TaskID, "err", err)
		}
	}()
}

func errorName(err error) (name, cause string) {
	var te *asl.TaskError
	if errors.As(err, &te) {
		return te.Name, te.Cause
	}
	var coded interface{ ErrorCode() string }
	if errors.As(err, &coded) {
		return coded.ErrorCode(), err.Error()
	}
	return asl.ErrTaskFailed, err.Error()
}

func (e *Engine) invoke(ctx context.Context, tr taskRecord) (json.RawMessage, error) {
	task := Task{Resource: tr.Resource, Execution: tr.Exec, State: tr.State, Parameters: tr.Parameters, Credentials: tr.Credentials, Token: tr.Token}
	base := strings.TrimSuffix(tr.Resource, tokenSuffix)
	if fn := e.opt.Tasks[base]; fn != nil {
		return fn(ctx, task)
	}
	switch {
	case base == httpInvoke:
		return e.httpInvoke(ctx, task)
	case strings.HasPrefix(base, sdkPrefix) && e.opt.SDK != nil:
		rest := strings.TrimPrefix(base, sdkPrefix)
		service, action, ok := strings.Cut(rest, ":")
		if ok {
			return e.opt.SDK(ctx, service, action, task)
		}
	}
	return nil, &TaskError{Name: asl.ErrRuntime, Cause: fmt.Sprintf("no integration serves the resource %q", tr.Resource)}
}

// recoverTasks dispatches outstanding tasks whose lease is ours (at start:
// this node died while they ran) or has expired (another node died).
func (e *Engine) recoverTasks(ctx context.Context, atStart bool) {
	recs, err := e.kv.list(ctx, kindTask, store.Query{})
	if err != nil {
		if ctx.Err() == nil {
			e.log.Error("flow: listing outstanding tasks", "err", err)
		}
		return
	}
	now := e.clock.Now()
	for _, r := range recs {
		var tr taskRecord
		if json.Unmarshal(r.Body, &tr) != nil || tr.Delivered || tr.Child != "" {
			continue
		}
		mine := tr.Owner == e.opt.Node && atStart
		if !mine && now.Before(tr.Until) {
			continue
		}
		e.mu.Lock()
		busy := e.running[r.ID]
		e.mu.Unlock()
		if busy {
			continue
		}
		tr.Owner, tr.Until = e.opt.Node, now.Add(e.opt.LeaseTTL)
		body, _ := json.Marshal(&tr)
		_, err := e.st.Update(ctx, func(ctx context.Context, tx store.Tx) error {
			// Compare and swap: take the lease only if nobody changed the
			// task since it was listed.
			kv := txKV(tx)
			cur, err := kv.get(ctx, kindTask, r.ID)
			if err != nil {
				return err
			}
			if !bytes.Equal(cur, r.Body) {
				return errLeaseTaken
			}
			return kv.put(ctx, kindTask, r.ID, body)
		})
		if err != nil {
			continue // taken by another node, or finished meanwhile
		}
		e.dispatchTask(tr)
	}
}
