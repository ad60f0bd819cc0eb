package flow

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/edgecd/edgecd/asl"
	"github.com/edgecd/edgecd/store"
)

// Options configures an Engine. Only Store is required.
type Options struct {
	Store store.Store
	// Node names this process as the owner of task leases. It should be
	// stable across restarts of the same node, so that a restarted node
	// takes its own tasks back at once. Default: the host name.
	Node  string
	Clock Clock
	// Random supplies task tokens and UUIDs (default crypto/rand); Jitter
	// retry jitter, States.MathRandom and $random() (default math/rand/v2).
	Random io.Reader
	Jitter func() float64
	// Tasks maps a task resource ARN (without a .waitForTaskToken suffix)
	// to its integration, e.g. "arn:aws:states:::edgecd:build".
	Tasks map[string]TaskFunc
	// SDK serves arn:aws:states:::aws-sdk:<service>:<action> resources.
	SDK        SDKFunc
	HTTPClient *http.Client // for arn:aws:states:::http:invoke
	Logger     *slog.Logger
	// MaxBatch bounds how many inputs one transaction applies (default
	// 1024: under load, bigger batches share one commit among more steps).
	MaxBatch int
	// LeaseTTL is how long a task dispatch lease lasts (default 5 minutes).
	LeaseTTL time.Duration
	// MaxHistoryEvents as asl.Env.MaxHistoryEvents.
	MaxHistoryEvents int
	// OnStatus, when set, is called after the commit whenever an
	// execution's status changes: RUNNING when it starts, then SUCCEEDED,
	// FAILED, TIMED_OUT or ABORTED. Delivery is at least once (a change
	// committed before a crash is delivered after the restart), in commit
	// order, from one goroutine that the engine does not wait for; a slow
	// OnStatus delays only later notifications.
	OnStatus func(ctx context.Context, x Execution)
}

// Engine runs executions durably on a store. Create it with New, start its
// loops with Run, and call its methods (CreateMachine, Start, ...) from any
// goroutine.
type Engine struct {
	opt   Options
	st    store.Store
	kv    kvReader
	clock Clock
	log   *slog.Logger
	inbox chan *input
	wake  chan struct{}
	// statusWake tells the status notifier that the outbox has news;
	// statusSeq is the last outbox key, used by the commit loop only.
	statusWake chan struct{}
	statusSeq  int64
	// execCache holds decoded execution states (cache.go); commit loop only.
	execCache map[string]*cachedExec

	mu       sync.Mutex
	defs     map[string]*asl.Definition  // machine ARN + "#" + version
	done     map[string][]chan Execution // executions waited on
	running  map[string]bool             // task keys dispatched by this node
	runCtx   context.Context
	randMu   sync.Mutex
	dispatch sync.WaitGroup
}

// New returns an Engine; nothing runs until Run is called.
func New(opt Options) (*Engine, error) {
	if opt.Store == nil {
		return nil, fmt.Errorf("flow: Options.Store is required")
	}
	if opt.Node == "" {
		h, _ := os.Hostname()
		opt.Node = "node-" + h
	}
	if opt.Clock == nil {
		opt.Clock = realClock{}
	}
	if opt.Random == nil {
		opt.Random = rand.Reader
	}
	if opt.Jitter == nil {
		opt.Jitter = mrand.Float64
	}
	if opt.HTTPClient == nil {
		opt.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.MaxBatch <= 0 {
		opt.MaxBatch = 1024
	}
	if opt.LeaseTTL <= 0 {
		opt.LeaseTTL = 5 * time.Minute
	}
	return &Engine{
		opt: opt, st: opt.Store, kv: readerKV(opt.Store), clock: opt.Clock, log: opt.Logger,
		inbox: make(chan *input, 4096), wake: make(chan struct{}, 1), statusWake: make(chan struct{}, 1),
		execCache: map[string]*cachedExec{}, defs: map[string]*asl.Definition{}, done: map[string][]chan Execution{}, running: map[string]bool{},
	}, nil
}

// Run applies inputs, fires timers and dispatches tasks until ctx is done.
// On start it re-dispatches the tasks whose outcome was never recorded.
func (e *Engine) Run(ctx context.Context) error {
	e.mu.Lock()
	e.runCtx = ctx
	e.mu.Unlock()
	if err := e.indexOldExecutions(ctx); err != nil && ctx.Err() == nil {
		// Listing then misses old executions; everything else works.
		e.log.Error("flow: indexing executions by start time", "err", err)
	}
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); e.commitLoop(ctx) }()
	go func() { defer wg.Done(); e.timerLoop(ctx) }()
	go func() { defer wg.Done(); e.statusLoop(ctx) }()
	e.recoverTasks(ctx, true)
	tick := e.clock.At(e.clock.Now().Add(e.opt.LeaseTTL / 2))
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-tick:
			e.recoverTasks(ctx, false)
			tick = e.clock.At(e.clock.Now().Add(e.opt.LeaseTTL / 2))
		}
	}
	wg.Wait()
	e.dispatch.Wait()
	return nil
}

