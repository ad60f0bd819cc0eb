package events

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	evbus "github.com/edgecd/edgecd/events"
	"github.com/edgecd/edgecd/store/sqlite"
)

const goTarget = "arn:edgecd:test:::target/"

func newHandler(t testing.TB, cfg Config) (*Handler, *evbus.Bus) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	b, err := evbus.New(evbus.Options{Store: db, Account: "123456789012", Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	b.RegisterTarget(goTarget, func(context.Context, evbus.Event, json.RawMessage) error { return nil })
	return New(b, cfg), b
}

// call sends one request through ServeHTTP and returns the status, the
// error code (if any) and the body.
func call(t *testing.T, h http.Handler, op, body string) (int, string, string) {
	t.Helper()
	r := httptest.NewRequest("POST", "/", strings.NewReader(body))
	r.Header.Set("X-Amz-Target", TargetPrefix+op)
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, w.Header().Get("X-Amzn-ErrorType"), w.Body.String()
}

func TestOperations(t *testing.T) {
	h, _ := newHandler(t, Config{})
	pattern := `{\"source\":[\"app\"],\"detail\":{\"state\":[\"FAILED\"]}}`
	steps := []struct {
		name, op, body string
		status         int
		code           string
		want           string // in the body
	}{
		{"put rule", "PutRule", `{"Name":"purge","EventPattern":"` + pattern + `","Description":"clean up"}`, 200, "", `{"RuleArn":"arn:aws:events:eu-west-1:123456789012:rule/purge"}`},
		{"bad pattern", "PutRule", `{"Name":"bad","EventPattern":"{\"source\":\"app\"}"}`, 400, "InvalidEventPatternException", `Event pattern is not valid. Reason: \"source\" must be an object or an array`},
		{"no name", "PutRule", `{"EventPattern":"` + pattern + `"}`, 400, "ValidationException", "Value null at 'name'"},
		{"schedule", "PutRule", `{"Name":"cron","ScheduleExpression":"rate(5 minutes)"}`, 400, "ValidationException", "ScheduleExpression"},
		{"bad state", "PutRule", `{"Name":"x","EventPattern":"` + pattern + `","State":"ON"}`, 400, "ValidationException", "ENABLED, DISABLED"},
		{"other bus", "PutRule", `{"Name":"x","EventPattern":"` + pattern + `","EventBusName":"custom"}`, 400, "ResourceNotFoundException", "Event bus custom does not exist."},
		{"wrong type", "PutRule", `{"Name":5}`, 400, "SerializationException", ""},
		{"describe", "DescribeRule", `{"Name":"purge"}`, 200, "", `"State":"ENABLED","Description":"clean up","EventBusName":"default","CreatedBy":"123456789012"`},
		{"describe missing", "DescribeRule", `{"Name":"nope"}`, 400, "ResourceNotFoundException", "Rule nope does not exist on EventBus default."},
		{"put targets", "PutTargets", `{"Rule":"purge","Targets":[{"Id":"a","Arn":"` + goTarget + `x","InputPath":"$.detail"},{"Id":"b","Arn":"https://hooks.example/x","InputTransformer":{"InputPathsMap":{"s":"$.detail.state"},"InputTemplate":"\"<s>\""}}]}`, 200, "", `{"FailedEntryCount":0,"FailedEntries":[]}`},
		{"targets on missing rule", "PutTargets", `{"Rule":"nope","Targets":[{"Id":"a","Arn":"` + goTarget + `"}]}`, 400, "ResourceNotFoundException", ""},
		{"target without arn", "PutTargets", `{"Rule":"purge","Targets":[{"Id":"a"}]}`, 400, "ValidationException", "targets.member.arn"},
		{"no targets", "PutTargets", `{"Rule":"purge","Targets":[]}`, 400, "ValidationException", ""},
		{"list targets", "ListTargetsByRule", `{"Rule":"purge","Limit":1}`, 200, "", `{"Targets":[{"Id":"a","Arn":"arn:edgecd:test:::target/x","InputPath":"$.detail"}],"NextToken":"1"}`},
		{"list targets page 2", "ListTargetsByRule", `{"Rule":"purge","NextToken":"1"}`, 200, "", `"InputTransformer":{"InputPathsMap":{"s":"$.detail.state"},"InputTemplate":"\"\u003cs\u003e\""}`},
		{"bad limit", "ListRules", `{"Limit":0}`, 400, "ValidationException", "between 1 and 100"},
		{"delete with targets", "DeleteRule", `{"Name":"purge"}`, 400, "ValidationException", "Rule can't be deleted since it has targets."},
		{"disable", "DisableRule", `{"Name":"purge"}`, 200, "", `{}`},
		{"list", "ListRules", `{"NamePrefix":"pu"}`, 200, "", `"Name":"purge","Arn":"arn:aws:events:eu-west-1:123456789012:rule/purge"`},
		{"listed disabled", "ListRules", `{}`, 200, "", `"State":"DISABLED"`},
		{"enable missing", "EnableRule", `{"Name":"nope"}`, 400, "ResourceNotFoundException", ""},
		{"put events", "PutEvents", `{"Entries":[{"Source":"app","DetailType":"d","Detail":"{\"state\":\"FAILED\"}","Time":1700000000},{"Source":"app","DetailType":"d","Detail":"[]"}]}`, 200, "", `"FailedEntryCount":1`},
		{"too many events", "PutEvents", `{"Entries":[` + strings.Repeat(`{"Source":"a","DetailType":"d","Detail":"{}"},`, 10) + `{"Source":"a","DetailType":"d","Detail":"{}"}]}`, 400, "ValidationException", "between 1 and 10"},
		{"test pattern true", "TestEventPattern", `{"EventPattern":"` + pattern + `","Event":"` + envelope(`\"source\":\"app\",\"detail\":{\"state\":\"FAILED\"}`) + `"}`, 200, "", `{"Result":true}`},
		{"test pattern false", "TestEventPattern", `{"EventPattern":"` + pattern + `","Event":"` + envelope(`\"source\":\"other\"`) + `"}`, 200, "", `{"Result":false}`},
		{"test pattern without envelope", "TestEventPattern", `{"EventPattern":"` + pattern + `","Event":"{\"source\":\"app\"}"}`, 400, "ValidationException", "Parameter Event is not valid"},
		{"test pattern invalid", "TestEventPattern", `{"EventPattern":"{}","Event":"{}"}`, 400, "InvalidEventPatternException", "Empty objects are not allowed"},
		{"remove targets", "RemoveTargets", `{"Rule":"purge","Ids":["a","b"]}`, 200, "", `{"FailedEntryCount":0,"FailedEntries":[]}`},
		{"delete", "DeleteRule", `{"Name":"purge"}`, 200, "", `{}`},
		{"unknown op", "CreateEventBus", `{}`, 400, "UnknownOperationException", ""},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			status, code, body := call(t, h, s.op, s.body)
			if status != s.status || code != s.code || !strings.Contains(body, s.want) {
				t.Errorf("%s: %d %q %s\nwant %d %q containing %s", s.op, status, code, body, s.status, s.code, s.want)
			}
		})
	}
}

