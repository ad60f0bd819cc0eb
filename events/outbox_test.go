package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestBusRetriesFailedDeliveries(t *testing.T) {
	rec := newRecorder()
	rec.failures = 3
	var attempts []int
	var mu sync.Mutex
	b := openBus(t, filepath.Join(t.TempDir(), "db"), Options{Backoff: func(n int) time.Duration {
		mu.Lock()
		attempts = append(attempts, n)
		mu.Unlock()
		return time.Millisecond
	}})
	b.RegisterTarget(goTarget, rec.target)
	putRule(t, b, "r", `{"source":["app"]}`, Target{ID: "t", ARN: goTarget + "x"})
	run(t, b)
	b.Put(context.Background(), []Entry{{Source: "app", DetailType: "d", Detail: `{"n":1}`}})
	rec.wait(t)
	waitPending(t, b, 0)
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(attempts) != "[1 2 3]" {
		t.Errorf("back-off asked for attempts %v, want [1 2 3]", attempts)
	}
}

func TestBusDropsPermanentFailures(t *testing.T) {
	rec := newRecorder()
	rec.failures, rec.perm = 1, true
	b := openBus(t, filepath.Join(t.TempDir(), "db"), Options{})
	b.RegisterTarget(goTarget, rec.target)
	putRule(t, b, "r", `{"source":["app"]}`, Target{ID: "t", ARN: goTarget + "x"})
	run(t, b)
	b.Put(context.Background(), []Entry{{Source: "app", DetailType: "d", Detail: `{}`}})
	waitPending(t, b, 0)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.got) != 0 || rec.failures != 0 {
		t.Errorf("a permanent failure was retried: got %d, failures left %d", len(rec.got), rec.failures)
	}
}

func TestBusDeliversAfterRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	first := openBus(t, path, Options{})
	first.RegisterTarget(goTarget, func(context.Context, Event, json.RawMessage) error { return errors.New("down") })
	putRule(t, first, "r", `{"source":["app"]}`, Target{ID: "t", ARN: goTarget + "x"})
	res, err := first.Put(context.Background(), []Entry{
		{Source: "app", DetailType: "d", Detail: `{"n":1}`},
		{Source: "app", DetailType: "d", Detail: `{"n":2}`},
	})
	if err != nil {
		t.Fatal(err)
	}
	// The first process never runs its loop: it "crashes" with both
	// deliveries committed but not made.
	out, err := first.Outbox(context.Background(), 0)
	if err != nil || len(out) != 2 || out[0].Rule != "r" || out[0].TargetID != "t" || out[0].Leased {
		t.Fatalf("outbox before the restart: %+v, %v", out, err)
	}
	rec := newRecorder()
	second := openBus(t, path, Options{})
	second.RegisterTarget(goTarget, rec.target)
	run(t, second)
	ids := map[string]bool{rec.wait(t).ev.ID: true, rec.wait(t).ev.ID: true}
	if !ids[res[0].EventID] || !ids[res[1].EventID] {
		t.Errorf("delivered %v, want %s and %s", ids, res[0].EventID, res[1].EventID)
	}
	waitPending(t, second, 0)
}

// A delivery leased by a node that stopped mid-way is made again at once
// when that node restarts, and by another node once the lease has run
// out.
func TestLeasedDeliveriesComeBack(t *testing.T) {
	for _, tt := range []struct {
		name  string
		node  string
		later time.Duration
	}{
		{"same node restarts", "a", 0},
		{"another node after the lease", "b", 6 * time.Minute},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "db")
			first := openBus(t, path, Options{Node: "a"})
			first.RegisterTarget(goTarget, newRecorder().target)
			putRule(t, first, "r", `{"source":["app"]}`, Target{ID: "t", ARN: goTarget + "x"})
			res, _ := first.Put(context.Background(), []Entry{{Source: "app", DetailType: "d", Detail: `{}`}})
			// Node a leases the delivery and dies before making it.
			if c, _, err := first.claim(context.Background(), 10); err != nil || len(c) != 1 {
				t.Fatalf("claim = %v, %v", c, err)
			}
			rec := newRecorder()
			later := time.Now().Add(tt.later)
			second := openBus(t, path, Options{Node: tt.node, Now: func() time.Time { return later }})
			second.RegisterTarget(goTarget, rec.target)
			run(t, second)
			if got := rec.wait(t); got.ev.ID != res[0].EventID {
				t.Errorf("delivered %s, want %s", got.ev.ID, res[0].EventID)
			}
			waitPending(t, second, 0)
		})
	}
}

// Two nodes delivering from one store make each delivery once.
func TestTwoNodesShareTheOutbox(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	rec := newRecorder()
	var nodes []*Bus
	for _, name := range []string{"a", "b"} {
		b := openBus(t, path, Options{Node: name, Workers: 2})
		b.RegisterTarget(goTarget, rec.target)
		nodes = append(nodes, b)
	}
	putRule(t, nodes[0], "r", `{"source":["app"]}`, Target{ID: "t", ARN: goTarget + "x"})
	const n = 40
	var entries []Entry
	for i := range n {
		entries = append(entries, Entry{Source: "app", DetailType: "d", Detail: fmt.Sprintf(`{"i":%d}`, i)})
	}
	for i := 0; i < n; i += 10 {
		if _, err := nodes[0].Put(context.Background(), entries[i:i+10]); err != nil {
			t.Fatal(err)
		}
	}
	run(t, nodes[0])
	run(t, nodes[1])
	for range n {
		rec.wait(t)
	}
	waitPending(t, nodes[0], 0)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	seen := map[string]int{}
	for _, r := range rec.got {
		seen[r.ev.ID]++
	}
	if len(rec.got) != n || len(seen) != n {
		t.Errorf("%d deliveries of %d events, want %d of %d", len(rec.got), len(seen), n, n)
	}
}

func TestRetryPolicyBoundsAttempts(t *testing.T) {
	attempts := make(chan int, 10)
	b := openBus(t, filepath.Join(t.TempDir(), "db"), Options{})
	n := 0
	b.RegisterTarget(goTarget, func(context.Context, Event, json.RawMessage) error {
		n++
		attempts <- n
		return errors.New("down")
	})
	two := 2
	putRule(t, b, "r", `{"source":["app"]}`, Target{ID: "t", ARN: goTarget + "x", RetryPolicy: &RetryPolicy{MaximumRetryAttempts: &two}})
	run(t, b)
	b.Put(context.Background(), []Entry{{Source: "app", DetailType: "d", Detail: `{}`}})
	waitPending(t, b, 0)
	close(attempts)
	last := 0
	for a := range attempts {
		last = a
	}
	if last != 3 {
		t.Errorf("%d attempts, want 3 (the first and 2 retries)", last)
	}
	bad := 186
	if _, err := b.PutTargets(context.Background(), "", "r", []Target{{ID: "t", ARN: goTarget, RetryPolicy: &RetryPolicy{MaximumRetryAttempts: &bad}}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("186 retries: %v", err)
	}
}
