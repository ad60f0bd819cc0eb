package e2e

import (
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
)

// rampResult is the part of `edgecd release ramp --output json` the tests read.
type rampResult struct {
	Outcome string  `json:"outcome"`
	Weight  float64 `json:"weight"`
	Steps   []struct {
		Weight  float64 `json:"weight"`
		Skipped bool    `json:"skipped"`
		Verdict string  `json:"verdict"`
	} `json:"steps"`
	FailedWeight float64 `json:"failed_weight"`
	FailedChecks []struct {
		Name, Status string
	} `json:"failed_checks"`
}

// weightedRelease starts `edgecd up` with extra flags and stages the
// demo's 2.0.0 on its primary with a SingleWeight policy at 5%.
func weightedRelease(t *testing.T, extra ...string) (p *proc, primary, domain, staging string) {
	t.Helper()
	p = startUp(t, t.TempDir(), extra...)
	primary, domain = p.info.Distributions[0].ID, p.info.Distributions[0].Domain
	var staged struct {
		StagingID string `json:"staging_id"`
	}
	out := p.run("edgecd", "release", "stage", "--primary", primary, "--origin-path", "/2.0.0", "--weight", "0.05", "--output", "json")
	if err := json.Unmarshal([]byte(out), &staged); err != nil || staged.StagingID == "" {
		t.Fatalf("release stage --output json: %v in %q", err, out)
	}
	return p, primary, domain, staged.StagingID
}

