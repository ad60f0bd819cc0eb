package sfn

import (
	"errors"
	"net/http"
	"strings"

	"github.com/edgecd/edgecd/asl"
	"github.com/edgecd/edgecd/flow"
	"github.com/edgecd/edgecd/iam"
	"github.com/edgecd/edgecd/internal/awsjson"
)

// APIError is an error as the JSON 1.0 protocol sends it.
type APIError = awsjson.Error

// errorCodes maps the engine's errors to Step Functions codes; every one is
// a client error (400), as the model declares them.
var errorCodes = []struct {
	kind error
	code string
}{
	{flow.ErrMachineNotFound, "StateMachineDoesNotExist"},
	{flow.ErrMachineExists, "StateMachineAlreadyExists"},
	{flow.ErrExecutionNotFound, "ExecutionDoesNotExist"},
	{flow.ErrExecutionExists, "ExecutionAlreadyExists"},
	{flow.ErrTaskNotFound, "TaskDoesNotExist"},
	{flow.ErrTaskTimedOut, "TaskTimedOut"},
	{flow.ErrInvalidToken, "InvalidToken"},
	{flow.ErrInvalidName, "InvalidName"},
	{flow.ErrInvalidArn, "InvalidArn"},
	{flow.ErrInvalidInput, "InvalidExecutionInput"},
	{flow.ErrInvalidOutput, "InvalidOutput"},
	{flow.ErrNotExpress, "StateMachineTypeNotSupported"},
	{flow.ErrResourceNotFound, "ResourceNotFound"},
	{flow.ErrConflict, "ConflictException"},
	{flow.ErrInvalidRouting, "ValidationException"},
}

func (h *Handler) wireError(operation string, err error) error {
	var api *APIError
	if errors.As(err, &api) {
		return api
	}
	var ve *asl.ValidationError
	if errors.As(err, &ve) {
		msgs := make([]string, len(ve.Problems))
		for i, p := range ve.Problems {
			msgs[i] = p.String()
		}
		return &APIError{Code: "InvalidDefinition", Message: "Invalid State Machine Definition: '" + strings.Join(msgs, ", ") + "'", Status: http.StatusBadRequest}
	}
	for _, ec := range errorCodes {
		if errors.Is(err, ec.kind) {
			return &APIError{Code: ec.code, Message: err.Error(), Status: http.StatusBadRequest}
		}
	}
	if errors.Is(err, iam.ErrAccessDenied) {
		return &APIError{Code: "AccessDeniedException", Message: err.Error(), Status: http.StatusBadRequest}
	}
	if awsjson.HasCode(err) {
		// The Authorize hook's own errors (the protocol layer's
		// AccessDenied) carry their wire form.
		return err
	}
	h.log.Error("sfn: internal error", "operation", operation, "err", err)
	return &APIError{Code: "InternalServerError", Message: "An internal error occurred; see the server log.", Status: http.StatusInternalServerError}
}
