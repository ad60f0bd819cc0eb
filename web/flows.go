package web

import (
	"encoding/json"
	"net/http"
)

// The executions pages read the Step Functions API of the flow engine and
// pass its JSON (the shapes the aws CLI prints) through.

// stateMachines lists the state machines.
func (c *Console) stateMachines(r *http.Request) (any, error) {
	var out json.RawMessage
	err := c.call(r, statesAPI, "ListStateMachines", map[string]any{"maxResults": 1000}, &out)
	return out, err
}

// executions lists a state machine's executions, newest first.
func (c *Console) executions(r *http.Request) (any, error) {
	arn := r.URL.Query().Get("stateMachineArn")
	if arn == "" {
		return nil, badRequest("name the state machine (?stateMachineArn=...)")
	}
	in := map[string]any{"stateMachineArn": arn, "maxResults": 100}
	if s := r.URL.Query().Get("status"); s != "" {
		in["statusFilter"] = s
	}
	var out json.RawMessage
	err := c.call(r, statesAPI, "ListExecutions", in, &out)
	return out, err
}

// execution describes one execution and returns its history, newest
// event first.
func (c *Console) execution(r *http.Request) (any, error) {
	arn := r.URL.Query().Get("executionArn")
	if arn == "" {
		return nil, badRequest("name the execution (?executionArn=...)")
	}
	var desc, hist json.RawMessage
	if err := c.call(r, statesAPI, "DescribeExecution", map[string]any{"executionArn": arn}, &desc); err != nil {
		return nil, err
	}
	if err := c.call(r, statesAPI, "GetExecutionHistory", map[string]any{"executionArn": arn, "reverseOrder": true, "maxResults": 500}, &hist); err != nil {
		return nil, err
	}
	return map[string]json.RawMessage{"execution": desc, "history": hist}, nil
}
