package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const sfnRole = "arn:aws:iam::123456789012:role/edgecd-flow"

type execOut struct {
	ExecutionArn, Status, Output, Error, Cause string
}

// waitExecution polls describe-execution (as a pipeline would) until the
// execution is no longer RUNNING. The bound is generous: seed 000's
// machines run some twenty tasks and a Wait, and each poll is an aws CLI
// start, seconds each on a busy machine.
func (p *proc) waitExecution(arn string) execOut {
	p.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		var x execOut
		p.runJSON(&x, "stepfunctions", "describe-execution", "--execution-arn", arn)
		if x.Status != "RUNNING" {
			return x
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("execution %s still RUNNING after 90 s", arn)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (p *proc) historyTypes(arn string) []string {
	p.t.Helper()
	var h struct{ Events []struct{ Type string } }
	p.runJSON(&h, "stepfunctions", "get-execution-history", "--execution-arn", arn)
	var types []string
	for _, e := range h.Events {
		types = append(types, e.Type)
	}
	return types
}

// TestStepFunctionsWithTheCLI drives edgecd up's Step Functions API with
// the aws CLI v2: a machine's lifecycle, then the seed 000 Configure and
// Promote machines from examples/sfn moving the demo's traffic at the edge.
func TestStepFunctionsWithTheCLI(t *testing.T) {
	p := startUp(t, t.TempDir())
	dir := t.TempDir()

	t.Run("create start describe history stop", func(t *testing.T) {
		def := filepath.Join(dir, "wait.json")
		os.WriteFile(def, []byte(`{"StartAt":"Hold","States":{"Hold":{"Type":"Wait","Seconds":3600,"Next":"Done"},"Done":{"Type":"Succeed"}}}`), 0o600)
		var m struct{ StateMachineArn string }
		p.runJSON(&m, "stepfunctions", "create-state-machine", "--name", "hold", "--definition", "file://"+def, "--role-arn", sfnRole)
		var started execOut
		p.runJSON(&started, "stepfunctions", "start-execution", "--state-machine-arn", m.StateMachineArn, "--name", "first", "--input", `{"n":1}`)
		var x execOut
		p.runJSON(&x, "stepfunctions", "describe-execution", "--execution-arn", started.ExecutionArn)
		if x.Status != "RUNNING" {
			t.Fatalf("describe-execution: %+v, want RUNNING", x)
		}
		if got := p.historyTypes(started.ExecutionArn); !slices.Equal(got, []string{"ExecutionStarted", "WaitStateEntered"}) {
			t.Fatalf("history while waiting: %v", got)
		}
		p.run("aws", "stepfunctions", "stop-execution", "--execution-arn", started.ExecutionArn, "--error", "Operator", "--cause", "no longer needed")
		x = p.waitExecution(started.ExecutionArn)
		if x.Status != "ABORTED" || x.Error != "Operator" {
			t.Fatalf("after stop-execution: %+v", x)
		}
	})

	t.Run("seed 000 configure and promote move traffic", func(t *testing.T) {
		primary := p.info.Distributions[0]
		viewer := func(staging bool) string {
			t.Helper()
			var hdr []string
			if staging {
				hdr = []string{"aws-cf-cd-env", "staging"}
			}
			code, _, body := p.get(primary.Domain, "/", hdr...)
			if code != 200 {
				t.Fatalf("edge answered %d: %s", code, body)
			}
			for _, v := range []string{"v1 App", "v2 App", "v3 App"} {
				if strings.Contains(body, v) {
					return v
				}
			}
			t.Fatalf("edge served no known version: %s", body)
			return ""
		}
		if a, b := viewer(false), viewer(true); a != "v1 App" || b != "v2 App" {
			t.Fatalf("demo before configure: %s / %s", a, b)
		}
		// Version 3.0.0 is in the bucket; the pipeline records it in SSM.
		p.run("aws", "ssm", "put-parameter", "--name", "/site/version/frontend", "--value", "3.0.0", "--type", "String")
		machine := func(name string) string {
			var m struct{ StateMachineArn string }
			p.runJSON(&m, "stepfunctions", "create-state-machine", "--name", name, "--role-arn", sfnRole,
				"--definition", "file://"+filepath.Join("..", "examples", "sfn", name+".json"))
			return m.StateMachineArn
		}
		input := `{"ParameterKeyFrontendVersion":"/site/version/frontend","ParameterKeyStagingDistributionId":"/site/cloudfront/staging",` +
			`"PrimaryDistributionId":"` + primary.ID + `","PollSeconds":1}`
		run := func(machineARN string) execOut {
			var started execOut
			p.runJSON(&started, "stepfunctions", "start-execution", "--state-machine-arn", machineARN, "--input", input)
			x := p.waitExecution(started.ExecutionArn)
			if x.Status != "SUCCEEDED" {
				t.Fatalf("%s: %s %s: %s", machineARN, x.Status, x.Error, x.Cause)
			}
			return x
		}

		// First run: no staging id stored yet, so Configure copies the
		// primary as a new staging distribution and routes the policy to it.
		x := run(machine("configure"))
		if !strings.Contains(x.Output, `"Version":"3.0.0"`) {
			t.Fatalf("configure output %s", x.Output)
		}
		var param struct{ Parameter struct{ Value string } }
		p.runJSON(&param, "ssm", "get-parameter", "--name", "/site/cloudfront/staging")
		if param.Parameter.Value == "" || param.Parameter.Value == p.info.Distributions[1].ID {
			t.Fatalf("configure stored staging id %q; want a new copy", param.Parameter.Value)
		}
		if a, b := viewer(false), viewer(true); a != "v1 App" || b != "v3 App" {
			t.Fatalf("after configure: viewers get %s, testers %s; want v1 and v3", a, b)
		}

		run(machine("promote"))
		if a, b := viewer(false), viewer(true); a != "v3 App" || b != "v3 App" {
			t.Fatalf("after promote: viewers get %s, testers %s; want v3 for all", a, b)
		}
	})
}
