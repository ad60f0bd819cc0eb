package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const buildPipeline = `name: web
sources:
  - name: app
    repo: %s
    branch: main
    trigger: manual
stages:
  - name: Source
    actions:
      - name: Checkout
        kind: source.git
  - name: Build
    actions:
      - name: Build
        kind: build
  - name: Approve
    actions:
      - name: Approve
        kind: approval
`

// gitRepo makes a repository whose build prints a marker line.
func gitRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	spec := "version: 0.2\nphases:\n  build:\n    commands:\n      - echo built-by-the-console-test\n"
	if err := os.WriteFile(filepath.Join(dir, "buildspec.yml"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"}, {"commit", "-q", "-m", "first"}} {
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Dev", "GIT_AUTHOR_EMAIL=dev@example.com", "GIT_COMMITTER_NAME=Dev", "GIT_COMMITTER_EMAIL=dev@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return dir
}

// putPipeline creates a pipeline through the CodePipeline API, signed
// with the admin key as `edgecd pipeline create` does.
func (s *site) putPipeline(t *testing.T, yaml string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"definition": yaml})
	req, _ := http.NewRequest("POST", s.api+"/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "CodePipeline_20150709.EdgecdPutPipeline")
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: s.admin.AccessKeyID, SecretAccessKey: s.admin.SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "codepipeline", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("put pipeline: %s", resp.Status)
	}
}

type runAnswer struct {
	Run struct {
		ID     string
		Status string
		Stages []struct {
			Name    string
			Actions []struct {
				Name, Kind, Status string
				Approval           *struct{ Result, By, Comment string }
			}
		}
	}
}

func TestConsoleRunsLogsAndRejectsAPipeline(t *testing.T) {
	s := startSite(t)
	s.putPipeline(t, fmt.Sprintf(buildPipeline, gitRepo(t)))
	b := s.browser(t)
	b.login(s.admin)

	st, out := b.do("GET", "pipelines", nil, false)
	if ps := out["pipelines"].([]any); st != 200 || len(ps) != 1 || ps[0].(map[string]any)["name"] != "web" {
		t.Fatalf("pipelines: %d %v", st, out)
	}
	st, out = b.do("POST", "pipelines/web/start", nil, true)
	id, _ := out["pipelineExecutionId"].(string)
	if st != 200 || id == "" {
		t.Fatalf("start: %d %v", st, out)
	}
	run := waitRunState(t, b, id, func(r runAnswer) bool { return r.Run.Stages[2].Actions[0].Status == "InProgress" })
	if run.Run.Stages[1].Actions[0].Status != "Succeeded" {
		t.Fatalf("the build did not succeed before the approval: %+v", run)
	}
	st, out = b.do("GET", "runs/"+id+"/log?stage=Build&action=Build", nil, false)
	if data, _ := out["data"].(string); st != 200 || !strings.Contains(data, "built-by-the-console-test") {
		t.Fatalf("build log: %d %v", st, out)
	}
	if st, out := b.do("GET", "runs/"+id+"/log", nil, false); st != 400 {
		t.Fatalf("a log without stage and action: %d %v", st, out)
	}
	if st, out := b.do("POST", "runs/"+id+"/decide", map[string]string{"stage": "Approve", "action": "Approve", "status": "Maybe"}, true); st != 400 {
		t.Fatalf("decide Maybe: %d %v", st, out)
	}
	st, out = b.do("POST", "runs/"+id+"/decide", map[string]string{"stage": "Approve", "action": "Approve", "status": "Rejected", "comment": "not today"}, true)
	if st != 200 {
		t.Fatalf("reject: %d %v", st, out)
	}
	run = waitRunState(t, b, id, func(r runAnswer) bool { return r.Run.Status == "Failed" })
	ap := run.Run.Stages[2].Actions[0].Approval
	if ap == nil || ap.Result != "Rejected" || ap.Comment != "not today" || ap.By != s.admin.ARN() {
		t.Fatalf("the approval reads %+v", ap)
	}
	if st, out := b.do("POST", "runs/"+id+"/decide", map[string]string{"stage": "Approve", "action": "Approve", "status": "Approved"}, true); st != 400 || errCode(out) != "ApprovalAlreadyCompletedException" {
		t.Fatalf("a second decision: %d %v", st, out)
	}
	st, out = b.do("GET", "pipelines/web/runs?max=5", nil, false)
	if runs, _ := out["runs"].([]any); st != 200 || len(runs) != 1 {
		t.Fatalf("runs: %d %v", st, out)
	}
	if st, _ := b.do("GET", "pipelines/web/runs?max=0", nil, false); st != 400 {
		t.Fatalf("runs?max=0: %d", st)
	}

	// The run is a flow execution; the executions pages read it.
	_, out = b.do("GET", "statemachines", nil, false)
	machines, _ := out["stateMachines"].([]any)
	if len(machines) != 1 {
		t.Fatalf("state machines: %v", out)
	}
	arn := machines[0].(map[string]any)["stateMachineArn"].(string)
	_, out = b.do("GET", "executions?stateMachineArn="+url.QueryEscape(arn), nil, false)
	execs, _ := out["executions"].([]any)
	if len(execs) != 1 || execs[0].(map[string]any)["status"] != "FAILED" {
		t.Fatalf("executions: %v", out)
	}
	execArn := execs[0].(map[string]any)["executionArn"].(string)
	st, out = b.do("GET", "execution?executionArn="+url.QueryEscape(execArn), nil, false)
	hist, _ := out["history"].(map[string]any)
	events, _ := hist["events"].([]any)
	if st != 200 || len(events) < 3 || events[0].(map[string]any)["type"] != "ExecutionFailed" {
		t.Fatalf("execution: %d %v", st, out)
	}
	if st, out := b.do("GET", "execution?executionArn="+url.QueryEscape(execArn+"x"), nil, false); st != 400 || errCode(out) != "ExecutionDoesNotExist" {
		t.Fatalf("an unknown execution: %d %v", st, out)
	}
}

// waitRunState polls the console's run call until cond holds.
func waitRunState(t *testing.T, b *browser, id string, cond func(runAnswer) bool) runAnswer {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, out := b.do("GET", "runs/"+id, nil, false)
		raw, _ := json.Marshal(out)
		var r runAnswer
		json.Unmarshal(raw, &r)
		if st == 200 && len(r.Run.Stages) == 3 && cond(r) {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %s did not reach the state: %d %s", id, st, raw)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
