package asl

import "fmt"

// Error names the States Language defines (spec: "Errors").
const (
	ErrAll                        = "States.ALL"
	ErrDataLimitExceeded          = "States.DataLimitExceeded"
	ErrExceedToleratedFailure     = "States.ExceedToleratedFailureThreshold"
	ErrHeartbeatTimeout           = "States.HeartbeatTimeout"
	ErrIntrinsicFailure           = "States.IntrinsicFailure"
	ErrItemReaderFailed           = "States.ItemReaderFailed"
	ErrNoChoiceMatched            = "States.NoChoiceMatched"
	ErrParameterPathFailure       = "States.ParameterPathFailure"
	ErrPermissions                = "States.Permissions"
	ErrResultPathMatchFailure     = "States.ResultPathMatchFailure"
	ErrResultWriterFailed         = "States.ResultWriterFailed"
	ErrRuntime                    = "States.Runtime"
	ErrTaskFailed                 = "States.TaskFailed"
	ErrTimeout                    = "States.Timeout"
	ErrBranchFailed               = "States.BranchFailed"
	ErrQueryEvaluationError       = "States.QueryEvaluationError"
	ErrHTTPSocket                 = "States.Http.Socket"
	ErrExecutionHistoryLimitError = "States.Runtime" // AWS fails the execution; no dedicated name
)

// knownErrors are the predefined names accepted in ErrorEquals.
var knownErrors = map[string]bool{
	ErrAll: true, ErrDataLimitExceeded: true, ErrExceedToleratedFailure: true,
	ErrHeartbeatTimeout: true, ErrIntrinsicFailure: true, ErrItemReaderFailed: true,
	ErrNoChoiceMatched: true, ErrParameterPathFailure: true, ErrPermissions: true,
	ErrResultPathMatchFailure: true, ErrResultWriterFailed: true, ErrRuntime: true,
	ErrTaskFailed: true, ErrTimeout: true, ErrBranchFailed: true,
	ErrQueryEvaluationError: true, ErrHTTPSocket: true,
}

// Failure is a runtime error in the States Language sense: a name that Retry
// and Catch match on, and a human-readable cause.
type Failure struct {
	Error string `json:"Error"`
	Cause string `json:"Cause"`
}

func (f *Failure) String() string { return f.Error + ": " + f.Cause }

// failure builds a *Failure; it also satisfies error through failErr.
func failure(name, format string, args ...any) *Failure {
	return &Failure{Error: name, Cause: fmt.Sprintf(format, args...)}
}

// matches reports whether a retrier or catcher with errorEquals handles name.
// States.ALL does not match States.Runtime or States.DataLimitExceeded: the
// cloud treats those as terminal.
func matchesError(errorEquals []string, name string) bool {
	for _, e := range errorEquals {
		if e == name {
			return true
		}
		if e == ErrAll && name != ErrRuntime && name != ErrDataLimitExceeded {
			return true
		}
		if e == ErrTaskFailed && name != ErrTimeout && name != ErrHeartbeatTimeout && !isStatesError(name) {
			return true
		}
	}
	return false
}

func isStatesError(name string) bool { return len(name) > 7 && name[:7] == "States." }
