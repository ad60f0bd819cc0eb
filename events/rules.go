package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/edgecd/edgecd/store"
)

// Domain errors. Every error the bus returns for a caller's mistake wraps
// one of these (errors.Is) and reads as the message the cloud sends.
var (
	ErrNotFound = errors.New("resource not found") // ResourceNotFoundException
	ErrInvalid  = errors.New("invalid request")    // ValidationException
	ErrLimit    = errors.New("limit exceeded")     // LimitExceededException
	// ErrPermanent marks a delivery failure that retrying cannot fix (a
	// webhook answering 400, a state machine that does not exist): the
	// delivery is dropped at once. Target functions wrap it.
	ErrPermanent = errors.New("permanent delivery failure")
)

// Error is a domain error with the cloud's message.
type Error struct {
	Kind error // ErrNotFound, ErrInvalid or ErrLimit
	Msg  string
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Kind }

func errorf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// Rule states.
const (
	Enabled  = "ENABLED"
	Disabled = "DISABLED"
)

// DefaultBus is the only event bus edgecd has for now.
const DefaultBus = "default"

// MaxTargets is how many targets one rule may have (the cloud's quota).
const MaxTargets = 5

// Rule is a rule on an event bus. Targets are changed with PutTargets and
// RemoveTargets; PutRule keeps them.
type Rule struct {
	Name         string   `json:"name"`
	EventBus     string   `json:"eventBus"`
	ARN          string   `json:"arn"`
	EventPattern string   `json:"eventPattern"`
	State        string   `json:"state"`
	Description  string   `json:"description,omitempty"`
	RoleARN      string   `json:"roleArn,omitempty"`
	Targets      []Target `json:"targets,omitempty"`
}

// Target receives the events a rule matches. ARN is a state machine ARN,
// an http(s) URL, or an ARN under a prefix registered with RegisterTarget.
// At most one of Input (constant JSON text), InputPath (a JSONPath such as
// $.detail) and InputTransformer shapes what the target receives; without
// them it receives the whole event.
type Target struct {
	ID               string            `json:"id"`
	ARN              string            `json:"arn"`
	RoleARN          string            `json:"roleArn,omitempty"`
	Input            string            `json:"input,omitempty"`
	InputPath        string            `json:"inputPath,omitempty"`
	InputTransformer *InputTransformer `json:"inputTransformer,omitempty"`
	RetryPolicy      *RetryPolicy      `json:"retryPolicy,omitempty"`
}

// RetryPolicy bounds the retries of one target's deliveries, as
// EventBridge's target RetryPolicy does (defaults: 185 attempts, 24 h).
type RetryPolicy struct {
	MaximumRetryAttempts     *int `json:"maximumRetryAttempts,omitempty"`     // 0..185
	MaximumEventAgeInSeconds *int `json:"maximumEventAgeInSeconds,omitempty"` // 60..86400
}

// InputTransformer builds a target's input from parts of the event:
// InputPathsMap names JSONPaths, and InputTemplate uses them as <name>
// (inside a JSON string the value is inserted as text, elsewhere as JSON).
type InputTransformer struct {
	InputPathsMap map[string]string `json:"inputPathsMap,omitempty"`
	InputTemplate string            `json:"inputTemplate"`
}

// TargetFailure is a target PutTargets or RemoveTargets could not handle.
type TargetFailure struct {
	TargetID     string
	ErrorCode    string
	ErrorMessage string
}

const kindRule = "events.rule"

var ruleName = regexp.MustCompile(`^[\.\-_A-Za-z0-9]{1,64}$`)
var targetID = regexp.MustCompile(`^[\.\-_A-Za-z0-9]{1,64}$`)

func (b *Bus) ruleARN(bus, name string) string {
	if bus == DefaultBus {
		return fmt.Sprintf("arn:aws:events:%s:%s:rule/%s", b.opt.Region, b.opt.Account, name)
	}
	return fmt.Sprintf("arn:aws:events:%s:%s:rule/%s/%s", b.opt.Region, b.opt.Account, bus, name)
}

// BusName resolves an EventBusName as the API takes it (empty, a name or
// an ARN) to a bus name, or ErrNotFound for a bus that does not exist.
func (b *Bus) BusName(s string) (string, error) {
	name := s
	if i := strings.LastIndex(s, ":event-bus/"); strings.HasPrefix(s, "arn:") && i >= 0 {
		name = s[i+len(":event-bus/"):]
	}
	if name == "" || name == DefaultBus {
		return DefaultBus, nil
	}
	return "", errorf(ErrNotFound, "Event bus %s does not exist.", name)
}

