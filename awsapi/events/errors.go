package events

import (
	"errors"
	"net/http"

	evbus "github.com/edgecd/edgecd/events"
	"github.com/edgecd/edgecd/internal/awsjson"
)

// codes maps the bus's domain errors to EventBridge's error codes.
var codes = []struct {
	err  error
	code string
}{
	{evbus.ErrNotFound, "ResourceNotFoundException"},
	{evbus.ErrInvalid, "ValidationException"},
	{evbus.ErrLimit, "LimitExceededException"},
}

// wireError turns an error of an operation into what the client sees.
// Errors that already carry a code (awsjson errors, the Authorize hook's
// AccessDeniedException) pass as they are; unknown errors are an
// InternalException whose details stay in the log.
func (h *Handler) wireError(op string, err error) error {
	var pe *evbus.PatternError
	if errors.As(err, &pe) {
		return &awsjson.Error{Code: "InvalidEventPatternException", Message: pe.Error(), Status: http.StatusBadRequest}
	}
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return &awsjson.Error{Code: c.code, Message: err.Error(), Status: http.StatusBadRequest}
		}
	}
	if awsjson.HasCode(err) {
		return err
	}
	h.log.Error("events: operation failed", "op", op, "err", err)
	return &awsjson.Error{Code: "InternalException", Message: "An internal error occurred; see the server log.", Status: http.StatusInternalServerError}
}
