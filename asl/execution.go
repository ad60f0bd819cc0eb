package asl

import (
	"encoding/json"
	"sort"
	"time"
)

// Status is an execution's state, with the Step Functions names.
type Status string

// Execution statuses.
const (
	Running   Status = "RUNNING"
	Succeeded Status = "SUCCEEDED"
	Failed    Status = "FAILED"
	TimedOut  Status = "TIMED_OUT"
	Aborted   Status = "ABORTED"
)

// ContextObject holds the caller-supplied parts of the context object $$.
// The interpreter adds State, Task and Map fields itself.
type ContextObject struct {
	ExecutionID      string    `json:"executionId"` // the execution ARN
	Name             string    `json:"name"`
	RoleArn          string    `json:"roleArn"`
	StartTime        time.Time `json:"startTime"`
	StateMachineID   string    `json:"stateMachineId"` // the state machine ARN
	StateMachineName string    `json:"stateMachineName"`
	RedriveCount     int       `json:"redriveCount,omitempty"`
}

// Execution is the whole state of a running (or finished) execution. It is a
// plain value: it marshals to JSON and back without loss, so an executor can
// store it after every Step and resume from the stored copy.
type Execution struct {
	Status  Status        `json:"status"`
	Context ContextObject `json:"context"`
	Input   Value         `json:"input"`
	Output  *Value        `json:"output,omitempty"`
	Error   string        `json:"error,omitempty"`
	Cause   string        `json:"cause,omitempty"`
	Root    *Thread       `json:"root"`
	// Seq numbers task and timer ids; LastEventID numbers history events.
	Seq         int   `json:"seq"`
	LastEventID int64 `json:"lastEventId"`
	// Timers and Tasks are what the execution waits for right now (timer
	// id → when it fires, task id → its token), so an executor that reloads
	// the execution after a crash knows what to re-arm without replaying.
	Timers map[string]time.Time `json:"timers,omitempty"`
	Tasks  map[string]string    `json:"tasks,omitempty"`
}

// PendingTimer is a timer the execution waits for.
type PendingTimer struct {
	TimerID string
	At      time.Time
}

// Pending lists the timers (earliest first) and task ids the execution
// waits for.
func (x *Execution) Pending() (timers []PendingTimer, tasks []string) {
	for id, at := range x.Timers {
		timers = append(timers, PendingTimer{id, at})
	}
	sort.Slice(timers, func(i, j int) bool {
		if !timers[i].At.Equal(timers[j].At) {
			return timers[i].At.Before(timers[j].At)
		}
		return timers[i].TimerID < timers[j].TimerID
	})
	for id := range x.Tasks {
		tasks = append(tasks, id)
	}
	sort.Strings(tasks)
	return timers, tasks
}

// Thread is one line of control: the top level, a Parallel branch or a Map
// iteration. It sits in one state at a time.
type Thread struct {
	Machine int       `json:"machine"`
	State   string    `json:"state"`
	Phase   phase     `json:"phase"`
	Input   Value     `json:"input"` // the raw input of the current state
	Entered time.Time `json:"entered"`
	// EnteredEvent is the id of the StateEntered event, quoted in causes.
	EnteredEvent int64 `json:"enteredEvent"`
	// Retries counts attempts per retrier of the current state entry;
	// RetryCount is their sum, as $$.State.RetryCount shows it.
	Retries    []int            `json:"retries,omitempty"`
	RetryCount int              `json:"retryCount,omitempty"`
	Vars       map[string]Value `json:"vars,omitempty"`
	Index      int              `json:"index"` // branch or iteration index
	// Quiet threads run inside a distributed Map: like the cloud's child
	// executions, their events are not part of this execution's history.
	Quiet   bool     `json:"quiet,omitempty"`
	Wait    *Wait    `json:"wait,omitempty"`
	Output  *Value   `json:"output,omitempty"`
	Failure *Failure `json:"failure,omitempty"`

	// A Parallel or Map state in progress.
	Children  []*Thread `json:"children,omitempty"`
	Items     []Value   `json:"items,omitempty"`
	Started   int       `json:"started,omitempty"` // Map items started so far
	Scanned   int       `json:"scanned,omitempty"` // leading children already reported
	Finished  int       `json:"finished,omitempty"`
	FailedN   int       `json:"failedN,omitempty"`
	Tolerated bool      `json:"tolerated,omitempty"`
	Batched   bool      `json:"batched,omitempty"` // Items are ItemBatcher batches
}

