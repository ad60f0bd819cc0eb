package release

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
)

// Status is what `release status` reports.
type Status struct {
	Primary  *DistributionStatus `json:"primary"`
	Staging  *DistributionStatus `json:"staging,omitempty"`
	Policy   *PolicyStatus       `json:"policy,omitempty"`
	Version  string              `json:"version"`  // /<service>/version/frontend
	Promoted []string            `json:"promoted"` // origin paths promoted, oldest first
}

// DistributionStatus is one distribution's serving state.
type DistributionStatus struct {
	ID         string `json:"id"`
	Domain     string `json:"domain"`
	Status     string `json:"status"`
	Enabled    bool   `json:"enabled"`
	OriginPath string `json:"origin_path"`
}

// PolicyStatus is the continuous-deployment policy's routing.
type PolicyStatus struct {
	ID          string   `json:"id"`
	Enabled     bool     `json:"enabled"`
	Type        string   `json:"type"`
	Header      string   `json:"header,omitempty"`
	Weight      *float32 `json:"weight,omitempty"`
	StickyIdle  int32    `json:"sticky_idle,omitempty"`
	StickyMax   int32    `json:"sticky_max,omitempty"`
	StagingName string   `json:"staging_domain"`
}

// Status reads the release state of a primary.
func (c *Client) Status(ctx context.Context, primaryID string) (*Status, error) {
	st := &Status{}
	var err error
	if st.Primary, err = c.distStatus(ctx, primaryID); err != nil {
		return nil, err
	}
	cfg, err := c.CloudFront.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(primaryID)})
	if err != nil {
		return nil, err
	}
	if pid := aws.ToString(cfg.DistributionConfig.ContinuousDeploymentPolicyId); pid != "" {
		p, err := c.CloudFront.GetContinuousDeploymentPolicy(ctx, &cloudfront.GetContinuousDeploymentPolicyInput{Id: aws.String(pid)})
		if err != nil {
			return nil, err
		}
		pc := p.ContinuousDeploymentPolicy.ContinuousDeploymentPolicyConfig
		ps := &PolicyStatus{ID: pid, Enabled: aws.ToBool(pc.Enabled)}
		if pc.StagingDistributionDnsNames != nil && len(pc.StagingDistributionDnsNames.Items) > 0 {
			ps.StagingName = pc.StagingDistributionDnsNames.Items[0]
		}
		if tc := pc.TrafficConfig; tc != nil {
			ps.Type = string(tc.Type)
			if h := tc.SingleHeaderConfig; h != nil {
				ps.Header = aws.ToString(h.Header) + "=" + aws.ToString(h.Value)
			}
			if w := tc.SingleWeightConfig; w != nil {
				ps.Weight = w.Weight
				if s := w.SessionStickinessConfig; s != nil {
					ps.StickyIdle, ps.StickyMax = aws.ToInt32(s.IdleTTL), aws.ToInt32(s.MaximumTTL)
				}
			}
		}
		st.Policy = ps
	}
	if sid, err := c.findStaging(ctx, cfg.DistributionConfig); err != nil {
		return nil, err
	} else if sid != "" {
		if st.Staging, err = c.distStatus(ctx, sid); err != nil {
			return nil, err
		}
	}
	if st.Version, err = c.getParam(ctx, c.paramVersion()); err != nil {
		return nil, err
	}
	if st.Promoted, err = c.promotedHistory(ctx); err != nil {
		return nil, err
	}
	return st, nil
}

func (c *Client) distStatus(ctx context.Context, id string) (*DistributionStatus, error) {
	d, err := c.CloudFront.GetDistribution(ctx, &cloudfront.GetDistributionInput{Id: aws.String(id)})
	if err != nil {
		return nil, err
	}
	cfg := d.Distribution.DistributionConfig
	ds := &DistributionStatus{ID: id, Domain: aws.ToString(d.Distribution.DomainName), Status: aws.ToString(d.Distribution.Status), Enabled: aws.ToBool(cfg.Enabled)}
	if o, err := defaultOrigin(cfg); err == nil {
		ds.OriginPath = aws.ToString(o.OriginPath)
	}
	return ds, nil
}

// ParseHeader splits "aws-cf-cd-env=staging".
func ParseHeader(s string) (name, value string, ok bool) {
	name, value, ok = strings.Cut(s, "=")
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	return name, value, ok && name != "" && value != ""
}
