package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/edgecd/edgecd/store/sqlite"
)

// recorder is a Go target that records what it receives and fails the
// first failures calls.
type recorder struct {
	mu       sync.Mutex
	failures int
	perm     bool
	got      []received
	ch       chan received
}

type received struct {
	ev    Event
	input string
}

func newRecorder() *recorder { return &recorder{ch: make(chan received, 100)} }

func (r *recorder) target(_ context.Context, ev Event, input json.RawMessage) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failures > 0 {
		r.failures--
		if r.perm {
			return fmt.Errorf("%w: no such thing", ErrPermanent)
		}
		return errors.New("target busy")
	}
	rc := received{ev, string(input)}
	r.got = append(r.got, rc)
	r.ch <- rc
	return nil
}

func (r *recorder) wait(t *testing.T) received {
	t.Helper()
	select {
	case rc := <-r.ch:
		return rc
	case <-time.After(20 * time.Second):
		t.Fatal("no delivery within 20 s")
		return received{}
	}
}

func openBusB(b *testing.B, path string) *Bus {
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	bus, err := New(Options{Store: db, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	return bus
}

func openBus(t *testing.T, path string, opt Options) *Bus {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	opt.Store = db
	opt.Logger = slog.New(slog.DiscardHandler)
	opt.Account, opt.Region = "123456789012", "eu-west-1"
	if opt.Backoff == nil {
		opt.Backoff = func(int) time.Duration { return time.Millisecond }
	}
	b, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func run(t *testing.T, b *Bus) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); b.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

const goTarget = "arn:edgecd:test:::target/"

func putRule(t testing.TB, b *Bus, name, pattern string, targets ...Target) {
	t.Helper()
	ctx := context.Background()
	if _, err := b.PutRule(ctx, Rule{Name: name, EventPattern: pattern}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.PutTargets(ctx, "", name, targets); err != nil {
		t.Fatal(err)
	}
}

func rejection() Entry {
	return Entry{Source: "aws.codepipeline", DetailType: "CodePipeline Action Execution State Change",
		Resources: []string{"arn:aws:codepipeline:us-east-1:123456789012:site"},
		Detail:    `{"pipeline":"site","stage":"Approve","action":"Approve","state":"FAILED"}`}
}

func TestBusDeliversMatchingEventsToEveryTarget(t *testing.T) {
	rec := newRecorder()
	var mu sync.Mutex
	var starts []string
	hooks := make(chan string, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		hooks <- r.Header.Get("Content-Type") + " " + string(body)
	}))
	defer srv.Close()
	started := make(chan struct{}, 10)
	b := openBus(t, filepath.Join(t.TempDir(), "db"), Options{StartExecution: func(_ context.Context, arn, name string, in json.RawMessage) error {
		mu.Lock()
		starts = append(starts, arn+" "+name+" "+string(in))
		mu.Unlock()
		started <- struct{}{}
		return nil
	}})
	b.RegisterTarget(goTarget, rec.target)
	sm := "arn:aws:states:eu-west-1:123456789012:stateMachine:cleanup"
	putRule(t, b, "purge", rejectionPattern,
		Target{ID: "go", ARN: goTarget + "abort"},
		Target{ID: "sm", ARN: sm, InputPath: "$.detail"},
		Target{ID: "hook", ARN: srv.URL + "/hook", InputTransformer: &InputTransformer{
			InputPathsMap: map[string]string{"stage": "$.detail.stage", "p": "$.detail"},
			InputTemplate: `{"text": "stage <stage> of rule <aws.events.rule-name> failed", "raw": <p>}`,
		}})
	putRule(t, b, "approved", `{"detail":{"state":["SUCCEEDED"]}}`, Target{ID: "go", ARN: goTarget + "other"})
	run(t, b)

	res, err := b.PutTrusted(context.Background(), []Entry{rejection()})
	if err != nil || res[0].EventID == "" {
		t.Fatalf("Put = %+v, %v", res, err)
	}
	got := rec.wait(t)
	ev := got.ev
	if ev.ID != res[0].EventID || ev.Source != "aws.codepipeline" || ev.Account != "123456789012" || ev.Region != "eu-west-1" || ev.Version != "0" {
		t.Errorf("event %+v", ev)
	}
	var whole map[string]any
	if err := json.Unmarshal([]byte(got.input), &whole); err != nil || whole["detail-type"] != "CodePipeline Action Execution State Change" {
		t.Errorf("default input is the whole event, got %s", got.input)
	}
	if _, err := time.Parse(time.RFC3339, ev.Time); err != nil {
		t.Errorf("time %q: %v", ev.Time, err)
	}
	<-started
	mu.Lock()
	want := sm + " " + ev.ID + "_"
	if len(starts) != 1 || starts[0][:len(want)] != want || !json.Valid([]byte(starts[0][len(want)+16+1:])) {
		t.Errorf("starts %q", starts)
	}
	mu.Unlock()
	hook := <-hooks
	wantHook := `application/json; charset=utf-8 {"text": "stage Approve of rule purge failed", "raw": {"pipeline":"site","stage":"Approve","action":"Approve","state":"FAILED"}}`
	if hook != wantHook {
		t.Errorf("webhook got\n%s\nwant\n%s", hook, wantHook)
	}
	// Everything delivered leaves the outbox; the other rule got nothing.
	waitPending(t, b, 0)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.got) != 1 {
		t.Errorf("go target got %d events, want 1", len(rec.got))
	}
}

