package flow

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/edgecd/edgecd/flow/flowtest"

	"github.com/edgecd/edgecd/asl"
	"github.com/edgecd/edgecd/store"
	"github.com/edgecd/edgecd/store/sqlite"
)

// fakeClock moves only when a test says so.
type fakeClock = flowtest.Clock

func newFakeClock() *fakeClock {
	return flowtest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
}

type harness struct {
	t     *testing.T
	e     *Engine
	clock *fakeClock
	db    *sqlite.DB
	ctx   context.Context
	stop  func()
}

// newHarness runs an engine on a fresh SQLite file with a fake clock.
func newHarness(t *testing.T, opt Options) *harness {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "flow.db"))
	if err != nil {
		t.Fatal(err)
	}
	clock := newFakeClock()
	opt.Store, opt.Clock, opt.Node = db, clock, "test-node"
	e, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stopRun := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { e.Run(runCtx); close(done) }()
	h := &harness{t: t, e: e, clock: clock, db: db, ctx: ctx}
	h.stop = func() { stopRun(); <-done }
	t.Cleanup(func() { h.stop(); db.Close(); cancel() })
	return h
}

const testRegion, testAccount = "us-east-1", "123456789012"

func (h *harness) machine(name, def string) string {
	h.t.Helper()
	m, err := h.e.CreateMachine(h.ctx, Machine{ARN: MachineARN(testRegion, testAccount, name), Name: name, Definition: def, RoleArn: "arn:aws:iam::123456789012:role/r"})
	if err != nil {
		h.t.Fatalf("create %s: %v", name, err)
	}
	return m.ARN
}

func (h *harness) start(machine, name, input string) Execution {
	h.t.Helper()
	x, err := h.e.Start(h.ctx, machine, name, json.RawMessage(input))
	if err != nil {
		h.t.Fatalf("start: %v", err)
	}
	return x
}

func (h *harness) wait(arn string) Execution {
	h.t.Helper()
	x, err := h.e.Wait(h.ctx, arn)
	if err != nil {
		h.t.Fatalf("wait %s: %v", arn, err)
	}
	return x
}

// eventually polls cond until it holds; it is a condition, not a delay.
func (h *harness) eventually(what string, cond func() bool) {
	h.t.Helper()
	for !cond() {
		select {
		case <-h.ctx.Done():
			h.t.Fatalf("timed out waiting for %s", what)
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// history returns the event types of an execution in order.
func (h *harness) history(arn string) []string {
	h.t.Helper()
	evs, err := h.e.History(h.ctx, arn, 0, 0, false)
	if err != nil {
		h.t.Fatal(err)
	}
	var types []string
	for _, raw := range evs {
		var ev struct{ Type string }
		json.Unmarshal(raw, &ev)
		types = append(types, ev.Type)
	}
	return types
}

func (h *harness) hasEvent(arn, typ string) bool {
	for _, t := range h.history(arn) {
		if t == typ {
			return true
		}
	}
	return false
}

// waitingTimers counts timer records, i.e. scheduled Wait/retry/timeout timers.
func (h *harness) timers() int {
	recs, err := h.db.ListEntries(h.ctx, kindTimer, store.Query{})
	if err != nil {
		h.t.Fatal(err)
	}
	return len(recs)
}

func wantStatus(t *testing.T, x Execution, want asl.Status) {
	t.Helper()
	if x.Status != want {
		t.Fatalf("status %s (error %q cause %q), want %s", x.Status, x.Error, x.Cause, want)
	}
}

func jsonEqual(t *testing.T, got json.RawMessage, want string) {
	t.Helper()
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatalf("output %s: %v", got, err)
	}
	json.Unmarshal([]byte(want), &b)
	ga, _ := json.Marshal(a)
	gb, _ := json.Marshal(b)
	if !bytes.Equal(ga, gb) {
		t.Fatalf("output %s, want %s", ga, gb)
	}
}
