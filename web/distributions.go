package web

import (
	"context"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/edgecd/edgecd/edge"
	"github.com/edgecd/edgecd/iam"
)

// distribution is one row of the distributions page.
type distribution struct {
	ID         string   `json:"id"`
	Domain     string   `json:"domain"`
	Aliases    []string `json:"aliases"`
	Comment    string   `json:"comment"`
	Status     string   `json:"status"` // Deployed or InProgress
	Enabled    bool     `json:"enabled"`
	Staging    bool     `json:"staging"`
	OriginPath string   `json:"originPath"` // of the default origin
	// Policy is the continuous-deployment policy attached to a primary;
	// StagingID the staging distribution it routes to, when listed.
	Policy    *policy `json:"policy,omitempty"`
	StagingID string  `json:"stagingId,omitempty"`
}

// policy is a continuous-deployment policy's routing.
type policy struct {
	ID         string   `json:"id"`
	Enabled    bool     `json:"enabled"`
	Type       string   `json:"type"` // SingleHeader or SingleWeight
	Header     string   `json:"header,omitempty"`
	Value      string   `json:"value,omitempty"`
	Weight     *float32 `json:"weight,omitempty"`
	StickyIdle int32    `json:"stickyIdle,omitempty"`
	StickyMax  int32    `json:"stickyMax,omitempty"`
	StagingDNS string   `json:"stagingDomain,omitempty"`
}

// maxDistributions bounds the list the page shows.
const maxDistributions = 200

// distributions lists the distributions with their policies, through the
// CloudFront API with the session's key. With ?brief=1 it skips the
// policies (two calls per primary): the page's periodic status refresh.
func (c *Console) distributions(r *http.Request) (any, error) {
	cfg, err := c.awsConfig(r)
	if err != nil {
		return nil, err
	}
	cf := cloudfront.NewFromConfig(cfg)
	ctx := r.Context()
	var out []*distribution
	byDomain := map[string]*distribution{}
	in := &cloudfront.ListDistributionsInput{MaxItems: aws.Int32(100)}
	for len(out) < maxDistributions {
		page, err := cf.ListDistributions(ctx, in)
		if err != nil {
			return nil, err
		}
		l := page.DistributionList
		if l == nil {
			break
		}
		for _, s := range l.Items {
			d := summaryOf(s)
			out = append(out, d)
			byDomain[d.Domain] = d
		}
		if !aws.ToBool(l.IsTruncated) || aws.ToString(l.NextMarker) == "" {
			break
		}
		in.Marker = l.NextMarker
	}
	for _, d := range out {
		if d.Staging || r.URL.Query().Get("brief") == "1" {
			continue
		}
		if d.Policy, err = attachedPolicy(ctx, cf, d.ID); err != nil {
			return nil, err
		}
		if d.Policy != nil {
			if s := byDomain[d.Policy.StagingDNS]; s != nil {
				d.StagingID = s.ID
			}
		}
	}
	if out == nil {
		out = []*distribution{}
	}
	return map[string]any{"distributions": out}, nil
}

func summaryOf(s cftypes.DistributionSummary) *distribution {
	d := &distribution{ID: aws.ToString(s.Id), Domain: aws.ToString(s.DomainName), Comment: aws.ToString(s.Comment),
		Status: aws.ToString(s.Status), Enabled: aws.ToBool(s.Enabled), Staging: aws.ToBool(s.Staging), Aliases: []string{}}
	if s.Aliases != nil {
		d.Aliases = append(d.Aliases, s.Aliases.Items...)
	}
	if s.Origins != nil && s.DefaultCacheBehavior != nil {
		target := aws.ToString(s.DefaultCacheBehavior.TargetOriginId)
		for _, o := range s.Origins.Items {
			if aws.ToString(o.Id) == target {
				d.OriginPath = aws.ToString(o.OriginPath)
			}
		}
	}
	return d
}

// attachedPolicy reads the policy attached to a primary, or nil.
func attachedPolicy(ctx context.Context, cf *cloudfront.Client, id string) (*policy, error) {
	dc, err := cf.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(id)})
	if err != nil {
		return nil, err
	}
	pid := aws.ToString(dc.DistributionConfig.ContinuousDeploymentPolicyId)
	if pid == "" {
		return nil, nil
	}
	p, err := cf.GetContinuousDeploymentPolicy(ctx, &cloudfront.GetContinuousDeploymentPolicyInput{Id: aws.String(pid)})
	if err != nil {
		return nil, err
	}
	pc := p.ContinuousDeploymentPolicy.ContinuousDeploymentPolicyConfig
	out := &policy{ID: pid, Enabled: aws.ToBool(pc.Enabled)}
	if pc.StagingDistributionDnsNames != nil && len(pc.StagingDistributionDnsNames.Items) > 0 {
		out.StagingDNS = pc.StagingDistributionDnsNames.Items[0]
	}
	if tc := pc.TrafficConfig; tc != nil {
		out.Type = string(tc.Type)
		if h := tc.SingleHeaderConfig; h != nil {
			out.Header, out.Value = aws.ToString(h.Header), aws.ToString(h.Value)
		}
		if w := tc.SingleWeightConfig; w != nil {
			out.Weight = w.Weight
			if s := w.SessionStickinessConfig; s != nil {
				out.StickyIdle, out.StickyMax = aws.ToInt32(s.IdleTTL), aws.ToInt32(s.MaximumTTL)
			}
		}
	}
	return out, nil
}

// sideTraffic is one side's cumulative counters as the page reads them;
// the page turns two readings into rates.
type sideTraffic struct {
	Requests  uint64  `json:"requests"`
	Status2xx uint64  `json:"status2xx"`
	Status3xx uint64  `json:"status3xx"`
	Status4xx uint64  `json:"status4xx"`
	Status5xx uint64  `json:"status5xx"`
	Bytes     uint64  `json:"bytes"`
	Hits      uint64  `json:"hits"`
	Misses    uint64  `json:"misses"`
	LatencyMs float64 `json:"latencySumMs"`
}

type distTraffic struct {
	ID      string      `json:"id"`
	Primary sideTraffic `json:"primary"`
	Staging sideTraffic `json:"staging"`
}

// traffic reads the local edge's counters for the distributions the key
// may read (cloudfront:GetDistribution on each).
func (c *Console) traffic(r *http.Request) (any, error) {
	out := map[string]any{"edge": c.opt.Traffic != nil, "at": c.opt.Now().UnixMilli()}
	list := []distTraffic{}
	if c.opt.Traffic != nil {
		for _, t := range c.opt.Traffic() {
			arn := "arn:aws:cloudfront::" + c.opt.Account + ":distribution/" + t.DistributionID
			if iam.Authorize(r.Context(), "cloudfront:GetDistribution", arn) != nil {
				continue
			}
			list = append(list, distTraffic{ID: t.DistributionID, Primary: sideOf(t.Primary), Staging: sideOf(t.Staging)})
		}
	}
	out["distributions"] = list
	return out, nil
}

func sideOf(s edge.SideTraffic) sideTraffic {
	return sideTraffic{Requests: s.Requests, Status2xx: s.Status2xx, Status3xx: s.Status3xx, Status4xx: s.Status4xx, Status5xx: s.Status5xx,
		Bytes: s.Bytes, Hits: s.Hits, Misses: s.Misses, LatencyMs: float64(s.LatencySum.Microseconds()) / 1000}
}
