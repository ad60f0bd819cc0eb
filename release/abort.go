package release

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
)

// Abort throws a staged release away: seed 001's cleanup in the right order,
// each step skipped when already done, so a re-run after a failure half way
// finishes the job. The primary keeps serving what it served.
func (c *Client) Abort(ctx context.Context, primaryID string) error {
	var stagingID, policyID string
	if err := c.step("wait until "+primaryID+" is Deployed", func() error { return c.waitDeployed(ctx, primaryID) }); err != nil {
		return err
	}
	if err := c.step("detach the policy from "+primaryID, func() error {
		cur, err := c.CloudFront.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(primaryID)})
		if err != nil {
			return err
		}
		if stagingID, err = c.findStaging(ctx, cur.DistributionConfig); err != nil {
			return err
		}
		policyID = aws.ToString(cur.DistributionConfig.ContinuousDeploymentPolicyId)
		if policyID == "" {
			return nil
		}
		cur.DistributionConfig.ContinuousDeploymentPolicyId = aws.String("")
		_, err = c.CloudFront.UpdateDistribution(ctx, &cloudfront.UpdateDistributionInput{Id: aws.String(primaryID), IfMatch: cur.ETag, DistributionConfig: cur.DistributionConfig})
		return err
	}); err != nil {
		return err
	}
	if policyID == "" && stagingID != "" {
		// A re-run: the policy may be detached but not yet deleted.
		if st, err := c.CloudFront.GetDistribution(ctx, &cloudfront.GetDistributionInput{Id: aws.String(stagingID)}); err == nil {
			policyID = c.policyRoutingTo(ctx, aws.ToString(st.Distribution.DomainName))
		}
	}
	if policyID != "" {
		if err := c.step("delete policy "+policyID, func() error {
			cur, err := c.CloudFront.GetContinuousDeploymentPolicy(ctx, &cloudfront.GetContinuousDeploymentPolicyInput{Id: aws.String(policyID)})
			var nf *cftypes.NoSuchContinuousDeploymentPolicy
			if errors.As(err, &nf) {
				return nil
			}
			if err != nil {
				return err
			}
			_, err = c.CloudFront.DeleteContinuousDeploymentPolicy(ctx, &cloudfront.DeleteContinuousDeploymentPolicyInput{Id: aws.String(policyID), IfMatch: cur.ETag})
			return err
		}); err != nil {
			return err
		}
	}
	if stagingID != "" {
		if err := c.step("disable staging "+stagingID, func() error {
			cur, err := c.CloudFront.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(stagingID)})
			if err != nil || !aws.ToBool(cur.DistributionConfig.Enabled) {
				return err
			}
			cur.DistributionConfig.Enabled = aws.Bool(false)
			_, err = c.CloudFront.UpdateDistribution(ctx, &cloudfront.UpdateDistributionInput{Id: aws.String(stagingID), IfMatch: cur.ETag, DistributionConfig: cur.DistributionConfig})
			return err
		}); err != nil {
			return err
		}
		if err := c.step("wait until "+stagingID+" is Deployed", func() error { return c.waitDeployed(ctx, stagingID) }); err != nil {
			return err
		}
		if err := c.step("take "+stagingID+" out of the origin bucket policy", func() error {
			cur, err := c.CloudFront.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(stagingID)})
			if err != nil {
				return err
			}
			_, err = c.revokeStaging(ctx, primaryID, stagingID, cur.DistributionConfig)
			return err
		}); err != nil {
			return err
		}
		if err := c.step("delete staging "+stagingID, func() error {
			cur, err := c.CloudFront.GetDistribution(ctx, &cloudfront.GetDistributionInput{Id: aws.String(stagingID)})
			if err != nil {
				return err
			}
			_, err = c.CloudFront.DeleteDistribution(ctx, &cloudfront.DeleteDistributionInput{Id: aws.String(stagingID), IfMatch: cur.ETag})
			return err
		}); err != nil {
			return err
		}
	}
	return c.step("record the cleanup in SSM", func() error { return c.putParam(ctx, c.paramStaging(), StagingDeleted) })
}

func (c *Client) policyRoutingTo(ctx context.Context, domain string) string {
	out, err := c.CloudFront.ListContinuousDeploymentPolicies(ctx, &cloudfront.ListContinuousDeploymentPoliciesInput{})
	if err != nil || out.ContinuousDeploymentPolicyList == nil {
		return ""
	}
	for _, s := range out.ContinuousDeploymentPolicyList.Items {
		names := s.ContinuousDeploymentPolicy.ContinuousDeploymentPolicyConfig.StagingDistributionDnsNames
		if names != nil && len(names.Items) == 1 && names.Items[0] == domain {
			return aws.ToString(s.ContinuousDeploymentPolicy.Id)
		}
	}
	return ""
}
