package release

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/edgecd/edgecd/cdn"
	"github.com/edgecd/edgecd/release/releasetest"
)

// apiClient is a Client on an in-process edgecd API (CloudFront in mode,
// SSM) with a primary serving /1.0.0; the test talks to it through the
// SDK as the release commands do to any endpoint.
func apiClient(t *testing.T, mode cdn.Mode) (*Client, string) {
	t.Helper()
	c := NewClient(releasetest.Start(t, mode, nil))
	c.S3, c.Poll = nil, 5*time.Millisecond
	return c, releasetest.CreatePrimary(t, c.CloudFront)
}

// policyOf reads the config and ETag of the primary's policy.
func policyOf(t *testing.T, c *Client, primary string) (*cftypes.ContinuousDeploymentPolicyConfig, string) {
	t.Helper()
	ctx := context.Background()
	d, err := c.CloudFront.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(primary)})
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.CloudFront.GetContinuousDeploymentPolicyConfig(ctx, &cloudfront.GetContinuousDeploymentPolicyConfigInput{Id: d.DistributionConfig.ContinuousDeploymentPolicyId})
	if err != nil {
		t.Fatal(err)
	}
	return p.ContinuousDeploymentPolicyConfig, aws.ToString(p.ETag)
}

func stageAt(t *testing.T, c *Client, primary string, in StageInput) {
	t.Helper()
	in.PrimaryID, in.OriginPath = primary, "/2.0.0"
	if _, err := c.Stage(context.Background(), in); err != nil {
		t.Fatal(err)
	}
}

func TestRampSkipsStepsBelowTheWeightAndKeepsStickiness(t *testing.T) {
	c, primary := apiClient(t, cdn.Native)
	w := 0.3
	stageAt(t, c, primary, StageInput{Weight: &w, StickyIdle: 300, StickyMax: 600})
	var holds []time.Duration
	var heard []RampStep
	res, err := c.Ramp(context.Background(), primary, RampOptions{Steps: []float64{0.1, 0.3, 0.6}, Hold: time.Minute,
		Sleep:  func(_ context.Context, d time.Duration) error { holds = append(holds, d); return nil },
		OnStep: func(st RampStep) { heard = append(heard, st) }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != RampCompleted || res.Weight != 0.6 || len(res.Steps) != 3 || !res.Steps[0].Skipped || res.Steps[1].Skipped || res.Steps[2].Verdict != Pass {
		t.Fatalf("result %+v", res)
	}
	if len(holds) != 2 || holds[0] != time.Minute || len(heard) != 3 {
		t.Fatalf("held %v and reported %d steps, want two one-minute holds and three steps", holds, len(heard))
	}
	cfg, _ := policyOf(t, c, primary)
	sw := cfg.TrafficConfig.SingleWeightConfig
	if aws.ToFloat32(sw.Weight) != 0.6 || !aws.ToBool(cfg.Enabled) {
		t.Fatalf("policy weight %v enabled %v, want 0.6 and enabled", aws.ToFloat32(sw.Weight), aws.ToBool(cfg.Enabled))
	}
	if s := sw.SessionStickinessConfig; s == nil || aws.ToInt32(s.IdleTTL) != 300 || aws.ToInt32(s.MaximumTTL) != 600 {
		t.Fatalf("stickiness after the ramp: %+v, want 300/600 as staged", s)
	}
}

func TestRampStopsOnCancelLeavingTheWeight(t *testing.T) {
	c, primary := apiClient(t, cdn.Native)
	w := 0.05
	stageAt(t, c, primary, StageInput{Weight: &w})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err := c.Ramp(ctx, primary, RampOptions{Steps: []float64{0.25, 1}, Hold: time.Hour, Promote: true,
		Sleep: func(ctx context.Context, _ time.Duration) error { cancel(); return ctx.Err() }})
	if !errors.Is(err, ErrRampStopped) || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "still sends 25% of new viewers") {
		t.Fatalf("err = %v, want ErrRampStopped saying the weight in place", err)
	}
	if res == nil || res.Outcome != RampStopped || res.Weight != 0.25 {
		t.Fatalf("result %+v", res)
	}
	if cfg, _ := policyOf(t, c, primary); aws.ToFloat32(cfg.TrafficConfig.SingleWeightConfig.Weight) != 0.25 || !aws.ToBool(cfg.Enabled) {
		t.Fatalf("after cancel the policy is %+v, want weight 0.25 still routing", cfg.TrafficConfig.SingleWeightConfig)
	}
}

func TestRampRefusesWeightsTheAPICapsBeforeChangingAnything(t *testing.T) {
	c, primary := apiClient(t, cdn.Compatible)
	w := 0.05
	stageAt(t, c, primary, StageInput{Weight: &w})
	_, before := policyOf(t, c, primary)
	_, err := c.Ramp(context.Background(), primary, RampOptions{Steps: []float64{0.1, 0.5}, Hold: time.Hour,
		Sleep: func(context.Context, time.Duration) error { t.Fatal("the ramp held a step"); return nil }})
	if !errors.Is(err, ErrWeightLimit) || !strings.Contains(err.Error(), "--native") {
		t.Fatalf("err = %v, want ErrWeightLimit telling about --native", err)
	}
	if _, after := policyOf(t, c, primary); after != before {
		t.Fatalf("the refused ramp changed the policy (ETag %s -> %s)", before, after)
	}
}

func TestRampNeedsAnEnabledWeightPolicy(t *testing.T) {
	c, primary := apiClient(t, cdn.Native)
	opts := RampOptions{Steps: []float64{0.5}, Hold: time.Second, Sleep: func(context.Context, time.Duration) error { return nil }}
	if _, err := c.Ramp(context.Background(), primary, opts); err == nil || !strings.Contains(err.Error(), "has no continuous-deployment policy") {
		t.Fatalf("nothing staged: err = %v", err)
	}
	stageAt(t, c, primary, StageInput{HeaderName: "aws-cf-cd-env", HeaderValue: "staging"})
	if _, err := c.Ramp(context.Background(), primary, opts); err == nil || !strings.Contains(err.Error(), "routes by SingleHeader, not by weight") ||
		!strings.Contains(err.Error(), "--weight") {
		t.Fatalf("a header policy: err = %v", err)
	}
}
