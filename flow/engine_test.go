package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgecd/edgecd/asl"
)

func TestPassMachineSucceedsWithHistory(t *testing.T) {
	h := newHarness(t, Options{})
	m := h.machine("pass", `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"a":1},"ResultPath":"$.r","End":true}}}`)
	x := h.wait(h.start(m, "one", `{"in":true}`).ARN)
	wantStatus(t, x, asl.Succeeded)
	jsonEqual(t, x.Output, `{"in":true,"r":{"a":1}}`)
	want := []string{"ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"}
	if got := h.history(x.ARN); !slices.Equal(got, want) {
		t.Fatalf("history %v, want %v", got, want)
	}
}

func TestWaitFiresOnlyWhenTheClockReachesIt(t *testing.T) {
	h := newHarness(t, Options{})
	m := h.machine("wait", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":30,"Next":"P"},"P":{"Type":"Pass","End":true}}}`)
	x := h.start(m, "w", `{}`)
	h.eventually("the timer", func() bool { return h.timers() == 1 })
	h.clock.Advance(29 * time.Second)
	if got, _ := h.e.Execution(h.ctx, x.ARN); got.Status != asl.Running {
		t.Fatalf("finished before its time: %s", got.Status)
	}
	h.clock.Advance(time.Second)
	wantStatus(t, h.wait(x.ARN), asl.Succeeded)
	if n := h.timers(); n != 0 {
		t.Fatalf("%d timers left", n)
	}
}

func TestRetryBacksOffThenCatches(t *testing.T) {
	var calls atomic.Int32
	h := newHarness(t, Options{Tasks: map[string]TaskFunc{
		"arn:aws:states:::edgecd:flaky": func(ctx context.Context, task Task) (json.RawMessage, error) {
			calls.Add(1)
			return nil, &TaskError{Name: "Flaky.Error", Cause: "always"}
		},
	}})
	m := h.machine("retry", `{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"arn:aws:states:::edgecd:flaky","Retry":[{"ErrorEquals":["Flaky.Error"],"IntervalSeconds":2,"BackoffRate":3,"MaxAttempts":2}],
		     "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"Caught"}],"End":true},
		"Caught":{"Type":"Pass","End":true}}}`)
	x := h.start(m, "r", `{"k":1}`)
	// First retry waits 2 s, the second 6 s.
	for i, d := range []time.Duration{2 * time.Second, 6 * time.Second} {
		h.eventually("the retry timer", func() bool { return int(calls.Load()) == i+1 && h.timers() == 1 })
		h.clock.Advance(d - time.Millisecond)
		if calls.Load() != int32(i+1) {
			t.Fatalf("retried early")
		}
		h.clock.Advance(time.Millisecond)
	}
	got := h.wait(x.ARN)
	wantStatus(t, got, asl.Succeeded)
	jsonEqual(t, got.Output, `{"k":1,"err":{"Error":"Flaky.Error","Cause":"always"}}`)
	if calls.Load() != 3 {
		t.Fatalf("%d calls, want 3", calls.Load())
	}
}

func TestParallelAndMapRunTasks(t *testing.T) {
	h := newHarness(t, Options{Tasks: map[string]TaskFunc{
		"arn:aws:states:::edgecd:double": func(ctx context.Context, task Task) (json.RawMessage, error) {
			var n int
			json.Unmarshal(task.Parameters, &n)
			return json.RawMessage(fmt.Sprint(2 * n)), nil
		},
	}})
	m := h.machine("par", `{"StartAt":"Par","States":{"Par":{"Type":"Parallel","End":true,"Branches":[
		{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.xs","MaxConcurrency":2,"End":true,
			"ItemProcessor":{"StartAt":"D","States":{"D":{"Type":"Task","Resource":"arn:aws:states:::edgecd:double","End":true}}}}}},
		{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":5,"End":true}}}]}}}`)
	x := h.start(m, "p", `{"xs":[1,2,3,4,5]}`)
	h.eventually("the branch wait", func() bool { return h.timers() == 1 })
	h.clock.Advance(5 * time.Second)
	got := h.wait(x.ARN)
	wantStatus(t, got, asl.Succeeded)
	jsonEqual(t, got.Output, `[[2,4,6,8,10],{"xs":[1,2,3,4,5]}]`)
}

func TestTaskTokenCompletesBySendTaskSuccess(t *testing.T) {
	tokens := make(chan string, 1)
	h := newHarness(t, Options{Tasks: map[string]TaskFunc{
		"arn:aws:states:::edgecd:notify": func(ctx context.Context, task Task) (json.RawMessage, error) {
			var p struct{ Token string }
			json.Unmarshal(task.Parameters, &p)
			if p.Token != task.Token {
				return nil, fmt.Errorf("token %q in parameters, %q in the task", p.Token, task.Token)
			}
			tokens <- p.Token
			return json.RawMessage(`"ignored"`), nil
		},
	}})
	m := h.machine("approve", `{"StartAt":"Ask","States":{"Ask":{"Type":"Task","Resource":"arn:aws:states:::edgecd:notify.waitForTaskToken",
		"Parameters":{"Token.$":"$$.Task.Token"},"ResultPath":"$.approval","End":true}}}`)
	x := h.start(m, "a", `{}`)
	token := <-tokens
	if err := h.e.SendTaskSuccess(h.ctx, "edgecd1.unknown", json.RawMessage(`{}`)); !errors.Is(err, ErrTaskNotFound) {
		t.Fatalf("unknown token: %v", err)
	}
	if err := h.e.SendTaskSuccess(h.ctx, "garbage", json.RawMessage(`{}`)); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("garbage token: %v", err)
	}
	if err := h.e.SendTaskSuccess(h.ctx, token, json.RawMessage(`{"ok":true}`)); err != nil {
		t.Fatal(err)
	}
	got := h.wait(x.ARN)
	wantStatus(t, got, asl.Succeeded)
	jsonEqual(t, got.Output, `{"approval":{"ok":true}}`)
	if err := h.e.SendTaskSuccess(h.ctx, token, json.RawMessage(`{}`)); !errors.Is(err, ErrTaskTimedOut) {
		t.Fatalf("second answer: %v, want ErrTaskTimedOut", err)
	}
}

