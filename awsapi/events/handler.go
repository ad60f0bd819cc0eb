package events

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"time"

	evbus "github.com/edgecd/edgecd/events"
	"github.com/edgecd/edgecd/internal/awsjson"
)

// TargetPrefix is the X-Amz-Target prefix of every EventBridge operation.
const TargetPrefix = "AWSEvents."

// maxBody bounds a request body: PutEvents carries at most 256 KiB of
// entries, PutTargets 100 targets of a few KiB.
const maxBody = 1 << 20

var protocol = awsjson.Protocol{TargetPrefix: TargetPrefix, ContentType: "application/x-amz-json-1.1", MaxBody: maxBody}

// Config connects the handler to the protocol layer.
type Config struct {
	// Authorize says whether the caller may perform action (events:PutRule,
	// ...) on resource. An error with ErrorCode() and HTTPStatus() reaches
	// the client as it is. Nil allows everything.
	Authorize func(ctx context.Context, action, resource string) error
	Logger    *slog.Logger
}

// Handler serves the EventBridge operations of the JSON 1.1 protocol.
type Handler struct {
	bus *evbus.Bus
	cfg Config
	log *slog.Logger
	ops map[string]op
}

type op func(ctx context.Context, body []byte) (any, error)

// New returns a Handler serving b.
func New(b *evbus.Bus, cfg Config) *Handler {
	h := &Handler{bus: b, cfg: cfg, log: cfg.Logger}
	if h.log == nil {
		h.log = slog.Default()
	}
	h.ops = map[string]op{
		"PutRule":           h.putRule,
		"DescribeRule":      h.describeRule,
		"ListRules":         h.listRules,
		"DeleteRule":        h.deleteRule,
		"EnableRule":        h.enableRule,
		"DisableRule":       h.disableRule,
		"PutTargets":        h.putTargets,
		"RemoveTargets":     h.removeTargets,
		"ListTargetsByRule": h.listTargetsByRule,
		"PutEvents":         h.putEvents,
		"TestEventPattern":  h.testEventPattern,
	}
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	protocol.Serve(w, r, h.Call)
}

// Call runs one operation (PutEvents, or putEvents as Step Functions
// writes it) on a JSON request body and returns the JSON response body.
func (h *Handler) Call(ctx context.Context, operation string, body []byte) ([]byte, error) {
	return awsjson.Dispatch(h.ops, awsjson.SDKOperation(operation), func(fn op) (any, error) { return fn(ctx, body) }, h.wireError)
}

func (h *Handler) authorize(ctx context.Context, action, resource string) error {
	if h.cfg.Authorize == nil {
		return nil
	}
	return h.cfg.Authorize(ctx, "events:"+action, resource)
}

func (h *Handler) arn(resource string) string {
	return fmt.Sprintf("arn:aws:events:%s:%s:%s", h.bus.Region(), h.bus.Account(), resource)
}

func (h *Handler) ruleARN(name string) string { return h.arn("rule/" + name) }

func (h *Handler) busARN() string { return h.arn("event-bus/" + evbus.DefaultBus) }

func tooLong(member string, n, max int) error {
	if n <= max {
		return nil
	}
	return awsjson.Validation(fmt.Sprintf("1 validation error detected: Value at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", member, max))
}

func checkLimit(limit *int) (int, error) {
	if limit == nil {
		return 100, nil
	}
	if *limit < 1 || *limit > 100 {
		return 0, awsjson.Validation(fmt.Sprintf("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and 100", *limit))
	}
	return *limit, nil
}

func (h *Handler) putRule(ctx context.Context, body []byte) (any, error) {
	var in putRuleInput
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := awsjson.Required("name", in.Name); err != nil {
		return nil, err
	}
	if err := tooLong("eventPattern", len(in.EventPattern), 4096); err != nil {
		return nil, err
	}
	if in.ScheduleExpression != "" {
		return nil, awsjson.Validation("edgecd does not run scheduled rules (ScheduleExpression); give the rule an EventPattern.")
	}
	if err := h.authorize(ctx, "PutRule", h.ruleARN(in.Name)); err != nil {
		return nil, err
	}
	arn, err := h.bus.PutRule(ctx, evbus.Rule{
		Name: in.Name, EventBus: in.EventBusName, EventPattern: in.EventPattern,
		State: in.State, Description: in.Description, RoleARN: in.RoleArn,
	})
	if err != nil {
		return nil, err
	}
	return putRuleOutput{RuleArn: arn}, nil
}

func (h *Handler) describeRule(ctx context.Context, body []byte) (any, error) {
	var in ruleNameInput
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := awsjson.Required("name", in.Name); err != nil {
		return nil, err
	}
	if err := h.authorize(ctx, "DescribeRule", h.ruleARN(in.Name)); err != nil {
		return nil, err
	}
	r, err := h.bus.Rule(ctx, in.EventBusName, in.Name)
	if err != nil {
		return nil, err
	}
	return describeRuleOutput{
		Name: r.Name, Arn: r.ARN, EventPattern: r.EventPattern, State: r.State,
		Description: r.Description, RoleArn: r.RoleARN, EventBusName: r.EventBus, CreatedBy: h.bus.Account(),
	}, nil
}