func waitPending(t *testing.T, b *Bus, want int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		n, err := b.Pending(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries pending, want %d", n, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestBusSkipsDisabledRulesAndUnmatchedEvents(t *testing.T) {
	rec := newRecorder()
	b := openBus(t, filepath.Join(t.TempDir(), "db"), Options{})
	b.RegisterTarget(goTarget, rec.target)
	putRule(t, b, "off", `{"source":["app"]}`, Target{ID: "t", ARN: goTarget + "x"})
	if err := b.SetState(context.Background(), "", "off", Disabled); err != nil {
		t.Fatal(err)
	}
	putRule(t, b, "other", `{"source":["other"]}`, Target{ID: "t", ARN: goTarget + "x"})
	if _, err := b.Put(context.Background(), []Entry{{Source: "app", DetailType: "d", Detail: `{}`}}); err != nil {
		t.Fatal(err)
	}
	if n, _ := b.Pending(context.Background()); n != 0 {
		t.Errorf("%d deliveries for an event only a disabled rule matches", n)
	}
	if err := b.SetState(context.Background(), "", "off", Enabled); err != nil {
		t.Fatal(err)
	}
	b.Put(context.Background(), []Entry{{Source: "app", DetailType: "d", Detail: `{}`}})
	if n, _ := b.Pending(context.Background()); n != 1 {
		t.Errorf("%d deliveries after enabling, want 1", n)
	}
}

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

func TestPutValidatesEntries(t *testing.T) {
	b := openBus(t, filepath.Join(t.TempDir(), "db"), Options{})
	tests := []struct {
		name string
		e    Entry
		code string
	}{
		{"ok", Entry{Source: "app", DetailType: "d", Detail: `{"a":1}`}, ""},
		{"no source", Entry{DetailType: "d", Detail: `{}`}, "InvalidArgument"},
		{"no detail type", Entry{Source: "app", Detail: `{}`}, "InvalidArgument"},
		{"no detail", Entry{Source: "app", DetailType: "d"}, "InvalidArgument"},
		{"detail not an object", Entry{Source: "app", DetailType: "d", Detail: `[1]`}, "MalformedDetail"},
		{"detail not JSON", Entry{Source: "app", DetailType: "d", Detail: `{`}, "MalformedDetail"},
		{"aws source from a client", Entry{Source: "aws.states", DetailType: "d", Detail: `{}`}, "NotAuthorizedForSourceException"},
		{"unknown bus", Entry{Source: "app", DetailType: "d", Detail: `{}`, EventBusName: "other"}, "NotAuthorizedForSourceException"},
		{"default bus by ARN", Entry{Source: "app", DetailType: "d", Detail: `{}`, EventBusName: "arn:aws:events:eu-west-1:123456789012:event-bus/default"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := b.Put(context.Background(), []Entry{tt.e})
			if err != nil {
				t.Fatal(err)
			}
			if res[0].ErrorCode != tt.code || (tt.code == "") != (res[0].EventID != "") {
				t.Errorf("result %+v, want code %q", res[0], tt.code)
			}
		})
	}
}

func TestRuleManagement(t *testing.T) {
	ctx := context.Background()
	b := openBus(t, filepath.Join(t.TempDir(), "db"), Options{})
	b.RegisterTarget(goTarget, newRecorder().target)
	arn, err := b.PutRule(ctx, Rule{Name: "purge", EventPattern: rejectionPattern, Description: "cleanup"})
	if err != nil || arn != "arn:aws:events:eu-west-1:123456789012:rule/purge" {
		t.Fatalf("PutRule = %q, %v", arn, err)
	}
	var pe *PatternError
	if _, err := b.PutRule(ctx, Rule{Name: "bad", EventPattern: `{"source":"x"}`}); !errors.As(err, &pe) {
		t.Errorf("bad pattern: %v", err)
	}
	if _, err := b.PutRule(ctx, Rule{Name: "bad name!", EventPattern: `{"source":["x"]}`}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad name: %v", err)
	}
	if _, err := b.PutTargets(ctx, "", "missing", []Target{{ID: "t", ARN: goTarget}}); !errors.Is(err, ErrNotFound) || err.Error() != "Rule missing does not exist on EventBus default." {
		t.Errorf("targets on a missing rule: %v", err)
	}
	if _, err := b.PutTargets(ctx, "", "purge", []Target{{ID: "t", ARN: "arn:aws:lambda:eu-west-1:1:function:f"}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("undeliverable target: %v", err)
	}
	if _, err := b.PutTargets(ctx, "", "purge", []Target{{ID: "t", ARN: goTarget, Input: "{", InputPath: "$"}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("two input kinds: %v", err)
	}
	var six []Target
	for i := range 6 {
		six = append(six, Target{ID: fmt.Sprint("t", i), ARN: goTarget})
	}
	if _, err := b.PutTargets(ctx, "", "purge", six); !errors.Is(err, ErrLimit) {
		t.Errorf("six targets: %v", err)
	}
	if _, err := b.PutTargets(ctx, "", "purge", six[:2]); err != nil {
		t.Fatal(err)
	}
	// PutRule keeps targets; replacing by ID keeps the count.
	if _, err := b.PutRule(ctx, Rule{Name: "purge", EventPattern: rejectionPattern, State: Disabled}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.PutTargets(ctx, "", "purge", []Target{{ID: "t0", ARN: goTarget + "new"}}); err != nil {
		t.Fatal(err)
	}
	r, err := b.Rule(ctx, "", "purge")
	if err != nil || r.State != Disabled || r.Description != "" || len(r.Targets) != 2 || r.Targets[0].ARN != goTarget+"new" {
		t.Errorf("rule %+v, %v", r, err)
	}
	if err := b.DeleteRule(ctx, "", "purge"); !errors.Is(err, ErrInvalid) {
		t.Errorf("deleting a rule with targets: %v", err)
	}
	if _, err := b.RemoveTargets(ctx, "", "purge", []string{"t0", "t1", "nope"}); err != nil {
		t.Fatal(err)
	}
	if err := b.DeleteRule(ctx, "", "purge"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Rule(ctx, "", "purge"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted rule: %v", err)
	}
	if err := b.DeleteRule(ctx, "", "purge"); err != nil {
		t.Errorf("deleting a missing rule: %v", err)
	}
	if err := b.SetState(ctx, "", "purge", Enabled); !errors.Is(err, ErrNotFound) {
		t.Errorf("enabling a missing rule: %v", err)
	}
}

func TestWebhookRetriesServerErrorsAndDropsClientErrors(t *testing.T) {
	var mu sync.Mutex
	statuses := map[string][]int{"/flaky": {503, 429, 200}, "/gone": {404}}
	calls := map[string]int{}
	done := make(chan string, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		s := statuses[r.URL.Path][calls[r.URL.Path]]
		calls[r.URL.Path]++
		w.WriteHeader(s)
		if s < 300 || s == 404 {
			done <- r.URL.Path
		}
	}))
	defer srv.Close()
	b := openBus(t, filepath.Join(t.TempDir(), "db"), Options{})
	putRule(t, b, "r", `{"source":["app"]}`, Target{ID: "flaky", ARN: srv.URL + "/flaky"}, Target{ID: "gone", ARN: srv.URL + "/gone"})
	run(t, b)
	b.Put(context.Background(), []Entry{{Source: "app", DetailType: "d", Detail: `{}`}})
	<-done
	<-done
	waitPending(t, b, 0)
	mu.Lock()
	defer mu.Unlock()
	if calls["/flaky"] != 3 || calls["/gone"] != 1 {
		t.Errorf("calls %v: want 503 and 429 retried, 404 not", calls)
	}
}

// The seed 001 rule, built by RejectionPattern, fires on the event
// PipelineEntry builds for a rejected approval and on nothing else.
func TestRejectionRuleMatchesPipelineEvents(t *testing.T) {
	rec := newRecorder()
	b := openBus(t, filepath.Join(t.TempDir(), "db"), Options{})
	b.RegisterTarget(goTarget, rec.target)
	putRule(t, b, "site-purge", b.RejectionPattern("site", "Approve", "Approve"), Target{ID: "abort", ARN: goTarget + "release.abort"})
	approval := &ActionType{Owner: "AWS", Provider: "Manual", Category: "Approval", Version: "1"}
	change := func(pipeline, stage, action, state string) Entry {
		return b.PipelineEntry(PipelineChange{Pipeline: pipeline, ExecutionID: "x1", Stage: stage, Action: action, State: state, Version: 1, Type: approval})
	}
	res, err := b.PutTrusted(context.Background(), []Entry{
		change("site", "Approve", "Approve", "SUCCEEDED"),
		change("other", "Approve", "Approve", "FAILED"),
		change("site", "Approve", "", "FAILED"), // the stage, not the action
		change("site", "Approve", "Approve", "FAILED"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := b.Pending(context.Background()); n != 1 {
		t.Fatalf("%d deliveries, want 1 (only the rejected approval)", n)
	}
	run(t, b)
	got := rec.wait(t)
	if got.ev.ID != res[3].EventID || got.ev.Source != "aws.codepipeline" || got.ev.Resources[0] != "arn:aws:codepipeline:eu-west-1:123456789012:site" {
		t.Errorf("delivered %+v", got.ev)
	}
	var d map[string]any
	json.Unmarshal(got.ev.Detail, &d)
	if d["execution-id"] != "x1" || d["type"].(map[string]any)["provider"] != "Manual" || d["region"] != "eu-west-1" {
		t.Errorf("detail %s", got.ev.Detail)
	}
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