func TestHeartbeatKeepsTaskAliveUntilItStops(t *testing.T) {
	tokens := make(chan string, 1)
	h := newHarness(t, Options{Tasks: map[string]TaskFunc{
		"arn:aws:states:::edgecd:slow": func(ctx context.Context, task Task) (json.RawMessage, error) {
			tokens <- task.Token
			return nil, nil
		},
	}})
	m := h.machine("hb", `{"StartAt":"S","States":{"S":{"Type":"Task","Resource":"arn:aws:states:::edgecd:slow.waitForTaskToken","HeartbeatSeconds":10,"End":true}}}`)
	x := h.start(m, "h", `{}`)
	token := <-tokens
	for range 3 {
		h.eventually("the heartbeat timer", func() bool { return h.timers() == 1 })
		h.clock.Advance(8 * time.Second)
		if err := h.e.SendTaskHeartbeat(h.ctx, token); err != nil {
			t.Fatal(err)
		}
	}
	h.eventually("the new heartbeat timer", func() bool { return h.timers() == 1 })
	h.clock.Advance(10 * time.Second)
	got := h.wait(x.ARN)
	wantStatus(t, got, asl.Failed)
	if got.Error != asl.ErrHeartbeatTimeout {
		t.Fatalf("error %q", got.Error)
	}
	if err := h.e.SendTaskSuccess(h.ctx, token, json.RawMessage(`{}`)); !errors.Is(err, ErrTaskTimedOut) {
		t.Fatalf("late answer: %v", err)
	}
}

