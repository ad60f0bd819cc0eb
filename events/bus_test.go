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