// input is one thing to apply to the store in the commit loop.
type input struct {
	exec  string
	ev    asl.Event
	start *startReq
	// timer is the flow.timer record a TimerFired consumes; task the
	// flow.task record a task outcome consumes. Either being gone means the
	// input was already applied (a duplicate) and is dropped.
	timer     string
	task      string
	delivered bool // only mark the task delivered
	keep      bool // the task record must exist but stays (heartbeats)
	// dispatched: the outcome of a task this node ran, whose record's
	// token (fixed at scheduling) is taskToken, so consuming the record
	// needs no read: deleting it says whether it was still there.
	dispatched bool
	taskToken  string
	token      string
	reply      chan result
}

type result struct {
	exec Execution
	err  error
}

// submit hands in to the commit loop and waits until it is durable.
func (e *Engine) submit(ctx context.Context, in *input) (Execution, error) {
	in.reply = make(chan result, 1)
	select {
	case e.inbox <- in:
	case <-ctx.Done():
		return Execution{}, ctx.Err()
	}
	select {
	case r := <-in.reply:
		return r.exec, r.err
	case <-ctx.Done():
		return Execution{}, ctx.Err()
	}
}

func (e *Engine) commitLoop(ctx context.Context) {
	for {
		var batch []*input
		select {
		case <-ctx.Done():
			return
		case in := <-e.inbox:
			batch = append(batch, in)
		}
	drain:
		for len(batch) < e.opt.MaxBatch {
			select {
			case in := <-e.inbox:
				batch = append(batch, in)
			default:
				break drain
			}
		}
		e.commit(ctx, batch)
	}
}

// commit applies a batch in one transaction (one fsync for all of it). If
// the transaction fails, each input is retried alone so one bad input
// cannot hold up the others.
func (e *Engine) commit(ctx context.Context, batch []*input) {
	t, err := e.apply(ctx, batch)
	if err != nil && len(batch) > 1 {
		for _, in := range batch {
			e.commit(ctx, []*input{in})
		}
		return
	}
	for i, in := range batch {
		if in.reply == nil {
			continue
		}
		r := result{err: err}
		if err == nil {
			r = t.results[i]
		}
		in.reply <- r
	}
	if err != nil {
		if ctx.Err() == nil {
			e.log.Error("flow: commit failed", "err", err)
		}
		return
	}
	e.keep(t)
	t.afterCommit()
}

func (e *Engine) apply(ctx context.Context, batch []*input) (*txn, error) {
	var t *txn
	_, err := e.st.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		t = &txn{e: e, tx: tx, kv: txKV(tx), now: e.clock.Now().UTC(), execs: map[string]*execState{}}
		t.results = make([]result, len(batch))
		for i, in := range batch {
			exec, err := t.input(ctx, in)
			if err != nil && isFatal(err) {
				return err
			}
			t.results[i] = result{exec: exec, err: err}
			if err := t.drain(ctx); err != nil {
				return err
			}
		}
		return t.flush(ctx)
	})
	return t, err
}

func (e *Engine) signalTimers() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// env is the interpreter's environment for one step.
func (e *Engine) env(now time.Time) asl.Env {
	return asl.Env{
		Now: now, Random: e.jitter, UUID: e.uuid, TaskToken: e.token,
		MaxHistoryEvents: e.opt.MaxHistoryEvents,
	}
}

func (e *Engine) jitter() float64 {
	e.randMu.Lock()
	defer e.randMu.Unlock()
	return e.opt.Jitter()
}

func (e *Engine) randomBytes(n int) []byte {
	b := make([]byte, n)
	e.randMu.Lock()
	defer e.randMu.Unlock()
	if _, err := io.ReadFull(e.opt.Random, b); err != nil {
		panic(fmt.Sprintf("flow: random source failed: %v", err)) // crypto/rand never fails
	}
	return b
}

func (e *Engine) uuid() string {
	b := e.randomBytes(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// token returns an unguessable task token. Tokens are looked up in the
// store, so they carry no meaning of their own.
func (e *Engine) token() string {
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(e.randomBytes(32))
}

const tokenPrefix = "edgecd1."

// definition returns the parsed definition of a machine version, cached.
func (e *Engine) definition(ctx context.Context, tx store.Tx, arn string, version int64) (*asl.Definition, error) {
	key := fmt.Sprintf("%s#%d", arn, version)
	e.mu.Lock()
	d := e.defs[key]
	e.mu.Unlock()
	if d != nil {
		return d, nil
	}
	var body []byte
	rec, err := tx.Get(ctx, kindMachine, arn)
	if err == nil && rec.Version == version {
		body = rec.Body
	} else {
		old, err := e.st.GetVersion(ctx, kindMachine, arn, version)
		if err != nil {
			return nil, fmt.Errorf("definition of %s version %d: %w", arn, version, err)
		}
		body = old.Body
	}
	var m Machine
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("machine %s: %w", arn, err)
	}
	d, err = asl.Parse([]byte(m.Definition))
	if err != nil {
		return nil, fmt.Errorf("machine %s: stored definition: %w", arn, err)
	}
	e.mu.Lock()
	e.defs[key] = d
	e.mu.Unlock()
	return d, nil
}