func (h *Handler) listRules(ctx context.Context, body []byte) (any, error) {
	var in listRulesInput
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	limit, err := checkLimit(in.Limit)
	if err != nil {
		return nil, err
	}
	if err := h.authorize(ctx, "ListRules", h.ruleARN("*")); err != nil {
		return nil, err
	}
	rules, err := h.bus.Rules(ctx, in.EventBusName, in.NamePrefix)
	if err != nil {
		return nil, err
	}
	// The token is the last name returned: rules come sorted by name.
	rules = slices.DeleteFunc(rules, func(r evbus.Rule) bool { return in.NextToken != "" && r.Name <= in.NextToken })
	out := listRulesOutput{Rules: []ruleShape{}}
	for i, r := range rules {
		if i == limit {
			out.NextToken = out.Rules[i-1].Name
			break
		}
		out.Rules = append(out.Rules, ruleShape{
			Name: r.Name, Arn: r.ARN, EventPattern: r.EventPattern, State: r.State,
			Description: r.Description, RoleArn: r.RoleARN, EventBusName: r.EventBus,
		})
	}
	return out, nil
}

func (h *Handler) deleteRule(ctx context.Context, body []byte) (any, error) {
	var in ruleNameInput
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := awsjson.Required("name", in.Name); err != nil {
		return nil, err
	}
	if err := h.authorize(ctx, "DeleteRule", h.ruleARN(in.Name)); err != nil {
		return nil, err
	}
	return struct{}{}, h.bus.DeleteRule(ctx, in.EventBusName, in.Name)
}

func (h *Handler) enableRule(ctx context.Context, body []byte) (any, error) {
	return h.setState(ctx, body, "EnableRule", evbus.Enabled)
}

func (h *Handler) disableRule(ctx context.Context, body []byte) (any, error) {
	return h.setState(ctx, body, "DisableRule", evbus.Disabled)
}

func (h *Handler) setState(ctx context.Context, body []byte, action, state string) (any, error) {
	var in ruleNameInput
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := awsjson.Required("name", in.Name); err != nil {
		return nil, err
	}
	if err := h.authorize(ctx, action, h.ruleARN(in.Name)); err != nil {
		return nil, err
	}
	return struct{}{}, h.bus.SetState(ctx, in.EventBusName, in.Name, state)
}

func (h *Handler) putTargets(ctx context.Context, body []byte) (any, error) {
	var in putTargetsInput
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := awsjson.Required("rule", in.Rule); err != nil {
		return nil, err
	}
	if len(in.Targets) == 0 || len(in.Targets) > 100 {
		return nil, awsjson.Validation("1 validation error detected: Value at 'targets' failed to satisfy constraint: Member must have length between 1 and 100")
	}
	if err := h.authorize(ctx, "PutTargets", h.ruleARN(in.Rule)); err != nil {
		return nil, err
	}
	ts := make([]evbus.Target, len(in.Targets))
	for i, t := range in.Targets {
		if err := awsjson.Required("targets.member.id", t.Id, "targets.member.arn", t.Arn); err != nil {
			return nil, err
		}
		for _, c := range []struct {
			member string
			n, max int
		}{{"targets.member.input", len(t.Input), 8192}, {"targets.member.inputPath", len(t.InputPath), 256}, {"targets.member.arn", len(t.Arn), 1600}} {
			if err := tooLong(c.member, c.n, c.max); err != nil {
				return nil, err
			}
		}
		if t.InputTransformer != nil {
			if err := tooLong("targets.member.inputTransformer.inputTemplate", len(t.InputTransformer.InputTemplate), 8192); err != nil {
				return nil, err
			}
		}
		ts[i] = evbus.Target{ID: t.Id, ARN: t.Arn, RoleARN: t.RoleArn, Input: t.Input, InputPath: t.InputPath}
		if tr := t.InputTransformer; tr != nil {
			ts[i].InputTransformer = &evbus.InputTransformer{InputPathsMap: tr.InputPathsMap, InputTemplate: tr.InputTemplate}
		}
		if rp := t.RetryPolicy; rp != nil {
			ts[i].RetryPolicy = &evbus.RetryPolicy{MaximumRetryAttempts: rp.MaximumRetryAttempts, MaximumEventAgeInSeconds: rp.MaximumEventAgeInSeconds}
		}
	}
	failed, err := h.bus.PutTargets(ctx, in.EventBusName, in.Rule, ts)
	if err != nil {
		return nil, err
	}
	return targetsResult(failed), nil
}

func targetsResult(failed []evbus.TargetFailure) targetsOutput {
	out := targetsOutput{FailedEntryCount: len(failed), FailedEntries: []failedEntry{}}
	for _, f := range failed {
		out.FailedEntries = append(out.FailedEntries, failedEntry{TargetId: f.TargetID, ErrorCode: f.ErrorCode, ErrorMessage: f.ErrorMessage})
	}
	return out
}

