package release

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/smithy-go"
)

func TestHintSaysWhatToDoNext(t *testing.T) {
	apiErr := func(code string) error {
		return &smithy.OperationError{ServiceID: "CloudFront", OperationName: "UpdateDistribution",
			Err: &smithy.GenericAPIError{Code: code, Message: "refused"}}
	}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"wrong id", apiErr("NoSuchDistribution"), "aws cloudfront list-distributions"},
		{"missing permission names the IAM action", apiErr("AccessDenied"), "cloudfront:UpdateDistribution"},
		{"lost ETag race", apiErr("PreconditionFailed"), "run the same command again"},
		{"policy attached elsewhere", apiErr("ContinuousDeploymentPolicyInUse"), "attached to another primary"},
		{"staging used by another primary", apiErr("StagingDistributionInUse"), "abort that release first"},
		{"timeout", fmt.Errorf("wait: %w", context.DeadlineExceeded), "edgecd release status"},
		{"anything else", errors.New("boom"), "every step checks what is already done"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Hint(tt.err); !strings.Contains(got, tt.want) {
				t.Fatalf("Hint = %q, want it to mention %q", got, tt.want)
			}
		})
	}
}

func TestStepErrorNamesTheStepAndTheNextMove(t *testing.T) {
	c := &Client{}
	err := c.step("attach the policy to E1", func() error { return errors.New("boom") })
	var se *StepError
	if !errors.As(err, &se) || se.Step != "attach the policy to E1" {
		t.Fatalf("err = %v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, `step "attach the policy to E1" failed: boom`) || !strings.Contains(msg, "next: ") {
		t.Fatalf("message %q", msg)
	}
}

func TestStepRetriesALostETagRaceWithFreshReads(t *testing.T) {
	c := &Client{}
	calls := 0
	err := c.step("update", func() error {
		calls++
		if calls < 3 {
			return &smithy.OperationError{Err: stalePrecondition()}
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("err %v after %d calls; want success on the third", err, calls)
	}
	calls = 0
	err = c.step("update", func() error { calls++; return stalePrecondition() })
	if err == nil || calls != staleRetries+1 {
		t.Fatalf("a race lost every time: err %v after %d calls, want failure after %d", err, calls, staleRetries+1)
	}
}

func TestParamNamesAreConfigurable(t *testing.T) {
	c := &Client{Service: "svc"}
	if c.paramVersion() != "/svc/version/frontend" || c.paramStaging() != "/svc/cloudfront/cfcd-staging" || c.paramPromoted() != "/svc/release/promoted" {
		t.Fatalf("defaults: %s %s %s", c.paramVersion(), c.paramStaging(), c.paramPromoted())
	}
	c.VersionParam, c.StagingParam, c.PromotedParam = "/a", "/b", "/c"
	if c.paramVersion() != "/a" || c.paramStaging() != "/b" || c.paramPromoted() != "/c" {
		t.Fatal("overrides ignored")
	}
}

func FuzzParseHeader(f *testing.F) {
	for _, s := range []string{"aws-cf-cd-env=staging", "=x", "a=", "a==b", " a = b "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, value, ok := ParseHeader(s)
		if ok && (name == "" || value == "" || strings.TrimSpace(name) != name) {
			t.Fatalf("ParseHeader(%q) = %q, %q, ok", s, name, value)
		}
	})
}

func stalePrecondition() error {
	return &cftypes.PreconditionFailed{Message: aws.String("the If-Match version is stale")}
}

func TestStageRefusesContradictoryRouting(t *testing.T) {
	w := 0.1
	tests := []struct {
		name string
		in   StageInput
		want string
	}{
		{"header and weight", StageInput{HeaderName: "aws-cf-cd-env", HeaderValue: "s", Weight: &w}, "either a header or a weight"},
		{"header without the prefix", StageInput{HeaderName: "x-env", HeaderValue: "s"}, `must start with "aws-cf-cd-"`},
		{"stickiness on a header", StageInput{HeaderName: "aws-cf-cd-env", HeaderValue: "s", StickyIdle: 300}, "applies to --weight"},
		{"no routing", StageInput{}, "--header aws-cf-cd-env=staging or --weight"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.in.trafficConfig(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
