package ssm

import (
	"errors"
	"net/http"

	"github.com/edgecd/edgecd/iam"
	"github.com/edgecd/edgecd/internal/awsjson"
	"github.com/edgecd/edgecd/params"
)

// APIError is an error as the JSON 1.1 protocol sends it. Its ErrorCode,
// ErrorMessage and HTTPStatus methods let callers of Call (the flow
// engine's aws-sdk:ssm tasks) read it as they read smithy's errors.
type APIError = awsjson.Error

// errorCodes maps domain errors to SSM's error codes. Every SSM client error
// is a 400.
var errorCodes = []struct {
	kind error
	code string
}{
	{params.ErrNotFound, "ParameterNotFound"},
	{params.ErrAlreadyExists, "ParameterAlreadyExists"},
	{params.ErrVersionNotFound, "ParameterVersionNotFound"},
	{params.ErrInvalid, "ValidationException"},
	{params.ErrHierarchyTooDeep, "HierarchyLevelLimitExceededException"},
	{params.ErrHierarchyTypeMismatch, "HierarchyTypeMismatchException"},
	{params.ErrPatternMismatch, "ParameterPatternMismatchException"},
	{params.ErrInvalidAllowedPattern, "InvalidAllowedPatternException"},
	{params.ErrInvalidKeyID, "InvalidKeyId"},
	{params.ErrLabelLimit, "ParameterVersionLabelLimitExceeded"},
	{params.ErrMaxVersions, "ParameterMaxVersionLimitExceeded"},
	{params.ErrInvalidFilterKey, "InvalidFilterKey"},
	{params.ErrInvalidFilterOption, "InvalidFilterOption"},
	{params.ErrInvalidFilterValue, "InvalidFilterValue"},
	{params.ErrInvalidNextToken, "InvalidNextToken"},
	{params.ErrTooManyUpdates, "TooManyUpdates"},
}

// wireError turns an operation's error into what the client sees. Errors
// that are neither the domain's nor the protocol's are logged and hidden
// behind InternalServerError.
func (h *Handler) wireError(operation string, err error) error {
	var api *APIError
	if errors.As(err, &api) {
		return api
	}
	var de *params.Error
	if errors.As(err, &de) {
		for _, ec := range errorCodes {
			if errors.Is(de.Kind, ec.kind) {
				return &APIError{Code: ec.code, Message: de.Msg, Status: http.StatusBadRequest}
			}
		}
	}
	var r refused
	if errors.As(err, &r) {
		if _, ok := r.err.(interface{ ErrorCode() string }); !ok && errors.Is(r.err, iam.ErrAccessDenied) {
			// iam.Authorize's own error: SSM says AccessDeniedException.
			return &APIError{Code: "AccessDeniedException", Message: r.err.Error(), Status: http.StatusBadRequest}
		}
		return r.err
	}
	h.log.Error("ssm operation failed", "operation", operation, "err", err)
	return &APIError{Code: "InternalServerError", Message: "An internal error occurred. Try again.", Status: http.StatusInternalServerError}
}

func writeError(w http.ResponseWriter, err error) { protocol.WriteError(w, err) }
