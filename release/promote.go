package release

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// paramPromoted keeps the history of promoted origin paths (its SSM
// parameter history), which rollback walks back.
func (c *Client) paramPromoted() string {
	if c.PromotedParam != "" {
		return c.PromotedParam
	}
	return "/" + c.Service + "/release/promoted"
}

// PromoteResult says what Promote did.
type PromoteResult struct {
	StagingID  string `json:"staging_id"`
	OriginPath string `json:"origin_path"`
	// PreviousOriginPath is what the primary served before (empty when
	// it was already promoted).
	PreviousOriginPath string `json:"previous_origin_path,omitempty"`
	AlreadyPromoted    bool   `json:"already_promoted"`
	InvalidationID     string `json:"invalidation_id,omitempty"`
}

// Promote copies the staging config into the primary
// (UpdateDistributionWithStagingConfig with both ETags), retrying a lost
// ETag race with fresh ETags, waits until the primary is Deployed,
// optionally invalidates paths, and records the promoted origin path.
func (c *Client) Promote(ctx context.Context, primaryID string, invalidate []string) (*PromoteResult, error) {
	res := &PromoteResult{}
	var primaryCfg *cftypes.DistributionConfig
	if err := c.step("find the staging distribution of "+primaryID, func() error {
		out, err := c.CloudFront.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(primaryID)})
		if err != nil {
			return err
		}
		primaryCfg = out.DistributionConfig
		res.StagingID, err = c.findStaging(ctx, primaryCfg)
		if err == nil && res.StagingID == "" {
			err = errors.New("nothing is staged for this primary: run `edgecd release stage` first")
		}
		return err
	}); err != nil {
		return nil, err
	}
	if err := c.step("promote "+res.StagingID+" into "+primaryID, func() error {
		// Both ETags are read afresh on every attempt: step runs this again
		// when someone changed either distribution between read and write.
		p, err := c.CloudFront.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(primaryID)})
		if err != nil {
			return err
		}
		s, err := c.CloudFront.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(res.StagingID)})
		if err != nil {
			return err
		}
		po, err1 := defaultOrigin(p.DistributionConfig)
		so, err2 := defaultOrigin(s.DistributionConfig)
		if err := errors.Join(err1, err2); err != nil {
			return err
		}
		res.OriginPath = aws.ToString(so.OriginPath)
		if aws.ToString(po.OriginPath) == res.OriginPath && !c.policyEnabled(ctx, p.DistributionConfig) {
			res.AlreadyPromoted = true // a re-run after success
			return nil
		}
		res.PreviousOriginPath = aws.ToString(po.OriginPath)
		_, err = c.CloudFront.UpdateDistributionWithStagingConfig(ctx, &cloudfront.UpdateDistributionWithStagingConfigInput{
			Id: aws.String(primaryID), StagingDistributionId: aws.String(res.StagingID),
			IfMatch: aws.String(aws.ToString(p.ETag) + ", " + aws.ToString(s.ETag)),
		})
		return err
	}); err != nil {
		return nil, err
	}
	if err := c.step("wait until "+primaryID+" is Deployed", func() error { return c.waitDeployed(ctx, primaryID) }); err != nil {
		return nil, err
	}
	if len(invalidate) > 0 {
		if err := c.step("invalidate "+strings.Join(invalidate, " "), func() (err error) {
			res.InvalidationID, err = c.Invalidate(ctx, primaryID, invalidate, true)
			return err
		}); err != nil {
			return nil, err
		}
	}
	if err := c.step("record the promoted version in SSM", func() error {
		if err := c.putParam(ctx, c.paramVersion(), strings.TrimPrefix(res.OriginPath, "/")); err != nil {
			return err
		}
		if res.PreviousOriginPath != "" && res.PreviousOriginPath != res.OriginPath {
			// The first promote also records what was served before, so
			// rollback has somewhere to go back to.
			hist, err := c.promotedHistory(ctx)
			if err != nil {
				return err
			}
			if len(hist) == 0 {
				if err := c.putParam(ctx, c.paramPromoted(), res.PreviousOriginPath); err != nil {
					return err
				}
			}
		}
		return c.putParam(ctx, c.paramPromoted(), res.OriginPath)
	}); err != nil {
		return nil, err
	}
	return res, nil
}

