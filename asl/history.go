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

// detailsField maps event types to the HistoryEvent member holding details.
func detailsField(typ string) string {
	switch {
	case strings.HasSuffix(typ, "StateEntered"):
		return "stateEnteredEventDetails"
	case strings.HasSuffix(typ, "StateExited"):
		return "stateExitedEventDetails"
	case typ == "MapStateStarted":
		return "mapStateStartedEventDetails"
	case strings.HasPrefix(typ, "MapIteration"):
		return "mapIteration" + strings.TrimPrefix(typ, "MapIteration") + "EventDetails"
	case strings.HasPrefix(typ, "Task"), strings.HasPrefix(typ, "Execution"):
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