func ruleKey(bus, name string) string { return bus + "/" + name }

func notFound(bus, name string) error {
	return errorf(ErrNotFound, "Rule %s does not exist on EventBus %s.", name, bus)
}

// PutRule creates or updates a rule (its pattern, state, description and
// role; targets are kept) and returns its ARN. An empty State is ENABLED.
func (b *Bus) PutRule(ctx context.Context, r Rule) (string, error) {
	bus, err := b.BusName(r.EventBus)
	if err != nil {
		return "", err
	}
	if !ruleName.MatchString(r.Name) {
		return "", errorf(ErrInvalid, "1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+ and have length between 1 and 64", r.Name)
	}
	if r.EventPattern == "" {
		return "", errorf(ErrInvalid, "Parameter(s) EventPattern or ScheduleExpression must be specified; edgecd rules need an EventPattern.")
	}
	if _, err := b.pattern(r.EventPattern); err != nil {
		return "", err
	}
	switch r.State {
	case "":
		r.State = Enabled
	case Enabled, Disabled:
	default:
		return "", errorf(ErrInvalid, "1 validation error detected: Value '%s' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED]", r.State)
	}
	if len(r.Description) > 512 {
		return "", errorf(ErrInvalid, "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 512")
	}
	r.EventBus, r.ARN = bus, b.ruleARN(bus, r.Name)
	err = b.updateRule(ctx, bus, r.Name, true, func(old *Rule) error {
		r.Targets = old.Targets
		*old = r
		return nil
	})
	return r.ARN, err
}

// updateRule applies fn to the stored rule (a zero Rule when create is set
// and it does not exist) in one transaction.
func (b *Bus) updateRule(ctx context.Context, bus, name string, create bool, fn func(r *Rule) error) error {
	_, err := b.opt.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		var r Rule
		rec, err := tx.Get(ctx, kindRule, ruleKey(bus, name))
		switch {
		case errors.Is(err, store.ErrNotFound):
			if !create {
				return notFound(bus, name)
			}
		case err != nil:
			return err
		default:
			if err := json.Unmarshal(rec.Body, &r); err != nil {
				return fmt.Errorf("decode rule %s: %w", name, err)
			}
		}
		if err := fn(&r); err != nil {
			return err
		}
		body, err := json.Marshal(&r)
		if err != nil {
			return err
		}
		_, err = tx.Put(ctx, kindRule, ruleKey(bus, name), body, store.AnyVersion)
		return err
	})
	return err
}

// Rule returns one rule with its targets.
func (b *Bus) Rule(ctx context.Context, bus, name string) (Rule, error) {
	bus, err := b.BusName(bus)
	if err != nil {
		return Rule{}, err
	}
	rec, err := b.opt.Store.Get(ctx, kindRule, ruleKey(bus, name))
	if errors.Is(err, store.ErrNotFound) {
		return Rule{}, notFound(bus, name)
	}
	if err != nil {
		return Rule{}, err
	}
	var r Rule
	if err := json.Unmarshal(rec.Body, &r); err != nil {
		return Rule{}, fmt.Errorf("decode rule %s: %w", name, err)
	}
	return r, nil
}

// Rules lists the rules of a bus whose names start with prefix, by name.
func (b *Bus) Rules(ctx context.Context, bus, prefix string) ([]Rule, error) {
	bus, err := b.BusName(bus)
	if err != nil {
		return nil, err
	}
	recs, err := b.opt.Store.List(ctx, kindRule, store.Query{Prefix: ruleKey(bus, prefix)})
	if err != nil {
		return nil, err
	}
	return decodeRules(recs)
}

