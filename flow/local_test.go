package flow

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/edgecd/edgecd/asl"
)

func TestRunLocalPrintsHistoryAndOutput(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"version":"v42"}`))
	}))
	defer srv.Close()
	def := `{"StartAt":"Ask","States":{
		"Ask":{"Type":"Task","Resource":"arn:aws:states:::http:invoke","Parameters":{"ApiEndpoint":"` + srv.URL + `","Method":"GET","QueryParameters":{"app":"web"}},
		       "ResultSelector":{"v.$":"$.ResponseBody.version","code.$":"$.StatusCode"},"Next":"W"},
		"W":{"Type":"Wait","Seconds":600,"Next":"Check"},
		"Check":{"Type":"Choice","Choices":[{"Variable":"$.v","StringEquals":"v42","Next":"Ok"}],"Default":"No"},
		"Ok":{"Type":"Succeed"},"No":{"Type":"Fail","Error":"Mismatch"}}}`
	var out bytes.Buffer
	x, err := RunLocal(context.Background(), []byte(def), []byte(`{}`), &out, LocalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, x, asl.Succeeded)
	jsonEqual(t, x.Output, `{"v":"v42","code":200}`)
	text := out.String()
	for _, want := range []string{"ExecutionStarted", "TaskStateEntered", "Ask", "WaitStateEntered", "+ 600.000s", "ExecutionSucceeded", `status: SUCCEEDED`, `output: {"code":200,"v":"v42"}`} {
		if !strings.Contains(text, want) {
			t.Fatalf("output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "\x1b[") {
		t.Fatal("colour without LocalOptions.Color")
	}
}

func TestRunLocalReportsFailureAndBadDefinition(t *testing.T) {
	var out bytes.Buffer
	x, err := RunLocal(context.Background(), []byte(`{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Boom","Cause":"on purpose"}}}`), nil, &out, LocalOptions{Color: true})
	if err != nil {
		t.Fatal(err)
	}
	if x.Status != asl.Failed || x.Error != "Boom" || !strings.Contains(out.String(), "\x1b[31m") {
		t.Fatalf("%+v\n%s", x, out.String())
	}
	_, err = RunLocal(context.Background(), []byte(`{"StartAt":"X","States":{}}`), nil, &out, LocalOptions{})
	var ve *asl.ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) == 0 {
		t.Fatalf("bad definition: %v", err)
	}
	_, err = RunLocal(context.Background(), []byte(`{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`), []byte(`{`), &out, LocalOptions{})
	if err == nil {
		t.Fatal("invalid input accepted")
	}
}
