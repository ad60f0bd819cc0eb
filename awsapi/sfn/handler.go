package sfn

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/edgecd/edgecd/flow"
	"github.com/edgecd/edgecd/iam"
	"github.com/edgecd/edgecd/internal/awsjson"
)

// TargetPrefix is the X-Amz-Target prefix of every Step Functions operation.
const TargetPrefix = "AWSStepFunctions."

// maxBody bounds a request: a definition may be 1 MiB, its JSON escaping
// makes it larger.
const maxBody = 4 << 20

// Caller is who sends a request, as the protocol layer authenticated it.
type Caller struct {
	Account string // 12 digits
	Region  string
}

// Config connects the handler to the protocol layer.
type Config struct {
	// Caller returns the caller of a request. Nil means the iam principal
	// of the request (its key's account, its signature's region), or a
	// development caller (account 000000000000, us-east-1) without one.
	Caller func(ctx context.Context) Caller
	// Authorize says whether the caller may perform action
	// (states:StartExecution, ...) on resource, e.g. iam.Authorize; an
	// iam.ErrAccessDenied becomes AccessDeniedException. Nil allows
	// everything.
	Authorize func(ctx context.Context, action, resource string) error
	Logger    *slog.Logger
}

// Handler serves the Step Functions operations.
type Handler struct {
	e   *flow.Engine
	cfg Config
	log *slog.Logger
	ops map[string]op
}

type op func(ctx context.Context, c Caller, body []byte) (any, error)

// New returns a Handler over an engine.
func New(e *flow.Engine, cfg Config) *Handler {
	h := &Handler{e: e, cfg: cfg, log: cfg.Logger}
	if h.log == nil {
		h.log = slog.Default()
	}
	h.ops = map[string]op{
		"CreateStateMachine":               h.createStateMachine,
		"DescribeStateMachine":             h.describeStateMachine,
		"ListStateMachines":                h.listStateMachines,
		"UpdateStateMachine":               h.updateStateMachine,
		"DeleteStateMachine":               h.deleteStateMachine,
		"ValidateStateMachineDefinition":   h.validateStateMachineDefinition,
		"StartExecution":                   h.startExecution,
		"StartSyncExecution":               h.startSyncExecution,
		"DescribeExecution":                h.describeExecution,
		"DescribeStateMachineForExecution": h.describeStateMachineForExecution,
		"ListExecutions":                   h.listExecutions,
		"GetExecutionHistory":              h.getExecutionHistory,
		"StopExecution":                    h.stopExecution,
		"SendTaskSuccess":                  h.sendTaskSuccess,
		"SendTaskFailure":                  h.sendTaskFailure,
		"SendTaskHeartbeat":                h.sendTaskHeartbeat,
		"TestState":                        h.testState,
		"PublishStateMachineVersion":       h.publishStateMachineVersion,
		"ListStateMachineVersions":         h.listStateMachineVersions,
		"DeleteStateMachineVersion":        h.deleteStateMachineVersion,
		"CreateStateMachineAlias":          h.createStateMachineAlias,
		"DescribeStateMachineAlias":        h.describeStateMachineAlias,
		"UpdateStateMachineAlias":          h.updateStateMachineAlias,
		"DeleteStateMachineAlias":          h.deleteStateMachineAlias,
		"ListStateMachineAliases":          h.listStateMachineAliases,
	}
	return h
}

// Call runs one operation on a JSON request body and returns the JSON
// response body (the in-process entry; ServeHTTP wraps it).
func (h *Handler) Call(ctx context.Context, operation string, body []byte) ([]byte, error) {
	return awsjson.Dispatch(h.ops, operation, func(fn op) (any, error) { return fn(ctx, h.caller(ctx), body) }, h.wireError)
}

// caller is who sends a request: the Caller hook's answer, else the iam
// principal's account and region, else the development caller.
func (h *Handler) caller(ctx context.Context) Caller {
	if h.cfg.Caller != nil {
		return h.cfg.Caller(ctx)
	}
	c := Caller{Account: "000000000000", Region: "us-east-1"}
	if p := iam.PrincipalFrom(ctx); p != nil {
		if p.Key.Account != "" {
			c.Account = p.Key.Account
		}
		if p.Scope.Region != "" {
			c.Region = p.Scope.Region
		}
	}
	return c
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	protocol.Serve(w, r, h.Call)
}

// protocol is Step Functions' flavour of the JSON protocol.
var protocol = awsjson.Protocol{TargetPrefix: TargetPrefix, ContentType: "application/x-amz-json-1.0", MaxBody: maxBody}

func decode(body []byte, v any) error { return awsjson.Decode(body, v) }

func required(pairs ...string) error { return awsjson.Required(pairs...) }

func validation(msg string) error { return awsjson.Validation(msg) }

func (h *Handler) authorize(ctx context.Context, action, resource string) error {
	if h.cfg.Authorize == nil {
		return nil
	}
	return h.cfg.Authorize(ctx, action, resource)
}

// setOptional sets the string members of a response given as (member,
// value) pairs, leaving out the empty ones: Step Functions omits an
// optional member it has no value for rather than sending "".
func setOptional(out map[string]any, pairs ...string) {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			out[pairs[i]] = pairs[i+1]
		}
	}
}

// Page tokens are opaque to clients: base64 of the last key returned.
func pageToken(last string) string { return base64.RawURLEncoding.EncodeToString([]byte(last)) }

func readPageToken(tok string) (string, error) {
	if tok == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(tok) > 3096 {
		return "", &APIError{Code: "InvalidToken", Message: "Invalid Token: the nextToken was not issued by this service", Status: http.StatusBadRequest}
	}
	return string(b), nil
}

func pageSize(n int) (int, error) {
	if n < 0 || n > 1000 {
		return 0, validation(fmt.Sprintf("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000", n))
	}
	if n == 0 {
		n = 100
	}
	return n, nil
}