// envelope is an event's JSON text (escaped for a JSON string) with the
// mandatory fields and the given ones.
func envelope(fields string) string {
	return `{\"id\":\"1\",\"account\":\"123456789012\",\"time\":\"2026-11-23T10:00:00Z\",\"region\":\"eu-west-1\",\"resources\":[],\"detail-type\":\"d\",` + fields + `}`
}

func TestPutEventsResultsKeepOrder(t *testing.T) {
	h, _ := newHandler(t, Config{})
	_, _, body := call(t, h, "PutEvents", `{"Entries":[{"Source":"a","DetailType":"d","Detail":"{}"},{"DetailType":"d","Detail":"{}"}]}`)
	var out putEventsOutput
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	if out.FailedEntryCount != 1 || out.Entries[0].EventId == "" || out.Entries[1].ErrorCode != "InvalidArgument" {
		t.Errorf("%s", body)
	}
}

type denied struct{}

func (denied) Error() string     { return "no policy allows it" }
func (denied) ErrorCode() string { return "AccessDeniedException" }
func (denied) HTTPStatus() int   { return 400 }

func TestAuthorizeNamesActionAndResource(t *testing.T) {
	var asked []string
	h, _ := newHandler(t, Config{Authorize: func(_ context.Context, action, resource string) error {
		asked = append(asked, action+" "+resource)
		return denied{}
	}})
	status, code, _ := call(t, h, "PutRule", `{"Name":"r","EventPattern":"{\"a\":[1]}"}`)
	if status != 400 || code != "AccessDeniedException" {
		t.Errorf("%d %s", status, code)
	}
	call(t, h, "PutEvents", `{"Entries":[{"Source":"a","DetailType":"d","Detail":"{}"}]}`)
	want := []string{"events:PutRule arn:aws:events:eu-west-1:123456789012:rule/r", "events:PutEvents arn:aws:events:eu-west-1:123456789012:event-bus/default"}
	if strings.Join(asked, "\n") != strings.Join(want, "\n") {
		t.Errorf("asked %q, want %q", asked, want)
	}
}

func TestPutEventsTask(t *testing.T) {
	h, _ := newHandler(t, Config{})
	out, err := h.PutEventsTask(context.Background(), json.RawMessage(`{"Entries":[{"Source":"app","DetailType":"d","Detail":{"a":1}},{"Source":"app","DetailType":"d","Detail":"{\"b\":2}"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Entries          []struct{ EventId string }
		FailedEntryCount int
	}
	if err := json.Unmarshal(out, &res); err != nil || len(res.Entries) != 2 || res.Entries[0].EventId == "" || res.FailedEntryCount != 0 {
		t.Errorf("result %s, %v", out, err)
	}
	_, err = h.PutEventsTask(context.Background(), json.RawMessage(`{"Entries":[{"Source":"app","DetailType":"d","Detail":[1]}]}`))
	var te *TaskError
	if !errors.As(err, &te) || te.Name != "EventBridge.FailedEntry" {
		t.Errorf("a failed entry: %v", err)
	}
	_, err = h.PutEventsTask(context.Background(), json.RawMessage(`{"Entries":[]}`))
	if !errors.As(err, &te) || te.Name != "EventBridge.ValidationException" {
		t.Errorf("no entries: %v", err)
	}
}

func TestListRulesPages(t *testing.T) {
	h, _ := newHandler(t, Config{})
	for _, name := range []string{"c", "a", "b"} {
		if status, code, body := call(t, h, "PutRule", `{"Name":"`+name+`","EventPattern":"{\"source\":[\"x\"]}"}`); status != 200 {
			t.Fatalf("%s %s", code, body)
		}
	}
	var names []string
	token := ""
	for range 3 {
		_, _, body := call(t, h, "ListRules", `{"Limit":2,"NextToken":"`+token+`"}`)
		var out listRulesOutput
		if err := json.Unmarshal([]byte(body), &out); err != nil {
			t.Fatal(err)
		}
		for _, r := range out.Rules {
			names = append(names, r.Name)
		}
		if token = out.NextToken; token == "" {
			break
		}
	}
	if strings.Join(names, ",") != "a,b,c" {
		t.Errorf("pages gave %v, want a,b,c", names)
	}
}
