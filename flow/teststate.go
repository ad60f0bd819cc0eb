package flow

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/edgecd/edgecd/asl"
)

// TestResult is what TestState reports, with the API's status names:
// SUCCEEDED, FAILED, RETRIABLE (a Retry of the state matches the error) or
// CAUGHT_ERROR (a Catch handled it; NextState is the catcher's Next).
type TestResult struct {
	Status       string
	Output       json.RawMessage
	Error, Cause string
	NextState    string
}

// testStateName names the state under test inside the wrapping machine.
const testStateName = "TestState"

// TestState runs one state definition once (TestState): the state becomes
// the start of a machine whose transition targets are Succeed states, its
// Retry is left out (a matching retrier makes the result RETRIABLE, as the
// cloud reports instead of retrying), and tasks run through the engine's
// integrations. Wait states do not wait.
func (e *Engine) TestState(ctx context.Context, state []byte, input json.RawMessage) (TestResult, error) {
	var st map[string]any
	if err := json.Unmarshal(state, &st); err != nil {
		return TestResult{}, &asl.ValidationError{Problems: []asl.Problem{{Path: "$", Code: "INVALID_JSON_DESCRIPTION", Message: "the state is not a JSON object: " + err.Error()}}}
	}
	retry := st["Retry"]
	delete(st, "Retry")
	states := map[string]any{testStateName: st}
	for _, target := range targets(st) {
		if target != testStateName {
			states[target] = map[string]any{"Type": "Succeed"}
		}
	}
	def, _ := json.Marshal(map[string]any{"StartAt": testStateName, "States": states})
	d, err := asl.Parse(def)
	if err != nil {
		return TestResult{}, err
	}
	x, history, err := e.runInMemory(ctx, d, input, "test-state", false, nil)
	if err != nil {
		return TestResult{}, err
	}
	res := TestResult{Status: string(x.Status), Output: x.Output, Error: x.Error, Cause: x.Cause}
	caught := false
	for _, h := range history {
		if name, _ := h.Details["name"].(string); strings.HasSuffix(h.Type, "StateEntered") && name != testStateName {
			res.NextState = name
		}
		if strings.HasSuffix(h.Type, "Failed") && h.Type != "ExecutionFailed" {
			caught = true
		}
	}
	switch {
	case x.Status == asl.Succeeded && caught:
		res.Status = "CAUGHT_ERROR"
	case x.Status == asl.Failed && retries(retry, x.Error):
		res.Status = "RETRIABLE"
	}
	if st["Type"] == "Fail" || st["Type"] == "Succeed" {
		res.NextState = ""
	}
	return res, nil
}

// targets lists the state names a state may move to.
func targets(st map[string]any) []string {
	var out []string
	add := func(v any) {
		if s, ok := v.(string); ok && s != "" {
			out = append(out, s)
		}
	}
	add(st["Next"])
	add(st["Default"])
	for _, key := range []string{"Choices", "Catch"} {
		list, _ := st[key].([]any)
		for _, c := range list {
			if m, ok := c.(map[string]any); ok {
				add(m["Next"])
			}
		}
	}
	return out
}

// retries reports whether a Retry list has a retrier for the error name,
// with the States Language matching rules.
func retries(retry any, name string) bool {
	list, _ := retry.([]any)
	for _, r := range list {
		m, _ := r.(map[string]any)
		eq, _ := m["ErrorEquals"].([]any)
		for _, v := range eq {
			s := fmt.Sprint(v)
			switch {
			case s == name:
				return true
			case s == asl.ErrAll && name != asl.ErrRuntime && name != asl.ErrDataLimitExceeded:
				return true
			case s == asl.ErrTaskFailed && !strings.HasPrefix(name, "States."):
				return true
			}
		}
	}
	return false
}
