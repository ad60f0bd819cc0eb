// Package awsjson is the plumbing the AWS JSON 1.0 and 1.1 protocols share
// (Step Functions, SSM, EventBridge, ...): a POST whose X-Amz-Target header
// names the operation, a JSON body in, a JSON body out, and errors as
// {"__type": code, "message": text} with the code repeated in
// X-Amzn-ErrorType. Each service package keeps its operations and its
// mapping of domain errors to codes; this package only moves the bytes.
package awsjson

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/edgecd/edgecd/iam"
)

// Error is an error as the JSON protocols send it.
type Error struct {
	Code    string // the __type, e.g. ParameterNotFound
	Message string
	Status  int
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// ErrorCode, ErrorMessage and HTTPStatus let in-process callers (the flow
// engine's aws-sdk tasks) read the error as they read smithy's.
func (e *Error) ErrorCode() string    { return e.Code }
func (e *Error) ErrorMessage() string { return e.Message }
func (e *Error) HTTPStatus() int      { return e.Status }

// Protocol describes one service's flavour of the protocol.
type Protocol struct {
	TargetPrefix string // e.g. "AmazonSSM."
	ContentType  string // application/x-amz-json-1.0 or -1.1
	MaxBody      int    // the largest request body accepted, in bytes
}

// CallFunc runs one operation on a request body and returns the response
// body.
type CallFunc func(ctx context.Context, operation string, body []byte) ([]byte, error)

// Dispatch runs one operation of a service's table and returns its JSON
// response body: run calls ops[operation], an error it returns goes through
// wire (the service's one mapping of domain errors to codes) and the result
// is marshalled. An operation not in ops is an UnknownOperationException,
// worded as the services word it.
func Dispatch[Op any](ops map[string]Op, operation string, run func(Op) (any, error), wire func(operation string, err error) error) ([]byte, error) {
	fn, ok := ops[operation]
	if !ok {
		return nil, &Error{Code: "UnknownOperationException", Message: fmt.Sprintf("Operation %s is not supported by this endpoint.", operation), Status: http.StatusBadRequest}
	}
	out, err := run(fn)
	if err != nil {
		return nil, wire(operation, err)
	}
	return json.Marshal(out)
}

// SDKOperation is the operation a Step Functions aws-sdk task names:
// its actions are in lower camel case (aws-sdk:ssm:getParameter), the
// operations in upper camel case (GetParameter).
func SDKOperation(action string) string {
	if action == "" {
		return ""
	}
	return strings.ToUpper(action[:1]) + action[1:]
}

// Serve answers one HTTP request: it checks the method and target, reads
// the body (bounded), calls the operation and writes its result or error.
func (p Protocol) Serve(w http.ResponseWriter, r *http.Request, call CallFunc) {
	target := r.Header.Get("X-Amz-Target")
	operation, ok := strings.CutPrefix(target, p.TargetPrefix)
	if r.Method != http.MethodPost || !ok {
		p.WriteError(w, &Error{Code: "UnknownOperationException", Message: fmt.Sprintf("POST with X-Amz-Target %s<Operation> expected, got %s %q", p.TargetPrefix, r.Method, target), Status: http.StatusBadRequest})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, int64(p.MaxBody)+1))
	var auth *iam.AuthError
	if errors.As(err, &auth) {
		// The gateway's verifying body found the payload is not what was
		// signed.
		p.WriteError(w, &Error{Code: "InvalidSignatureException", Message: auth.Msg, Status: http.StatusBadRequest})
		return
	}
	if err != nil || len(body) > p.MaxBody {
		p.WriteError(w, &Error{Code: "SerializationException", Message: fmt.Sprintf("The request body could not be read or is larger than %d bytes.", p.MaxBody), Status: http.StatusBadRequest})
		return
	}
	out, err := call(r.Context(), operation, body)
	if err != nil {
		p.WriteError(w, err)
		return
	}
	w.Header().Set("Content-Type", p.ContentType)
	w.Write(out)
}

// WriteError writes err in the protocol's error form. An *Error is sent as
// it is; another error that names its code (ErrorCode, and HTTPStatus if it
// has one, as the gateway's AccessDenied does) keeps them; anything else is
// an InternalServerError, without its text, which may name internals.
func (p Protocol) WriteError(w http.ResponseWriter, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Code: "InternalServerError", Message: "An internal error occurred; see the server log.", Status: http.StatusInternalServerError}
		var c errorCoder
		if errors.As(err, &c) {
			e.Code, e.Message, e.Status = c.ErrorCode(), err.Error(), http.StatusBadRequest
			var s interface{ HTTPStatus() int }
			if errors.As(err, &s) {
				e.Status = s.HTTPStatus()
			}
		}
	}
	body, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{e.Code, e.Message})
	w.Header().Set("Content-Type", p.ContentType)
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.WriteHeader(e.Status)
	w.Write(body)
}

// errorCoder is an error that names its own wire code.
type errorCoder interface{ ErrorCode() string }

// HasCode reports whether err already names its wire code (an *Error, or
// another error with an ErrorCode method, as the gateway's AccessDenied):
// a service's mapping of domain errors passes such an error on unchanged.
func HasCode(err error) bool {
	var c errorCoder
	return errors.As(err, &c)
}

// Decode reads a request body into v. An empty body is an empty request:
// the SDKs send "{}", hand-written clients may send nothing.
func Decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return &Error{Code: "SerializationException", Message: fmt.Sprintf("Field %s has the wrong type: expected %s, got %s", te.Field, te.Type, te.Value), Status: http.StatusBadRequest}
		}
		return &Error{Code: "SerializationException", Message: "The request body is not valid JSON: " + err.Error(), Status: http.StatusBadRequest}
	}
	return nil
}

// Validation is a ValidationException with msg.
func Validation(msg string) error {
	return &Error{Code: "ValidationException", Message: msg, Status: http.StatusBadRequest}
}

// Required checks pairs of (member name as the service spells it in
// messages, value) and reports the first missing one as the services do.
func Required(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			return Validation(fmt.Sprintf("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", pairs[i]))
		}
	}
	return nil
}
