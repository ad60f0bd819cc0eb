package release

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
)

// RampOptions say how Ramp walks the weight of a staged release up.
type RampOptions struct {
	// Steps are the weights, strictly increasing, each in (0, 1]; default
	// DefaultRampSteps(). Steps below the weight the policy already has
	// are skipped, so re-running a stopped ramp continues where it was.
	Steps []float64
	// Hold is how long each step runs before it is judged; default 5 min.
	Hold time.Duration
	// Analyze, when set, gates each step on a canary analysis over the
	// hold (its Window is replaced by Hold: the analysis is the hold).
	// Nil holds without judging.
	Analyze *AnalyzeOptions
	// Promote promotes staging into the primary after the last step.
	Promote bool
	// Invalidate are paths to invalidate after the promote.
	Invalidate []string
	// OnStep, when set, hears each step once it has been held or judged.
	OnStep func(RampStep)
	// Sleep waits d unless ctx ends first (for tests); default a timer.
	// It also paces the analysis unless Analyze.Sleep is set.
	Sleep func(ctx context.Context, d time.Duration) error
}

// DefaultRampSteps are the weights of a ramp that names none.
func DefaultRampSteps() []float64 { return []float64{0.05, 0.25, 0.5, 1} }

// DefaultRampHold is how long each step holds when RampOptions.Hold is 0.
const DefaultRampHold = 5 * time.Minute

// MaxWeightCloudFront is the highest weight CloudFront takes in a
// SingleWeight policy (edgecd in compatible mode enforces it too;
// `edgecd up --native` lifts it).
const MaxWeightCloudFront = 0.15

// RampOutcome is how a ramp ended.
type RampOutcome string

// The outcomes of a ramp.
const (
	// RampPromoted: every step passed and staging was promoted.
	RampPromoted RampOutcome = "promoted"
	// RampCompleted: every step passed; staging was not promoted
	// (RampOptions.Promote unset), the last weight stays.
	RampCompleted RampOutcome = "completed"
	// RampAborted: a gate did not pass and the release was aborted.
	RampAborted RampOutcome = "aborted"
	// RampStopped: the ramp stopped (cancelled, timed out, or an error
	// that says nothing about the release) leaving the weight it reached.
	RampStopped RampOutcome = "stopped"
)

// Domain errors of Ramp, for errors.Is.
var (
	// ErrRampAborted: a gate failed or was inconclusive; the release was aborted.
	ErrRampAborted = errors.New("ramp aborted")
	// ErrRampStopped: the ramp stopped before its end; the weight it
	// reached stays in place.
	ErrRampStopped = errors.New("ramp stopped")
	// ErrWeightLimit: the API refuses a weight of the ramp (CloudFront,
	// and edgecd in compatible mode, cap it at MaxWeightCloudFront).
	ErrWeightLimit = errors.New("weight above the API's limit")
)

// RampStep is one step of a ramp as it went.
type RampStep struct {
	Weight float64 `json:"weight"`
	// Skipped: the policy already routed more than this weight.
	Skipped bool `json:"skipped,omitempty"`
	// Verdict is the gate's (pass without an analysis once held).
	Verdict  Verdict   `json:"verdict,omitempty"`
	Analysis *Analysis `json:"analysis,omitempty"`
}

// RampResult says what Ramp did.
type RampResult struct {
	Primary   string      `json:"primary"`
	PolicyID  string      `json:"policy_id"`
	StagingID string      `json:"staging_id,omitempty"`
	Outcome   RampOutcome `json:"outcome"`
	// Weight is the share of new viewers staging gets now: the last
	// weight set, 0 after an abort or a promote.
	Weight float64    `json:"weight"`
	Steps  []RampStep `json:"steps"`
	// FailedWeight and FailedChecks say where and why an aborted ramp
	// stopped.
	FailedWeight float64        `json:"failed_weight,omitempty"`
	FailedChecks []Check        `json:"failed_checks,omitempty"`
	Promote      *PromoteResult `json:"promote,omitempty"`
}

// ValidateSteps checks the weights of a ramp: at least one, each greater
// than 0 and at most 1, strictly increasing.
func ValidateSteps(steps []float64) error {
	if len(steps) == 0 {
		return errors.New("a ramp needs at least one weight, e.g. 0.05,0.25,0.5,1")
	}
	for i, w := range steps {
		if !(w > 0 && w <= 1) { // also refuses NaN
			return fmt.Errorf("step %d: weight %g must be greater than 0 and at most 1 (a share of new viewers, e.g. 0.25)", i+1, w)
		}
		if i > 0 && w <= steps[i-1] {
			return fmt.Errorf("step %d: weight %g must be greater than the step before it (%g): weights go up", i+1, w, steps[i-1])
		}
	}
	return nil
}