// policyWeight is the weight of primary's attached policy, -1 without one,
// and whether that policy is enabled.
func policyWeight(t *testing.T, p *proc, primary string) (float64, bool) {
	t.Helper()
	cf, _, _ := p.sdk()
	ctx := context.Background()
	d, err := cf.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(primary)})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(d.DistributionConfig.ContinuousDeploymentPolicyId)
	if id == "" {
		return -1, false
	}
	pol, err := cf.GetContinuousDeploymentPolicyConfig(ctx, &cloudfront.GetContinuousDeploymentPolicyConfigInput{Id: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	cfg := pol.ContinuousDeploymentPolicyConfig
	if cfg.TrafficConfig == nil || cfg.TrafficConfig.SingleWeightConfig == nil {
		t.Fatalf("policy %s is not a SingleWeight policy: %+v", id, cfg.TrafficConfig)
	}
	return float64(aws.ToFloat32(cfg.TrafficConfig.SingleWeightConfig.Weight)), aws.ToBool(cfg.Enabled)
}

// TestReleaseRampStopsOnCtrlCAndPromotesWhenRunAgain walks a weighted
// release up on `edgecd up --native`: Ctrl-C during the first hold stops
// the ramp with the weight it set still in place; running the ramp again
// goes on from there to 100% and promotes, after which every viewer gets
// v2 and the policy no longer routes.
func TestReleaseRampStopsOnCtrlCAndPromotesWhenRunAgain(t *testing.T) {
	p, primary, domain, _ := weightedRelease(t, "--native")

	cmd := exec.Command(binary, "release", "ramp", "--primary", primary, "--steps", "0.1,0.5,1", "--hold", "1h")
	cmd.Env = p.env()
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	for !strings.Contains(stderr.String(), "• hold 1h0m0s at 10%") {
		select {
		case err := <-exited:
			t.Fatalf("ramp exited before its first hold: %v\n%s%s", err, stdout.String(), stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	cmd.Process.Signal(syscall.SIGINT)
	var err error
	select {
	case err = <-exited:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("ramp did not stop within 30 s of Ctrl-C:\n%s", stderr.String())
	}
	if err == nil {
		t.Fatalf("a ramp stopped by Ctrl-C exited 0:\n%s", stdout.String())
	}
	for _, want := range []string{"ramp stopped at step 1 of 3 (10%)", "still sends 10% of new viewers to staging", "re-run the ramp"} {
		if !strings.Contains(stderr.String(), want) {
			t.Fatalf("the stopped ramp's message lacks %q:\n%s", want, stderr.String())
		}
	}
	if w, enabled := policyWeight(t, p, primary); w != float64(float32(0.1)) || !enabled {
		t.Fatalf("after Ctrl-C the policy has weight %g (enabled %v), want 0.1 left in place", w, enabled)
	}

	out, errOut, err := p.try("edgecd", "release", "ramp", "--primary", primary, "--steps", "0.05,0.1,0.5,1", "--hold", "1s", "--output", "json")
	if err != nil {
		t.Fatalf("ramp: %v\nstdout: %s\nstderr: %s", err, out, errOut)
	}
	var res rampResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("ramp --output json: %v in %q", err, out)
	}
	if res.Outcome != "promoted" || len(res.Steps) != 4 || !res.Steps[0].Skipped || res.Steps[1].Skipped || res.Steps[3].Weight != 1 {
		t.Fatalf("ramp from 10%% (the 5%% step below it skipped) to a promote: %s", out)
	}
	for _, want := range []string{"• send 50% of new viewers to staging (step 3 of 4)", "• hold 1s at 100%", "• promote "} {
		if !strings.Contains(errOut, want) {
			t.Fatalf("the ramp's log lacks %q:\n%s", want, errOut)
		}
	}
	for i := range 20 {
		if _, h, body := p.get(domain, "/"); !strings.Contains(body, "v2 App") || h.Get("X-Edgecd-Side") != "primary" {
			t.Fatalf("viewer %d after the promote got %q from side %q, want v2 from the primary", i, firstLine(body), h.Get("X-Edgecd-Side"))
		}
	}
	if _, enabled := policyWeight(t, p, primary); enabled {
		t.Fatal("after the ramp's promote the policy still routes viewers to staging")
	}
	if _, errOut, err := p.try("edgecd", "release", "ramp", "--primary", primary, "--hold", "1ms"); err == nil ||
		!strings.Contains(errOut, "is disabled (a promote disables it)") || !strings.Contains(errOut, "--weight 0.05") {
		t.Fatalf("a ramp after the promote: %v\n%s", err, errOut)
	}
}

// TestReleaseRampAbortsOnAFailedGate ramps a release whose staging side
// answers 502 with a canary gate at each step, while viewers flow: the
// first gate fails on the 5xx check, the release is aborted (primary-only
// routing, staging deleted) and the command fails naming the step and the
// check.
func TestReleaseRampAbortsOnAFailedGate(t *testing.T) {
	p, primary, domain, staging := weightedRelease(t, "--native")
	breakOrigin(t, p, staging)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var viewerErr error
	wg.Add(1)
	go func() { // view, not p.get: only the test's goroutine may call t.Fatal
		defer wg.Done()
		for range 40000 {
			select {
			case <-stop:
				return
			default:
			}
			if viewerErr = view(p, domain); viewerErr != nil {
				return
			}
		}
	}()
	out, errOut, err := p.try("edgecd", "release", "ramp", "--primary", primary, "--steps", "0.5,1", "--analyze",
		"--hold", "2s", "--min-requests", "20", "--latency-floor", "2s", "--output", "json")
	close(stop)
	wg.Wait()
	if viewerErr != nil {
		t.Fatalf("a viewer request failed: %v", viewerErr)
	}
	if err == nil {
		t.Fatalf("a ramp whose staging answers 502 succeeded:\n%s", out)
	}
	t.Logf("the aborted ramp's log:\n%s", errOut)
	for _, want := range []string{"ramp aborted at step 1 of 2 (50%)", "5xx-rate fail", "the release was aborted"} {
		if !strings.Contains(errOut, want) {
			t.Fatalf("the aborted ramp's error lacks %q:\n%s", want, errOut)
		}
	}
	var res rampResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("ramp --output json: %v in %q", err, out)
	}
	failed5xx := false
	for _, c := range res.FailedChecks {
		failed5xx = failed5xx || c.Name == "5xx-rate" && c.Status == "fail"
	}
	if res.Outcome != "aborted" || res.FailedWeight != 0.5 || !failed5xx || res.Weight != 0 {
		t.Fatalf("aborted ramp's result: %s", out)
	}
	if w, _ := policyWeight(t, p, primary); w != -1 {
		t.Fatalf("after the abort the primary still has a policy (weight %g)", w)
	}
	for i := range 20 {
		if code, h, body := p.get(domain, "/"); code != 200 || !strings.Contains(body, "v1 App") || h.Get("X-Edgecd-Side") != "primary" {
			t.Fatalf("viewer %d after the abort got %d %q from side %q, want v1 from the primary", i, code, firstLine(body), h.Get("X-Edgecd-Side"))
		}
	}
}

// breakOrigin points a distribution's default origin at a loopback port
// nothing listens on, so the edge answers its viewers 502, and waits
// until that is deployed.
func breakOrigin(t *testing.T, p *proc, id string) {
	t.Helper()
	cf, _, _ := p.sdk()
	ctx := context.Background()
	cur, err := cf.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	cfg := cur.DistributionConfig
	o := &cfg.Origins.Items[0]
	cfg.DefaultCacheBehavior.TargetOriginId = o.Id
	o.DomainName, o.OriginPath, o.S3OriginConfig = aws.String("127.0.0.1"), aws.String(""), nil
	o.CustomOriginConfig = &cftypes.CustomOriginConfig{HTTPPort: aws.Int32(closedPort(t)), HTTPSPort: aws.Int32(443),
		OriginProtocolPolicy: cftypes.OriginProtocolPolicyHttpOnly}
	if _, err := cf.UpdateDistribution(ctx, &cloudfront.UpdateDistributionInput{Id: aws.String(id), IfMatch: cur.ETag, DistributionConfig: cfg}); err != nil {
		t.Fatal(err)
	}
	err = cloudfront.NewDistributionDeployedWaiter(cf, func(o *cloudfront.DistributionDeployedWaiterOptions) {
		o.MinDelay = 100 * time.Millisecond
	}).Wait(ctx, &cloudfront.GetDistributionInput{Id: aws.String(id)}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
}

// TestReleaseRampRefusesWeightsAboveTheCompatibleCapUpFront:
// edgecd without --native caps weights at 0.15 as CloudFront does, so a
// ramp to 50% is refused up front, the policy keeping its 5%, with a
// message saying how to ramp; a ramp within the cap runs.
func TestReleaseRampRefusesWeightsAboveTheCompatibleCapUpFront(t *testing.T) {
	p, primary, _, _ := weightedRelease(t)
	_, errOut, err := p.try("edgecd", "release", "ramp", "--primary", primary, "--steps", "0.1,0.5", "--hold", "1s")
	if err == nil {
		t.Fatal("a ramp to 50% succeeded in compatible mode")
	}
	for _, want := range []string{"the API refuses a weight of 0.5", "--native", "keep every step at most 0.15"} {
		if !strings.Contains(errOut, want) {
			t.Fatalf("the refused ramp's error lacks %q:\n%s", want, errOut)
		}
	}
	if w, enabled := policyWeight(t, p, primary); w != float64(float32(0.05)) || !enabled {
		t.Fatalf("a refused ramp left the policy at weight %g (enabled %v), want 0.05 untouched", w, enabled)
	}
	p.run("edgecd", "release", "ramp", "--primary", primary, "--steps", "0.1,0.15", "--hold", "1ms", "--no-promote")
	if w, enabled := policyWeight(t, p, primary); w != float64(float32(0.15)) || !enabled {
		t.Fatalf("a ramp to 15%% without promote left weight %g (enabled %v), want 0.15", w, enabled)
	}
	p.run("edgecd", "release", "stage", "--primary", primary, "--origin-path", "/2.0.0", "--header", "aws-cf-cd-env=staging")
	if _, errOut, err := p.try("edgecd", "release", "ramp", "--primary", primary, "--steps", "0.1", "--hold", "1ms"); err == nil ||
		!strings.Contains(errOut, "routes by SingleHeader, not by weight") || !strings.Contains(errOut, "--weight 0.05") {
		t.Fatalf("a ramp of a header policy: %v\n%s", err, errOut)
	}
}
