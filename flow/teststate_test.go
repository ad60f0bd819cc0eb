package flow

import (
	"context"
	"encoding/json"
	"testing"
)

func TestTestStateStatuses(t *testing.T) {
	e := newHarness(t, Options{Tasks: map[string]TaskFunc{
		"arn:aws:states:::edgecd:fail": func(ctx context.Context, task Task) (json.RawMessage, error) {
			return nil, &TaskError{Name: "Deploy.Busy", Cause: "try later"}
		},
	}}).e
	tests := []struct {
		name, state, input string
		status, next       string
		output             string
	}{
		{"pass moves to Next", `{"Type":"Pass","Result":{"x":1},"ResultPath":"$.r","Next":"After"}`, `{"a":1}`, "SUCCEEDED", "After", `{"a":1,"r":{"x":1}}`},
		{"choice picks its rule", `{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":5,"Next":"Big"}],"Default":"Small"}`, `{"n":9}`, "SUCCEEDED", "Big", `{"n":9}`},
		{"retriable failure", `{"Type":"Task","Resource":"arn:aws:states:::edgecd:fail","Retry":[{"ErrorEquals":["Deploy.Busy"]}],"End":true}`, `{}`, "RETRIABLE", "", ""},
		{"caught failure", `{"Type":"Task","Resource":"arn:aws:states:::edgecd:fail","Catch":[{"ErrorEquals":["States.ALL"],"Next":"Recover"}],"End":true}`, `{}`, "CAUGHT_ERROR", "Recover", `{"Error":"Deploy.Busy","Cause":"try later"}`},
		{"uncaught failure", `{"Type":"Task","Resource":"arn:aws:states:::edgecd:fail","End":true}`, `{}`, "FAILED", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := e.TestState(context.Background(), []byte(tt.state), json.RawMessage(tt.input))
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tt.status || res.NextState != tt.next {
				t.Fatalf("%+v, want %s next %q", res, tt.status, tt.next)
			}
			if tt.output != "" {
				jsonEqual(t, res.Output, tt.output)
			}
		})
	}
}
