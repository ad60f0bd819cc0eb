package release

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
)

// StageInput says what to stage and how to route to it.
type StageInput struct {
	PrimaryID  string
	OriginPath string // e.g. /2.0.0
	Version    string // recorded in /<service>/version/frontend; default: the origin path without '/'
	// Exactly one of Header or Weight routes traffic.
	HeaderName, HeaderValue string
	Weight                  *float64
	StickyIdle, StickyMax   int32 // seconds; both 0 = no stickiness
}

// StageResult names what Stage set up.
type StageResult struct {
	StagingID     string `json:"staging_id"`
	StagingDomain string `json:"staging_domain"`
	PolicyID      string `json:"policy_id"`
	OriginPath    string `json:"origin_path"`
	Version       string `json:"version"`
	// BucketPolicies lists the origin buckets whose policy now also lets
	// the staging distribution read (empty when none needed it).
	BucketPolicies []string `json:"bucket_policies_updated,omitempty"`
}

func (in *StageInput) trafficConfig() (*cftypes.TrafficConfig, error) {
	switch {
	case in.HeaderName != "" && in.Weight != nil:
		return nil, fmt.Errorf("give either a header or a weight, not both")
	case in.HeaderName != "" && (in.StickyIdle != 0 || in.StickyMax != 0):
		return nil, fmt.Errorf("session stickiness (--sticky-idle, --sticky-max) applies to --weight routing, not to a header")
	case in.HeaderName != "":
		if !strings.HasPrefix(strings.ToLower(in.HeaderName), "aws-cf-cd-") {
			return nil, fmt.Errorf("header name %q must start with \"aws-cf-cd-\" (e.g. aws-cf-cd-env=staging)", in.HeaderName)
		}
		return &cftypes.TrafficConfig{Type: cftypes.ContinuousDeploymentPolicyTypeSingleHeader,
			SingleHeaderConfig: &cftypes.ContinuousDeploymentSingleHeaderConfig{Header: aws.String(in.HeaderName), Value: aws.String(in.HeaderValue)}}, nil
	case in.Weight != nil:
		w := &cftypes.ContinuousDeploymentSingleWeightConfig{Weight: aws.Float32(float32(*in.Weight))}
		if in.StickyIdle != 0 || in.StickyMax != 0 {
			w.SessionStickinessConfig = &cftypes.SessionStickinessConfig{IdleTTL: aws.Int32(in.StickyIdle), MaximumTTL: aws.Int32(in.StickyMax)}
		}
		return &cftypes.TrafficConfig{Type: cftypes.ContinuousDeploymentPolicyTypeSingleWeight, SingleWeightConfig: w}, nil
	}
	return nil, fmt.Errorf("say how to route to staging: --header aws-cf-cd-env=staging or --weight 0.1")
}

