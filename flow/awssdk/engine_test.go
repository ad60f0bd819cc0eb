package awssdk

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/edgecd/edgecd/asl"
	"github.com/edgecd/edgecd/flow"
)

// A definition catches the service's errors by the names Step Functions
// gives them, and reads the SDK output shapes with JSONPath.
func TestDefinitionsCatchServiceErrorsByName(t *testing.T) {
	f := newFixture(t)
	d := f.create(t)
	ctx, cancel := context.WithTimeout(f.ctx, 30*time.Second)
	defer cancel()
	e, err := flow.New(flow.Options{Store: f.db, Node: "test", Logger: slog.New(slog.DiscardHandler),
		SDK: func(ctx context.Context, service, action string, t flow.Task) (json.RawMessage, error) {
			return f.svc.Call(ctx, service, action, t.Parameters)
		}})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { e.Run(runCtx); close(done) }()
	defer func() { stop(); <-done }()

	m, err := e.CreateMachine(ctx, flow.Machine{ARN: flow.MachineARN("us-east-1", account, "sdk"), Name: "sdk", RoleArn: "arn:aws:iam::" + account + ":role/r",
		Definition: `{"StartAt":"Get","States":{
		"Get":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:cloudfront:getDistribution","Parameters":{"Id.$":"$.id"},
		       "ResultSelector":{"ETag.$":"$.ETag","Path.$":"$.Distribution.DistributionConfig.Origins.Items[0].OriginPath","Config.$":"$.Distribution.DistributionConfig"},"ResultPath":"$.got",
		       "Catch":[{"ErrorEquals":["CloudFront.NoSuchDistributionException"],"ResultPath":"$.error","Next":"Missing"}],"Next":"Update"},
		"Update":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:cloudfront:updateDistribution",
		       "Parameters":{"Id.$":"$.id","IfMatch":"E2STALE","DistributionConfig.$":"$.got.Config"},
		       "Catch":[{"ErrorEquals":["CloudFront.PreconditionFailedException"],"ResultPath":"$.error","Next":"Stale"}],"End":true},
		"Stale":{"Type":"Pass","Result":"stale","ResultPath":"$.outcome","End":true},
		"Missing":{"Type":"Pass","Result":"missing","ResultPath":"$.outcome","End":true}}}`})
	if err != nil {
		t.Fatal(err)
	}
	run := func(name, input string) flow.Execution {
		x, err := e.Start(ctx, m.ARN, name, json.RawMessage(input))
		if err != nil {
			t.Fatal(err)
		}
		if x, err = e.Wait(ctx, x.ARN); err != nil {
			t.Fatal(err)
		}
		if x.Status != asl.Succeeded {
			t.Fatalf("%s: %s %s %s", name, x.Status, x.Error, x.Cause)
		}
		return x
	}
	var out struct {
		Outcome string
		Got     struct{ ETag, Path string }
		Error   struct{ Error string }
	}
	json.Unmarshal(run("missing", `{"id":"ENOSUCH"}`).Output, &out)
	if out.Outcome != "missing" || out.Error.Error != "CloudFront.NoSuchDistributionException" {
		t.Fatalf("unknown distribution: %+v", out)
	}
	out = struct {
		Outcome string
		Got     struct{ ETag, Path string }
		Error   struct{ Error string }
	}{}
	json.Unmarshal(run("stale", `{"id":"`+d.Distribution.Id+`"}`).Output, &out)
	if out.Outcome != "stale" || out.Got.ETag != d.ETag || out.Got.Path != "/v1" {
		t.Fatalf("existing distribution: %+v", out)
	}
}

// The examples users copy must stay valid definitions that call only
// actions served here.
func TestExampleDefinitionsAreValid(t *testing.T) {
	served := map[string]bool{}
	for _, a := range CloudFrontActions() {
		served["arn:aws:states:::aws-sdk:cloudfront:"+a] = true
	}
	served["arn:aws:states:::aws-sdk:ssm:getParameter"] = true
	served["arn:aws:states:::aws-sdk:ssm:putParameter"] = true
	for _, name := range []string{"configure", "promote"} {
		body, err := os.ReadFile(filepath.Join("..", "..", "examples", "sfn", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := asl.Parse(body); err != nil {
			t.Fatalf("%s.json: %v", name, err)
		}
		var def struct {
			States map[string]struct{ Type, Resource string }
		}
		json.Unmarshal(body, &def)
		for state, s := range def.States {
			if s.Type == "Task" && !served[s.Resource] {
				t.Errorf("%s.json: state %s calls %s, which edgecd does not serve", name, state, s.Resource)
			}
		}
	}
}