func (h *Handler) removeTargets(ctx context.Context, body []byte) (any, error) {
	var in removeTargetsInput
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := awsjson.Required("rule", in.Rule); err != nil {
		return nil, err
	}
	if len(in.Ids) == 0 || len(in.Ids) > 100 {
		return nil, awsjson.Validation("1 validation error detected: Value at 'ids' failed to satisfy constraint: Member must have length between 1 and 100")
	}
	if err := h.authorize(ctx, "RemoveTargets", h.ruleARN(in.Rule)); err != nil {
		return nil, err
	}
	failed, err := h.bus.RemoveTargets(ctx, in.EventBusName, in.Rule, in.Ids)
	if err != nil {
		return nil, err
	}
	return targetsResult(failed), nil
}

func (h *Handler) listTargetsByRule(ctx context.Context, body []byte) (any, error) {
	var in listTargetsInput
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := awsjson.Required("rule", in.Rule); err != nil {
		return nil, err
	}
	limit, err := checkLimit(in.Limit)
	if err != nil {
		return nil, err
	}
	if err := h.authorize(ctx, "ListTargetsByRule", h.ruleARN(in.Rule)); err != nil {
		return nil, err
	}
	ts, err := h.bus.Targets(ctx, in.EventBusName, in.Rule)
	if err != nil {
		return nil, err
	}
	// Targets keep the order they were added in; the token is the index of
	// the next one.
	start := 0
	if in.NextToken != "" {
		if _, err := fmt.Sscan(in.NextToken, &start); err != nil || start < 0 || start > len(ts) {
			return nil, awsjson.Validation("The NextToken is not valid: pass the one the previous ListTargetsByRule returned.")
		}
	}
	out := listTargetsOutput{Targets: []target{}}
	for i := start; i < len(ts); i++ {
		if i-start == limit {
			out.NextToken = fmt.Sprint(i)
			break
		}
		t := ts[i]
		w := target{Id: t.ID, Arn: t.ARN, RoleArn: t.RoleARN, Input: t.Input, InputPath: t.InputPath}
		if tr := t.InputTransformer; tr != nil {
			w.InputTransformer = &inputTransformer{InputPathsMap: tr.InputPathsMap, InputTemplate: tr.InputTemplate}
		}
		if rp := t.RetryPolicy; rp != nil {
			w.RetryPolicy = &retryPolicy{MaximumRetryAttempts: rp.MaximumRetryAttempts, MaximumEventAgeInSeconds: rp.MaximumEventAgeInSeconds}
		}
		out.Targets = append(out.Targets, w)
	}
	return out, nil
}

// maxEntriesSize is PutEvents' limit on the total size of its entries.
const maxEntriesSize = 256 << 10

func (h *Handler) putEvents(ctx context.Context, body []byte) (any, error) {
	var in putEventsInput
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if len(in.Entries) == 0 || len(in.Entries) > 10 {
		return nil, awsjson.Validation("1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and 10")
	}
	if err := h.authorize(ctx, "PutEvents", h.busARN()); err != nil {
		return nil, err
	}
	size := 0
	entries := make([]evbus.Entry, len(in.Entries))
	for i, e := range in.Entries {
		size += len(e.Source) + len(e.DetailType) + len(e.Detail)
		for _, r := range e.Resources {
			size += len(r)
		}
		entries[i] = evbus.Entry{Source: e.Source, DetailType: e.DetailType, Detail: e.Detail, Resources: e.Resources, EventBusName: e.EventBusName}
		if e.Time != nil && !math.IsNaN(*e.Time) && !math.IsInf(*e.Time, 0) && math.Abs(*e.Time) < 1e12 {
			sec, frac := math.Modf(*e.Time)
			entries[i].Time = time.Unix(int64(sec), int64(frac*1e9))
		}
	}
	if size > maxEntriesSize {
		return nil, awsjson.Validation("Total size of the entries in the request is over the limit.")
	}
	res, err := h.bus.Put(ctx, entries)
	if err != nil {
		return nil, err
	}
	return putEventsResponse(res), nil
}

func putEventsResponse(res []evbus.PutResult) putEventsOutput {
	out := putEventsOutput{Entries: make([]putEventsResult, len(res))}
	for i, r := range res {
		out.Entries[i] = putEventsResult{EventId: r.EventID, ErrorCode: r.ErrorCode, ErrorMessage: r.ErrorMessage}
		if r.ErrorCode != "" {
			out.FailedEntryCount++
		}
	}
	return out
}

func (h *Handler) testEventPattern(ctx context.Context, body []byte) (any, error) {
	var in testEventPatternInput
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := awsjson.Required("eventPattern", in.EventPattern, "event", in.Event); err != nil {
		return nil, err
	}
	if err := tooLong("eventPattern", len(in.EventPattern), 4096); err != nil {
		return nil, err
	}
	if err := h.authorize(ctx, "TestEventPattern", "*"); err != nil {
		return nil, err
	}
	ok, err := evbus.TestPattern([]byte(in.EventPattern), []byte(in.Event))
	if err != nil {
		return nil, err
	}
	return testEventPatternOutput{Result: ok}, nil
}
