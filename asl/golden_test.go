package asl

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden histories in testdata/golden")

// TestGoldenHistories runs each testdata/golden/*.case.json and compares the
// full GetExecutionHistory events (wire shape) and the result with
// *.history.json. Refresh with go test ./asl -run Golden -update and review
// the diff.
func TestGoldenHistories(t *testing.T) {
	files, _ := filepath.Glob("testdata/golden/*.case.json")
	if len(files) == 0 {
		t.Fatal("no golden cases")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".case.json")
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var c corpusCase
			if err := json.Unmarshal(b, &c); err != nil {
				t.Fatal(err)
			}
			d, err := Parse(c.Definition)
			if err != nil {
				t.Fatal(err)
			}
			used := map[string]int{}
			res, err := Run(d, c.Input, func(st ScheduleTask) (json.RawMessage, error) {
				script := c.Tasks[st.StateName]
				if len(script) == 0 {
					return st.Parameters, nil
				}
				s := script[min(used[st.StateName], len(script)-1)]
				used[st.StateName]++
				if s.Error != "" {
					return nil, &TaskError{Name: s.Error, Cause: s.Cause}
				}
				return s.Output, nil
			}, RunOptions{Context: ContextObject{
				ExecutionID: "arn:aws:states:us-east-1:111111111111:execution:golden:" + name, Name: name,
				RoleArn:        "arn:aws:iam::111111111111:role/golden",
				StateMachineID: "arn:aws:states:us-east-1:111111111111:stateMachine:golden", StateMachineName: "golden",
			}})
			if err != nil {
				t.Fatal(err)
			}
			events := make([]map[string]any, len(res.History))
			for i, h := range res.History {
				events[i] = h.Wire()
			}
			got, _ := json.MarshalIndent(map[string]any{
				"status": res.Status, "output": json.RawMessage(orNull(res.Output)), "error": res.Error, "cause": res.Cause, "events": events,
			}, "", "  ")
			got = append(got, '\n')
			path := filepath.Join("testdata/golden", name+".history.json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("history differs from %s; run with -update and review the diff\n%s", path, got)
			}
		})
	}
}

func orNull(b json.RawMessage) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage("null")
	}
	return b
}
