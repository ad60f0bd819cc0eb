package flow

import "errors"

// Domain errors; the sfn package maps each to its wire code in one table.
var (
	ErrMachineNotFound   = errors.New("state machine does not exist")
	ErrMachineExists     = errors.New("a state machine with this name already exists with a different definition")
	ErrExecutionNotFound = errors.New("execution does not exist")
	ErrExecutionExists   = errors.New("an execution with this name already exists")
	ErrTaskNotFound      = errors.New("no task is waiting for this token")
	ErrTaskTimedOut      = errors.New("the task of this token has already finished or timed out")
	ErrInvalidToken      = errors.New("the task token is not valid")
	ErrInvalidName       = errors.New("invalid name")
	ErrInvalidArn        = errors.New("invalid ARN")
	ErrInvalidInput      = errors.New("invalid execution input")
	ErrInvalidOutput     = errors.New("invalid task output")
	ErrNotExpress        = errors.New("only EXPRESS state machines run synchronously")
	errLeaseTaken        = errors.New("another node changed the task")
)
