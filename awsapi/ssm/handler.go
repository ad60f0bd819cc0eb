package ssm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/edgecd/edgecd/iam"
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

// Operations lists the operations served, for routing and documentation.
func (h *Handler) Operations() []string {
	out := make([]string, 0, len(h.ops))
	for name := range h.ops {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// Call runs one operation (GetParameter, or getParameter as Step Functions
// writes it) on a JSON request body and returns the JSON response body. It
// is the in-process entry (the flow engine's aws-sdk:ssm tasks) and what
// ServeHTTP wraps; errors are *APIError or the Authorize hook's own.
func (h *Handler) Call(ctx context.Context, operation string, body []byte) ([]byte, error) {
	if operation != "" {
		// Step Functions names actions in lower camel case (aws-sdk:ssm:getParameter).
		operation = strings.ToUpper(operation[:1]) + operation[1:]
	}
	fn, ok := h.ops[operation]
	if !ok {
		return nil, &APIError{Code: "UnknownOperationException", Message: fmt.Sprintf("Operation %s is not supported by this endpoint.", operation), Status: http.StatusBadRequest}
	}
	c := Caller{Account: "000000000000", Region: "us-east-1", ARN: "arn:aws:iam::000000000000:root"}
	if h.cfg.Caller != nil {
		c = h.cfg.Caller(ctx)
	}
	out, err := fn(ctx, c, body)
	if err != nil {
		return nil, h.wireError(operation, err)
	}
	return json.Marshal(out)
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	operation, ok := strings.CutPrefix(target, TargetPrefix)
	if r.Method != http.MethodPost || !ok {
		writeError(w, &APIError{Code: "UnknownOperationException", Message: fmt.Sprintf("POST with X-Amz-Target %s<Operation> expected, got %s %q", TargetPrefix, r.Method, target), Status: http.StatusBadRequest})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	var auth *iam.AuthError
	if errors.As(err, &auth) {
		// The gateway's verifying body found the payload is not what was
		// signed.
		writeError(w, &APIError{Code: "InvalidSignatureException", Message: auth.Msg, Status: http.StatusBadRequest})
		return
	}
	if err != nil || len(body) > maxBody {
		writeError(w, &APIError{Code: "SerializationException", Message: "The request body could not be read or is larger than 1 MiB.", Status: http.StatusBadRequest})
		return
	}
	out, err := h.Call(r.Context(), operation, body)
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Write(out)
}

// decode reads a request body. An empty body is an empty request, as the
// SDKs send "{}" but hand-written clients may send nothing.
func decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return &APIError{Code: "SerializationException", Message: fmt.Sprintf("Field %s has the wrong type: expected %s, got %s", te.Field, te.Type, te.Value), Status: http.StatusBadRequest}
		}
		return &APIError{Code: "SerializationException", Message: "The request body is not valid JSON: " + err.Error(), Status: http.StatusBadRequest}
	}
	return nil
}

// required checks pairs of (field name, value) for missing strings.
func required(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			return validation(fmt.Sprintf("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", lowerFirst(pairs[i])))
		}
	}
	return nil
}

func lowerFirst(s string) string { return strings.ToLower(s[:1]) + s[1:] }

func validation(msg string) error {
	return &APIError{Code: "ValidationException", Message: msg, Status: http.StatusBadRequest}
}

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