type phase string

const (
	phaseEnter   phase = "enter"   // about to enter State with Input
	phaseRun     phase = "run"     // about to (re)run State after a retry wait
	phaseWaiting phase = "waiting" // blocked on Wait
	phaseDone    phase = "done"    // finished with Output
	phaseFailed  phase = "failed"  // finished with Failure
	phaseAborted phase = "aborted" // stopped because a sibling failed
)

// Wait is what a blocked thread waits for.
type Wait struct {
	Kind           string `json:"kind"` // "task", "wait", "retry", "children"
	TaskID         string `json:"taskId,omitempty"`
	Purpose        string `json:"purpose,omitempty"` // ScheduleTask.Purpose
	Token          string `json:"token,omitempty"`
	TimerID        string `json:"timerId,omitempty"`        // Wait state or retry delay
	TimeoutTimer   string `json:"timeoutTimer,omitempty"`   // task TimeoutSeconds
	HeartbeatTimer string `json:"heartbeatTimer,omitempty"` // task HeartbeatSeconds
	Heartbeat      int64  `json:"heartbeat,omitempty"`
	Value          *Value `json:"value,omitempty"` // a Wait state's effective input
}

// Events: what happened outside the interpreter.
type (
	// Event is one of TaskSucceeded, TaskFailed, TaskHeartbeat, TimerFired, Stop.
	Event interface{ isEvent() }

	// TaskSucceeded reports a task's result (its JSON output).
	TaskSucceeded struct {
		TaskID string
		Output json.RawMessage
	}
	// TaskFailed reports a task's error name and cause.
	TaskFailed struct {
		TaskID       string
		Error, Cause string
	}
	// TaskHeartbeat restarts a task's heartbeat timer (SendTaskHeartbeat).
	TaskHeartbeat struct{ TaskID string }
	// TimerFired reports that a StartTimer's time has come.
	TimerFired struct{ TimerID string }
	// Stop aborts the execution (StopExecution).
	Stop struct{ Error, Cause string }
)

func (TaskSucceeded) isEvent() {}
func (TaskFailed) isEvent()    {}
func (TaskHeartbeat) isEvent() {}
func (TimerFired) isEvent()    {}
func (Stop) isEvent()          {}

// Effects: what the interpreter asks the executor to do and record.
type (
	// Effect is one of ScheduleTask, CancelTask, StartTimer, CancelTimer,
	// HistoryEvent, ExecutionFinished.
	Effect interface{ isEffect() }

	// ScheduleTask asks for Resource to be run with Parameters. Token is set
	// when the resource ends in ".waitForTaskToken" (from Env.TaskToken).
	// The result comes back as TaskSucceeded or TaskFailed with TaskID.
	// Purpose is "" for a Task state, "ItemReader" for a Map's reader (answer
	// with the JSON array of items; Config is its ReaderConfig) or
	// "ResultWriter" (Payload holds the results, Config the WriterConfig;
	// answer with the Map's result, e.g. {"ResultWriterDetails": {...}}).
	ScheduleTask struct {
		TaskID           string
		StateName        string
		Purpose          string
		Resource         string
		Parameters       json.RawMessage
		Config           json.RawMessage
		Payload          json.RawMessage
		Credentials      json.RawMessage
		TimeoutSeconds   int64 // 0: none
		HeartbeatSeconds int64 // 0: none
		Token            string
	}
	// CancelTask says a scheduled task's result is no longer wanted.
	CancelTask struct{ TaskID string }
	// StartTimer asks for TimerFired{TimerID} at At.
	StartTimer struct {
		TimerID string
		At      time.Time
	}
	// CancelTimer withdraws a StartTimer that has not fired.
	CancelTimer struct{ TimerID string }
	// ExecutionFinished is the last effect of an execution.
	ExecutionFinished struct {
		Status       Status
		Output       json.RawMessage
		Error, Cause string
	}
)

func (ScheduleTask) isEffect()      {}
func (CancelTask) isEffect()        {}
func (StartTimer) isEffect()        {}
func (CancelTimer) isEffect()       {}
func (HistoryEvent) isEffect()      {}
func (ExecutionFinished) isEffect() {}
