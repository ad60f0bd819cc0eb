package asl

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func mustParse(t testing.TB, def string) *Definition {
	t.Helper()
	d, err := Parse([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func effectsOf[T Effect](effects []Effect) []T {
	var out []T
	for _, e := range effects {
		if x, ok := e.(T); ok {
			out = append(out, x)
		}
	}
	return out
}

func eventTypes(effects []Effect) []string {
	var out []string
	for _, h := range effectsOf[HistoryEvent](effects) {
		out = append(out, h.Type)
	}
	return out
}

const heartbeatDef = `{"StartAt":"T","States":{"T":{"Type":"Task",
	"Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","Parameters":{"t.$":"$$.Task.Token"},
	"TimeoutSeconds":100,"HeartbeatSeconds":10,"End":true}}}`

func TestStepTaskLifecycleWithHeartbeat(t *testing.T) {
	d := mustParse(t, heartbeatDef)
	env := Env{Now: t0, TaskToken: func() string { return "tok" }}
	x, effects, err := Start(d, json.RawMessage(`{}`), ContextObject{Name: "e1"}, env)
	if err != nil {
		t.Fatal(err)
	}
	tasks := effectsOf[ScheduleTask](effects)
	timers := effectsOf[StartTimer](effects)
	if len(tasks) != 1 || tasks[0].Token != "tok" || string(tasks[0].Parameters) != `{"t":"tok"}` {
		t.Fatalf("ScheduleTask = %+v", tasks)
	}
	if len(timers) != 2 || !timers[0].At.Equal(t0.Add(100*time.Second)) || !timers[1].At.Equal(t0.Add(10*time.Second)) {
		t.Fatalf("timers = %+v", timers)
	}
	if pt, ptasks := x.Pending(); len(pt) != 2 || len(ptasks) != 1 || ptasks[0] != tasks[0].TaskID || x.Tasks[tasks[0].TaskID] != "tok" {
		t.Fatalf("pending after start: timers %v tasks %v", pt, ptasks)
	}
	env.Now = t0.Add(5 * time.Second)
	effects, err = x.Step(d, TaskHeartbeat{TaskID: tasks[0].TaskID}, env)
	if err != nil {
		t.Fatal(err)
	}
	cancel := effectsOf[CancelTimer](effects)
	restart := effectsOf[StartTimer](effects)
	if len(cancel) != 1 || cancel[0].TimerID != timers[1].TimerID || len(restart) != 1 || !restart[0].At.Equal(t0.Add(15*time.Second)) {
		t.Fatalf("heartbeat effects = %+v", effects)
	}
	effects, err = x.Step(d, TaskSucceeded{TaskID: tasks[0].TaskID, Output: json.RawMessage(`{"done":1.50}`)}, env)
	if err != nil {
		t.Fatal(err)
	}
	fin := effectsOf[ExecutionFinished](effects)
	if len(fin) != 1 || fin[0].Status != Succeeded || string(fin[0].Output) != `{"done":1.50}` {
		t.Fatalf("finish = %+v", fin)
	}
	if got := len(effectsOf[CancelTimer](effects)); got != 2 {
		t.Errorf("cancelled %d timers, want the timeout and the heartbeat", got)
	}
	if pt, ptasks := x.Pending(); len(pt) != 0 || len(ptasks) != 0 {
		t.Errorf("pending after the end: timers %v tasks %v", pt, ptasks)
	}
	if _, err := x.Step(d, TaskSucceeded{TaskID: tasks[0].TaskID}, env); !errors.Is(err, ErrNotRunning) {
		t.Errorf("step after the end: %v, want ErrNotRunning", err)
	}
}

func TestStepRejectsUnknownIDs(t *testing.T) {
	d := mustParse(t, heartbeatDef)
	x, _, _ := Start(d, nil, ContextObject{}, Env{Now: t0})
	for _, ev := range []Event{TaskSucceeded{TaskID: "nope"}, TaskFailed{TaskID: "nope"}, TimerFired{TimerID: "nope"}} {
		if _, err := x.Step(d, ev, Env{Now: t0}); !errors.Is(err, ErrUnknownID) {
			t.Errorf("%T: %v, want ErrUnknownID", ev, err)
		}
	}
}

func TestStopAbortsAndCancelsEverything(t *testing.T) {
	d := mustParse(t, `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
		{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}},
		{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}}]}}}`)
	x, effects, _ := Start(d, nil, ContextObject{}, Env{Now: t0})
	task := effectsOf[ScheduleTask](effects)[0]
	timer := effectsOf[StartTimer](effects)[0]
	effects, err := x.Step(d, Stop{Error: "Halt", Cause: "by hand"}, Env{Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	if c := effectsOf[CancelTask](effects); len(c) != 1 || c[0].TaskID != task.TaskID {
		t.Errorf("CancelTask = %+v", c)
	}
	if c := effectsOf[CancelTimer](effects); len(c) != 1 || c[0].TimerID != timer.TimerID {
		t.Errorf("CancelTimer = %+v", c)
	}
	want := []string{"TaskStateAborted", "WaitStateAborted", "ParallelStateAborted", "ExecutionAborted"}
	if got := eventTypes(effects); !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
	if x.Status != Aborted || x.Error != "Halt" {
		t.Errorf("status %s error %q", x.Status, x.Error)
	}
}

func TestExecutionSurvivesJSONBetweenSteps(t *testing.T) {
	d := mustParse(t, `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":5,"Next":"A"},
		"A":{"Type":"Pass","Assign":{"kept.$":"$.n"},"Next":"B"},
		"B":{"Type":"Wait","Seconds":5,"Next":"C"},
		"C":{"Type":"Pass","Parameters":{"v.$":"$kept","in.$":"$"},"End":true}}}`)
	x, effects, _ := Start(d, json.RawMessage(`{"n":1.0,"big":123456789012345678901234}`), ContextObject{}, Env{Now: t0})
	_ = effects
	for x.Status == Running {
		// Resume from the stored execution alone, as after a crash.
		timers, tasks := x.Pending()
		if len(timers) != 1 || len(tasks) != 0 {
			t.Fatalf("pending timers %v tasks %v", timers, tasks)
		}
		timer := timers[0]
		b, err := json.Marshal(x)
		if err != nil {
			t.Fatal(err)
		}
		var y Execution
		if err := json.Unmarshal(b, &y); err != nil {
			t.Fatal(err)
		}
		x = &y
		if _, err = x.Step(d, TimerFired{TimerID: timer.TimerID}, Env{Now: timer.At}); err != nil {
			t.Fatal(err)
		}
	}
	want := `{"in":{"big":123456789012345678901234,"n":1.0},"v":1.0}`
	if got := mustJSON(x.Output.V); got != want {
		t.Errorf("output %s, want %s", got, want)
	}
}

func TestWaitTimestampComparesToCallerTime(t *testing.T) {
	d := mustParse(t, `{"StartAt":"W","States":{"W":{"Type":"Wait","Timestamp":"2026-03-01T12:00:30Z","End":true}}}`)
	_, effects, _ := Start(d, nil, ContextObject{}, Env{Now: t0})
	if timers := effectsOf[StartTimer](effects); len(timers) != 1 || !timers[0].At.Equal(t0.Add(30*time.Second)) {
		t.Errorf("timers before the timestamp: %+v", timers)
	}
	x, effects, _ := Start(d, nil, ContextObject{}, Env{Now: t0.Add(time.Hour)})
	if timers := effectsOf[StartTimer](effects); len(timers) != 0 || x.Status != Succeeded {
		t.Errorf("after the timestamp: timers %+v status %s", timers, x.Status)
	}
}

func TestRetryDelaysFollowBackoffCapAndJitter(t *testing.T) {
	tests := []struct {
		name   string
		retry  string
		random float64
		want   []time.Duration
	}{
		{"defaults double from one second", `{"ErrorEquals":["E"]}`, 0, []time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second}},
		{"backoff capped by MaxDelaySeconds", `{"ErrorEquals":["E"],"IntervalSeconds":2,"BackoffRate":3,"MaxDelaySeconds":5}`, 0, []time.Duration{2 * time.Second, 5 * time.Second, 5 * time.Second}},
		{"full jitter scales by the draw", `{"ErrorEquals":["E"],"IntervalSeconds":4,"JitterStrategy":"FULL","MaxAttempts":2}`, 0.25, []time.Duration{1 * time.Second, 2 * time.Second}},
		{"backoff rate one keeps the interval", `{"ErrorEquals":["E"],"IntervalSeconds":3,"BackoffRate":1,"MaxAttempts":2}`, 0, []time.Duration{3 * time.Second, 3 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := mustParse(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true,"Retry":[`+tt.retry+`]}}}`)
			env := Env{Now: t0, Random: func() float64 { return tt.random }}
			x, effects, _ := Start(d, nil, ContextObject{}, env)
			var got []time.Duration
			for x.Status == Running {
				if task := effectsOf[ScheduleTask](effects); len(task) == 1 {
					effects, _ = x.Step(d, TaskFailed{TaskID: task[0].TaskID, Error: "E"}, env)
					continue
				}
				timer := effectsOf[StartTimer](effects)[0]
				got = append(got, timer.At.Sub(env.Now))
				env.Now = timer.At
				effects, _ = x.Step(d, TimerFired{TimerID: timer.TimerID}, env)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("delays %v, want %v", got, tt.want)
			}
		})
	}
}

func TestHistoryLimitFailsRunawayLoops(t *testing.T) {
	d := mustParse(t, `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"A"}}}`)
	res, err := Run(d, nil, nil, RunOptions{MaxHistoryEvents: 100})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != Failed || res.Error != ErrRuntime || len(res.History) > 100 {
		t.Errorf("status %s error %s after %d events", res.Status, res.Error, len(res.History))
	}
}

func TestHistoryEventWireShape(t *testing.T) {
	d := mustParse(t, `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)
	res, _ := Run(d, json.RawMessage(`{"a":1}`), nil, RunOptions{Start: t0, Context: ContextObject{RoleArn: "arn:aws:iam::1:role/r"}})
	got, _ := json.Marshal(res.History[1].Wire())
	want := `{"id":2,"previousEventId":1,"stateEnteredEventDetails":{"input":"{\"a\":1}","inputDetails":{"truncated":false},"name":"P"},"timestamp":1772366400,"type":"PassStateEntered"}`
	if string(got) != want {
		t.Errorf("wire:\n got %s\nwant %s", got, want)
	}
	started, _ := json.Marshal(res.History[0].Wire())
	if !json.Valid(started) || res.History[0].DetailsField != "executionStartedEventDetails" || res.History[0].Details["roleArn"] != "arn:aws:iam::1:role/r" {
		t.Errorf("ExecutionStarted = %s", started)
	}
}

func TestResourcePartsLikeTaskScheduled(t *testing.T) {
	tests := []struct{ arn, typ, res, region string }{
		{"arn:aws:states:::lambda:invoke", "lambda", "invoke", ""},
		{"arn:aws:states:::aws-sdk:s3:getObject", "aws-sdk:s3", "getObject", ""},
		{"arn:aws:states:::sqs:sendMessage.waitForTaskToken", "sqs", "sendMessage.waitForTaskToken", ""},
		{"arn:aws:lambda:us-east-1:123456789012:function:f", "lambda", "arn:aws:lambda:us-east-1:123456789012:function:f", "us-east-1"},
	}
	for _, tt := range tests {
		typ, res, region := resourceParts(tt.arn)
		if typ != tt.typ || res != tt.res || region != tt.region {
			t.Errorf("%s: got (%q %q %q)", tt.arn, typ, res, region)
		}
	}
}

func TestMapReaderAndWriterAreTasksForTheExecutor(t *testing.T) {
	d := mustParse(t, `{"StartAt":"M","States":{"M":{"Type":"Map",
		"ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON"},"Parameters":{"Bucket":"b","Key.$":"$.key"}},
		"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"out","Prefix":"runs"}},
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`)
	x, effects, _ := Start(d, json.RawMessage(`{"key":"items.json"}`), ContextObject{}, Env{Now: t0})
	reader := effectsOf[ScheduleTask](effects)
	if len(reader) != 1 || reader[0].Purpose != "ItemReader" || string(reader[0].Parameters) != `{"Bucket":"b","Key":"items.json"}` || string(reader[0].Config) != `{"InputType":"JSON"}` {
		t.Fatalf("reader task = %+v", reader)
	}
	effects, err := x.Step(d, TaskSucceeded{TaskID: reader[0].TaskID, Output: json.RawMessage(`["a","b"]`)}, Env{Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	writer := effectsOf[ScheduleTask](effects)
	if len(writer) != 1 || writer[0].Purpose != "ResultWriter" || string(writer[0].Payload) != `["a","b"]` {
		t.Fatalf("writer task = %+v", writer)
	}
	effects, _ = x.Step(d, TaskSucceeded{TaskID: writer[0].TaskID, Output: json.RawMessage(`{"ResultWriterDetails":{"Bucket":"out","Key":"runs/manifest.json"}}`)}, Env{Now: t0})
	if fin := effectsOf[ExecutionFinished](effects); len(fin) != 1 || string(fin[0].Output) != `{"ResultWriterDetails":{"Bucket":"out","Key":"runs/manifest.json"}}` {
		t.Fatalf("finish = %+v", fin)
	}
}