// ParseSteps reads a ramp's weights as a person writes them: fractions or
// percentages, comma-separated ("0.05,0.25,0.5,1" or "5%, 25%, 50%,
// 100%"), and validates them (ValidateSteps).
func ParseSteps(s string) ([]float64, error) {
	var steps []float64
	for i, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		num, pct := strings.CutSuffix(f, "%")
		w, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if err != nil || f == "" {
			return nil, fmt.Errorf("step %d: %q is not a weight: give fractions such as 0.05,0.25,0.5,1 or percentages such as 5%%,25%%,50%%,100%%", i+1, f)
		}
		if pct {
			w /= 100
		}
		steps = append(steps, w)
	}
	if err := ValidateSteps(steps); err != nil {
		return nil, err
	}
	return steps, nil
}

// rampPolicy is the weighted policy a ramp moves.
type rampPolicy struct {
	id, etag string
	weight   float64
	cfg      *cftypes.ContinuousDeploymentPolicyConfig
}

// Ramp walks the weight of the primary's SingleWeight policy up through
// opts.Steps: at each step it updates the policy (with a fresh ETag),
// waits until the primary is Deployed and holds for opts.Hold, judging
// staging with a canary analysis when opts.Analyze is set; after the last
// step it promotes when opts.Promote is set. The policy's session
// stickiness is kept as it is, so a viewer keeps its side across steps.
//
// A gate that does not pass aborts the release (Abort) and returns an
// error wrapping ErrRampAborted and the analysis's *VerdictError. When
// ctx ends (Ctrl-C) the ramp stops and the weight it reached stays:
// the error wraps ErrRampStopped. The result is returned with the error
// in both cases.
func (c *Client) Ramp(ctx context.Context, primaryID string, opts RampOptions) (*RampResult, error) {
	if opts.Steps == nil {
		opts.Steps = DefaultRampSteps()
	}
	if err := ValidateSteps(opts.Steps); err != nil {
		return nil, err
	}
	if opts.Hold <= 0 {
		opts.Hold = DefaultRampHold
	}
	if opts.Analyze != nil && aws.ToString(c.CloudFront.Options().BaseEndpoint) == "" {
		return nil, ErrNoMetrics // before anything changes
	}
	res := &RampResult{Primary: primaryID}
	var pol rampPolicy
	if err := c.step("read the weighted policy of "+primaryID, func() (err error) {
		pol, err = c.readRampPolicy(ctx, primaryID)
		if err != nil {
			return err
		}
		res.PolicyID, res.Weight = pol.id, pol.weight
		cur, err := c.CloudFront.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(primaryID)})
		if err != nil {
			return err
		}
		res.StagingID, err = c.findStaging(ctx, cur.DistributionConfig)
		return err
	}); err != nil {
		return nil, err
	}
	top := opts.Steps[len(opts.Steps)-1]
	if top > MaxWeightCloudFront {
		if err := c.step(fmt.Sprintf("check that the API takes a weight of %s", percent(top)), func() error {
			return c.checkWeightLimit(ctx, pol, top)
		}); err != nil {
			return nil, err
		}
	}
	for i, w := range opts.Steps {
		if w < pol.weight && !sameWeight(w, pol.weight) {
			st := RampStep{Weight: w, Skipped: true}
			res.Steps = append(res.Steps, st)
			if opts.OnStep != nil {
				opts.OnStep(st)
			}
			continue
		}
		st, err := c.rampStep(ctx, primaryID, opts, res, i, w)
		if st != nil {
			res.Steps = append(res.Steps, *st)
		}
		if err != nil {
			return res, err
		}
	}
	if !opts.Promote {
		res.Outcome = RampCompleted
		return res, nil
	}
	pr, err := c.Promote(ctx, primaryID, opts.Invalidate)
	if err != nil {
		res.Outcome = RampStopped
		return res, fmt.Errorf("%w: every step passed, but the promote failed (staging keeps %s of new viewers; run `edgecd release promote --primary %s` again): %w",
			ErrRampStopped, percent(res.Weight), primaryID, err)
	}
	res.Outcome, res.Promote, res.Weight = RampPromoted, pr, 0
	return res, nil
}

