package params

import (
	"errors"
	"fmt"
)

// Domain errors. Each is returned wrapped in an *Error carrying a message a
// person can act on; test with errors.Is. The SSM API maps each to its wire
// code in one table.
var (
	ErrNotFound              = errors.New("parameter not found")
	ErrAlreadyExists         = errors.New("parameter already exists")
	ErrVersionNotFound       = errors.New("parameter version not found")
	ErrInvalid               = errors.New("invalid request")
	ErrHierarchyTooDeep      = errors.New("hierarchy level limit exceeded")
	ErrHierarchyTypeMismatch = errors.New("hierarchy type mismatch")
	ErrPatternMismatch       = errors.New("value does not match the allowed pattern")
	ErrInvalidAllowedPattern = errors.New("invalid allowed pattern")
	ErrInvalidKeyID          = errors.New("invalid key id")
	ErrLabelLimit            = errors.New("parameter version label limit exceeded")
	ErrMaxVersions           = errors.New("parameter max version limit exceeded")
	ErrInvalidFilterKey      = errors.New("invalid filter key")
	ErrInvalidFilterOption   = errors.New("invalid filter option")
	ErrInvalidFilterValue    = errors.New("invalid filter value")
	ErrInvalidNextToken      = errors.New("invalid next token")
	ErrTooManyUpdates        = errors.New("too many updates")
)

// Error is a domain error with a specific message.
type Error struct {
	Kind error  // one of the Err* values above
	Msg  string // says what was wrong and what to do
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Kind }

func errorf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}
