package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/edgecd/edgecd/events"
	"github.com/edgecd/edgecd/flow"
	"github.com/edgecd/edgecd/pipeline/spec"
	"github.com/edgecd/edgecd/store"
)

// Options configures a Service. Store and DataDir are required.
type Options struct {
	Store   store.Store
	DataDir string // work dirs and logs go under DataDir/pipelines
	Account string
	Region  string
	// AWS is the configuration the actions use to call the node's own
	// public API (deploy, release): its endpoint and the operator's key.
	AWS func(ctx context.Context) (aws.Config, error)
	// Bus receives the CodePipeline state-change events and holds each
	// pipeline's cleanup rule; nil = no events and no automatic cleanup.
	// New registers the cleanup target (AbortTarget) on it.
	Bus *events.Bus
	// HTTPClient posts approval messages and http actions.
	HTTPClient *http.Client
	// Getenv reads webhook secrets (spec.Source.SecretEnv); default os.Getenv.
	Getenv func(string) string
	// Link is the base URL put in approval messages (e.g. the console).
	Link   string
	Logger *slog.Logger
	Now    func() time.Time
}

// Service stores pipelines and runs them on a flow engine.
type Service struct {
	opt    Options
	st     store.Store
	log    *slog.Logger
	now    func() time.Time
	engine *flow.Engine
	dir    string

	mu     sync.Mutex
	specs  map[string]*spec.Pipeline // name#version -> parsed definition
	lanes  sync.Mutex                // serialises queue decisions of this node
	poll   map[string]context.CancelFunc
	runCtx context.Context
	wg     sync.WaitGroup
}

