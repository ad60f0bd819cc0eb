package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// hookEvent is what the test webhook received.
type hookEvent struct {
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	ID         string          `json:"id"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

type eventsCLIResult struct{ out, errOut string }

// awsInParallel runs independent aws commands at once (each CLI start costs
// seconds on a busy machine) and fails the test if any fails, unless it is
// listed in mayFail.
func (p *proc) awsInParallel(cmds [][]string, mayFail ...int) []eventsCLIResult {
	p.t.Helper()
	res := make([]eventsCLIResult, len(cmds))
	errs := make([]error, len(cmds))
	var wg sync.WaitGroup
	for i, c := range cmds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i].out, res[i].errOut, errs[i] = p.tryEnv(nil, "aws", c...)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil && !strings.Contains(jsonString(mayFail), jsonString(i)) {
			p.t.Fatalf("aws %s: %v\n%s%s", strings.Join(cmds[i], " "), err, res[i].out, res[i].errOut)
		}
	}
	return res
}

// TestEventBridgeWithTheCLI drives edgecd up's EventBridge API with the aws
// CLI v2. A rule in the shape of seed 001 (act when an approval fails)
// targets a state machine and a local webhook; put-events delivers to
// both. The state machine itself puts an event with the events:putEvents
// task, and its SUCCEEDED status change is an aws.states event: a second
// rule ($or of both) sends them to the webhook too, which proves the
// state machine target ran. test-event-pattern answers, and a pattern with
// a bare value is refused with InvalidEventPatternException.
func TestEventBridgeWithTheCLI(t *testing.T) {
	p := startUp(t, t.TempDir())
	hooks := make(chan hookEvent, 16)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev hookEvent
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Errorf("webhook got %q: %v", body, err)
		}
		hooks <- ev
	}))
	defer hook.Close()
	got := map[string]hookEvent{}
	wait := func(detailType string) hookEvent {
		t.Helper()
		deadline := time.After(30 * time.Second)
		for {
			if ev, ok := got[detailType]; ok {
				return ev
			}
			select {
			case ev := <-hooks:
				if _, dup := got[ev.DetailType]; dup {
					t.Errorf("the webhook got a second %q event: %+v", ev.DetailType, ev)
				}
				got[ev.DetailType] = ev
			case <-deadline:
				t.Fatalf("the webhook got no %q event within 30 s (got %v)", detailType, got)
			}
		}
	}

	def := filepath.Join(t.TempDir(), "cleanup.json")
	os.WriteFile(def, []byte(`{"StartAt":"Announce","States":{"Announce":{"Type":"Task","Resource":"arn:aws:states:::events:putEvents",
		"Parameters":{"Entries":[{"Source":"edgecd.cleanup","DetailType":"Cleanup Done","Detail":{"pipeline.$":"$.detail.pipeline","event.$":"$.id"}}]},"End":true}}}`), 0o600)
	purge := `{"source":["edgecd.pipeline"],"detail-type":["CodePipeline Action Execution State Change"],` +
		`"detail":{"stage":["Approve"],"action":["Approve"],"state":["FAILED"]}}`
	watch := `{"$or":[{"source":["aws.states"],"detail":{"status":["SUCCEEDED"]}},{"source":["edgecd.cleanup"]}]}`
	event := `{"id":"1","source":"edgecd.pipeline","detail-type":"CodePipeline Action Execution State Change","account":"000000000000",` +
		`"time":"2026-11-23T10:00:00Z","region":"us-east-1","resources":[],"detail":{"stage":"Approve","action":"Approve","state":"FAILED"}}`
	res := p.awsInParallel([][]string{
		{"stepfunctions", "create-state-machine", "--name", "cleanup", "--definition", "file://" + def, "--role-arn", sfnRole, "--output", "json"},
		{"events", "put-rule", "--name", "purge", "--event-pattern", purge, "--output", "json"},
		{"events", "put-rule", "--name", "watch", "--event-pattern", watch},
		{"events", "test-event-pattern", "--event-pattern", purge, "--event", event, "--output", "json"},
		{"events", "put-rule", "--name", "bad", "--event-pattern", `{"source":"edgecd.pipeline"}`},
	}, 4)
	var m struct{ StateMachineArn string }
	var rule struct{ RuleArn string }
	var test struct{ Result bool }
	json.Unmarshal([]byte(res[0].out), &m)
	json.Unmarshal([]byte(res[1].out), &rule)
	json.Unmarshal([]byte(res[3].out), &test)
	if m.StateMachineArn == "" || !strings.HasSuffix(rule.RuleArn, ":rule/purge") {
		t.Fatalf("create-state-machine %s, put-rule %s", res[0].out, res[1].out)
	}
	if !test.Result {
		t.Errorf("test-event-pattern: %s, want true", res[3].out)
	}
	if bad := res[4].errOut; !strings.Contains(bad, "InvalidEventPatternException") || !strings.Contains(bad, `"source" must be an object or an array`) {
		t.Errorf("a bad pattern: %q, want InvalidEventPatternException", bad)
	}

	p.awsInParallel([][]string{
		{"events", "put-targets", "--rule", "purge", "--targets", jsonString([]map[string]string{{"Id": "cleanup", "Arn": m.StateMachineArn}, {"Id": "hook", "Arn": hook.URL + "/purge"}})},
		{"events", "put-targets", "--rule", "watch", "--targets", jsonString([]map[string]string{{"Id": "hook", "Arn": hook.URL + "/watch"}})},
	})

	detail := `{"pipeline":"site","stage":"Approve","action":"Approve","state":"FAILED"}`
	var put struct {
		FailedEntryCount int
		Entries          []struct{ EventId string }
	}
	p.runJSON(&put, "events", "put-events", "--entries", jsonString([]map[string]any{
		{"Source": "edgecd.pipeline", "DetailType": "CodePipeline Action Execution State Change", "Detail": detail, "Resources": []string{"arn:aws:codepipeline:us-east-1:000000000000:site"}},
		{"Source": "edgecd.pipeline", "DetailType": "CodePipeline Action Execution State Change", "Detail": strings.Replace(detail, "FAILED", "SUCCEEDED", 1)},
		{"Source": "aws.codepipeline", "DetailType": "CodePipeline Action Execution State Change", "Detail": detail},
	}))
	if put.FailedEntryCount != 1 || len(put.Entries) != 3 || put.Entries[0].EventId == "" {
		t.Fatalf("put-events: %+v, want the aws.* source refused", put)
	}
	id := put.Entries[0].EventId

	ev := wait("CodePipeline Action Execution State Change")
	if ev.ID != id || ev.Source != "edgecd.pipeline" || !strings.Contains(string(ev.Detail), `"state":"FAILED"`) {
		t.Errorf("webhook got %+v, want event %s", ev, id)
	}
	done := wait("Cleanup Done")
	var dd struct{ Pipeline, Event string }
	if json.Unmarshal(done.Detail, &dd) != nil || dd.Pipeline != "site" || dd.Event != id {
		t.Errorf("the state machine target's putEvents detail: %s", done.Detail)
	}
	status := wait("Step Functions Execution Status Change")
	var d struct {
		ExecutionArn, StateMachineArn, Status, Input string
		StartDate, StopDate                          int64
	}
	if err := json.Unmarshal(status.Detail, &d); err != nil || status.Source != "aws.states" || d.StateMachineArn != m.StateMachineArn ||
		d.Status != "SUCCEEDED" || !strings.Contains(d.ExecutionArn, id) || !strings.Contains(d.Input, id) || d.StartDate == 0 || d.StopDate < d.StartDate {
		t.Errorf("status change %+v: %s", status, status.Detail)
	}
	if len(status.Resources) != 1 || status.Resources[0] != d.ExecutionArn {
		t.Errorf("status change resources %v, want the execution", status.Resources)
	}
	// Nothing else arrives: the SUCCEEDED entry matched no rule and the
	// target ran once.
	select {
	case ev := <-hooks:
		t.Errorf("unexpected delivery %+v", ev)
	case <-time.After(500 * time.Millisecond):
	}
}