// rampStep sets weight w, waits for it to deploy and holds or judges it.
// It returns the step (nil when the weight was never set) and, when the
// ramp must end, why.
func (c *Client) rampStep(ctx context.Context, primaryID string, opts RampOptions, res *RampResult, i int, w float64) (*RampStep, error) {
	stopped := func(err error) error {
		res.Outcome = RampStopped
		where := "the policy was not changed"
		if res.Weight > 0 {
			where = fmt.Sprintf("the policy still sends %s of new viewers to staging", percent(res.Weight))
		}
		return fmt.Errorf("%w at step %d of %d (%s): %s; re-run the ramp to go on from there, or run `edgecd release promote` or `edgecd release abort` (--primary %s): %w",
			ErrRampStopped, i+1, len(opts.Steps), percent(w), where, primaryID, err)
	}
	if err := c.step(fmt.Sprintf("send %s of new viewers to staging (step %d of %d)", percent(w), i+1, len(opts.Steps)), func() error {
		return c.setWeight(ctx, primaryID, w)
	}); err != nil {
		if errors.Is(err, ErrWeightLimit) {
			res.Outcome = RampStopped
			return nil, fmt.Errorf("%w at step %d of %d: the policy still sends %s of new viewers to staging: %w",
				ErrRampStopped, i+1, len(opts.Steps), percent(res.Weight), err)
		}
		return nil, stopped(err)
	}
	res.Weight = w
	if err := c.step("wait until "+primaryID+" is Deployed", func() error { return c.waitDeployed(ctx, primaryID) }); err != nil {
		return nil, stopped(err)
	}
	st := &RampStep{Weight: w, Verdict: Pass}
	if opts.Analyze == nil {
		if err := c.step(fmt.Sprintf("hold %s at %s", opts.Hold, percent(w)), func() error {
			return sleepCtx(ctx, opts.Sleep, opts.Hold)
		}); err != nil {
			return nil, stopped(err)
		}
		if opts.OnStep != nil {
			opts.OnStep(*st)
		}
		return st, nil
	}
	ao := *opts.Analyze
	ao.Window = opts.Hold
	if ao.Sleep == nil {
		ao.Sleep = opts.Sleep
	}
	var a *Analysis
	if err := c.step(fmt.Sprintf("judge staging at %s over %s (canary analysis)", percent(w), opts.Hold), func() (err error) {
		a, err = c.Analyze(ctx, primaryID, ao)
		if err == nil {
			err = a.Err()
		}
		return err
	}); a == nil {
		return nil, stopped(err) // the analysis could not run: no evidence either way
	}
	st.Analysis, st.Verdict = a, a.Verdict
	if opts.OnStep != nil {
		opts.OnStep(*st) // before an abort's steps: why it aborts
	}
	if a.Verdict == Pass {
		return st, nil
	}
	res.FailedWeight, res.FailedChecks = w, a.Failed()
	res.Outcome = RampAborted
	if err := c.Abort(ctx, primaryID); err != nil {
		return st, fmt.Errorf("%w at step %d of %d (%s): %w; the abort failed too, so staging may still get %s of new viewers: run `edgecd release abort --primary %s`: %w",
			ErrRampAborted, i+1, len(opts.Steps), percent(w), a.Err(), percent(w), primaryID, err)
	}
	res.Weight = 0
	return st, fmt.Errorf("%w at step %d of %d (%s): %w; the release was aborted: %s serves only its own version again, the policy and the staging distribution are deleted",
		ErrRampAborted, i+1, len(opts.Steps), percent(w), a.Err(), primaryID)
}

// readRampPolicy reads the primary's policy and checks that a ramp can
// move it: attached, enabled, routing by weight.
func (c *Client) readRampPolicy(ctx context.Context, primaryID string) (rampPolicy, error) {
	stageHint := fmt.Sprintf("stage it with a weight first: `edgecd release stage --primary %s --origin-path /2.0.0 --weight 0.05`", primaryID)
	cur, err := c.CloudFront.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(primaryID)})
	if err != nil {
		return rampPolicy{}, err
	}
	if aws.ToBool(cur.DistributionConfig.Staging) {
		return rampPolicy{}, fmt.Errorf("%s is a staging distribution: give the primary's id", primaryID)
	}
	id := aws.ToString(cur.DistributionConfig.ContinuousDeploymentPolicyId)
	if id == "" {
		return rampPolicy{}, fmt.Errorf("%s has no continuous-deployment policy, so nothing is staged to ramp up: %s", primaryID, stageHint)
	}
	out, err := c.CloudFront.GetContinuousDeploymentPolicyConfig(ctx, &cloudfront.GetContinuousDeploymentPolicyConfigInput{Id: aws.String(id)})
	if err != nil {
		return rampPolicy{}, fmt.Errorf("read policy %s: %w", id, err)
	}
	cfg := out.ContinuousDeploymentPolicyConfig
	w, err := weightOf(id, cfg)
	if err != nil {
		return rampPolicy{}, fmt.Errorf("%w: %s", err, stageHint)
	}
	if !aws.ToBool(cfg.Enabled) {
		return rampPolicy{}, fmt.Errorf("policy %s is disabled (a promote disables it), so it routes no viewer to staging: %s", id, stageHint)
	}
	return rampPolicy{id: id, etag: aws.ToString(out.ETag), weight: w, cfg: cfg}, nil
}