func TestStopAbortsAndCancelsTimers(t *testing.T) {
	h := newHarness(t, Options{})
	m := h.machine("long", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`)
	x := h.start(m, "s", `{}`)
	h.eventually("the timer", func() bool { return h.timers() == 1 })
	got, err := h.e.Stop(h.ctx, x.ARN, "Halt", "by test")
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, got, asl.Aborted)
	if h.timers() != 0 {
		t.Fatal("timer left after stop")
	}
	if !h.hasEvent(x.ARN, "ExecutionAborted") {
		t.Fatalf("history %v", h.history(x.ARN))
	}
}

func TestStartIsIdempotentByNameAndInput(t *testing.T) {
	h := newHarness(t, Options{})
	m := h.machine("idem", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}}`)
	a := h.start(m, "same", `{"a":1}`)
	b := h.start(m, "same", `{"a":1}`)
	if a.ARN != b.ARN || !a.Start.Equal(b.Start) {
		t.Fatalf("second start %v, want %v", b, a)
	}
	if _, err := h.e.Start(h.ctx, m, "same", json.RawMessage(`{"a":2}`)); !errors.Is(err, ErrExecutionExists) {
		t.Fatalf("different input: %v", err)
	}
	if _, err := h.e.Start(h.ctx, MachineARN(testRegion, testAccount, "nope"), "x", nil); !errors.Is(err, ErrMachineNotFound) {
		t.Fatalf("missing machine: %v", err)
	}
	if _, err := h.e.Start(h.ctx, m, "bad name", nil); !errors.Is(err, ErrInvalidName) {
		t.Fatalf("bad name: %v", err)
	}
}

func TestNestedSyncExecutionReturnsChildOutput(t *testing.T) {
	h := newHarness(t, Options{})
	child := h.machine("child", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"Next":"P"},"P":{"Type":"Pass","Result":"done","ResultPath":"$.r","End":true}}}`)
	parent := h.machine("parent", fmt.Sprintf(`{"StartAt":"Run","States":{"Run":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2",
		"Parameters":{"StateMachineArn":%q,"Name":"kid","Input":{"n.$":"$.n"}},"ResultSelector":{"out.$":"$.Output"},"End":true}}}`, child))
	x := h.start(parent, "p", `{"n":7}`)
	h.eventually("the child's timer", func() bool { return h.timers() == 1 })
	h.clock.Advance(time.Second)
	got := h.wait(x.ARN)
	wantStatus(t, got, asl.Succeeded)
	jsonEqual(t, got.Output, `{"out":{"n":7,"r":"done"}}`)
	kid, err := h.e.Execution(h.ctx, ExecutionARN(child, "kid"))
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, kid, asl.Succeeded)
}

func TestSDKHookAndUnknownResource(t *testing.T) {
	var seen string
	h := newHarness(t, Options{SDK: func(ctx context.Context, service, action string, task Task) (json.RawMessage, error) {
		seen = service + ":" + action + " " + string(task.Parameters)
		if action == "updateDistribution" {
			return nil, &TaskError{Name: "CloudFront.PreconditionFailedException", Cause: "stale ETag"}
		}
		return json.RawMessage(`{"ETag":"E1"}`), nil
	}})
	m := h.machine("sdk", `{"StartAt":"Get","States":{
		"Get":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:cloudfront:getDistribution","Parameters":{"Id":"D1"},"ResultPath":"$.get","Next":"Upd"},
		"Upd":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:cloudfront:updateDistribution","Parameters":{"Id":"D1","IfMatch.$":"$.get.ETag"},
		       "Catch":[{"ErrorEquals":["CloudFront.PreconditionFailedException"],"ResultPath":"$.err","Next":"Bad"}],"End":true},
		"Bad":{"Type":"Task","Resource":"arn:aws:states:::nothing:here","End":true}}}`)
	got := h.wait(h.start(m, "s", `{}`).ARN)
	wantStatus(t, got, asl.Failed)
	if seen != `cloudfront:updateDistribution {"Id":"D1","IfMatch":"E1"}` {
		t.Fatalf("SDK saw %s", seen)
	}
	if got.Error != asl.ErrRuntime || !strings.Contains(got.Cause, "arn:aws:states:::nothing:here") {
		t.Fatalf("unknown resource: %s %s", got.Error, got.Cause)
	}
}
