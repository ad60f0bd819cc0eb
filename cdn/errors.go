package cdn

import (
	"errors"
	"fmt"
)

// Domain errors. Each is returned wrapped in an *Error carrying a message a
// person can act on; test with errors.Is. The CloudFront API maps each to its
// wire code and status in one table.
var (
	ErrNoSuchDistribution        = errors.New("no such distribution")
	ErrNoSuchPolicy              = errors.New("no such continuous deployment policy")
	ErrNoSuchInvalidation        = errors.New("no such invalidation")
	ErrInvalidArgument           = errors.New("invalid argument")
	ErrIfMatchMissing            = errors.New("if-match missing")
	ErrPreconditionFailed        = errors.New("precondition failed")
	ErrDistributionNotDisabled   = errors.New("distribution not disabled")
	ErrDistributionAlreadyExists = errors.New("distribution already exists")
	ErrPolicyAlreadyExists       = errors.New("continuous deployment policy already exists")
	ErrPolicyInUse               = errors.New("continuous deployment policy in use")
	ErrStagingInUse              = errors.New("staging distribution in use")
	ErrIllegalUpdate             = errors.New("illegal update")
	ErrCNAMEAlreadyExists        = errors.New("cname already exists")
	ErrInvalidationBatchExists   = errors.New("invalidation batch already exists")
	ErrTooManyInvalidations      = errors.New("too many invalidations in progress")
	ErrIllegalDelete             = errors.New("illegal delete")
	ErrInconsistentQuantities    = errors.New("inconsistent quantities")
	ErrInvalidDefaultRootObject  = errors.New("invalid default root object")
	ErrInvalidOriginPath         = errors.New("invalid origin path")
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

// Problems is a validation failure listing every problem found at once.
type Problems []string

func (p Problems) Error() string {
	switch len(p) {
	case 0:
		return "no problems"
	case 1:
		return p[0]
	}
	msg := fmt.Sprintf("%d problems: ", len(p))
	for i, s := range p {
		if i > 0 {
			msg += "; "
		}
		msg += s
	}
	return msg
}

func (p Problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &Error{Kind: ErrInvalidArgument, Msg: p.Error()}
}