// weightOf is the weight of a SingleWeight policy config.
func weightOf(id string, cfg *cftypes.ContinuousDeploymentPolicyConfig) (float64, error) {
	tc := cfg.TrafficConfig
	if tc == nil || tc.Type != cftypes.ContinuousDeploymentPolicyTypeSingleWeight || tc.SingleWeightConfig == nil {
		typ := "no traffic config"
		if tc != nil {
			typ = string(tc.Type)
		}
		return 0, fmt.Errorf("policy %s routes by %s, not by weight: a ramp moves the weight of a SingleWeight policy", id, typ)
	}
	return float64(aws.ToFloat32(tc.SingleWeightConfig.Weight)), nil
}

// setWeight moves the policy of primaryID to weight w, keeping the rest
// of its config (stickiness included). It refuses a policy someone
// changed under the ramp to route otherwise.
func (c *Client) setWeight(ctx context.Context, primaryID string, w float64) error {
	pol, err := c.readRampPolicy(ctx, primaryID)
	if err != nil {
		return err
	}
	if sameWeight(pol.weight, w) {
		return nil
	}
	pol.cfg.TrafficConfig.SingleWeightConfig.Weight = aws.Float32(float32(w))
	_, err = c.CloudFront.UpdateContinuousDeploymentPolicy(ctx, &cloudfront.UpdateContinuousDeploymentPolicyInput{
		Id: aws.String(pol.id), IfMatch: aws.String(pol.etag), ContinuousDeploymentPolicyConfig: pol.cfg})
	var inv *cftypes.InvalidArgument
	if errors.As(err, &inv) && w > MaxWeightCloudFront {
		return weightLimitError(w, errors.New(inv.ErrorMessage()))
	}
	return err
}

// probeETag is an If-Match no policy has: CloudFront-like APIs check the
// config before the ETag, so an update carrying it tells whether the
// config would be taken without changing anything.
const probeETag = "edgecd-ramp-probe-never-an-etag"

// checkWeightLimit makes sure the API takes weight top before the ramp
// changes anything. The real CloudFront (no custom endpoint) caps weights
// at MaxWeightCloudFront; another endpoint (edgecd, compatible or native)
// is asked with an update that cannot apply.
func (c *Client) checkWeightLimit(ctx context.Context, pol rampPolicy, top float64) error {
	if aws.ToString(c.CloudFront.Options().BaseEndpoint) == "" {
		return weightLimitError(top, fmt.Errorf("CloudFront takes weights up to %g", MaxWeightCloudFront))
	}
	probe := *pol.cfg
	tc := *probe.TrafficConfig
	sw := *tc.SingleWeightConfig
	sw.Weight = aws.Float32(float32(top))
	tc.SingleWeightConfig, probe.TrafficConfig = &sw, &tc
	out, err := c.CloudFront.UpdateContinuousDeploymentPolicy(ctx, &cloudfront.UpdateContinuousDeploymentPolicyInput{
		Id: aws.String(pol.id), IfMatch: aws.String(probeETag), ContinuousDeploymentPolicyConfig: &probe})
	var stale *cftypes.PreconditionFailed
	var inv *cftypes.InvalidArgument
	switch {
	case errors.As(err, &stale):
		return nil // the config passed; only the ETag was refused
	case errors.As(err, &inv):
		return weightLimitError(top, errors.New(inv.ErrorMessage()))
	case err == nil:
		// An API that ignores If-Match took the probe: put the weight back.
		_, err = c.CloudFront.UpdateContinuousDeploymentPolicy(ctx, &cloudfront.UpdateContinuousDeploymentPolicyInput{
			Id: aws.String(pol.id), IfMatch: out.ETag, ContinuousDeploymentPolicyConfig: pol.cfg})
		return err
	}
	return err
}

func weightLimitError(w float64, cause error) error {
	return fmt.Errorf("%w: the API refuses a weight of %g (%v): CloudFront, and edgecd in its compatible mode, cap a policy's weight at %g; run edgecd with --native (edgecd up --native) for a full rollout, or keep every step at most %g",
		ErrWeightLimit, w, cause, MaxWeightCloudFront, MaxWeightCloudFront)
}

// sameWeight compares weights as the API keeps them (float32).
func sameWeight(a, b float64) bool { return float32(a) == float32(b) }

// percent is a weight as people say it: 0.05 -> "5%".
func percent(w float64) string {
	return fmt.Sprintf("%g%%", float64(int64(w*10000+0.5))/100)
}

// sleepCtx waits d, or less if ctx ends first; sleep, when set, waits
// instead (tests).
func sleepCtx(ctx context.Context, sleep func(context.Context, time.Duration) error, d time.Duration) error {
	if sleep != nil {
		return sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
