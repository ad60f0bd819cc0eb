package events

import "encoding/json"

// Wire shapes of the 2015-10-07 model, with its member names.

type putRuleInput struct {
	Name               string
	EventPattern       string
	ScheduleExpression string
	State              string
	Description        string
	RoleArn            string
	EventBusName       string
	Tags               []json.RawMessage
}

type putRuleOutput struct {
	RuleArn string
}

type ruleNameInput struct {
	Name         string
	EventBusName string
	Force        bool
}

type describeRuleOutput struct {
	Name         string
	Arn          string
	EventPattern string `json:",omitempty"`
	State        string
	Description  string `json:",omitempty"`
	RoleArn      string `json:",omitempty"`
	EventBusName string
	CreatedBy    string
}

type ruleShape struct {
	Name         string
	Arn          string
	EventPattern string `json:",omitempty"`
	State        string
	Description  string `json:",omitempty"`
	RoleArn      string `json:",omitempty"`
	EventBusName string
}

type listRulesInput struct {
	NamePrefix   string
	EventBusName string
	NextToken    string
	Limit        *int
}

type listRulesOutput struct {
	Rules     []ruleShape
	NextToken string `json:",omitempty"`
}

type inputTransformer struct {
	InputPathsMap map[string]string `json:",omitempty"`
	InputTemplate string
}

type target struct {
	Id               string
	Arn              string
	RoleArn          string            `json:",omitempty"`
	Input            string            `json:",omitempty"`
	InputPath        string            `json:",omitempty"`
	InputTransformer *inputTransformer `json:",omitempty"`
	RetryPolicy      *retryPolicy      `json:",omitempty"`
}

type retryPolicy struct {
	MaximumRetryAttempts     *int `json:",omitempty"`
	MaximumEventAgeInSeconds *int `json:",omitempty"`
}

type putTargetsInput struct {
	Rule         string
	EventBusName string
	Targets      []target
}

type failedEntry struct {
	TargetId     string
	ErrorCode    string
	ErrorMessage string
}

type targetsOutput struct {
	FailedEntryCount int
	FailedEntries    []failedEntry
}

type removeTargetsInput struct {
	Rule         string
	EventBusName string
	Ids          []string
	Force        bool
}

type listTargetsInput struct {
	Rule         string
	EventBusName string
	NextToken    string
	Limit        *int
}

type listTargetsOutput struct {
	Targets   []target
	NextToken string `json:",omitempty"`
}

type putEventsEntry struct {
	Time         *float64 // epoch seconds, as JSON 1.1 sends timestamps
	Source       string
	Resources    []string
	DetailType   string
	Detail       string
	EventBusName string
	TraceHeader  string
}

type putEventsInput struct {
	Entries    []putEventsEntry
	EndpointId string
}

type putEventsResult struct {
	EventId      string `json:",omitempty"`
	ErrorCode    string `json:",omitempty"`
	ErrorMessage string `json:",omitempty"`
}

type putEventsOutput struct {
	FailedEntryCount int
	Entries          []putEventsResult
}

type testEventPatternInput struct {
	EventPattern string
	Event        string
}

type testEventPatternOutput struct {
	Result bool
}
