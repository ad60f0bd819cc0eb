package events

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/edgecd/edgecd/store"
)

// TargetFunc delivers one event to a Go target. input is what the target's
// Input, InputPath or InputTransformer made of the event (the event itself
// by default). An error is retried with back-off unless it wraps
// ErrPermanent.
type TargetFunc func(ctx context.Context, ev Event, input json.RawMessage) error

// StartFunc starts a state machine execution for a state machine target.
// name is stable across retries of one delivery, so a start repeated after
// a crash can be recognised (ExecutionAlreadyExists is a success).
type StartFunc func(ctx context.Context, machineARN, name string, input json.RawMessage) error

// Options configure a Bus.
type Options struct {
	Store   store.Store
	Logger  *slog.Logger
	Account string // 12 digits; default 000000000000
	Region  string // default us-east-1
	// StartExecution serves state machine targets
	// (arn:aws:states:<region>:<account>:stateMachine:<name>). Nil refuses
	// them.
	StartExecution StartFunc
	// HTTPClient posts to http(s) targets (default: a client with a 10 s
	// timeout).
	HTTPClient *http.Client
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Backoff is the wait before retry number attempt (1, 2, ...); default
	// 1 s doubling up to 5 minutes.
	Backoff func(attempt int) time.Duration
	// MaxEventAge is how long a failing delivery is retried before it is
	// dropped (default 24 h, EventBridge's default retry policy).
	MaxEventAge time.Duration
	// Workers bounds concurrent deliveries (default 8).
	Workers int
	// Node names this process as the holder of delivery leases; stable
	// across restarts so a restarted node takes its own leases back at
	// once (default: the host name).
	Node string
	// Lease is how long a delivery is leased to the node making it before
	// another node may make it again (default 5 minutes). Targets slower
	// than this may see an event twice when several nodes deliver.
	Lease time.Duration
}

// Bus is an event bus on the store. Create it with New, start delivery
// with Run, and call its methods from any goroutine.
type Bus struct {
	opt  Options
	log  *slog.Logger
	wake chan struct{}

	mu       sync.Mutex
	targets  map[string]TargetFunc // by ARN prefix
	patterns map[string]*Pattern   // compiled, by source text
}

