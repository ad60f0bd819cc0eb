package asl

import (
	"strings"
	"time"
)

// HistoryEvent is one GetExecutionHistory event. Details holds the members
// of the event's details structure under DetailsField, with the wire names
// of the Step Functions API (e.g. "stateEnteredEventDetails": {"name", "input"}).
type HistoryEvent struct {
	ID              int64
	PreviousEventID int64
	Timestamp       time.Time
	Type            string
	DetailsField    string
	Details         map[string]any
}

// Wire returns the event as the HistoryEvent shape of the API.
func (h HistoryEvent) Wire() map[string]any {
	m := map[string]any{
		"id":              h.ID,
		"previousEventId": h.PreviousEventID,
		"timestamp":       float64(h.Timestamp.UnixMilli()) / 1000,
		"type":            h.Type,
	}
	if h.DetailsField != "" {
		m[h.DetailsField] = h.Details
	}
	return m
}

// detailsFields caches detailsField for the frequent event types.
var detailsFields = func() map[string]string {
	m := map[string]string{}
	for _, t := range []string{"Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"} {
		m[t+"StateEntered"] = "stateEnteredEventDetails"
		m[t+"StateExited"] = "stateExitedEventDetails"
	}
	for _, t := range []string{"MapIterationStarted", "MapIterationSucceeded", "MapIterationFailed", "MapIterationAborted",
		"TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskFailed", "ExecutionStarted", "ExecutionSucceeded", "ExecutionFailed"} {
		m[t] = computeDetailsField(t)
	}
	return m
}()

// detailsField maps event types to the HistoryEvent member holding details.
func detailsField(typ string) string {
	if f, ok := detailsFields[typ]; ok {
		return f
	}
	return computeDetailsField(typ)
}

func computeDetailsField(typ string) string {
	switch {
	case strings.HasSuffix(typ, "StateEntered"):
		return "stateEnteredEventDetails"
	case strings.HasSuffix(typ, "StateExited"):
		return "stateExitedEventDetails"
	case typ == "MapStateStarted":
		return "mapStateStartedEventDetails"
	case typ == "MapRunStarted", typ == "MapRunFailed":
		return "mapRun" + strings.TrimPrefix(typ, "MapRun") + "EventDetails"
	case typ == "MapRunSucceeded":
		return ""
	case strings.HasPrefix(typ, "MapIteration"):
		return "mapIteration" + strings.TrimPrefix(typ, "MapIteration") + "EventDetails"
	case typ == "LambdaFunctionStarted":
		return ""
	case strings.HasPrefix(typ, "Task"), strings.HasPrefix(typ, "Execution"),
		strings.HasPrefix(typ, "LambdaFunction"), strings.HasPrefix(typ, "Activity"):
		return strings.ToLower(typ[:1]) + typ[1:] + "EventDetails"
	}
	return ""
}

// payloadDetails is {"truncated": false}: edgecd never truncates.
var payloadDetails = map[string]any{"truncated": false}

// resourceParts splits a Task resource as TaskScheduled reports it:
// "arn:aws:states:::lambda:invoke" -> ("lambda", "invoke"),
// "arn:aws:states:::aws-sdk:s3:getObject" -> ("aws-sdk:s3", "getObject").
func resourceParts(arn string) (typ, res, region string) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) >= 4 {
		region = parts[3]
	}
	if len(parts) == 6 && parts[2] == "states" && parts[4] == "" {
		rest := parts[5]
		if i := strings.LastIndexByte(rest, ':'); i >= 0 {
			return rest[:i], rest[i+1:], region
		}
		return rest, "", region
	}
	if len(parts) >= 3 {
		return parts[2], arn, region
	}
	return "", arn, region
}

// taskEvents names the history events of a task by its resource: a Lambda
// function ARN gives LambdaFunction* events, an activity ARN Activity*
// events, and service integrations (arn:aws:states:::...) Task* events.
type taskEvents struct {
	prefix                 string // "Task", "LambdaFunction" or "Activity"
	resourceType, resource string
	region                 string
}

func eventsFor(arn string) taskEvents {
	parts := strings.SplitN(arn, ":", 7)
	switch {
	case len(parts) >= 6 && parts[2] == "lambda" && parts[5] == "function":
		return taskEvents{prefix: "LambdaFunction", resource: arn}
	case len(parts) >= 6 && parts[2] == "states" && parts[5] == "activity":
		return taskEvents{prefix: "Activity", resource: arn}
	}
	typ, res, region := resourceParts(arn)
	return taskEvents{prefix: "Task", resourceType: typ, resource: res, region: region}
}

// details returns the common fields of a task event plus extra.
func (t taskEvents) details(extra map[string]any) map[string]any {
	d := map[string]any{"resource": t.resource}
	if t.prefix == "Task" {
		d["resourceType"] = t.resourceType
	}
	for k, v := range extra {
		d[k] = v
	}
	return d
}

// scheduled builds the ...Scheduled event's details.
func (t taskEvents) scheduled(params string, timeout, heartbeat int64) map[string]any {
	d := t.details(nil)
	if t.prefix == "Task" {
		d["region"] = t.region
		d["parameters"] = params
	} else {
		d["input"] = params
		d["inputDetails"] = payloadDetails
	}
	if timeout > 0 {
		d["timeoutInSeconds"] = timeout
	}
	if heartbeat > 0 && t.prefix != "LambdaFunction" {
		d["heartbeatInSeconds"] = heartbeat
	}
	return d
}

// started returns the ...Started event's details; LambdaFunctionStarted has none.
func (t taskEvents) started() map[string]any {
	switch t.prefix {
	case "LambdaFunction":
		return nil
	case "Activity":
		return map[string]any{}
	}
	return t.details(nil)
}

func (t taskEvents) succeeded(output string) map[string]any {
	extra := map[string]any{"output": output, "outputDetails": payloadDetails}
	if t.prefix != "Task" {
		return extra
	}
	return t.details(extra)
}

func (t taskEvents) failed(errName, cause string) map[string]any {
	extra := errorDetails(errName, cause)
	if t.prefix != "Task" {
		return extra
	}
	return t.details(extra)
}
