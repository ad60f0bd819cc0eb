package flow

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/edgecd/edgecd/asl"
)

// Record kinds in the store. Ids are chosen so that the lists the engine
// needs are prefix scans in id order:
//
//	flow.machine    <state machine ARN>
//	flow.execution  <execution ARN>  (a machine's executions share a prefix)
//	flow.event      <execution ARN>/<last event id, 10 digits>  (events.go)
//	flow.bystart    <machine ARN>/<inverted start ns>/<name>   (listing.go)
//	flow.status     <seq ns>/<execution ARN>/<status>           (status.go)
//	flow.timer      <due time, unix ns, 20 digits>/<execution ARN>/<timer id>
//	flow.task       <execution ARN>/<task id>   (outstanding tasks)
//	flow.token      <task token>
const (
	kindMachine   = "flow.machine"
	kindExecution = "flow.execution"
	kindEvent     = "flow.event"
	kindTimer     = "flow.timer"
	kindTask      = "flow.task"
	kindToken     = "flow.token"
)

// Machine is a state machine as CreateStateMachine records it.
type Machine struct {
	ARN        string          `json:"arn"`
	Name       string          `json:"name"`
	Definition string          `json:"definition"`
	RoleArn    string          `json:"roleArn"`
	Type       string          `json:"type"` // STANDARD or EXPRESS
	Created    time.Time       `json:"created"`
	Updated    time.Time       `json:"updated"`
	Logging    json.RawMessage `json:"logging,omitempty"`
	Tracing    json.RawMessage `json:"tracing,omitempty"`
	// Version is the store version of the record: 1 on creation, +1 per
	// update. Executions remember the version they started with.
	Version int64 `json:"-"`
	// LastVersion is the number of the last published version;
	// PublishedRevision the record version it was published at.
	LastVersion       int64 `json:"lastVersion,omitempty"`
	PublishedRevision int64 `json:"publishedRevision,omitempty"`
}

// Execution is an execution as DescribeExecution shows it.
type Execution struct {
	ARN            string          `json:"arn"`
	Machine        string          `json:"machine"`
	MachineVersion int64           `json:"machineVersion"`
	Name           string          `json:"name"`
	Type           string          `json:"type"`
	RoleArn        string          `json:"roleArn"`
	Status         asl.Status      `json:"status"`
	Input          json.RawMessage `json:"input"`
	Output         json.RawMessage `json:"output,omitempty"`
	Error          string          `json:"error,omitempty"`
	Cause          string          `json:"cause,omitempty"`
	Start          time.Time       `json:"start"`
	Stop           time.Time       `json:"stop,omitzero"`
	// VersionARN and AliasARN are set when the start named a version or
	// an alias.
	VersionARN string `json:"versionArn,omitempty"`
	AliasARN   string `json:"aliasArn,omitempty"`
}

// execRecord is the stored execution: the summary plus the interpreter's
// state and the bookkeeping the engine needs to resume it.
type execRecord struct {
	Execution
	// Timers maps a pending timer id to its flow.timer record id, so a
	// CancelTimer can find it.
	Timers map[string]string `json:"timers,omitempty"`
	Parent *parentTask       `json:"parent,omitempty"`
	State  *asl.Execution    `json:"state"`
}

// parentTask is the task of another execution that waits for this one
// (states:startExecution.sync and .sync:2).
type parentTask struct {
	Exec   string `json:"exec"`
	TaskID string `json:"taskId"`
	Mode   string `json:"mode"` // "sync" (output as a string) or "sync2" (as JSON)
}

// taskRecord is an outstanding task: scheduled, its outcome not recorded.
type taskRecord struct {
	Exec        string          `json:"exec"`
	TaskID      string          `json:"taskId"`
	State       string          `json:"state"`
	Resource    string          `json:"resource"`
	Parameters  json.RawMessage `json:"parameters"`
	Credentials json.RawMessage `json:"credentials,omitempty"`
	Token       string          `json:"token,omitempty"`
	// Owner holds the dispatch lease until Until; another node may take
	// the task over once the lease has expired.
	Owner string    `json:"owner"`
	Until time.Time `json:"until"`
	// Delivered: the integration accepted a .waitForTaskToken task; only
	// the token's answer (or a timeout) is awaited now.
	Delivered bool   `json:"delivered,omitempty"`
	Child     string `json:"child,omitempty"` // a nested execution's ARN
}

// tokenRecord maps a task token to its task.
type tokenRecord struct {
	Exec   string `json:"exec"`
	TaskID string `json:"taskId"`
	Closed bool   `json:"closed,omitempty"`
}

func eventKey(exec string, id int64) string { return fmt.Sprintf("%s/%010d", exec, id) }
func taskKey(exec, taskID string) string    { return exec + "/" + taskID }

func timerKey(at time.Time, exec, id string) string {
	ns := at.UnixNano()
	if ns < 0 {
		ns = 0
	}
	return fmt.Sprintf("%020d/%s/%s", ns, exec, id)
}

// parseTimerKey splits a flow.timer id; execution ARNs and timer ids hold
// no "/" (names may not), so the first and last slashes are the separators.
func parseTimerKey(k string) (at time.Time, exec, id string, ok bool) {
	i, j := strings.IndexByte(k, '/'), strings.LastIndexByte(k, '/')
	if i < 0 || j <= i {
		return time.Time{}, "", "", false
	}
	ns, err := strconv.ParseInt(k[:i], 10, 64)
	if err != nil {
		return time.Time{}, "", "", false
	}
	return time.Unix(0, ns), k[i+1 : j], k[j+1:], true
}
