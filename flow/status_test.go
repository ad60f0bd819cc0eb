package flow

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/edgecd/edgecd/asl"
	"github.com/edgecd/edgecd/store"
	"github.com/edgecd/edgecd/store/sqlite"
)

// statusLog collects OnStatus calls.
type statusLog struct {
	mu  sync.Mutex
	got []string // "<execution name> <status>"
}

func (l *statusLog) on(ctx context.Context, x Execution) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, x.Name+" "+string(x.Status))
}

func (l *statusLog) seen() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.got)
}

func TestOnStatusReportsStartAndEnd(t *testing.T) {
	var l statusLog
	h := newHarness(t, Options{OnStatus: l.on})
	pass := h.machine("pass", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)
	fail := h.machine("fail", `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E","Cause":"c"}}}`)
	wait := h.machine("wait", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}}`)
	h.wait(h.start(pass, "ok", `{}`).ARN)
	h.wait(h.start(fail, "bad", `{}`).ARN)
	w := h.start(wait, "stopped", `{}`)
	if _, err := h.e.Stop(h.ctx, w.ARN, "Why", "test"); err != nil {
		t.Fatal(err)
	}
	want := []string{"ok RUNNING", "ok SUCCEEDED", "bad RUNNING", "bad FAILED", "stopped RUNNING", "stopped ABORTED"}
	h.eventually("all status changes", func() bool { return len(l.seen()) >= len(want) })
	if got := l.seen(); !slices.Equal(got, want) {
		t.Fatalf("status changes %v, want %v", got, want)
	}
	// Delivered changes leave the outbox.
	h.eventually("an empty outbox", func() bool {
		recs, err := h.db.ListEntries(h.ctx, kindStatus, store.Query{})
		return err == nil && len(recs) == 0
	})
}

func TestOnStatusCarriesTheExecution(t *testing.T) {
	var (
		mu   sync.Mutex
		last Execution
	)
	h := newHarness(t, Options{OnStatus: func(ctx context.Context, x Execution) {
		mu.Lock()
		defer mu.Unlock()
		if x.Status != asl.Running {
			last = x
		}
	}})
	m := h.machine("out", `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"v":2},"End":true}}}`)
	x := h.wait(h.start(m, "o", `{"in":1}`).ARN)
	h.eventually("the end", func() bool { mu.Lock(); defer mu.Unlock(); return last.ARN != "" })
	mu.Lock()
	defer mu.Unlock()
	if last.ARN != x.ARN || last.Machine != m || last.Stop.IsZero() {
		t.Fatalf("OnStatus got %+v, want the finished execution %s", last, x.ARN)
	}
	jsonEqual(t, last.Output, `{"v":2}`)
}

// A change committed but not delivered before the engine stopped (a slow
// OnStatus, a crash) is delivered by the next engine on the same store.
func TestOnStatusDeliversAgainAfterRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "flow.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	clock := newFakeClock()
	called := make(chan struct{}, 10)
	run := func(on func(context.Context, Execution)) (*Engine, func()) {
		e, err := New(Options{Store: db, Clock: clock, Node: "n", OnStatus: on})
		if err != nil {
			t.Fatal(err)
		}
		rctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { e.Run(rctx); close(done) }()
		return e, func() { stop(); <-done }
	}
	// The first engine's OnStatus hangs until the engine stops.
	e1, stop1 := run(func(ctx context.Context, x Execution) { called <- struct{}{}; <-ctx.Done() })
	m, err := e1.CreateMachine(ctx, Machine{ARN: MachineARN(testRegion, testAccount, "w"), Name: "w",
		Definition: `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}}`, RoleArn: "arn:aws:iam::123456789012:role/r"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e1.Start(ctx, m.ARN, "again", nil); err != nil {
		t.Fatal(err)
	}
	<-called
	stop1()

	var l statusLog
	_, stop2 := run(l.on)
	defer stop2()
	for len(l.seen()) == 0 {
		select {
		case <-ctx.Done():
			t.Fatal("the undelivered change never came")
		case <-time.After(2 * time.Millisecond):
		}
	}
	if got := l.seen(); !slices.Equal(got, []string{"again RUNNING"}) {
		t.Fatalf("after restart %v, want [again RUNNING]", got)
	}
}

func TestNoOutboxWithoutOnStatus(t *testing.T) {
	h := newHarness(t, Options{})
	m := h.machine("pass", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)
	h.wait(h.start(m, "quiet", `{}`).ARN)
	recs, err := h.db.ListEntries(h.ctx, kindStatus, store.Query{})
	if err != nil || len(recs) != 0 {
		t.Fatalf("outbox %d entries (%v), want none", len(recs), err)
	}
}
