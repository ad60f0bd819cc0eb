package events

import (
	"encoding/json"
	"time"
)

// Event is an event as EventBridge delivers it to targets. Field order and
// names are the cloud's: version, id, detail-type, source, account, time,
// region, resources, detail.
type Event struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"` // RFC 3339, UTC, seconds precision ("2006-01-02T15:04:05Z")
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// Entry is one event to put, as a PutEvents request entry carries it.
// Detail is a JSON object in text form. EventBusName empty or "default"
// is the default bus; a bus ARN is accepted too. A zero Time is the time
// of the Put.
type Entry struct {
	Source       string
	DetailType   string
	Detail       string
	Resources    []string
	EventBusName string
	Time         time.Time
}

// PutResult is the outcome of one Entry, in the order given: EventID on
// success, ErrorCode and ErrorMessage (as PutEvents reports them, e.g.
// "InvalidArgument", "MalformedDetail") otherwise.
type PutResult struct {
	EventID      string
	ErrorCode    string
	ErrorMessage string
}

// timeFormat is how EventBridge writes an event's time.
const timeFormat = "2006-01-02T15:04:05Z"
