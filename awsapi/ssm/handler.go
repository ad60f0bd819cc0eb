package ssm

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/edgecd/edgecd/internal/awsjson"
	"github.com/edgecd/edgecd/params"
)

// TargetPrefix is the X-Amz-Target prefix of every SSM operation.
const TargetPrefix = "AmazonSSM."

// maxBody bounds a request body: the largest request (PutParameter with an
// 8 KiB value, 4 KiB of policies and 1000 tags) is far below it.
const maxBody = 1 << 20

// Caller is who sends a request, as the protocol layer authenticated it.
type Caller struct {
	Account string // 12 digits
	Region  string
	ARN     string // the principal, kept as LastModifiedUser
}

func (c Caller) arnPrefix() string {
	return "arn:aws:ssm:" + c.Region + ":" + c.Account + ":parameter/"
}

// arn is a parameter's (or path's) ARN: the name without its leading slash.
func (c Caller) arn(name string) string { return c.arnPrefix() + params.ARNSuffix(name) }

// Config connects the handler to the protocol layer.
type Config struct {
	// Caller returns the authenticated caller of a request. Nil means a
	// fixed development caller (account 000000000000, us-east-1).
	Caller func(ctx context.Context) Caller
	// Authorize says whether the caller may perform action (ssm:GetParameter,
	// ...) on resource. Its error reaches the client as is when it has
	// ErrorCode() string and HTTPStatus() int methods; an iam error of kind
	// iam.ErrAccessDenied becomes AccessDeniedException (400). Nil allows
	// everything; iam.Authorize is the usual choice.
	Authorize func(ctx context.Context, action, resource string) error
	Logger    *slog.Logger
}

// Handler serves the SSM Parameter Store operations of the JSON 1.1
// protocol.
type Handler struct {
	svc *params.Service
	cfg Config
	log *slog.Logger
	ops map[string]op
}

type op func(ctx context.Context, c Caller, body []byte) (any, error)

// New returns a Handler serving svc.
func New(svc *params.Service, cfg Config) *Handler {
	h := &Handler{svc: svc, cfg: cfg, log: cfg.Logger}
	if h.log == nil {
		h.log = slog.Default()
	}
	h.ops = map[string]op{
		"PutParameter":            h.putParameter,
		"GetParameter":            h.getParameter,
		"GetParameters":           h.getParameters,
		"GetParametersByPath":     h.getParametersByPath,
		"DeleteParameter":         h.deleteParameter,
		"DeleteParameters":        h.deleteParameters,
		"DescribeParameters":      h.describeParameters,
		"GetParameterHistory":     h.getParameterHistory,
		"LabelParameterVersion":   h.labelParameterVersion,
		"UnlabelParameterVersion": h.unlabelParameterVersion,
	}
	return h
}

// Call runs one operation (GetParameter, or getParameter as Step Functions
// writes it) on a JSON request body and returns the JSON response body. It
// is the in-process entry (the flow engine's aws-sdk:ssm tasks) and what
// ServeHTTP wraps; errors are *APIError or the Authorize hook's own.
func (h *Handler) Call(ctx context.Context, operation string, body []byte) ([]byte, error) {
	return awsjson.Dispatch(h.ops, awsjson.SDKOperation(operation), func(fn op) (any, error) { return fn(ctx, h.caller(ctx), body) }, h.wireError)
}

// caller is who sends a request: the Caller hook's answer, else the
// development caller.
func (h *Handler) caller(ctx context.Context) Caller {
	if h.cfg.Caller != nil {
		return h.cfg.Caller(ctx)
	}
	return Caller{Account: "000000000000", Region: "us-east-1", ARN: "arn:aws:iam::000000000000:root"}
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	protocol.Serve(w, r, h.Call)
}

// protocol is SSM's flavour of the JSON protocol.
var protocol = awsjson.Protocol{TargetPrefix: TargetPrefix, ContentType: "application/x-amz-json-1.1", MaxBody: maxBody}

func decode(body []byte, v any) error { return awsjson.Decode(body, v) }

// required checks pairs of (field name, value) for missing strings; SSM's
// messages name members in lower camel case.
func required(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		pairs[i] = lowerFirst(pairs[i])
	}
	return awsjson.Required(pairs...)
}

func lowerFirst(s string) string { return strings.ToLower(s[:1]) + s[1:] }

func validation(msg string) error { return awsjson.Validation(msg) }

func (h *Handler) authorize(ctx context.Context, action, resource string) error {
	if h.cfg.Authorize == nil {
		return nil
	}
	if err := h.cfg.Authorize(ctx, action, resource); err != nil {
		return refused{err}
	}
	return nil
}

// refused marks the Authorize hook's error, which reaches the client as the
// protocol layer made it.
type refused struct{ err error }

func (r refused) Error() string { return r.err.Error() }
func (r refused) Unwrap() error { return r.err }
