package pipeline

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgecd/edgecd/events"
	"github.com/edgecd/edgecd/flow"
	"github.com/edgecd/edgecd/store/sqlite"
)

// harness is a pipeline service on a real store, flow engine and event
// bus, with a local git repository and a webhook sink.
type harness struct {
	t      testing.TB
	svc    *Service
	engine *flow.Engine
	bus    *events.Bus
	repo   string
	hook   *httptest.Server

	dir  string // the data directory
	stop func() // stops what boot started

	mu     sync.Mutex
	posts  []string       // bodies posted to the webhook sink
	events []events.Event // aws.codepipeline events seen by a capture rule
}

const buildspecYAML = `version: 0.2
env:
  exported-variables:
    - SITE_VERSION
phases:
  build:
    commands:
      - mkdir -p out
      - echo "<h1>$(cat message.txt)</h1>" > out/index.html
      - export SITE_VERSION="$(cat message.txt)"
      - echo built "$SITE_VERSION"
artifacts:
  base-directory: out
  files:
    - '**/*'
`

func newHarness(t testing.TB, definition string) *harness {
	t.Helper()
	h := &harness{t: t, repo: filepath.Join(t.TempDir(), "repo")}
	h.hook = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.posts = append(h.posts, string(b))
		h.mu.Unlock()
	}))
	t.Cleanup(h.hook.Close)
	h.git("init", "-q", "-b", "main", h.repo)
	h.commit("first", map[string]string{"buildspec.yml": buildspecYAML, "message.txt": "v1"})

	h.dir = t.TempDir()
	h.boot()
	t.Cleanup(func() { h.stop() })
	def := strings.NewReplacer("REPO", h.repo, "HOOK", h.hook.URL).Replace(definition)
	if _, err := h.svc.Put(context.Background(), "edgecd.pipeline.yaml", []byte(def)); err != nil {
		t.Fatal(err)
	}
	return h
}

// boot opens the store in h.dir and starts a bus, a pipeline service and a
// flow engine on it, as a node does at start; stop undoes it (as a crash
// would, as far as the store is concerned).
func (h *harness) boot() {
	t := h.t
	ctx, cancel := context.WithCancel(context.Background())
	db, err := sqlite.Open(ctx, filepath.Join(h.dir, "edgecd.db"))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h.bus, err = events.New(events.Options{Store: db, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	h.bus.RegisterTarget("arn:edgecd:test:::capture", func(ctx context.Context, ev events.Event, _ json.RawMessage) error {
		h.mu.Lock()
		h.events = append(h.events, ev)
		h.mu.Unlock()
		return nil
	})
	if _, err := h.bus.PutRule(ctx, events.Rule{Name: "capture", EventPattern: `{"source":["aws.codepipeline"]}`}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.bus.PutTargets(ctx, "", "capture", []events.Target{{ID: "c", ARN: "arn:edgecd:test:::capture"}}); err != nil {
		t.Fatal(err)
	}
	h.svc, err = New(Options{Store: db, DataDir: h.dir, Bus: h.bus, Logger: log, Getenv: func(k string) string {
		if k == "APP_SECRET" {
			return "s3cret"
		}
		return ""
	}})
	if err != nil {
		t.Fatal(err)
	}
	h.engine, err = flow.New(flow.Options{Store: db, Node: "test-node", Logger: log, Tasks: h.svc.Tasks(), OnStatus: h.svc.OnStatus})
	if err != nil {
		t.Fatal(err)
	}
	h.svc.Use(h.engine)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); h.engine.Run(ctx) }()
	go func() { defer wg.Done(); h.bus.Run(ctx) }()
	if err := h.svc.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	h.stop = func() {
		once.Do(func() {
			cancel()
			wg.Wait()
			h.svc.Wait()
			db.Close()
		})
	}
}

func (h *harness) git(args ...string) string {
	h.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=T", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=T", "GIT_COMMITTER_EMAIL=t@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		h.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// commit writes files into the repository and commits them; it returns
// the commit id.
func (h *harness) commit(msg string, files map[string]string) string {
	h.t.Helper()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(h.repo, name), []byte(body), 0o644); err != nil {
			h.t.Fatal(err)
		}
		h.git("-C", h.repo, "add", name)
	}
	h.git("-C", h.repo, "commit", "-q", "-m", msg)
	return h.git("-C", h.repo, "rev-parse", "HEAD")
}

// waitRun polls a run until cond holds (bounded by a generous deadline;
// the run's own progress is what is awaited, not a duration).
// start starts a run, failing the test if it cannot.
func (h *harness) start(req StartRequest) Run {
	h.t.Helper()
	run, err := h.svc.Start(context.Background(), req)
	if err != nil {
		h.t.Fatal(err)
	}
	return run
}

func (h *harness) waitRun(id string, what string, cond func(Run) bool) Run {
	h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := h.svc.Run(context.Background(), "", id)
		if err != nil {
			h.t.Fatal(err)
		}
		if cond(r) {
			return r
		}
		if time.Now().After(deadline) {
			b, _ := json.MarshalIndent(r, "", "  ")
			h.t.Fatalf("run %s never became %s:\n%s", id, what, b)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func waitingApproval(r Run) bool {
	_, a := r.action("Approve", "Approve")
	return a != nil && a.Token != ""
}

func (h *harness) waitEvent(what string, match func(events.Event, map[string]any) bool) events.Event {
	h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		h.mu.Lock()
		for _, ev := range h.events {
			var d map[string]any
			json.Unmarshal(ev.Detail, &d)
			if match(ev, d) {
				h.mu.Unlock()
				return ev
			}
		}
		h.mu.Unlock()
		if time.Now().After(deadline) {
			h.t.Fatalf("no event %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (h *harness) postsContaining(s string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, p := range h.posts {
		if strings.Contains(p, s) {
			n++
		}
	}
	return n
}

// waitPosts waits until n posts to the webhook sink contain s.
func (h *harness) waitPosts(s string, n int) {
	h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for h.postsContaining(s) < n {
		if time.Now().After(deadline) {
			h.t.Fatalf("%d posts contain %q, want %d", h.postsContaining(s), s, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
