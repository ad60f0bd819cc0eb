package events

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/edgecd/edgecd/internal/awsjson"
)

// TaskResource is the Step Functions integration this package serves.
const TaskResource = "arn:aws:states:::events:putEvents"

// TaskError is a failed events:putEvents task, named as Step Functions
// names it (EventBridge.FailedEntry, EventBridge.ValidationException, ...)
// so that Retry and Catch see the cloud's names.
type TaskError struct {
	Name  string
	Cause string
}

func (e *TaskError) Error() string     { return e.Name + ": " + e.Cause }
func (e *TaskError) ErrorCode() string { return e.Name }

// taskEntry is a PutEvents entry as a task's Parameters write it: Detail
// may be a JSON object as well as a string.
type taskEntry struct {
	Source       string
	DetailType   string
	Detail       json.RawMessage
	Resources    []string
	EventBusName string
	TraceHeader  string
}

// PutEventsTask runs the arn:aws:states:::events:putEvents task:
// Parameters {"Entries": [{"Source", "DetailType", "Detail", "EventBusName",
// "Resources"}]} put on the bus, answered as the cloud does with
// {"Entries": [{"EventId": ...}], "FailedEntryCount": 0}. A failed entry
// fails the task with EventBridge.FailedEntry, as on the cloud.
func (h *Handler) PutEventsTask(ctx context.Context, params json.RawMessage) (json.RawMessage, error) {
	var in struct{ Entries []taskEntry }
	if err := json.Unmarshal(params, &in); err != nil {
		return nil, &TaskError{Name: "EventBridge.ValidationException", Cause: "Parameters must be {\"Entries\": [...]}: " + err.Error()}
	}
	req := putEventsInput{Entries: make([]putEventsEntry, len(in.Entries))}
	for i, e := range in.Entries {
		detail := ""
		switch d := bytes.TrimSpace(e.Detail); {
		case len(d) == 0:
		case d[0] == '"':
			if err := json.Unmarshal(d, &detail); err != nil {
				return nil, &TaskError{Name: "EventBridge.ValidationException", Cause: "Entries[" + fmt.Sprint(i) + "].Detail is not a valid JSON string"}
			}
		default:
			detail = string(d)
		}
		req.Entries[i] = putEventsEntry{Source: e.Source, DetailType: e.DetailType, Detail: detail, Resources: e.Resources, EventBusName: e.EventBusName}
	}
	body, err := json.Marshal(&req)
	if err != nil {
		return nil, err
	}
	out, err := h.Call(ctx, "PutEvents", body)
	if err != nil {
		var ae *awsjson.Error
		if errors.As(err, &ae) && ae.Status < http.StatusInternalServerError {
			return nil, &TaskError{Name: "EventBridge." + ae.Code, Cause: ae.Message}
		}
		return nil, err
	}
	var res putEventsOutput
	if err := json.Unmarshal(out, &res); err == nil && res.FailedEntryCount > 0 {
		return nil, &TaskError{Name: "EventBridge.FailedEntry", Cause: string(out)}
	}
	return out, nil
}