func (c *Client) policyEnabled(ctx context.Context, cfg *cftypes.DistributionConfig) bool {
	id := aws.ToString(cfg.ContinuousDeploymentPolicyId)
	if id == "" {
		return false
	}
	out, err := c.CloudFront.GetContinuousDeploymentPolicy(ctx, &cloudfront.GetContinuousDeploymentPolicyInput{Id: aws.String(id)})
	return err == nil && aws.ToBool(out.ContinuousDeploymentPolicy.ContinuousDeploymentPolicyConfig.Enabled)
}

// SplitPaths reads a comma-separated list of paths, as `--invalidate` and a
// pipeline's `paths` give them ("/index.html, /assets/*"), dropping blanks.
func SplitPaths(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Invalidate creates an invalidation and, with wait, polls GetInvalidation
// until it is Completed (seed 003's Lambda as one call).
func (c *Client) Invalidate(ctx context.Context, distID string, paths []string, wait bool) (string, error) {
	out, err := c.CloudFront.CreateInvalidation(ctx, &cloudfront.CreateInvalidationInput{
		DistributionId: aws.String(distID),
		InvalidationBatch: &cftypes.InvalidationBatch{
			CallerReference: aws.String(fmt.Sprintf("edgecd-%d", c.now().UnixNano())),
			Paths:           &cftypes.Paths{Quantity: aws.Int32(int32(len(paths))), Items: paths},
		},
	})
	if err != nil {
		return "", err
	}
	id := aws.ToString(out.Invalidation.Id)
	if !wait {
		return id, nil
	}
	w := cloudfront.NewInvalidationCompletedWaiter(c.CloudFront, func(o *cloudfront.InvalidationCompletedWaiterOptions) {
		o.MinDelay = c.poll()
		o.MaxDelay = 4 * o.MinDelay
	})
	if c.OnWait != nil {
		c.OnWait("invalidation " + id + " is " + aws.ToString(out.Invalidation.Status))
	}
	return id, w.Wait(ctx, &cloudfront.GetInvalidationInput{DistributionId: aws.String(distID), Id: aws.String(id)}, 15*time.Minute)
}

// Rollback points the primary's default origin back at the previously
// promoted origin path (or at to, when given) in one update.
func (c *Client) Rollback(ctx context.Context, primaryID, to string) (string, error) {
	target := NormalizeOriginPath(to)
	if target == "" {
		if err := c.step("find the previous promoted version", func() error {
			hist, err := c.promotedHistory(ctx)
			if err != nil {
				return err
			}
			if len(hist) < 2 {
				return errors.New("there is no earlier promoted version to roll back to: name one with --to VERSION")
			}
			target = hist[len(hist)-2]
			return nil
		}); err != nil {
			return "", err
		}
	}
	if err := c.step("point "+primaryID+" at "+target, func() error {
		cur, err := c.CloudFront.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(primaryID)})
		if err != nil {
			return err
		}
		o, err := defaultOrigin(cur.DistributionConfig)
		if err != nil || aws.ToString(o.OriginPath) == target {
			return err
		}
		o.OriginPath = aws.String(target)
		_, err = c.CloudFront.UpdateDistribution(ctx, &cloudfront.UpdateDistributionInput{Id: aws.String(primaryID), IfMatch: cur.ETag, DistributionConfig: cur.DistributionConfig})
		return err
	}); err != nil {
		return "", err
	}
	if err := c.step("wait until "+primaryID+" is Deployed", func() error { return c.waitDeployed(ctx, primaryID) }); err != nil {
		return "", err
	}
	return target, c.step("record the rollback in SSM", func() error {
		if err := c.putParam(ctx, c.paramVersion(), strings.TrimPrefix(target, "/")); err != nil {
			return err
		}
		return c.putParam(ctx, c.paramPromoted(), target)
	})
}

// promotedHistory lists the promoted origin paths, oldest first, with
// consecutive repeats folded.
func (c *Client) promotedHistory(ctx context.Context) ([]string, error) {
	var out []string
	p := ssm.NewGetParameterHistoryPaginator(c.SSM, &ssm.GetParameterHistoryInput{Name: aws.String(c.paramPromoted())})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			var nf *ssmtypes.ParameterNotFound
			if errors.As(err, &nf) {
				return nil, nil
			}
			return nil, err
		}
		for _, h := range page.Parameters {
			v := aws.ToString(h.Value)
			if len(out) == 0 || out[len(out)-1] != v {
				out = append(out, v)
			}
		}
	}
	return out, nil
}