func decodeRules(recs []store.Record) ([]Rule, error) {
	out := make([]Rule, 0, len(recs))
	for _, rec := range recs {
		var r Rule
		if err := json.Unmarshal(rec.Body, &r); err != nil {
			return nil, fmt.Errorf("decode rule %s: %w", rec.ID, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// DeleteRule deletes a rule that has no targets left, as the cloud
// insists. Deleting a rule that does not exist succeeds.
func (b *Bus) DeleteRule(ctx context.Context, bus, name string) error {
	bus, err := b.BusName(bus)
	if err != nil {
		return err
	}
	_, err = b.opt.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		rec, err := tx.Get(ctx, kindRule, ruleKey(bus, name))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		var r Rule
		if err := json.Unmarshal(rec.Body, &r); err == nil && len(r.Targets) > 0 {
			return errorf(ErrInvalid, "Rule can't be deleted since it has targets.")
		}
		return tx.Delete(ctx, kindRule, rec.ID, rec.Version)
	})
	return err
}

// SetState enables or disables a rule.
func (b *Bus) SetState(ctx context.Context, bus, name, state string) error {
	bus, err := b.BusName(bus)
	if err != nil {
		return err
	}
	return b.updateRule(ctx, bus, name, false, func(r *Rule) error {
		r.State = state
		return nil
	})
}

// PutTargets adds or replaces (by ID) targets of a rule.
func (b *Bus) PutTargets(ctx context.Context, bus, rule string, targets []Target) ([]TargetFailure, error) {
	bus, err := b.BusName(bus)
	if err != nil {
		return nil, err
	}
	for _, t := range targets {
		if err := b.checkTarget(t); err != nil {
			return nil, err
		}
	}
	err = b.updateRule(ctx, bus, rule, false, func(r *Rule) error {
		for _, t := range targets {
			if i := slices.IndexFunc(r.Targets, func(o Target) bool { return o.ID == t.ID }); i >= 0 {
				r.Targets[i] = t
				continue
			}
			r.Targets = append(r.Targets, t)
		}
		if len(r.Targets) > MaxTargets {
			return errorf(ErrLimit, "The requested resource exceeds the maximum number allowed: a rule has at most %d targets.", MaxTargets)
		}
		return nil
	})
	return nil, err
}

// RemoveTargets removes targets of a rule by ID; IDs the rule does not
// have are ignored, as the cloud does.
func (b *Bus) RemoveTargets(ctx context.Context, bus, rule string, ids []string) ([]TargetFailure, error) {
	bus, err := b.BusName(bus)
	if err != nil {
		return nil, err
	}
	err = b.updateRule(ctx, bus, rule, false, func(r *Rule) error {
		r.Targets = slices.DeleteFunc(r.Targets, func(t Target) bool { return slices.Contains(ids, t.ID) })
		return nil
	})
	return nil, err
}

// Targets lists a rule's targets.
func (b *Bus) Targets(ctx context.Context, bus, rule string) ([]Target, error) {
	r, err := b.Rule(ctx, bus, rule)
	return r.Targets, err
}

// checkTarget refuses a target the bus could never deliver to.
func (b *Bus) checkTarget(t Target) error {
	if !targetID.MatchString(t.ID) {
		return errorf(ErrInvalid, "1 validation error detected: Value '%s' at 'targets.member.id' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+ and have length between 1 and 64", t.ID)
	}
	n := 0
	for _, set := range []bool{t.Input != "", t.InputPath != "", t.InputTransformer != nil} {
		if set {
			n++
		}
	}
	if n > 1 {
		return errorf(ErrInvalid, "Target %s: only one of Input, InputPath and InputTransformer may be set.", t.ID)
	}
	if t.Input != "" && !json.Valid([]byte(t.Input)) {
		return errorf(ErrInvalid, "Target %s: Input is not valid JSON.", t.ID)
	}
	if t.InputPath != "" {
		if _, err := parsePath(t.InputPath); err != nil {
			return errorf(ErrInvalid, "Target %s: InputPath %q is not valid: %v", t.ID, t.InputPath, err)
		}
	}
	if tr := t.InputTransformer; tr != nil {
		if err := checkTransformer(tr); err != nil {
			return errorf(ErrInvalid, "Target %s: InputTransformer is not valid: %v", t.ID, err)
		}
	}
	if rp := t.RetryPolicy; rp != nil {
		if n := rp.MaximumRetryAttempts; n != nil && (*n < 0 || *n > 185) {
			return errorf(ErrInvalid, "1 validation error detected: Value '%d' at 'targets.member.retryPolicy.maximumRetryAttempts' failed to satisfy constraint: Member must have value between 0 and 185", *n)
		}
		if n := rp.MaximumEventAgeInSeconds; n != nil && (*n < 60 || *n > 86400) {
			return errorf(ErrInvalid, "1 validation error detected: Value '%d' at 'targets.member.retryPolicy.maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value between 60 and 86400", *n)
		}
	}
	if _, err := b.targetKind(t.ARN); err != nil {
		return errorf(ErrInvalid, "Target %s: %v", t.ID, err)
	}
	return nil
}
