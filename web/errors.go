package web

import (
	"context"
	"errors"
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/edgecd/edgecd/iam"
	"github.com/edgecd/edgecd/release"
)

// apiError is a console API error: {"error": {"code", "message", "hint"}}.
type apiError struct {
	status    int
	code, msg string
	hint      string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func badRequest(msg string) error {
	return &apiError{status: http.StatusBadRequest, code: "BadRequest", msg: msg}
}

func unauthorized(err error) error {
	return &apiError{status: http.StatusUnauthorized, code: "Unauthorized", msg: err.Error() + ": log in again"}
}

// asAPIError says what a failure means to the page: the console's own
// errors as they are; an error answer of edgecd's API (AccessDenied for a
// least-privilege key, NoSuchDistribution, ...) with its code, message
// and status, and the release client's hint; anything else as a 500.
func asAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	if errors.Is(err, iam.ErrAccessDenied) {
		return &apiError{status: http.StatusForbidden, code: "AccessDenied", msg: err.Error(), hint: "this key's IAM policy does not allow it: use a key that may"}
	}
	out := &apiError{status: http.StatusInternalServerError, code: "InternalError", msg: err.Error(), hint: release.Hint(err)}
	var se smithy.APIError
	if errors.As(err, &se) {
		out.code, out.status = se.ErrorCode(), http.StatusBadGateway
		var re *awshttp.ResponseError
		if errors.As(err, &re) && re.HTTPStatusCode() >= 400 && re.HTTPStatusCode() < 500 {
			out.status = re.HTTPStatusCode()
		}
		switch out.code {
		case "AccessDenied", "AccessDeniedException":
			out.status = http.StatusForbidden
		}
		return out
	}
	if errors.Is(err, context.DeadlineExceeded) {
		out.code, out.status = "Timeout", http.StatusGatewayTimeout
	}
	return out
}

func writeError(w http.ResponseWriter, err error) {
	e := asAPIError(err)
	body := map[string]string{"code": e.code, "message": e.msg}
	if e.hint != "" {
		body["hint"] = e.hint
	}
	writeJSON(w, e.status, map[string]any{"error": body})
}