// New returns a bus on opt.Store.
func New(opt Options) (*Bus, error) {
	if opt.Store == nil {
		return nil, errors.New("events: Options.Store is required")
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
	if opt.HTTPClient == nil {
		opt.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Backoff == nil {
		opt.Backoff = func(attempt int) time.Duration {
			d := time.Second << min(attempt-1, 9)
			return min(d, 5*time.Minute)
		}
	}
	if opt.MaxEventAge <= 0 {
		opt.MaxEventAge = 24 * time.Hour
	}
	if opt.Workers <= 0 {
		opt.Workers = 8
	}
	if opt.Node == "" {
		opt.Node, _ = os.Hostname()
	}
	if opt.Lease <= 0 {
		opt.Lease = 5 * time.Minute
	}
	return &Bus{
		opt:      opt,
		log:      opt.Logger,
		wake:     make(chan struct{}, 1),
		targets:  map[string]TargetFunc{},
		patterns: map[string]*Pattern{},
	}, nil
}

// Logger is the bus's logger.
func (b *Bus) Logger() *slog.Logger { return b.log }

// Account and Region are the ones events are stamped with.
func (b *Bus) Account() string { return b.opt.Account }
func (b *Bus) Region() string  { return b.opt.Region }

// RegisterTarget makes ARNs starting with arnPrefix deliverable to fn
// (the longest registered prefix wins), e.g.
// "arn:edgecd:pipeline:::action/release.abort". Register before Run, or at
// least before the first delivery to it: a delivery to an ARN nobody has
// registered is retried.
func (b *Bus) RegisterTarget(arnPrefix string, fn TargetFunc) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.targets[arnPrefix] = fn
}

// pattern compiles src once.
func (b *Bus) pattern(src string) (*Pattern, error) {
	b.mu.Lock()
	p, ok := b.patterns[src]
	b.mu.Unlock()
	if ok {
		return p, nil
	}
	p, err := CompilePattern([]byte(src))
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	if len(b.patterns) > 4096 {
		clear(b.patterns)
	}
	b.patterns[src] = p
	b.mu.Unlock()
	return p, nil
}

// TestPattern reports whether event matches pattern (TestEventPattern).
func TestPattern(pattern, event []byte) (bool, error) {
	p, err := CompilePattern(pattern)
	if err != nil {
		return false, err
	}
	ev, ok := decodeEvent(event)
	if !ok {
		return false, errorf(ErrInvalid, "Parameter Event is not valid: it must be a JSON object.")
	}
	// TestEventPattern wants an event in EventBridge's envelope.
	for _, k := range []string{"id", "account", "source", "time", "region", "resources", "detail-type"} {
		if _, ok := ev[k]; !ok {
			return false, errorf(ErrInvalid, "Parameter Event is not valid: the field %q is missing (id, account, source, time, region, resources and detail-type are mandatory).", k)
		}
	}
	return p.Match(event), nil
}

// Put validates entries, stamps each valid one as an Event, and commits
// the events' deliveries to every enabled matching rule's targets before
// it returns. Invalid entries get an ErrorCode in their PutResult and are
// not put; the error is for the store failing, in which case nothing is
// put.
func (b *Bus) Put(ctx context.Context, entries []Entry) ([]PutResult, error) {
	return b.put(ctx, entries, false)
}

func (b *Bus) put(ctx context.Context, entries []Entry, trusted bool) ([]PutResult, error) {
	now := b.opt.Now().UTC()
	results := make([]PutResult, len(entries))
	var evs []Event
	var buses []string
	for i, e := range entries {
		ev, bus, code, msg := b.stamp(e, now, trusted)
		if code != "" {
			results[i] = PutResult{ErrorCode: code, ErrorMessage: msg}
			continue
		}
		results[i].EventID = ev.ID
		evs = append(evs, ev)
		buses = append(buses, bus)
	}
	if len(evs) == 0 {
		return results, nil
	}
	n := 0
	_, err := b.opt.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		n = 0
		rules := map[string][]Rule{}
		var out []store.Entry
		for i, ev := range evs {
			bus := buses[i]
			rs, ok := rules[bus]
			if !ok {
				recs, err := tx.List(ctx, kindRule, store.Query{Prefix: bus + "/"})
				if err != nil {
					return err
				}
				if rs, err = decodeRules(recs); err != nil {
					return err
				}
				rules[bus] = rs
			}
			ds, err := b.route(ev, rs, now)
			if err != nil {
				return err
			}
			out = append(out, ds...)
		}
		n = len(out)
		return putOutbox(ctx, tx, out)
	})
	if err != nil {
		return nil, fmt.Errorf("put events: %w", err)
	}
	if n > 0 {
		b.signal()
	}
	return results, nil
}

// stamp turns an entry into an event, or says why it cannot.
func (b *Bus) stamp(e Entry, now time.Time, trusted bool) (ev Event, bus, code, msg string) {
	bus, err := b.BusName(e.EventBusName)
	if err != nil {
		return ev, "", "NotAuthorizedForSourceException", err.Error()
	}
	switch {
	case e.Source == "":
		return ev, "", "InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument."
	case !trusted && strings.HasPrefix(e.Source, "aws."):
		// The cloud keeps aws.* for its services; edgecd's own emitters put
		// them through PutTrusted.
		return ev, "", "NotAuthorizedForSourceException", "Not authorized for the source " + e.Source + "."
	case e.DetailType == "":
		return ev, "", "InvalidArgument", "Parameter DetailType is not valid. Reason: DetailType is a required argument."
	case e.Detail == "":
		return ev, "", "InvalidArgument", "Parameter Detail is not valid. Reason: Detail is a required argument."
	}
	return b.event(e, bus, now)
}

func (b *Bus) event(e Entry, bus string, now time.Time) (ev Event, _, code, msg string) {
	if !isObject([]byte(e.Detail)) {
		return ev, "", "MalformedDetail", "Detail is malformed."
	}
	t := now
	if !e.Time.IsZero() {
		t = e.Time.UTC()
	}
	res := e.Resources
	if res == nil {
		res = []string{}
	}
	return Event{
		Version: "0", ID: newID(), DetailType: e.DetailType, Source: e.Source,
		Account: b.opt.Account, Time: t.Format(timeFormat), Region: b.opt.Region,
		Resources: res, Detail: json.RawMessage(e.Detail),
	}, bus, "", ""
}

// PutTrusted puts events from edgecd itself: unlike Put it accepts the
// aws.* sources that AWS services own (aws.states, aws.codepipeline).
func (b *Bus) PutTrusted(ctx context.Context, entries []Entry) ([]PutResult, error) {
	return b.put(ctx, entries, true)
}

func isObject(b []byte) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal(b, &m) == nil && m != nil
}

// newID is a random UUID, as EventBridge event ids are.
func newID() string {
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:])
}

func (b *Bus) signal() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}