// Stage creates or reuses the staging distribution of a primary, points it
// at the origin path, creates or updates the continuous-deployment policy,
// attaches and enables it (re-enabling one a promote disabled), waits until
// both distributions are Deployed and records the release in SSM. Running
// it twice changes nothing the second time.
func (c *Client) Stage(ctx context.Context, in StageInput) (*StageResult, error) {
	tc, err := in.trafficConfig()
	if err != nil {
		return nil, err
	}
	res := &StageResult{OriginPath: NormalizeOriginPath(in.OriginPath), Version: in.Version}
	if res.OriginPath == "" {
		return nil, fmt.Errorf("give the origin path of the version to stage (e.g. --origin-path /2.0.0)")
	}
	if res.Version == "" {
		res.Version = strings.TrimPrefix(res.OriginPath, "/")
	}
	var primary *cloudfront.GetDistributionConfigOutput
	if err := c.step("read primary "+in.PrimaryID, func() (err error) {
		primary, err = c.CloudFront.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(in.PrimaryID)})
		if err == nil && aws.ToBool(primary.DistributionConfig.Staging) {
			err = fmt.Errorf("%s is a staging distribution: give the primary's id", in.PrimaryID)
		}
		return err
	}); err != nil {
		return nil, err
	}
	if err := c.step("find or create the staging distribution", func() error {
		id, err := c.findStaging(ctx, primary.DistributionConfig)
		if err != nil {
			return err
		}
		if id == "" {
			// Fresh ETag: a retry after a lost race must not reuse the old one.
			cur, err := c.CloudFront.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(in.PrimaryID)})
			if err != nil {
				return err
			}
			out, err := c.CloudFront.CopyDistribution(ctx, &cloudfront.CopyDistributionInput{
				PrimaryDistributionId: aws.String(in.PrimaryID),
				CallerReference:       aws.String(fmt.Sprintf("edgecd-release-%s-%d", in.PrimaryID, c.now().UnixNano())),
				IfMatch:               cur.ETag,
				Staging:               aws.Bool(true),
			})
			if err != nil {
				return err
			}
			id = aws.ToString(out.Distribution.Id)
		}
		res.StagingID = id
		return nil
	}); err != nil {
		return nil, err
	}
	if err := c.step("point staging "+res.StagingID+" at "+res.OriginPath, func() error {
		cur, err := c.CloudFront.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(res.StagingID)})
		if err != nil {
			return err
		}
		cfg := cur.DistributionConfig
		o, err := defaultOrigin(cfg)
		if err != nil {
			return err
		}
		if aws.ToString(o.OriginPath) == res.OriginPath && aws.ToBool(cfg.Enabled) {
			return nil
		}
		o.OriginPath = aws.String(res.OriginPath)
		cfg.Enabled = aws.Bool(true)
		_, err = c.CloudFront.UpdateDistribution(ctx, &cloudfront.UpdateDistributionInput{Id: aws.String(res.StagingID), IfMatch: cur.ETag, DistributionConfig: cfg})
		return err
	}); err != nil {
		return nil, err
	}
	if err := c.step("let staging read the origin bucket (bucket policy)", func() error {
		cur, err := c.CloudFront.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(res.StagingID)})
		if err != nil {
			return err
		}
		res.BucketPolicies, err = c.allowStaging(ctx, in.PrimaryID, res.StagingID, cur.DistributionConfig)
		return err
	}); err != nil {
		return nil, err
	}
	if err := c.step("create or update the continuous-deployment policy", func() error {
		st, err := c.CloudFront.GetDistribution(ctx, &cloudfront.GetDistributionInput{Id: aws.String(res.StagingID)})
		if err != nil {
			return err
		}
		res.StagingDomain = aws.ToString(st.Distribution.DomainName)
		want := &cftypes.ContinuousDeploymentPolicyConfig{
			Enabled:                     aws.Bool(true),
			StagingDistributionDnsNames: &cftypes.StagingDistributionDnsNames{Quantity: aws.Int32(1), Items: []string{res.StagingDomain}},
			TrafficConfig:               tc,
		}
		res.PolicyID, err = c.ensurePolicy(ctx, aws.ToString(primary.DistributionConfig.ContinuousDeploymentPolicyId), want)
		return err
	}); err != nil {
		return nil, err
	}
	if err := c.step("attach the policy to the primary", func() error {
		cur, err := c.CloudFront.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(in.PrimaryID)})
		if err != nil {
			return err
		}
		if aws.ToString(cur.DistributionConfig.ContinuousDeploymentPolicyId) == res.PolicyID {
			return nil
		}
		cur.DistributionConfig.ContinuousDeploymentPolicyId = aws.String(res.PolicyID)
		_, err = c.CloudFront.UpdateDistribution(ctx, &cloudfront.UpdateDistributionInput{Id: aws.String(in.PrimaryID), IfMatch: cur.ETag, DistributionConfig: cur.DistributionConfig})
		return err
	}); err != nil {
		return nil, err
	}
	if err := c.step("wait until "+in.PrimaryID+" (primary) and "+res.StagingID+" (staging) are Deployed", func() error {
		return c.waitDeployed(ctx, in.PrimaryID, res.StagingID)
	}); err != nil {
		return nil, err
	}
	if err := c.step("record the release in SSM", func() error {
		if err := c.putParam(ctx, c.paramStaging(), res.StagingID); err != nil {
			return err
		}
		return c.putParam(ctx, c.paramVersion(), res.Version)
	}); err != nil {
		return nil, err
	}
	return res, nil
}

// ensurePolicy makes the policy of the primary (attachedID, or one already
// routing to the staging domain, or a new one) equal to want.
func (c *Client) ensurePolicy(ctx context.Context, attachedID string, want *cftypes.ContinuousDeploymentPolicyConfig) (string, error) {
	id := attachedID
	if id == "" {
		var marker *string
		for id == "" {
			page, err := c.CloudFront.ListContinuousDeploymentPolicies(ctx, &cloudfront.ListContinuousDeploymentPoliciesInput{Marker: marker})
			if err != nil {
				return "", err
			}
			list := page.ContinuousDeploymentPolicyList
			if list == nil {
				break
			}
			for _, s := range list.Items {
				cfg := s.ContinuousDeploymentPolicy.ContinuousDeploymentPolicyConfig
				if cfg.StagingDistributionDnsNames != nil && reflect.DeepEqual(cfg.StagingDistributionDnsNames.Items, want.StagingDistributionDnsNames.Items) {
					id = aws.ToString(s.ContinuousDeploymentPolicy.Id)
				}
			}
			if aws.ToString(list.NextMarker) == "" {
				break
			}
			marker = list.NextMarker
		}
	}
	if id == "" {
		out, err := c.CloudFront.CreateContinuousDeploymentPolicy(ctx, &cloudfront.CreateContinuousDeploymentPolicyInput{ContinuousDeploymentPolicyConfig: want})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.ContinuousDeploymentPolicy.Id), nil
	}
	cur, err := c.CloudFront.GetContinuousDeploymentPolicyConfig(ctx, &cloudfront.GetContinuousDeploymentPolicyConfigInput{Id: aws.String(id)})
	if err != nil {
		return "", err
	}
	if samePolicy(cur.ContinuousDeploymentPolicyConfig, want) {
		return id, nil
	}
	_, err = c.CloudFront.UpdateContinuousDeploymentPolicy(ctx, &cloudfront.UpdateContinuousDeploymentPolicyInput{Id: aws.String(id), IfMatch: cur.ETag, ContinuousDeploymentPolicyConfig: want})
	return id, err
}

func samePolicy(a, b *cftypes.ContinuousDeploymentPolicyConfig) bool {
	if a == nil || b == nil || aws.ToBool(a.Enabled) != aws.ToBool(b.Enabled) {
		return false
	}
	return reflect.DeepEqual(a.StagingDistributionDnsNames.Items, b.StagingDistributionDnsNames.Items) &&
		reflect.DeepEqual(a.TrafficConfig, b.TrafficConfig)
}