// New returns a Service. Register its Tasks with the flow engine, then call
// Use with that engine before the engine runs.
func New(opt Options) (*Service, error) {
	if opt.Store == nil || opt.DataDir == "" {
		return nil, errors.New("pipeline: Options.Store and Options.DataDir are required")
	}
	if opt.Account == "" {
		opt.Account = "000000000000"
	}
	if opt.Region == "" {
		opt.Region = "us-east-1"
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.HTTPClient == nil {
		opt.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if opt.Getenv == nil {
		opt.Getenv = os.Getenv
	}
	dir := filepath.Join(opt.DataDir, "pipelines")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	s := &Service{
		opt: opt, st: opt.Store, log: opt.Logger, now: func() time.Time { return opt.Now().UTC() }, dir: dir,
		specs: map[string]*spec.Pipeline{}, poll: map[string]context.CancelFunc{},
	}
	if opt.Bus != nil {
		opt.Bus.RegisterTarget(AbortTarget, s.abortTarget)
	}
	return s, nil
}

// Use attaches the flow engine the pipelines run on.
func (s *Service) Use(e *flow.Engine) { s.engine = e }

// ARN is a pipeline's ARN, as CodePipeline writes it.
func (s *Service) ARN(name string) string {
	return "arn:aws:codepipeline:" + s.opt.Region + ":" + s.opt.Account + ":" + name
}

func (s *Service) machineARN(name string) string {
	return flow.MachineARN(s.opt.Region, s.opt.Account, "edgecd-pipeline-"+name)
}

// DefinitionError lists every problem of a definition; it wraps
// ErrInvalidDefinition.
type DefinitionError struct{ Problems []string }

func (e *DefinitionError) Error() string {
	return "the pipeline definition has problems:\n  " + strings.Join(e.Problems, "\n  ")
}

func (e *DefinitionError) Unwrap() error { return ErrInvalidDefinition }

// Validate parses and checks a definition without storing it.
func (s *Service) Validate(file string, yaml []byte) (*spec.Pipeline, error) {
	p, problems := spec.Parse(file, yaml)
	if len(problems) > 0 {
		e := &DefinitionError{}
		for _, pr := range problems {
			e.Problems = append(e.Problems, pr.String())
		}
		return nil, e
	}
	if _, err := spec.Compile(p); err != nil {
		return nil, &DefinitionError{Problems: []string{fmt.Sprintf("%s: %v", file, err)}}
	}
	return p, nil
}

// Put creates a pipeline or updates it (a new version; runs in progress
// finish on the version they started with).
func (s *Service) Put(ctx context.Context, file string, yaml []byte) (Pipeline, error) {
	p, err := s.Validate(file, yaml)
	if err != nil {
		return Pipeline{}, err
	}
	def, err := spec.Compile(p)
	if err != nil {
		return Pipeline{}, err
	}
	if s.engine == nil {
		return Pipeline{}, errors.New("pipeline: no flow engine attached")
	}
	arn := s.machineARN(p.Name)
	if _, err := s.engine.Machine(ctx, arn); errors.Is(err, flow.ErrMachineNotFound) {
		_, err = s.engine.CreateMachine(ctx, flow.Machine{ARN: arn, Name: "edgecd-pipeline-" + p.Name, Definition: string(def), Type: flow.Standard,
			RoleArn: "arn:aws:iam::" + s.opt.Account + ":role/edgecd-pipeline"})
		if err != nil {
			return Pipeline{}, fmt.Errorf("create the state machine of pipeline %s: %w", p.Name, err)
		}
	} else if err != nil {
		return Pipeline{}, err
	} else {
		d := string(def)
		if _, err := s.engine.UpdateMachine(ctx, arn, flow.MachineUpdate{Definition: &d}); err != nil {
			return Pipeline{}, fmt.Errorf("update the state machine of pipeline %s: %w", p.Name, err)
		}
	}
	var out Pipeline
	_, err = s.st.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		now := s.now()
		cur, ver, err := getJSON[Pipeline](ctx, tx.Get, kindPipeline, p.Name)
		if errors.Is(err, store.ErrNotFound) {
			cur = Pipeline{Name: p.Name, Created: now}
			ver = store.NotExists
		} else if err != nil {
			return err
		}
		if cur.YAML == string(yaml) && cur.File == file {
			out = cur
			return nil
		}
		cur.File, cur.YAML, cur.Machine, cur.Updated = file, string(yaml), arn, now
		cur.Version++
		out = cur
		return putJSON(ctx, tx, kindPipeline, p.Name, &cur, ver)
	})
	if err != nil {
		return Pipeline{}, err
	}
	if err := s.installRule(ctx, p); err != nil {
		return out, fmt.Errorf("pipeline %s stored, but its cleanup rule was not installed: %w", p.Name, err)
	}
	s.startPoll(p)
	return out, nil
}

// spec returns the parsed definition of a stored pipeline version.
func (s *Service) spec(p Pipeline) (*spec.Pipeline, error) {
	key := fmt.Sprintf("%s#%d", p.Name, p.Version)
	s.mu.Lock()
	sp, ok := s.specs[key]
	s.mu.Unlock()
	if ok {
		return sp, nil
	}
	sp, problems := spec.Parse(p.File, []byte(p.YAML))
	if len(problems) > 0 {
		return nil, fmt.Errorf("stored pipeline %s no longer parses: %s", p.Name, problems[0])
	}
	s.mu.Lock()
	s.specs[key] = sp
	s.mu.Unlock()
	return sp, nil
}

// Resume picks up what a previous process left: runs whose execution was
// never started, queued runs whose turn came, and the poll loops. It
// returns at once; the loops stop with ctx. Call it after the flow engine
// runs.
func (s *Service) Resume(ctx context.Context) error {
	s.runCtx = ctx
	ps, err := s.Pipelines(ctx)
	if err != nil {
		return err
	}
	for _, p := range ps {
		if err := s.advance(ctx, p.Name); err != nil {
			s.log.Error("resume pipeline", "pipeline", p.Name, "err", err)
		}
		if sp, err := s.spec(p); err == nil {
			s.startPoll(sp)
		}
	}
	return nil
}

// Wait waits for the service's loops to stop after ctx of Resume ended.
func (s *Service) Wait() { s.wg.Wait() }
